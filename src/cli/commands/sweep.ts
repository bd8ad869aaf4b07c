// `hypersweep sweep <space-file>` and `hypersweep resume <study>`: run a study's
// trials until its budget is reached, recording everything in its journal.
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import type { Command } from 'commander';
import { parse as parseYamlValue } from 'yaml';

import { countedTrials, runSweep, tellHistory, type StopReason } from '../../dispatch/controller.js';
import { parseDeviceRequest, resolveDevice } from '../../engine/device.js';
import { Errors } from '../../errors.js';
import { createSampler } from '../../samplers/sampler.js';
import { loadSpaceFile, parseSpaceText } from '../../space/load.js';
import { validateStudySpec } from '../../space/validate.js';
import { defaultSamplerSpec, SAMPLER_TYPES, type SamplerType, type StudySpec } from '../../space/spec.js';
import { acquireStudyLock, type StudyLock } from '../../study/lock.js';
import { bestTrial, countByState, type TrialRecord } from '../../study/state.js';
import { Study, studyDir, studyExists } from '../../study/study.js';
import { buildObjective } from '../../trials/objective.js';
import { hypersweepVersion } from '../../trials/record.js';
import { collect, parseChoice, parseIntOption, parseThreads } from '../options.js';
import { printJsonLine } from '../output.js';

interface RunOptions {
  trials?: string;
  results: string;
  device: string;
  threads?: string;
  json?: boolean;
  quiet?: boolean;
}
interface SweepOptions extends RunOptions {
  study?: string;
  sampler?: string;
  seed?: string;
  set?: string[];
  forceNew?: boolean;
}

const MAX_TRIALS = 1_000_000;

function addRunOptions(cmd: Command): Command {
  return cmd
    .option('--trials <n>', "the study's total number of trials (default: the space file's budget)")
    .option('--results <dir>', 'folder holding the studies', 'results')
    .option('--device <device>', 'auto, cpu or cuda (model objectives)', 'auto')
    .option('--threads <t>', 'native threads per trial (default: all cores)')
    .option('--quiet', 'print only the summary')
    .option('--json', 'print the summary as one JSON object on the last line of stdout');
}

export function registerSweepCommands(program: Command): void {
  addRunOptions(
    program
      .command('sweep')
      .description('start a study from a search-space file and run it to its budget')
      .argument('<space-file>', 'YAML or JSON search-space file (see search-spaces/)')
      .option('--study <name>', "the study's name (default: the space file's name)")
      .option('--sampler <type>', `override the space's sampler: ${SAMPLER_TYPES.join(', ')}`)
      .option('--seed <s>', 'study seed (default: the space file\'s, else a random one, recorded)')
      .option('--set <key=value>', 'pin a parameter or a fixed setting (repeatable), e.g. --set epochs=1', collect)
      .option('--force-new', 'if the study exists, move it aside (never deleted) and start again'),
  ).action(async (file: string, opts: SweepOptions) => {
    process.exitCode = await sweepCommand(file, opts);
  });
  addRunOptions(
    program
      .command('resume')
      .description('continue a study from its journal after a crash, a kill or Ctrl-C')
      .argument('<study>', "the study's name (a folder under --results)"),
  ).action(async (study: string, opts: RunOptions) => {
    process.exitCode = await resumeCommand(study, opts);
  });
}

