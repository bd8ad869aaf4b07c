// `hypersweep gradcheck …`: the finite-difference check of the homework
// (see trials/mlp/gradcheck.ts), printed as a table, plotted log-log to
// <results>/gradcheck-<timestamp>.svg and recorded in <results>/gradcheck.jsonl.
// With --from <study>/<trial> it checks the weights a sweep saved for that
// trial (results/<study>/trials/<n>/weights.bin), as the homework did on its
// best model: the trial's parameters and dataset come from the study.
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Command } from 'commander';

import type { MlpParamArrays } from '../../engine/addon-types.js';

import { DATASET_NAMES, datasetFiles, loadDatasetFiles, parseDatasetName, TRAIN_ROWS } from '../../data/index.js';
import { parseDeviceRequest, resolveDevice } from '../../engine/device.js';
import { DTYPES } from '../../engine/native.js';
import { Errors } from '../../errors.js';
import { GRADCHECK_NS, runGradcheck, type GradcheckResult } from '../../trials/mlp/gradcheck.js';
import { MAX_EPOCHS, MLP_PARAM_NAMES, type MlpParams } from '../../trials/mlp/params.js';
import { appendRecord, GRADCHECK_FILE, provenance } from '../../trials/record.js';
import type { ReproInfo } from '../../trials/repro.js';
import type { StudySpec } from '../../space/spec.js';
import { epochProgress, fmt, printJsonLine } from '../output.js';
import { mlpParamsFromOptions, parseThreads } from '../engine-options.js';
import { collect, parseChoice, parseIntOption } from '../options.js';
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
  from?: string;
}

/** Where the checked weights came from, with --from. */
interface FromTrial {
  study: string;
  trial: number;
  file: string;
  weights: MlpParamArrays;
  params: MlpParams;
  dataset: string;
  subset: number | undefined;
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
    .option('--from <study/trial>', "check the weights saved for a study's trial (e.g. mlp-quick/12); params and dataset come from the study")
    .option('--json', 'print the result as one JSON object on the last line of stdout')
    .action(async (opts: GradcheckOptions, cmd: Command) => {
      process.exitCode = await gradcheckCommand(opts, (name) => cmd.getOptionValueSource(name) === 'cli');
    });
}

/** Reads --from: the trial's parameters (as trained), its saved weights and its dataset. */
async function loadFromTrial(ref: string, resultsDir: string): Promise<FromTrial> {
  // The journal and weights code loads only for --from.
  const [{ Study }, { mlpTrialParams }, { loadTrialWeights }] = await Promise.all([
    import('../../study/study.js'),
    import('../../trials/repro.js'),
    import('../../trials/weights.js'),
  ]);
  const m = /^([^/]+)\/(\d+)$/.exec(ref.trim());
  if (!m) throw Errors.badTrialRef(ref);
  const study = m[1]!;
  const number = Number(m[2]);
  const state = Study.read(resultsDir, study);
  const trial = state.trials.find((t) => t.number === number);
  if (!trial) throw Errors.trialNotFound(study, number);
  const spec = state.created.spec as StudySpec;
  if (spec.objective.kind !== 'model' || spec.objective.model !== 'mlp') {
    throw Errors.trialNotReproducible(study, number, 'gradcheck needs an MLP trial');
  }
  const recorded = (trial.metrics['repro'] ?? {}) as Partial<ReproInfo>;
  const params = recorded.params ?? mlpTrialParams(spec, trial).params;
  const loaded = loadTrialWeights(resultsDir, study, number);
  const s = loaded.header.shape;
  if (s.h1 !== params.h1 || s.h2 !== params.h2) {
    throw Errors.weightsCorrupt(loaded.file, `its layers are ${s.inputs}-${s.h1}-${s.h2}-${s.outputs} but trial ${number} has h1=${params.h1}, h2=${params.h2}`);
  }
  const subset = recorded.train_subset ?? spec.dataset?.trainSubset ?? undefined;
  return {
    study,
    trial: number,
    file: loaded.file,
    weights: loaded.params,
    params,
    dataset: recorded.dataset ?? spec.dataset?.name ?? 'mnist',
    subset: subset ?? undefined,
  };
}

async function plot(result: GradcheckResult, from: FromTrial | null): Promise<string> {
  const { renderLinePlot } = await import('../../report/svg-plot.js'); // the report code loads only here
  const points = result.results.map((r) => [r.N, r.max_abs_diff] as const);
  const first = points[0];
  // Central differences have truncation error O(eps^2) = O(1/N^2): a guide line through the first point.
  const guide = first ? points.map(([N]) => [N, first[1] * (first[0] / N) ** 2] as const) : [];
  return renderLinePlot({
    title: `gradcheck ${result.weights}, ${result.dtype}, ${result.params.activation}` +
      (from
        ? `, trial ${from.trial} of ${from.study}`
        : result.trained_epochs > 0
          ? `, after ${result.trained_epochs} epoch(s)`
          : ', at initialisation'),
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

async function gradcheckCommand(opts: GradcheckOptions, given: (option: string) => boolean): Promise<number> {
  let from: FromTrial | null = null;
  if (opts.from !== undefined) {
    const conflicts = ['set', 'seed', 'fromTrainedEpochs', 'dataset', 'subset', 'device']
      .filter(given)
      .map((o) => `--${o.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    if (conflicts.length > 0) throw Errors.optionConflict('--from', conflicts);
    from = await loadFromTrial(opts.from, opts.results);
  }
  const params = from ? from.params : mlpParamsFromOptions(opts);
  const epochs = parseIntOption('--from-trained-epochs', opts.fromTrainedEpochs, 0, MAX_EPOCHS);
  const dtype = parseChoice('--dtype', opts.dtype, DTYPES);
  const datasetName = parseDatasetName(from ? from.dataset : opts.dataset);
  const deviceRequest = parseDeviceRequest(from ? 'cpu' : opts.device);
  const threads = parseThreads(opts.threads);
  const subset = from
    ? from.subset
    : opts.subset === undefined
      ? undefined
      : parseIntOption('--subset', opts.subset, 1, TRAIN_ROWS);
  if (epochs > 0 && params.batch_size > (subset ?? TRAIN_ROWS)) {
    throw Errors.batchTooLarge(params.batch_size, subset ?? TRAIN_ROWS);
  }
  const files = datasetFiles(datasetName); // a missing dataset is reported before the addon loads
  const device = resolveDevice(deviceRequest);
  const out = opts.json ? process.stderr : process.stdout;
  const dataset = await loadDatasetFiles(datasetName, files, subset === undefined ? {} : { subset });

  const net = `784-${params.h1}-${params.h2}-10 ${params.activation} init=${params.init} lambda=${params.lambda} seed=${params.seed}`;
  out.write(`gradcheck on ${dataset.dataset}, ${dtype}: ${net}\n`);
  if (from) out.write(`  weights of trial ${from.trial} of study ${from.study}: ${from.file}\n`);
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
      ...(from ? { weights: from.weights } : {}),
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
    await writeFile(plotFile, await plot(result, from));
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
    from: from ? { study: from.study, trial: from.trial, weights: from.file } : null,
    plot: plotFile,
    ...provenance(),
  };
  await appendRecord(recordFile, record);
  out.write(`  plot ${plotFile}; record appended to ${recordFile}\n`);
  if (opts.json) printJsonLine({ ...record, record_file: recordFile });
  return 0;
}
