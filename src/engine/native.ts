// The only importer of the compiled addon. Every argument is validated here,
// before it crosses into C++ (better-sqlite3 style): the C++ side may then
// trust sizes, ranges and types, and a mistake in JS becomes a clear
// HypersweepError instead of a crash or an out-of-bounds read.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Errors } from '../errors.js';
import { addonCandidates, LOCAL_BUILD_FILE } from './addon-path.js';
import type {
  ActivationName,
  BuildInfo,
  DeviceName,
  DTypeName,
  EvalResult,
  InitName,
  MlpModelOptions,
  MlpParamArrays,
  NativeAddon,
  NativeDataset,
  NativeMlp,
  SimdName,
  TrainEpochOptions,
  TrainEpochResult,
} from './addon-types.js';

export type {
  ActivationName,
  BuildInfo,
  DeviceName,
  DTypeName,
  EvalResult,
  InitName,
  MlpModelOptions,
  MlpParamArrays,
  TrainEpochOptions,
  TrainEpochResult,
} from './addon-types.js';

export const ACTIVATIONS: readonly ActivationName[] = ['sigmoid', 'relu', 'tanh'];
export const INITS: readonly InitName[] = ['zero', 'normal', 'glorot'];
export const DEVICES: readonly DeviceName[] = ['cpu', 'cuda'];
export const DTYPES: readonly DTypeName[] = ['float32', 'float64'];

/** Largest seed accepted anywhere: seeds are unsigned 32-bit integers. */
export const MAX_SEED = 0xffffffff;
/** Upper bound on thread counts: more is a typo, not a machine. */
export const MAX_THREADS = 1024;

// The package root: the same relative path from src/engine (tsx, vitest) and
// dist/engine (compiled).
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * The addon file in use: the one addon() loaded (the package's prebuilt binary
 * for this platform, or else the local build, see addon-path.ts); before the
 * first load, the local build's path. A live binding: importers see it change.
 */
export let ADDON_PATH = join(PACKAGE_ROOT, LOCAL_BUILD_FILE);

let cached: NativeAddon | undefined;

/** The GEMM kernel levels, widest first; HS_GEMM_SIMD caps them (tests, benchmarks). */
export const SIMD_LEVELS: readonly SimdName[] = ['avx512', 'avx2', 'generic'];

/**
 * Loads the addon once, the prebuilt binary in preference to the local build;
 * throws E_ADDON_MISSING with the build command when neither loads. The C++
 * core reads HS_GEMM_SIMD when it first multiplies and would ignore a
 * misspelt value: it is checked here first.
 */
export function addon(): NativeAddon {
  if (cached) return cached;
  const cap = process.env['HS_GEMM_SIMD'];
  if (cap !== undefined && cap !== '' && !(SIMD_LEVELS as readonly string[]).includes(cap)) {
    throw Errors.simdCap(cap, SIMD_LEVELS);
  }
  const require = createRequire(import.meta.url);
  // The prebuild first (see addonCandidates); one that does not load here (an
  // older glibc or libstdc++) falls back to the local build.
  const failures: string[] = [];
  for (const file of addonCandidates(PACKAGE_ROOT)) {
    try {
      cached = require(file) as NativeAddon;
      ADDON_PATH = file;
      return cached;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push(message.includes(file) ? message : `${file}: ${message}`); // dlopen's message names the file
    }
  }
  const local = join(PACKAGE_ROOT, LOCAL_BUILD_FILE);
  const cause = failures.length ? failures.join('; ') : 'no such file, and no prebuilt binary for this platform';
  throw Errors.addonMissing(local, new Error(cause));
}

/** True when the addon file loads; never throws. */
export function addonAvailable(): boolean {
  try {
    addon();
    return true;
  } catch {
    return false;
  }
}

export function buildInfo(): BuildInfo {
  return addon().buildInfo();
}

/**
 * Whether GEMM kernels recorded as `a` and `b` (BuildInfo.simd) compute the
 * same bits: the AVX-512 and AVX2 kernels do by design (test_core_gemm checks
 * it), so a trial recorded on one CPU repeats bit for bit on the other.
 */
export function sameArithmetic(a: string, b: string): boolean {
  const fma = (s: string) => s === 'avx512' || s === 'avx2';
  return a === b || (fma(a) && fma(b));
}

// ---------------------------------------------------------------------------
// Argument checks. `fn` names the public helper so the message says where.
// ---------------------------------------------------------------------------

function checkInt(fn: string, name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw Errors.addonArgument(fn, name, `an integer in [${min}, ${max}]`, value);
  }
  return value;
}

function checkNumber(fn: string, name: string, value: unknown, min: number, exclusive = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (exclusive && value === min)) {
    throw Errors.addonArgument(fn, name, `a finite number ${exclusive ? '>' : '>='} ${min}`, value);
  }
  return value;
}

function checkChoice<T extends string>(fn: string, name: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw Errors.addonArgument(fn, name, `one of ${choices.join(', ')}`, value);
  }
  return value as T;
}

function checkBool(fn: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw Errors.addonArgument(fn, name, 'a boolean', value);
  return value;
}

