// `hypersweep gradcheck …`: the finite-difference check of the homework
// (see trials/mlp/gradcheck.ts), printed as a table, plotted log-log to
// <results>/gradcheck-<timestamp>.svg and recorded in <results>/gradcheck.jsonl.
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Command } from 'commander';

import { DATASET_NAMES, datasetFiles, loadDatasetFiles, parseDatasetName, TRAIN_ROWS } from '../../data/index.js';
import { parseDeviceRequest, resolveDevice } from '../../engine/device.js';
import { DTYPES } from '../../engine/native.js';
import { Errors } from '../../errors.js';
import { renderLinePlot } from '../../report/svg-plot.js';
import { GRADCHECK_NS, runGradcheck, type GradcheckResult } from '../../trials/mlp/gradcheck.js';
import { MAX_EPOCHS, MLP_PARAM_NAMES } from '../../trials/mlp/params.js';
import { appendRecord, GRADCHECK_FILE, provenance } from '../../trials/record.js';
import { epochProgress, fmt, printJsonLine } from '../output.js';
import { collect, mlpParamsFromOptions, parseChoice, parseIntOption, parseThreads } from '../options.js';
import { describeParams } from './trial.js';

interface GradcheckOptions {
  set?: string[];
  seed?: string;
  fromTrainedEpochs: string;
  dtype: string;
  dataset: string;
  device: string;
  threads?: string;
  subset?: string;
  results: string;
  json?: boolean;
}

export function registerGradcheckCommand(program: Command): void {
  program
    .command('gradcheck')
    .description(
      `compare backprop with central differences (eps = 1/N, N in ${GRADCHECK_NS.join(', ')}) ` +
        'on the first 10 weights of the first row of W2, first training sample',
    )
    .option('--set <key=value>', `set a parameter (repeatable): ${MLP_PARAM_NAMES.join(', ')}`, collect)
    .option('--seed <s>', 'seed of the initial weights (same as --set seed=S)')
    .option('--from-trained-epochs <k>', 'train K epochs in float32 first, then check those weights', '0')
    .option('--dtype <dtype>', `precision of the check: ${DTYPES.join(', ')}`, 'float64')
    .option('--dataset <name>', `dataset: ${DATASET_NAMES.join(', ')}`, 'mnist')
    .option('--device <device>', 'device of the training before the check: auto, cpu or cuda', 'auto')
    .option('--threads <t>', 'native threads on the cpu (default: all cores)')
    .option('--subset <rows>', `train on the first <rows> training images only (1..${TRAIN_ROWS})`)
    .option('--results <dir>', 'folder of the results files', 'results')
    .option('--json', 'print the result as one JSON object on the last line of stdout')
    .action(async (opts: GradcheckOptions) => {
      process.exitCode = await gradcheckCommand(opts);
    });
}

function plot(result: GradcheckResult): string {
  const points = result.results.map((r) => [r.N, r.max_abs_diff] as const);
  const first = points[0];
  // Central differences have truncation error O(eps^2) = O(1/N^2): a guide line through the first point.
  const guide = first ? points.map(([N]) => [N, first[1] * (first[0] / N) ** 2] as const) : [];
  return renderLinePlot({
    title: `gradcheck ${result.weights}, ${result.dtype}, ${result.params.activation}` +
      (result.trained_epochs > 0 ? `, after ${result.trained_epochs} epoch(s)` : ', at initialisation'),
    xLabel: 'N (epsilon = 1/N)',
    yLabel: 'max_i |numeric_i - analytic_i|',
    xScale: 'log',
    yScale: 'log',
    series: [
      { name: 'max abs difference', points },
      { name: 'O(1/N^2) guide', points: guide, dashed: true },
    ],
  });
}

async function gradcheckCommand(opts: GradcheckOptions): Promise<number> {
  const params = mlpParamsFromOptions(opts);
  const epochs = parseIntOption('--from-trained-epochs', opts.fromTrainedEpochs, 0, MAX_EPOCHS);
  const dtype = parseChoice('--dtype', opts.dtype, DTYPES);
  const datasetName = parseDatasetName(opts.dataset);
  const deviceRequest = parseDeviceRequest(opts.device);
  const threads = parseThreads(opts.threads);
  const subset = opts.subset === undefined ? undefined : parseIntOption('--subset', opts.subset, 1, TRAIN_ROWS);
  if (epochs > 0 && params.batch_size > (subset ?? TRAIN_ROWS)) {
    throw Errors.batchTooLarge(params.batch_size, subset ?? TRAIN_ROWS);
  }
  const files = datasetFiles(datasetName); // a missing dataset is reported before the addon loads
  const device = resolveDevice(deviceRequest);
  const out = opts.json ? process.stderr : process.stdout;
  const dataset = await loadDatasetFiles(datasetName, files, subset === undefined ? {} : { subset });

  const net = `784-${params.h1}-${params.h2}-10 ${params.activation} init=${params.init} lambda=${params.lambda} seed=${params.seed}`;
  out.write(`gradcheck on ${dataset.dataset}, ${dtype}: ${net}\n`);
  const progress = epochProgress(epochs, out);
  if (epochs > 0) {
    out.write(`  training ${epochs} epoch(s) in float32 on ${device} first: ${describeParams({ ...params, epochs })}\n`);
    progress.start();
  }
  let result: GradcheckResult;
  try {
    result = await runGradcheck(params, {
      dataset,
      dtype,
      fromTrainedEpochs: epochs,
      device,
      threads,
      onTrainEpoch: (m) => progress.epoch(m),
    });
  } finally {
    if (epochs > 0) progress.stop();
  }

  out.write(`  ${result.weights} on training sample ${result.sample}, loss ${result.loss.toPrecision(8)}\n`);
  out.write(`  ${'N'.padStart(7)}  ${'epsilon'.padEnd(9)}  max_i |numeric_i - analytic_i|\n`);
  for (const r of result.results) {
    out.write(`  ${String(r.N).padStart(7)}  ${r.epsilon.toExponential(0).padEnd(9)}  ${fmt.sci(r.max_abs_diff)}\n`);
  }

  if (result.analytic.every((g) => g === 0)) {
    // With relu, hidden unit 0 of layer 1 is often inactive on the sample: its outgoing weights then get no gradient.
    out.write('  note: the analytic gradient of these weights is exactly zero, so this check proves nothing; try another --seed\n');
  }

  mkdirSync(opts.results, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const plotFile = join(opts.results, `gradcheck-${stamp}.svg`);
  try {
    await writeFile(plotFile, plot(result));
  } catch (error) {
    throw Errors.resultsUnwritable(plotFile, error);
  }
  const recordFile = join(opts.results, GRADCHECK_FILE);
  const record = {
    kind: 'gradcheck',
    results: result.results.map(({ N, epsilon, max_abs_diff }) => ({ N, epsilon, max_abs_diff })),
    analytic: result.analytic,
    numeric: result.results.map((r) => r.numeric),
    loss: result.loss,
    weights: result.weights,
    sample: result.sample,
    dtype: result.dtype,
    dataset: dataset.dataset,
    params: result.params,
    trained_epochs: result.trained_epochs,
    training: result.training,
    plot: plotFile,
    ...provenance(),
  };
  await appendRecord(recordFile, record);
  out.write(`  plot ${plotFile}; record appended to ${recordFile}\n`);
  if (opts.json) printJsonLine({ ...record, record_file: recordFile });
  return 0;
}
