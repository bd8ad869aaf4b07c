// Every error a user can cause or meet, in one place (piscina style): a
// HypersweepError carries a stable `code` (for tests and callers), a one-line
// message that says what is wrong and where, and an optional `hint` saying how
// to fix it. The CLI prints `hypersweep: error: <message> (<hint>)` on one line
// and exits with `exitCode`: 2 for a usage error (bad flag, bad parameter),
// 1 for everything else (missing data, corrupt file, unavailable device).

export type ExitCode = 1 | 2;

export interface HypersweepErrorOptions {
  hint?: string;
  exitCode?: ExitCode;
  cause?: unknown;
}

export class HypersweepError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;

  constructor(code: string, message: string, options: HypersweepErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HypersweepError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }

  /** The single line the CLI prints. */
  oneLine(): string {
    const text = this.hint ? `${this.message} (${this.hint})` : this.message;
    return text.replace(/\s*\n\s*/g, ' ');
  }
}

export function isHypersweepError(value: unknown): value is HypersweepError {
  return value instanceof HypersweepError;
}

/** Short, printable rendering of a user-supplied value. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** First line of a cause's message (Node's require errors append a multi-line stack of requirers). */
function causeText(cause: unknown): string {
  const text = cause instanceof Error ? cause.message : String(cause);
  return text.split('\n')[0]!.trim();
}

const usage = { exitCode: 2 as const };

