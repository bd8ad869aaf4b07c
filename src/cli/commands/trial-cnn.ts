// `hypersweep trial cnn-light|cnn|catsdogs …`: trains one CNN with the chosen
// TensorFlow.js engine, shows per-epoch progress, appends the record to
// <results>/trials.jsonl and (with --json) prints it as one JSON line.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { checkEngineRequest, parseEngineRequest } from '../../engine/engine-request.js';
import { startTfjsEngine } from '../../engine/tfjs-engine.js';
import { Errors } from '../../errors.js';
import { parseAssignment } from '../../trials/mlp/params.js';
import { loadCnnData } from '../../trials/cnn/dataset.js';
import { MODEL_SHAPES } from '../../trials/cnn/models.js';
import {
  CNN_PARAM_NAMES,
  coerceCnnParam,
  isCnnParamName,
  resolveCnnParams,
  type CnnModelName,
  type CnnParams,
} from '../../trials/cnn/params.js';
import { runCnnTrial, type CnnTrialResult } from '../../trials/cnn/run.js';
import { appendRecord, provenance, TRIALS_FILE, type Provenance } from '../../trials/record.js';
import { epochProgress, fmt, printJsonLine } from '../output.js';
import { parseThreads } from '../engine-options.js';
import { parseIntOption } from '../options.js';

export interface CnnTrialOptions {
  set?: string[];
  epochs?: string;
  seed?: string;
  dataset?: string;
  engine: string;
  threads?: string;
  subset?: string;
  valFraction?: string;
  results: string;
  json?: boolean;
}

export interface CnnTrialRecord extends Provenance, Omit<CnnTrialResult, 'durations'> {
  kind: 'trial';
  workload: CnnModelName;
  seed: number;
  durations: CnnTrialResult['durations'] & { data_seconds: number };
}

export function describeCnnParams(p: CnnParams): string {
  return CNN_PARAM_NAMES.map((k) => `${k}=${p[k]}`).join(' ');
}

/** --set assignments plus the --epochs/--seed shortcuts, checked against the model's parameters. */
export function cnnParamsFromOptions(model: CnnModelName, opts: { set?: string[]; epochs?: string; seed?: string }): CnnParams {
  const overrides: Record<string, unknown> = {};
  for (const raw of opts.set ?? []) {
    const { key, value } = parseAssignment(raw, '--set');
    if (!isCnnParamName(key)) throw Errors.unknownParam(key, CNN_PARAM_NAMES, `--set ${raw}`);
    if (key in overrides) throw Errors.duplicateParam(key, '--set');
    overrides[key] = coerceCnnParam(key, value, `--set ${raw}`);
  }
  for (const name of ['epochs', 'seed'] as const) {
    const raw = opts[name];
    if (raw === undefined) continue;
    if (name in overrides) throw Errors.duplicateParam(name, `--set and --${name}`);
    overrides[name] = coerceCnnParam(name, raw, `--${name}`);
  }
  return resolveCnnParams(model, overrides, '--set');
}

export async function cnnTrialCommand(model: CnnModelName, opts: CnnTrialOptions): Promise<number> {
  // Every argument checked before anything heavy loads.
  const params = cnnParamsFromOptions(model, opts);
  const engine = checkEngineRequest(parseEngineRequest(opts.engine));
  const threads = parseThreads(opts.threads);
  const subset = opts.subset === undefined ? null : parseIntOption('--subset', opts.subset, 1, 1_000_000_000);
  let valFraction: number | undefined;
  if (opts.valFraction !== undefined) {
    valFraction = Number(opts.valFraction);
    if (!(valFraction > 0 && valFraction < 1)) throw Errors.invalidOption('--val-fraction', opts.valFraction, 'a number in (0, 1)');
  }
  const dataset = opts.dataset ?? (model === 'catsdogs' ? undefined : 'mnist');
  if (dataset === undefined) {
    throw Errors.datasetNotForModel('(none given)', model, 'it trains on a folder of cat and dog images: pass --dataset <folder> (cat.1.jpg, dog.1.jpg, … or one subfolder per class)');
  }
  const out = opts.json ? process.stderr : process.stdout;
  const dataStart = performance.now();
  const data = await loadCnnData(model, {
    dataset,
    subset,
    resultsDir: opts.results,
    ...(valFraction !== undefined ? { valFraction } : {}),
    onNotice: (line) => out.write(`  ${line}\n`),
  });
  const dataSeconds = (performance.now() - dataStart) / 1000;
  const [h, w, c] = MODEL_SHAPES[model].input;
  out.write(
    `trial ${model} on ${data.name} (${data.train.count} train / ${data.val.count} val${data.test ? ` / ${data.test.count} test` : ''}, ${h}×${w}×${c})\n` +
      `  ${describeCnnParams(params)} (${MODEL_SHAPES[model].params} parameters)\n`,
  );

  const started = await startTfjsEngine(engine, threads);
  out.write(`  engine ${started.engine} (backend ${started.backend}${started.engine === 'native' ? `, our kernels for ${started.replacedKernels.length} ops, ${threads} threads` : ''}${started.gpu ? `, on ${started.gpu}` : ''})\n`);

  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  const progress = epochProgress(params.epochs, out);
  let result: CnnTrialResult;
  try {
    const run = runCnnTrial(model, params, {
      data,
      engine,
      threads,
      onEpoch: (m) => progress.epoch(m),
      signal: controller.signal,
    });
    progress.start();
    const { result: r, trained } = await run;
    trained.dispose();
    result = r;
  } finally {
    progress.stop();
    process.removeListener('SIGINT', onSigint);
  }
  const record: CnnTrialRecord = {
    kind: 'trial',
    workload: model,
    ...result,
    seed: params.seed,
    durations: { ...result.durations, data_seconds: dataSeconds },
    ...provenance(),
  };
  const file = join(opts.results, TRIALS_FILE);
  await appendRecord(file, record);
  const total = fmt.seconds(result.durations.total_seconds);
  if (result.state === 'complete') {
    const acc = result.test_accuracy ?? result.epochs.at(-1)?.val_accuracy ?? null;
    out.write(`complete: ${result.test_accuracy !== null ? 'test' : 'val'}_accuracy ${fmt.accuracy(acc)} in ${total}; record appended to ${file}\n`);
  } else {
    out.write(`${result.state}: ${result.reason}; record appended to ${file}\n`);
  }
  if (opts.json) printJsonLine({ ...record, record_file: file });
  return result.state === 'complete' ? 0 : 1;
}
