// `hypersweep trial mlp …`: trains one MLP, shows per-epoch progress, appends
// the record to <results>/trials.jsonl and (with --json) prints the record as
// one JSON line. Exit status: 0 complete, 1 failed/stopped trial or runtime
// error, 2 usage error.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import type { Command } from 'commander';

import { DATASET_NAMES, datasetFiles, loadDatasetFiles, parseDatasetName, TRAIN_ROWS } from '../../data/index.js';
import { parseDeviceRequest, resolveDevice } from '../../engine/device.js';
import { buildInfo, countParams } from '../../engine/native.js';
import { Errors } from '../../errors.js';
import { appendRecord, trialRecord, TRIALS_FILE } from '../../trials/record.js';
import { runMlpTrial } from '../../trials/mlp/run.js';
import { MLP_PARAM_NAMES, type MlpParams } from '../../trials/mlp/params.js';
import { CNN_MODELS, CNN_PARAM_NAMES, isCnnModel } from '../../trials/cnn/params.js';
import { ENGINE_REQUESTS } from '../../engine/engine-request.js';
import { epochProgress, fmt, printJsonLine } from '../output.js';
import { mlpParamsFromOptions, parseThreads } from '../engine-options.js';
import { collect, parseIntOption } from '../options.js';

export const WORKLOADS = ['mlp', ...CNN_MODELS] as const;

interface TrialOptions {
  set?: string[];
  epochs?: string;
  seed?: string;
  dataset?: string;
  device: string;
  engine: string;
  valFraction?: string;
  threads?: string;
  subset?: string;
  results: string;
  json?: boolean;
}

export function describeParams(p: MlpParams): string {
  return (
    `784-${p.h1}-${p.h2}-10 ${p.activation} init=${p.init} alpha0=${p.alpha0} delta=${p.delta} ` +
    `lambda=${p.lambda} batch_size=${p.batch_size} epochs=${p.epochs} seed=${p.seed}`
  );
}

export function registerTrialCommand(program: Command): void {
  program
    .command('trial')
    .description('train one model and append its record to <results>/trials.jsonl')
    .argument('<workload>', `what to train: ${WORKLOADS.join(', ')}`)
    .option('--set <key=value>', `set a parameter (repeatable); mlp: ${MLP_PARAM_NAMES.join(', ')}; CNNs: ${CNN_PARAM_NAMES.join(', ')}`, collect)
    .option('--epochs <n>', 'number of epochs (same as --set epochs=N)')
    .option('--seed <s>', 'trial seed (same as --set seed=S)')
    .option('--dataset <name>', `dataset: ${DATASET_NAMES.join(', ')}, or (CNNs) a folder of images (default mnist)`)
    .option('--device <device>', 'mlp: auto, cpu or cuda (auto = cuda when a GPU and the CUDA build are present)', 'auto')
    .option('--engine <engine>', `CNNs: TensorFlow.js engine, ${ENGINE_REQUESTS.join(', ')}`, 'auto')
    .option('--val-fraction <f>', 'CNNs on an image folder: fraction of each class held out for validation (default 0.2)')
    .option('--threads <t>', 'native threads on the cpu (default: all cores)')
    .option('--subset <rows>', `train on the first <rows> training images only (1..${TRAIN_ROWS}); image folders: per class`)
    .option('--results <dir>', 'folder of the results files', 'results')
    .option('--json', 'print the final result as one JSON object on the last line of stdout')
    .action(async (workload: string, opts: TrialOptions) => {
      process.exitCode = await trialCommand(workload, opts);
    });
}

async function trialCommand(workload: string, opts: TrialOptions): Promise<number> {
  // Check all the user's input before loading anything heavy.
  if (!(WORKLOADS as readonly string[]).includes(workload)) throw Errors.unknownWorkload(workload, WORKLOADS);
  if (isCnnModel(workload)) {
    const { cnnTrialCommand } = await import('./trial-cnn.js'); // TensorFlow.js loads only for CNNs
    return cnnTrialCommand(workload, opts);
  }
  if (opts.valFraction !== undefined) throw Errors.optionConflict('--val-fraction', ['trial mlp']);
  const params = mlpParamsFromOptions(opts);
  const datasetName = parseDatasetName(opts.dataset ?? 'mnist');
  const deviceRequest = parseDeviceRequest(opts.device);
  const threads = parseThreads(opts.threads);
  const subset = opts.subset === undefined ? undefined : parseIntOption('--subset', opts.subset, 1, TRAIN_ROWS);
  if (subset !== undefined && params.batch_size > subset) throw Errors.batchTooLarge(params.batch_size, subset);

  const files = datasetFiles(datasetName); // a missing dataset is reported before the addon loads
  const device = resolveDevice(deviceRequest);
  // With --json, stdout carries only the result; the human-readable lines go to stderr.
  const out = opts.json ? process.stderr : process.stdout;
  const dataStart = performance.now();
  const dataset = await loadDatasetFiles(datasetName, files, subset === undefined ? {} : { subset });
  const dataSeconds = (performance.now() - dataStart) / 1000;
  const info = buildInfo();
  out.write(
    `trial mlp on ${dataset.dataset} (${dataset.train.rows} train / ${dataset.val.rows} val / ${dataset.test.rows} test)\n` +
      `  ${describeParams(params)} (${countParams({ inputs: 784, h1: params.h1, h2: params.h2, outputs: 10 })} parameters)\n` +
      `  device ${device}${device === 'cpu' ? ` (${info.simd}, ${threads} threads)` : ''}\n`,
  );

  // Ctrl-C stops the trial between minibatches; the record still gets written.
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  const progress = epochProgress(params.epochs, out);
  progress.start();
  let result;
  try {
    result = await runMlpTrial(params, {
      dataset,
      device,
      threads,
      onEpoch: (m) => progress.epoch(m),
      signal: controller.signal,
    });
  } finally {
    progress.stop();
    process.removeListener('SIGINT', onSigint);
  }

  const record = trialRecord(result, { dataSeconds });
  const file = join(opts.results, TRIALS_FILE);
  await appendRecord(file, record);
  const total = fmt.seconds(result.durations.total_seconds);
  if (result.state === 'complete') {
    out.write(`complete: test_accuracy ${fmt.accuracy(result.test_accuracy)} in ${total}; record appended to ${file}\n`);
  } else {
    out.write(`${result.state}: ${result.reason}; record appended to ${file}\n`);
  }
  if (opts.json) printJsonLine({ ...record, record_file: file });
  return result.state === 'complete' ? 0 : 1;
}