export const Errors = {
  // --- parameters and command-line input (usage errors, exit 2) -------------
  unknownParam: (name: string, valid: readonly string[], where: string) =>
    new HypersweepError('E_UNKNOWN_PARAM', `unknown parameter "${name}" in ${where}`, {
      ...usage,
      hint: `valid names: ${valid.join(', ')}`,
    }),
  invalidParamValue: (name: string, value: unknown, expected: string, where: string) =>
    new HypersweepError(
      'E_PARAM_VALUE',
      `invalid value ${show(value)} for parameter "${name}" in ${where}: expected ${expected}`,
      usage,
    ),
  badAssignment: (raw: string, where: string) =>
    new HypersweepError('E_BAD_ASSIGNMENT', `cannot read ${show(raw)} in ${where}`, {
      ...usage,
      hint: 'write key=value, e.g. --set alpha0=0.1',
    }),
  duplicateParam: (name: string, where: string) =>
    new HypersweepError('E_DUPLICATE_PARAM', `parameter "${name}" is set twice in ${where}`, {
      ...usage,
      hint: 'give each parameter once',
    }),
  invalidOption: (option: string, value: unknown, expected: string) =>
    new HypersweepError('E_OPTION_VALUE', `invalid value ${show(value)} for ${option}: expected ${expected}`, usage),
  unknownWorkload: (name: string, valid: readonly string[]) =>
    new HypersweepError('E_UNKNOWN_WORKLOAD', `unknown workload "${name}"`, {
      ...usage,
      hint: `valid workloads: ${valid.join(', ')}`,
    }),
  unknownDataset: (name: string, valid: readonly string[]) =>
    new HypersweepError('E_UNKNOWN_DATASET', `unknown dataset "${name}" given to --dataset`, {
      ...usage,
      hint: `valid datasets: ${valid.join(', ')}`,
    }),
  batchTooLarge: (batchSize: number, rows: number) =>
    new HypersweepError(
      'E_PARAM_VALUE',
      `parameter "batch_size" is ${batchSize} but the training set has only ${rows} rows`,
      { ...usage, hint: `use batch_size <= ${rows}` },
    ),
  layerTooSmall: (name: string, value: number, needed: number, why: string) =>
    new HypersweepError('E_PARAM_VALUE', `parameter "${name}" is ${value} but ${why} needs at least ${needed}`, {
      ...usage,
      hint: `use ${name} >= ${needed}`,
    }),

  // --- data (exit 1) ----------------------------------------------------------
  datasetMissing: (name: string, where: string, install: string) =>
    new HypersweepError('E_DATASET_MISSING', `dataset ${name} not found at ${where}`, { hint: install }),
  idxUnreadable: (file: string, cause: unknown) =>
    new HypersweepError('E_IDX_UNREADABLE', `cannot read IDX file ${file}: ${causeText(cause)}`, {
      cause,
      hint: 'check that the file exists and is readable',
    }),
  idxBadGzip: (file: string, cause: unknown) =>
    new HypersweepError('E_IDX_GZIP', `IDX file ${file} is not valid gzip data: ${causeText(cause)}`, {
      cause,
      hint: 'the download is probably truncated; reinstall the dataset',
    }),
  idxBadMagic: (file: string, found: number, expected: number) =>
    new HypersweepError(
      'E_IDX_MAGIC',
      `IDX file ${file} has magic number 0x${found.toString(16).padStart(8, '0')}, expected 0x${expected
        .toString(16)
        .padStart(8, '0')}`,
      { hint: 'wrong file (images and labels swapped?) or not an IDX file' },
    ),
  idxBadDims: (file: string, dims: readonly number[], expected: string) =>
    new HypersweepError('E_IDX_DIMS', `IDX file ${file} has dimensions [${dims.join(', ')}], expected ${expected}`, {
      hint: 'wrong or corrupt file; reinstall the dataset',
    }),
  idxBadSize: (file: string, actual: number, expected: number) =>
    new HypersweepError(
      'E_IDX_SIZE',
      `IDX file ${file} holds ${actual} bytes of data, but its header announces ${expected} (${
        actual < expected ? 'truncated' : 'trailing bytes'
      })`,
      { hint: 'the file is corrupt; reinstall the dataset' },
    ),
  idxCountMismatch: (imagesFile: string, images: number, labelsFile: string, labels: number) =>
    new HypersweepError(
      'E_IDX_COUNT',
      `IDX files disagree: ${imagesFile} has ${images} images but ${labelsFile} has ${labels} labels`,
      { hint: 'the files belong to different datasets; reinstall the dataset' },
    ),
  idxBadLabel: (file: string, index: number, label: number, classes: number) =>
    new HypersweepError('E_IDX_LABEL', `IDX file ${file}: label ${label} at item ${index} is not in [0, ${classes})`, {
      hint: 'the file is corrupt; reinstall the dataset',
    }),
  datasetTooSmall: (file: string, rows: number, needed: number) =>
    new HypersweepError('E_DATASET_SIZE', `IDX file ${file} has ${rows} items, the split needs at least ${needed}`, {
      hint: 'use the full dataset files',
    }),

  // --- native addon and devices (exit 1) ----------------------------------------
  addonMissing: (file: string, cause: unknown) =>
    new HypersweepError('E_ADDON_MISSING', `cannot load the native addon ${file}: ${causeText(cause)}`, {
      cause,
      hint: 'build it with: npm run build:native',
    }),
  simdCap: (value: string, valid: readonly string[]) =>
    new HypersweepError('E_SIMD_CAP', `HS_GEMM_SIMD="${value}" is not a GEMM kernel level`, {
      ...usage,
      hint: `set it to one of ${valid.join(', ')} (the widest kernels allowed), or unset it`,
    }),
  addonArgument: (fn: string, arg: string, expected: string, got: unknown) =>
    new HypersweepError('E_ADDON_ARGUMENT', `${fn}: argument ${arg} must be ${expected}, got ${show(got)}`),
  unknownDevice: (name: string) =>
    new HypersweepError('E_UNKNOWN_DEVICE', `unknown device "${name}" given to --device`, {
      ...usage,
      hint: 'valid devices: auto, cpu, cuda',
    }),
  cudaUnavailable: (reason: string) =>
    new HypersweepError('E_CUDA_UNAVAILABLE', `--device cuda was asked for but ${reason}`, {
      hint: 'use --device cpu or --device auto',
    }),
  dtypeUnsupported: (dtype: string, device: string) =>
    new HypersweepError('E_DTYPE_DEVICE', `dtype ${dtype} is not supported on device ${device}`, {
      ...usage,
      hint: 'float64 runs on the cpu only',
    }),

  trainingFailed: (what: string, reason: string) =>
    new HypersweepError('E_TRAINING_FAILED', `${what}: training failed: ${reason}`, {
      hint: 'choose a smaller alpha0 or fewer epochs',
    }),

  // --- results --------------------------------------------------------------------
  resultsUnwritable: (file: string, cause: unknown) =>
    new HypersweepError('E_RESULTS_WRITE', `cannot write results file ${file}: ${causeText(cause)}`, {
      cause,
      hint: 'choose a writable folder with --results DIR',
    }),

  // --- search-space files and samplers -------------------------------------------
  spaceFileUnreadable: (file: string, cause: unknown) =>
    new HypersweepError('E_SPACE_UNREADABLE', `cannot read search-space file ${file}: ${causeText(cause)}`, {
      ...usage,
      cause,
      hint: 'check the path; spaces are YAML (.yaml/.yml) or JSON (.json) files',
    }),
  spaceFileSyntax: (file: string, line: number, column: number, detail: string) =>
    new HypersweepError('E_SPACE_SYNTAX', `${file}:${line}:${column}: ${detail}`, {
      ...usage,
      hint: 'the file must be valid YAML or JSON',
    }),
  /** Every problem found in a space file, each as `key.path: what is expected`. */
  spaceInvalid: (file: string, problems: ReadonlyArray<{ path: string; message: string }>) =>
    new HypersweepError(
      'E_SPACE_INVALID',
      `${file}: ${problems.map((p) => `${p.path === '' ? '(top level)' : p.path}: ${p.message}`).join('; ')}`,
      usage,
    ),
  gridNeedsFiniteParam: (name: string, distribution: string) =>
    new HypersweepError(
      'E_GRID_CONTINUOUS',
      `the grid sampler cannot enumerate parameter "${name}" (${distribution}): it has no finite set of values`,
      { ...usage, hint: 'give it a step (not with log), make it categorical, or use the tpe or random sampler' },
    ),
  gridExhausted: (size: number) =>
    new HypersweepError(
      'E_GRID_EXHAUSTED',
      `the grid is exhausted: all ${size} points have been tried or are running`,
      { hint: 'lower --trials to the grid size, or widen the grid' },
    ),
  gridDefineByRun: (name: string) =>
    new HypersweepError(
      'E_GRID_DEFINE_BY_RUN',
      `the grid sampler cannot suggest "${name}" on its own: define-by-run parameters are not supported by grid search`,
      { ...usage, hint: 'declare the parameter in the search space (a finite set of values), or use the tpe or random sampler' },
    ),
  trialToldTwice: (trial: number) =>
    new HypersweepError('E_SAMPLER_TOLD_TWICE', `trial ${trial} was reported to the sampler twice`),

  // --- studies and their journals (exit 1 unless a usage error) -------------------
  badStudyName: (name: string) =>
    new HypersweepError('E_STUDY_NAME', `invalid study name ${show(name)}`, {
      ...usage,
      hint: 'use letters, digits, ".", "_" and "-" (at most 128), starting with a letter or digit',
    }),
  studyExists: (name: string, resultsDir: string) =>
    new HypersweepError('E_STUDY_EXISTS', `study "${name}" already exists in ${resultsDir}`, {
      ...usage,
      hint: `continue it with: hypersweep resume ${name}; or start over with --force-new (the old one is kept aside)`,
    }),
  studyNotFound: (name: string, resultsDir: string) =>
    new HypersweepError('E_STUDY_NOT_FOUND', `no study "${name}" in ${resultsDir} (no ${name}/journal.jsonl)`, {
      ...usage,
      hint: 'start one with: hypersweep sweep <space-file>, or pass --results DIR',
    }),
  studyLocked: (name: string, holder: { pid: number; host: string; started: string } | null) =>
    new HypersweepError(
      'E_STUDY_LOCKED',
      `study "${name}" is already being run by ${
        holder ? `pid ${holder.pid} on ${holder.host} since ${holder.started}` : 'another controller'
      }`,
      { hint: 'wait for it or stop it; a lock left by a dead process is taken over after 10 s' },
    ),
  journalUnreadable: (file: string, reason: string) =>
    new HypersweepError('E_JOURNAL_UNREADABLE', `cannot read journal ${file}: ${reason}`),
  journalCorruptLine: (file: string, line: number, what: string) =>
    new HypersweepError('E_JOURNAL_CORRUPT', `${file}:${line}: corrupt journal line (${what})`, {
      hint: 'only a torn last line is repaired automatically; fix or remove that line by hand (keep a copy)',
    }),
  journalTooNew: (file: string, format: number, supported: number, version: string) =>
    new HypersweepError(
      'E_JOURNAL_VERSION',
      `${file} was written by hypersweep ${version} in journal format ${format}; this hypersweep reads format ${supported} and older`,
      { hint: 'upgrade hypersweep to read this study' },
    ),
  modelNotAvailable: (model: string) =>
    new HypersweepError('E_MODEL_UNAVAILABLE', `objective model "${model}" cannot be trained by this version yet`, {
      ...usage,
      hint: 'use model: mlp, a module objective or a test function',
    }),
  objectiveModule: (file: string, what: string) =>
    new HypersweepError('E_OBJECTIVE_MODULE', `objective module ${file} ${what}`, {
      ...usage,
      hint: 'export `async function objective(params, ctx)` returning a number or {value, metrics}',
    }),

  // --- parallel sweeps and pruners (issue 4) ----------------------------------------
  unknownPruner: (type: string, where: string, valid: readonly string[]) =>
    new HypersweepError('E_UNKNOWN_PRUNER', `unknown pruner ${show(type)} in ${where}`, {
      ...usage,
      hint: `valid pruners: ${valid.join(', ')}`,
    }),
  prunerOption: (where: string, key: string, expected: string, got: unknown) =>
    new HypersweepError('E_PRUNER_OPTION', `invalid ${key} in ${where}: expected ${expected}, got ${show(got)}`, usage),
  cpuOverbooked: (workers: number, threads: number, cores: number) =>
    new HypersweepError(
      'E_CPU_OVERBOOKED',
      `--workers ${workers} × --threads-per-trial ${threads} = ${workers * threads} native threads, more than the ${cores} cores here`,
      { ...usage, hint: `keep workers × threads-per-trial <= ${cores}, e.g. --workers ${Math.min(workers, cores)} --threads-per-trial ${Math.max(1, Math.floor(cores / Math.min(workers, cores)))}` },
    ),

  // --- leaderboards, reports, reproduction and saved weights (issue 5) ---------------
  noStudies: (resultsDir: string) =>
    new HypersweepError('E_NO_STUDIES', `no study found in ${resultsDir}`, {
      ...usage,
      hint: 'name a study, or pass --results DIR',
    }),
  metricsDiffer: (studies: ReadonlyArray<{ study: string; metric: string; direction: string }>) =>
    new HypersweepError(
      'E_METRICS_DIFFER',
      `these studies do not share a metric and direction: ${studies
        .map((s) => `${s.study} (${s.metric}, ${s.direction})`)
        .join(', ')}`,
      { ...usage, hint: 'rank them by one metric with --metric M (and --direction if needed), or list fewer studies' },
    ),
  metricDirectionUnknown: (metric: string) =>
    new HypersweepError('E_METRIC_DIRECTION', `cannot tell whether metric "${metric}" is to be maximized or minimized`, {
      ...usage,
      hint: 'pass --direction maximize or --direction minimize',
    }),
  badWhere: (raw: string, why: string) =>
    new HypersweepError('E_BAD_WHERE', `cannot read --where ${show(raw)}: ${why}`, {
      ...usage,
      hint: "write name=value, name!=value, name<value, ... joined by commas, e.g. --where 'batch_size=64,alpha0<1'",
    }),
  trialNotFound: (study: string, trial: string | number) =>
    new HypersweepError('E_TRIAL_NOT_FOUND', `study "${study}" has no trial ${show(trial)}`, {
      ...usage,
      hint: `list its trials with: hypersweep leaderboard ${study} --state all`,
    }),
  trialNotReproducible: (study: string, trial: number, why: string) =>
    new HypersweepError('E_TRIAL_NOT_REPRODUCIBLE', `trial ${trial} of study "${study}" cannot be re-run: ${why}`),
  weightsMissing: (file: string, study: string, trial: number) =>
    new HypersweepError('E_WEIGHTS_MISSING', `no saved weights for trial ${trial} of study "${study}" (${file})`, {
      hint: 'weights are kept by `hypersweep sweep --save-weights` (the best trial so far by default)',
    }),
  weightsCorrupt: (file: string, why: string) =>
    new HypersweepError('E_WEIGHTS_CORRUPT', `weights file ${file} is not valid: ${why}`),
  badTrialRef: (raw: string) =>
    new HypersweepError('E_BAD_TRIAL_REF', `cannot read ${show(raw)} as <study>/<trial>`, {
      ...usage,
      hint: 'e.g. --from mlp-quick/12',
    }),
  optionConflict: (option: string, others: readonly string[]) =>
    new HypersweepError('E_OPTION_CONFLICT', `${option} cannot be combined with ${others.join(', ')}`, usage),

  // --- CNN trials on TensorFlow.js (issue 6) -------------------------------------------
  unknownEngine: (name: string, valid: readonly string[]) =>
    new HypersweepError('E_UNKNOWN_ENGINE', `unknown engine ${show(name)}`, {
      ...usage,
      hint: `valid engines: ${valid.join(', ')}`,
    }),
  cudaEngineUnavailable: (reason: string) =>
    new HypersweepError('E_CUDA_UNAVAILABLE', `--engine cuda was asked for but ${reason}`, {
      hint: 'use --engine native (our kernels on the CPU), or --engine auto',
    }),
  engineUnavailable: (engine: string, reason: string) =>
    new HypersweepError('E_ENGINE_UNAVAILABLE', `engine ${engine} cannot be used here: ${reason}`, {
      hint:
        engine === 'native'
          ? 'rebuild the addon with `npm run build:native`'
          : `install it with \`npm install @tensorflow/${engine}\` (it downloads libtensorflow), or use --engine native`,
    }),
  tfjsBackend: (reason: string) =>
    new HypersweepError('E_TFJS_BACKEND', `the native tfjs kernels need the TensorFlow.js 'cpu' backend: ${reason}`, {
      hint: "call installNativeKernels() before any other backend is made active, or tf.setBackend('cpu') first",
    }),
  datasetNotForModel: (dataset: string, model: string, expected: string) =>
    new HypersweepError('E_DATASET_MODEL', `dataset ${show(dataset)} does not fit model ${model}: ${expected}`, usage),

  // --- image folders for CNN trials (issue 6) -----------------------------------------
  imageFolderMissing: (dir: string, why: string) =>
    new HypersweepError('E_IMAGE_FOLDER_MISSING', `image folder ${dir} ${why}`, {
      hint: 'pass --dataset a folder holding cat.1.jpg, dog.2.jpg, ... or one subfolder of images per class',
    }),
  imageFolderEmpty: (dir: string, detail: string) =>
    new HypersweepError('E_IMAGE_FOLDER_EMPTY', `image folder ${dir} has no usable image: ${detail}`, {
      hint: 'images must be JPEG or PNG files named *.jpg, *.jpeg or *.png',
    }),
  imageFolderOneClass: (dir: string, className: string, layout: string) =>
    new HypersweepError(
      'E_IMAGE_FOLDER_ONE_CLASS',
      `image folder ${dir} holds only one class ("${className}", ${layout}); a classifier needs at least two`,
      {
        hint:
          layout === 'subfolders'
            ? 'add a subfolder of images for each other class'
            : 'add images of the other classes, named <class>.<id>.jpg (e.g. dog.1.jpg)',
      },
    ),
  imageFolderLayout: (dir: string, why: string) =>
    new HypersweepError('E_IMAGE_FOLDER_LAYOUT', `cannot tell the classes of image folder ${dir}: ${why}`, {
      hint: 'use either files named <class>.<id>.jpg in one folder (Kaggle Dogs vs. Cats) or one subfolder per class',
    }),
  imageCacheUnwritable: (file: string, cause: unknown) =>
    new HypersweepError('E_IMAGE_CACHE_WRITE', `cannot write the decoded-image cache ${file}: ${causeText(cause)}`, {
      cause,
      hint: 'choose a writable --results folder (the cache lives in <results>/.cache/images) or free disk space',
    }),

  // Distributed sweeps (--queue, hypersweep worker). Messages show the Redis
  // address without credentials (QueueAddress.shown), never the password.
  badQueueUrl: (shown: string, why: string) =>
    new HypersweepError('E_QUEUE_URL', `--queue ${shown}: ${why}`, {
      ...usage,
      hint: 'e.g. --queue redis://:PASSWORD@HOST:6379 (rediss:// for TLS; redis://USER:PASSWORD@HOST for an ACL user)',
    }),
  queueUnreachable: (shown: string, why: string) =>
    new HypersweepError('E_QUEUE_UNREACHABLE', `cannot use Redis at ${shown}: ${why}`, {
      hint: 'check the host, port and password of --queue (or HYPERSWEEP_QUEUE), and that this machine may reach it',
    }),
  queueOptionWithoutQueue: (option: string) =>
    new HypersweepError('E_QUEUE_OPTION', `${option} only applies to a distributed sweep`, {
      ...usage,
      hint: 'add --queue redis://HOST:PORT (or set HYPERSWEEP_QUEUE)',
    }),

  // --- the library API (issue 12) ---------------------------------------------------------
  apiObjective: (study: string) =>
    new HypersweepError('E_API_OBJECTIVE', `study "${study}" has no objective of its own: its trials are run by the program that uses it through the library API`, {
      ...usage,
      hint: `run it from that code: (await loadStudy('${study}')).optimize(objective); or start a study from a space file with an objective`,
    }),
  suggestConflict: (trial: number, name: string, before: string, now: string) =>
    new HypersweepError('E_SUGGEST_CONFLICT', `trial ${trial}: parameter "${name}" was suggested as ${before} and now as ${now}`, {
      ...usage,
      hint: 'suggest a parameter with the same distribution every time, or give the new one another name',
    }),
  trialFinished: (trial: number, state: string, what: string) =>
    new HypersweepError('E_TRIAL_FINISHED', `trial ${trial} is already ${state}: cannot ${what}`, {
      ...usage,
      hint: 'tell each trial once, and report or suggest only before telling it',
    }),
  foreignTrial: (trial: number, study: string) =>
    new HypersweepError('E_FOREIGN_TRIAL', `trial ${trial} was not asked of study "${study}" by this handle`, {
      ...usage,
      hint: 'tell a trial to the study handle whose ask() returned it',
    }),
  studyClosed: (study: string) =>
    new HypersweepError('E_STUDY_CLOSED', `study "${study}" was closed by this handle`, {
      ...usage,
      hint: 'open it again with loadStudy()',
    }),
  suggestUnavailable: (name: string, where: string, hint: string) =>
    new HypersweepError('E_SUGGEST_UNAVAILABLE', `cannot suggest "${name}": define-by-run (ctx.suggest*) is not available ${where}`, { ...usage, hint }),
  suggestNotRecorded: (trial: number, name: string) =>
    new HypersweepError('E_SUGGEST_NOT_RECORDED', `trial ${trial} recorded no value of "${name}": the objective did not suggest it when the trial ran`, {
      hint: 'a re-run replays the recorded values: the objective must ask for the same parameters given the same params and ctx.seed',
    }),
} as const;

export type ErrorFactories = typeof Errors;
