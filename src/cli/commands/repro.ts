// `hypersweep repro <study> <trial>`: re-run one trial in isolation and print
// the recorded and the new metrics side by side (see trials/repro.ts for how
// they are judged). Exit 0 when the reproduction matches, 1 when it does not.
import type { Command } from 'commander';

import { parseDeviceRequest, resolveDevice } from '../../engine/device.js';
import { ENGINE_REQUESTS, parseEngineRequest } from '../../engine/engine-request.js';
import { Errors } from '../../errors.js';
import type { ReproComparison, ReproReport, Tolerance } from '../../trials/repro.js';
import { parseThreads } from '../engine-options.js';
import { parseIntOption } from '../options.js';
import { printJsonLine } from '../output.js';

interface ReproOptions {
  results: string;
  device?: string;
  engine?: string;
  threads?: string;
  rtol?: string;
  atol?: string;
  json?: boolean;
}

export function registerReproCommand(program: Command): void {
  program
    .command('repro')
    .description('re-run one trial of a study and compare its metrics with the recorded ones (exit 1 on mismatch)')
    .argument('<study>', "the study's name (a folder under --results)")
    .argument('<trial>', 'the trial number')
    .option('--results <dir>', 'folder holding the studies', 'results')
    .option('--device <device>', 'cpu or cuda (default: the recorded device)')
    .option('--engine <engine>', `CNN trials: TensorFlow.js engine, ${ENGINE_REQUESTS.join(', ')} (default: the recorded one)`)
    .option('--threads <t>', 'native threads (default: the recorded count)')
    .option('--rtol <r>', 'check |new - recorded| <= atol + rtol·|recorded| instead of bit-identity')
    .option('--atol <a>', 'absolute part of the tolerance (with --rtol; default 1e-3)')
    .option('--json', 'print the report as one JSON object on the last line of stdout')
    .action(async (study: string, trial: string, opts: ReproOptions) => {
      process.exitCode = await reproCommand(study, trial, opts);
    });
}

function parseNonNegative(option: string, raw: string): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v < 0) throw Errors.invalidOption(option, raw, 'a finite number >= 0');
  return v;
}

function parseTolerance(opts: ReproOptions): Tolerance | undefined {
  if (opts.rtol === undefined && opts.atol === undefined) return undefined;
  return {
    rtol: opts.rtol === undefined ? 0 : parseNonNegative('--rtol', opts.rtol),
    atol: opts.atol === undefined ? 1e-3 : parseNonNegative('--atol', opts.atol),
  };
}

async function reproCommand(study: string, trialText: string, opts: ReproOptions): Promise<number> {
  const trial = parseIntOption('<trial>', trialText, 0, Number.MAX_SAFE_INTEGER);
  const tolerance = parseTolerance(opts);
  const threads = opts.threads === undefined ? undefined : parseThreads(opts.threads);
  // Loaded here, not at the top: it pulls in the data loader and the addon.
  const { reproduceTrial } = await import('../../trials/repro.js');
  const device = opts.device === undefined ? undefined : resolveDevice(parseDeviceRequest(opts.device));
  const engine = opts.engine === undefined ? undefined : parseEngineRequest(opts.engine);
  const out = opts.json ? process.stderr : process.stdout;
  out.write(`re-running trial ${trial} of ${study}...\n`);
  const report = await reproduceTrial(opts.results, study, trial, {
    ...(device ? { device } : {}),
    ...(engine ? { engine } : {}),
    ...(threads ? { threads } : {}),
    ...(tolerance ? { tolerance } : {}),
    onEpoch: (epoch, total) => out.write(`  epoch ${epoch}/${total} done\n`),
  });
  out.write(formatReport(report));
  if (opts.json) printJsonLine(report);
  return report.match ? 0 : 1;
}

const show = (v: number | string | null) => (v === null ? '-' : String(v));

export function formatReport(r: ReproReport): string {
  const lines: string[] = [];
  const run = (d: ReproReport['recorded_run']) =>
    [d.device, d.threads === null ? null : `${d.threads} thread(s)`, d.dtype, d.engine && `engine ${d.engine}`, d.hypersweep && `hypersweep ${d.hypersweep}`, d.native && `native ${d.native}`]
      .filter((x) => x)
      .join(', ') || '-';
  lines.push(`study ${r.study}, trial ${r.trial} (${r.objective}, ${r.state})`);
  lines.push(`  recorded run: ${run(r.recorded_run)}`);
  lines.push(`  this run:     ${run(r.new_run)}`);
  lines.push(`  check: ${r.check}: ${r.why}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  const rows = r.comparisons.map((c: ReproComparison) => [
    c.step === null ? '' : String(c.step),
    c.metric,
    show(c.recorded),
    show(c.reproduced),
    c.abs_diff === null ? '' : String(c.abs_diff),
    c.identical ? 'identical' : c.ok ? 'within tolerance' : 'MISMATCH',
  ]);
  const header = [r.objective === 'mlp' ? 'epoch' : 'step', 'metric', 'recorded', 'reproduced', '|diff|', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  lines.push(fmt(header), ...rows.map(fmt));
  const bad = r.comparisons.filter((c) => !c.ok);
  const count = `${r.comparisons.length} value(s) compared`;
  if (r.match && r.check === 'bit-identical') lines.push(`result: REPRODUCED, bit-identical (${count})`);
  else if (r.match) {
    lines.push(
      `result: REPRODUCED within tolerance rtol=${r.tolerance!.rtol}, atol=${r.tolerance!.atol} (${count}; ` +
        `${r.bit_identical ? 'bit-identical too' : `${r.comparisons.filter((c) => !c.identical).length} not bit-identical`})`,
    );
  } else if (r.comparisons.length === 0) lines.push('result: NOT REPRODUCED: nothing to compare');
  else {
    const first = bad[0]!;
    lines.push(
      `result: NOT REPRODUCED: ${bad.length} of ${r.comparisons.length} value(s) differ ` +
        `(${r.check === 'bit-identical' ? 'bit-identity required' : `beyond rtol=${r.tolerance!.rtol}, atol=${r.tolerance!.atol}`}); ` +
        `first: ${first.step === null ? '' : `step ${first.step} `}${first.metric} recorded ${show(first.recorded)}, now ${show(first.reproduced)}`,
    );
  }
  return lines.join('\n') + '\n';
}