// ---------------------------------------------------------------------------
// Datasets
// ---------------------------------------------------------------------------

/** A dataset the addon holds by reference; keeps the JS arrays alive with it. */
export class Dataset {
  readonly native: NativeDataset;
  readonly rows: number;
  readonly features: number;
  readonly x: Float32Array;
  readonly y: Uint8Array;

  constructor(x: Float32Array, y: Uint8Array, rows: number, features: number, classes = 10) {
    const fn = 'Dataset';
    if (!(x instanceof Float32Array)) throw Errors.addonArgument(fn, 'x', 'a Float32Array', typeof x);
    if (!(y instanceof Uint8Array)) throw Errors.addonArgument(fn, 'y', 'a Uint8Array', typeof y);
    checkInt(fn, 'rows', rows, 1, 0x7fffffff);
    checkInt(fn, 'features', features, 1, 0x7fffffff);
    if (x.length !== rows * features) {
      throw Errors.addonArgument(fn, 'x', `of length rows*features = ${rows * features}`, x.length);
    }
    if (y.length !== rows) throw Errors.addonArgument(fn, 'y', `of length rows = ${rows}`, y.length);
    for (let i = 0; i < rows; i++) {
      if (y[i]! >= classes) throw Errors.addonArgument(fn, `y[${i}]`, `a label in [0, ${classes})`, y[i]);
    }
    this.native = new (addon().Dataset)(x, y, rows, features);
    this.rows = rows;
    this.features = features;
    this.x = x;
    this.y = y;
  }
}

// ---------------------------------------------------------------------------
// The MLP model
// ---------------------------------------------------------------------------

export interface ParamShapes {
  W1: number;
  b1: number;
  W2: number;
  b2: number;
  W3: number;
  b3: number;
}
export const PARAM_NAMES = ['W1', 'b1', 'W2', 'b2', 'W3', 'b3'] as const;
export type ParamName = (typeof PARAM_NAMES)[number];

/** Element counts of each parameter array (weights are [fan_in x fan_out], row-major). */
export function paramSizes(o: Pick<MlpModelOptions, 'inputs' | 'h1' | 'h2' | 'outputs'>): ParamShapes {
  return {
    W1: o.inputs * o.h1,
    b1: o.h1,
    W2: o.h1 * o.h2,
    b2: o.h2,
    W3: o.h2 * o.outputs,
    b3: o.outputs,
  };
}

export function countParams(o: Pick<MlpModelOptions, 'inputs' | 'h1' | 'h2' | 'outputs'>): number {
  const s = paramSizes(o);
  return s.W1 + s.b1 + s.W2 + s.b2 + s.W3 + s.b3;
}

/** A validated handle on a native MLP. */
export class MlpModel {
  readonly options: Readonly<MlpModelOptions>;
  readonly sizes: ParamShapes;
  private readonly native: NativeMlp;

  constructor(options: MlpModelOptions) {
    const fn = 'MlpModel';
    const o: MlpModelOptions = {
      inputs: checkInt(fn, 'inputs', options.inputs, 1, 1 << 20),
      h1: checkInt(fn, 'h1', options.h1, 1, 1 << 16),
      h2: checkInt(fn, 'h2', options.h2, 1, 1 << 16),
      outputs: checkInt(fn, 'outputs', options.outputs, 2, 1 << 16),
      activation: checkChoice(fn, 'activation', options.activation, ACTIVATIONS),
      init: checkChoice(fn, 'init', options.init, INITS),
      seed: checkInt(fn, 'seed', options.seed, 0, MAX_SEED),
      dtype: checkChoice(fn, 'dtype', options.dtype, DTYPES),
      device: checkChoice(fn, 'device', options.device, DEVICES),
      threads: checkInt(fn, 'threads', options.threads, 1, MAX_THREADS),
    };
    // The CUDA trainer is float32 only (native/cuda/mlp_cuda.h).
    if (o.device === 'cuda' && o.dtype !== 'float32') throw Errors.dtypeUnsupported(o.dtype, o.device);
    this.options = Object.freeze(o);
    this.sizes = paramSizes(o);
    this.native = new (addon().MlpModel)(o);
  }

  get device(): DeviceName {
    return this.native.device;
  }
  get dtype(): DTypeName {
    return this.native.dtype;
  }
  get threads(): number {
    return this.native.threads;
  }

  private checkDataset(fn: string, data: Dataset): NativeDataset {
    if (!(data instanceof Dataset)) throw Errors.addonArgument(fn, 'data', 'a Dataset', typeof data);
    if (data.features !== this.options.inputs) {
      throw Errors.addonArgument(fn, 'data.features', `${this.options.inputs} (the model's inputs)`, data.features);
    }
    return data.native;
  }

