// `hypersweep featuremaps` and `hypersweep misclassified`: looking inside a
// CNN trial of a study through the weights it saved (its best epoch's, under
// <results>/<study>/trials/<n>/). Both print what they wrote; --json prints it
// as one JSON line.
import path from 'node:path';

import type { Command } from 'commander';

import { parseEngineRequest, ENGINE_REQUESTS } from '../../engine/engine-request.js';
import { Errors } from '../../errors.js';
import type { StudySpec } from '../../space/spec.js';
import { printJsonLine } from '../output.js';
import { parseThreads } from '../engine-options.js';
import { parseIntOption } from '../options.js';

interface InsideOptions {
  results: string;
  engine: string;
  threads?: string;
  out?: string;
  json?: boolean;
}

/** The trial's number, its study's spec and its checkpoint, loaded with the engine started. */
async function openTrial(study: string, trialRaw: string, opts: InsideOptions) {
  const trial = parseIntOption('<trial>', trialRaw, 0, 0xffffffff);
  const engine = parseEngineRequest(opts.engine);
  const threads = parseThreads(opts.threads);
  const { Study } = await import('../../study/study.js'); // the journal code loads only when the command runs
  const state = Study.read(opts.results, study);
  const spec = state.created.spec as StudySpec;
  if (!state.trials.some((t) => t.number === trial)) throw Errors.trialNotFound(study, trial);
  if (spec.objective.kind !== 'model' || spec.objective.model === 'mlp') {
    throw Errors.invalidOption('<study>', study, 'a study of a CNN model (cnn-light, cnn, catsdogs)');
  }
  const { startTfjsEngine } = await import('../../engine/tfjs-engine.js');
  await startTfjsEngine(engine, threads);
  const { cnnCheckpointPaths, loadCnnCheckpoint } = await import('../../trials/cnn/checkpoint.js');
  const files = cnnCheckpointPaths(opts.results, study, trial);
  const loaded = await loadCnnCheckpoint(files.model, study, trial);
  return { trial, spec, loaded, dir: path.dirname(files.model) };
}

export function registerInsideCommands(program: Command): void {
  const common = (cmd: Command) =>
    cmd
      .option('--results <dir>', 'folder holding the studies', 'results')
      .option('--engine <engine>', `TensorFlow.js engine: ${ENGINE_REQUESTS.join(', ')}`, 'auto')
      .option('--threads <t>', 'native kernel threads (default: all cores)')
      .option('--json', 'print the result as one JSON object on the last line of stdout');

  common(
    program
      .command('featuremaps')
      .description("write the first convolution layer's feature maps of one image as a PNG grid")
      .argument('<study>', "the study's name")
      .argument('<trial>', 'the trial number (its weights must be saved)')
      .requiredOption('--image <file>', 'a JPEG or PNG image (resized to the model input)')
      .option('--out <file>', 'the PNG to write (default: <results>/<study>/trials/<n>/featuremaps-<image>.png)'),
  ).action(async (study: string, trialRaw: string, opts: InsideOptions & { image: string }) => {
    const { loaded, dir } = await openTrial(study, trialRaw, opts);
    const { writeFeatureMaps } = await import('../../report/inside/featuremaps.js');
    const out = opts.out ?? path.join(dir, `featuremaps-${path.parse(opts.image).name}.png`);
    const result = await writeFeatureMaps(loaded, opts.image, out);
    process.stdout.write(`featuremaps: ${result.file} (${result.maps} maps of ${result.height}×${result.width}, layer ${result.layer}, epoch ${loaded.info.epoch ?? '-'})\n`);
    if (opts.json) printJsonLine(result);
    process.exitCode = 0;
  });

  common(
    program
      .command('misclassified')
      .description('list the validation images a CNN trial got most wrong and those nearest the decision boundary; write a contact sheet PNG')
      .argument('<study>', "the study's name")
      .argument('<trial>', 'the trial number (its weights must be saved)')
      .option('--top <k>', 'how many images in each list', '16')
      .option('--out <file>', 'the contact sheet (default: <results>/<study>/trials/<n>/misclassified.png)'),
  ).action(async (study: string, trialRaw: string, opts: InsideOptions & { top: string }) => {
    const top = parseIntOption('--top', opts.top, 1, 10_000);
    const { spec, loaded, dir } = await openTrial(study, trialRaw, opts);
    const { loadStudyDataset } = await import('../../trials/objective.js');
    const data = await loadStudyDataset(spec, opts.results);
    if ('features' in data) throw Errors.invalidOption('<study>', study, 'a study of a CNN model');
    const { makeRescaler } = await import('../../trials/cnn/data.js');
    const { scoreValidation, writeContactSheet } = await import('../../report/inside/misclassified.js');
    const report = scoreValidation(loaded.model, data, makeRescaler(data, loaded.info.params.rescale), top);
    const sheet = opts.out ?? path.join(dir, 'misclassified.png');
    await writeContactSheet(sheet, data, report);
    const line = (s: (typeof report.most_wrong)[number]) =>
      `  ${s.file.padEnd(28)} true ${s.label.padEnd(6)} predicted ${s.predicted.padEnd(6)} p=${s.probability.toFixed(4)} score ${s.score.toFixed(4)}\n`;
    const out = opts.json ? process.stderr : process.stdout;
    out.write(`${report.wrong_count} of ${report.val_count} validation images misclassified (weights of epoch ${loaded.info.epoch ?? '-'})\n`);
    out.write(`most wrong (score = 1 - p(true class)):\n${report.most_wrong.map(line).join('') || '  (none)\n'}`);
    out.write(`least sure (score = ${report.least_sure_rule}):\n${report.least_sure.map(line).join('')}`);
    out.write(`contact sheet: ${sheet}\n`);
    if (opts.json) printJsonLine({ ...report, contact_sheet: sheet });
    process.exitCode = 0;
  });
}