async function sweepCommand(file: string, opts: SweepOptions): Promise<number> {
  let spec = loadSpaceWithOverrides(file, opts.set ?? []);
  if (opts.sampler) {
    const type = parseChoice<SamplerType>('--sampler', opts.sampler, SAMPLER_TYPES);
    if (type !== spec.sampler.type) spec = { ...spec, sampler: defaultSamplerSpec(type, spec.sampler.seed) };
  }
  const seed =
    opts.seed !== undefined ? parseIntOption('--seed', opts.seed, 0, 0xffffffff) : (spec.sampler.seed ?? randomInt(0, 2 ** 31));
  const budget = opts.trials !== undefined ? parseIntOption('--trials', opts.trials, 1, MAX_TRIALS) : spec.budget.trials;
  const name = opts.study ?? spec.name;
  const dir = studyDir(opts.results, name);
  if (studyExists(opts.results, name) && !opts.forceNew) throw Errors.studyExists(name, opts.results);
  const runtime = runtimeFrom(opts);
  createSampler(spec.sampler, spec.params, spec.direction, seed); // refuse a bad sampler before creating anything

  fs.mkdirSync(dir, { recursive: true });
  const lock = await acquireStudyLock(dir, name, onLockLost);
  try {
    const study = Study.create(opts.results, name, spec, seed, hypersweepVersion(), { forceNew: opts.forceNew ?? false });
    return await drive(study, budget, runtime, [], opts, lock);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function resumeCommand(name: string, opts: RunOptions): Promise<number> {
  const dir = studyDir(opts.results, name);
  if (!studyExists(opts.results, name)) throw Errors.studyNotFound(name, opts.results);
  const runtime = runtimeFrom(opts);
  const lock = await acquireStudyLock(dir, name, onLockLost);
  try {
    const study = Study.open(opts.results, name, (message) => process.stderr.write(`hypersweep: warning: ${message}\n`));
    const retries = study.failInterrupted();
    const budget =
      opts.trials !== undefined ? parseIntOption('--trials', opts.trials, 1, MAX_TRIALS) : study.spec.budget.trials;
    const out = opts.json ? process.stderr : process.stdout;
    if (!opts.quiet) {
      const counts = countByState(study.state.trials);
      out.write(
        `resuming ${name}: ${counts.complete} complete, ${counts.pruned} pruned, ${counts.failed} failed` +
          (retries.length ? `; running again ${retries.length} interrupted trial(s): ${retries.map((t) => t.number).join(', ')}` : '') +
          '\n',
      );
    }
    return await drive(study, budget, runtime, retries, opts, lock);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

function runtimeFrom(opts: RunOptions) {
  return { device: resolveDevice(parseDeviceRequest(opts.device)), threads: parseThreads(opts.threads) };
}

function onLockLost(err: Error): void {
  process.stderr.write(`hypersweep: error: lost the study lock (${err.message}); stopping\n`);
  process.exit(1);
}

/** Runs the study to its budget with Ctrl-C handling, then prints the summary. */
async function drive(
  study: Study,
  budget: number,
  runtime: { device: 'cpu' | 'cuda'; threads: number },
  retries: readonly TrialRecord[],
  opts: RunOptions,
  lock: StudyLock,
): Promise<number> {
  const out = opts.json ? process.stderr : process.stdout;
  const stopper = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) {
      // Every event already written is in the journal: aborting now loses only the running trial.
      process.stderr.write(`\nhypersweep: ${signal} again: aborting now; resume with: hypersweep resume ${study.name}\n`);
      process.exit(130);
    }
    process.stderr.write(`\nhypersweep: ${signal}: stopping after the running trial's current step (again to abort now)\n`);
    stopper.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const started = Date.now();
  let reason: StopReason;
  try {
    study.controllerEvent('controller_started');
    const sampler = createSampler(study.spec.sampler, study.spec.params, study.spec.direction, study.seed);
    tellHistory(sampler, study);
    const objective = await buildObjective(study.spec, runtime);
    reason = await runSweep(study, sampler, objective, {
      budget,
      timeSeconds: study.spec.budget.timeSeconds,
      retries,
      signal: stopper.signal,
      onTrialFinished: (t) => {
        if (!opts.quiet) out.write(trialLine(study, t, budget, started) + '\n');
      },
    });
    study.controllerEvent('controller_stopped', reason);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    study.close();
    await lock.release();
  }
  const summary = summarize(study, reason);
  if (opts.json) printJsonLine(summary);
  else {
    const best = summary.best;
    process.stdout.write(
      `study ${study.name}: ${reason}; ${summary.counts.complete} complete, ${summary.counts.pruned} pruned, ` +
        `${summary.counts.failed} failed\n` +
        (best ? `best: trial ${best.trial} ${study.spec.metric}=${best.value} ${formatParams(best.params)}\n` : 'no complete trial yet\n') +
        (reason === 'interrupted' ? `resume with: hypersweep resume ${study.name}\n` : '') +
        `journal: ${study.journalFile}\n`,
    );
  }
  return reason === 'interrupted' ? 130 : 0;
}

function summarize(study: Study, reason: StopReason) {
  const best = bestTrial(study.state.trials, study.spec.direction);
  return {
    study: study.name,
    stopped: reason,
    metric: study.spec.metric,
    direction: study.spec.direction,
    counts: countByState(study.state.trials),
    best: best ? { trial: best.number, params: best.params, value: best.value } : null,
    journal: study.journalFile,
  };
}

function formatParams(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(4)) : String(v)}`)
    .join(' ');
}

function trialLine(study: Study, t: TrialRecord, budget: number, startedMs: number): string {
  const done = countedTrials(study);
  const best = bestTrial(study.state.trials, study.spec.direction);
  const elapsed = (Date.now() - startedMs) / 1000;
  const ranHere = Math.max(1, study.state.trials.filter((x) => x.finishedAt && Date.parse(x.finishedAt) >= startedMs).length);
  const eta = ((budget - done) * elapsed) / ranHere;
  const value = t.value === null ? '' : ` ${study.spec.metric}=${Number(t.value.toPrecision(6))}`;
  return (
    `[${done}/${budget}] trial ${t.number} ${t.state}${value}${t.error ? ` (${t.error})` : ''}  ${formatParams(t.params)}` +
    (best ? `  | best ${Number(best.value!.toPrecision(6))} (trial ${best.number})` : '') +
    (done < budget ? `  eta ${formatDuration(eta)}` : '')
  );
}

function formatDuration(s: number): string {
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Reads the space file with the `--set key=value` assignments applied before
 * validation, so a bad pin is reported exactly as a bad file would be. A
 * searched parameter becomes fixed; any other key becomes a fixed setting.
 * Values are read as YAML scalars (1e-3, true, glorot).
 */
function loadSpaceWithOverrides(file: string, assignments: readonly string[]): StudySpec {
  if (assignments.length === 0) return loadSpaceFile(file);
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch (err) {
    throw Errors.spaceFileUnreadable(absolute, err);
  }
  const raw = parseSpaceText(text, absolute);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return validateStudySpec(raw, absolute);
  const doc = raw as { params?: Record<string, unknown>; fixed?: Record<string, unknown> };
  const params = { ...(doc.params ?? {}) };
  const fixed = { ...(doc.fixed ?? {}) };
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw Errors.badAssignment(assignment, '--set');
    const key = assignment.slice(0, eq).trim();
    const value: unknown = parseYamlValue(assignment.slice(eq + 1));
    if (key in params) params[key] = value;
    else fixed[key] = value;
  }
  return validateStudySpec({ ...doc, params, fixed }, `${absolute} (with --set ${assignments.join(' ')})`, path.dirname(absolute));
}