  trainEpoch(data: Dataset, options: TrainEpochOptions): Promise<TrainEpochResult> {
    const fn = 'MlpModel.trainEpoch';
    const nativeData = this.checkDataset(fn, data);
    const o: TrainEpochOptions = {
      alpha0: checkNumber(fn, 'alpha0', options.alpha0, 0, true),
      delta: checkNumber(fn, 'delta', options.delta, 0),
      lambda: checkNumber(fn, 'lambda', options.lambda, 0),
      batchSize: checkInt(fn, 'batchSize', options.batchSize, 1, data.rows),
      tStart: checkInt(fn, 'tStart', options.tStart, 0),
      shuffleSeed: checkInt(fn, 'shuffleSeed', options.shuffleSeed, 0, MAX_SEED),
      epoch: checkInt(fn, 'epoch', options.epoch, 0, 0x7fffffff),
    };
    return this.native.trainEpoch(nativeData, o);
  }

  evaluate(data: Dataset): Promise<EvalResult> {
    return this.native.evaluate(this.checkDataset('MlpModel.evaluate', data));
  }

  weightSquaredNorm(): number {
    return this.native.weightSquaredNorm();
  }

  getParams(): MlpParamArrays {
    return this.native.getParams();
  }

  setParams(params: MlpParamArrays): void {
    const fn = 'MlpModel.setParams';
    const Ctor = this.options.dtype === 'float64' ? Float64Array : Float32Array;
    if (typeof params !== 'object' || params === null) throw Errors.addonArgument(fn, 'params', 'an object', params);
    for (const name of PARAM_NAMES) {
      const array: unknown = params[name];
      if (!(array instanceof Ctor)) {
        throw Errors.addonArgument(fn, name, `a ${Ctor.name} (the model's dtype is ${this.options.dtype})`, typeof array);
      }
      if (array.length !== this.sizes[name]) {
        throw Errors.addonArgument(fn, `${name}.length`, String(this.sizes[name]), array.length);
      }
    }
    this.native.setParams(params);
  }

  sampleObjective(
    data: Dataset,
    row: number,
    lambda: number,
    withGradient: boolean,
  ): { loss: number; gradient: MlpParamArrays | null } {
    const fn = 'MlpModel.sampleObjective';
    const nativeData = this.checkDataset(fn, data);
    checkInt(fn, 'row', row, 0, data.rows - 1);
    checkNumber(fn, 'lambda', lambda, 0);
    checkBool(fn, 'withGradient', withGradient);
    return this.native.sampleObjective(nativeData, row, lambda, withGradient);
  }

  requestStop(): void {
    this.native.requestStop();
  }
}

// ---------------------------------------------------------------------------
// GEMM (tests and benchmarks)
// ---------------------------------------------------------------------------

export interface GemmArgs {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  alpha: number;
  A: Float32Array;
  lda: number;
  B: Float32Array;
  ldb: number;
  beta: number;
  C: Float32Array;
  ldc: number;
}

/** Checks that a stored row-major matrix of rows x cols with row stride ld fits in `array`. */
function checkMatrix(fn: string, name: string, array: unknown, rows: number, cols: number, ld: number): void {
  if (!(array instanceof Float32Array)) throw Errors.addonArgument(fn, name, 'a Float32Array', typeof array);
  checkInt(fn, `ld${name.toLowerCase()}`, ld, Math.max(1, cols));
  const needed = rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
  if (array.length < needed) {
    throw Errors.addonArgument(fn, name, `at least ${needed} elements (${rows}x${cols}, stride ${ld})`, array.length);
  }
}

function checkGemm(fn: string, g: GemmArgs): void {
  checkBool(fn, 'transA', g.transA);
  checkBool(fn, 'transB', g.transB);
  checkInt(fn, 'M', g.M, 0, 0x7fffffff);
  checkInt(fn, 'N', g.N, 0, 0x7fffffff);
  checkInt(fn, 'K', g.K, 0, 0x7fffffff);
  if (typeof g.alpha !== 'number' || typeof g.beta !== 'number') {
    throw Errors.addonArgument(fn, 'alpha/beta', 'numbers', [g.alpha, g.beta]);
  }
  // op(A) is M x K: stored as K x M when transposed; likewise op(B) is K x N.
  checkMatrix(fn, 'A', g.A, g.transA ? g.K : g.M, g.transA ? g.M : g.K, g.lda);
  checkMatrix(fn, 'B', g.B, g.transB ? g.N : g.K, g.transB ? g.K : g.N, g.ldb);
  checkMatrix(fn, 'C', g.C, g.M, g.N, g.ldc);
}

/** C = alpha·op(A)·op(B) + beta·C with our GEMM. */
export function sgemm(g: GemmArgs, threads = 1): void {
  checkGemm('sgemm', g);
  checkInt('sgemm', 'threads', threads, 1, MAX_THREADS);
  addon().sgemm(g.transA, g.transB, g.M, g.N, g.K, g.alpha, g.A, g.lda, g.B, g.ldb, g.beta, g.C, g.ldc, threads);
}

/** The naive reference of sgemm (double accumulation). */
export function sgemmReference(g: GemmArgs): void {
  checkGemm('sgemmReference', g);
  addon().sgemmReference(g.transA, g.transB, g.M, g.N, g.K, g.alpha, g.A, g.lda, g.B, g.ldb, g.beta, g.C, g.ldc);
}
