// The addon's tfjs kernel functions behind a strict, thin layer (better-sqlite3
// style, as src/engine/native.ts does for the rest of the addon): every size,
// type and length is checked here before the call, so that a mistake becomes a
// HypersweepError naming the argument instead of an out-of-bounds access.
// The checks are a handful of comparisons: these run on every kernel call.
import { Errors } from '../../errors.js';
import type { NativeAddon } from '../addon-types.js';
import { addon, MAX_THREADS } from '../native.js';

/** Largest element count of one tensor: int32 indexing in parts of the core. */
const MAX_ELEMENTS = 2 ** 31 - 1;

/** NHWC input, HWIO filter; padTop/padLeft as tfjs's padInfo gives them. */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  filterH: number;
  filterW: number;
  outC: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
}

export interface PoolGeometry {
  batch: number;
  inH: number;
  inW: number;
  channels: number;
  filterH: number;
  filterW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
}

/** out[i] = op(A_i)·op(B_i) for i < max(batchA, batchB); a batch of 1 broadcasts. */
export interface MatMulDims {
  batchA: number;
  batchB: number;
  M: number;
  N: number;
  K: number;
  transposeA: boolean;
  transposeB: boolean;
}

export type BinaryOpName = 'add' | 'sub' | 'mul';
const BINARY_CODES: Readonly<Record<BinaryOpName, 0 | 1 | 2>> = { add: 0, sub: 1, mul: 2 };

// Reused argument arrays (JS is single-threaded per worker; the addon copies them out first).
const convScratch = new Int32Array(13);
const poolScratch = new Int32Array(12);
const dimsScratch = new Int32Array(7);

let native: NativeAddon | undefined;
function lib(): NativeAddon {
  native ??= addon();
  return native;
}

function int(fn: string, name: string, value: unknown, min: number, max = MAX_ELEMENTS): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw Errors.addonArgument(fn, name, `an integer in [${min}, ${max}]`, value);
  }
  return value;
}

function f32(fn: string, name: string, value: unknown, length: number): Float32Array {
  if (!(value instanceof Float32Array)) {
    throw Errors.addonArgument(fn, name, 'a Float32Array', value === null ? null : typeof value);
  }
  if (value.length !== length) throw Errors.addonArgument(fn, `${name}.length`, String(length), value.length);
  return value;
}

function threadCount(fn: string, threads: unknown): number {
  return int(fn, 'threads', threads, 1, MAX_THREADS);
}

function product(fn: string, what: string, ...factors: number[]): number {
  let p = 1;
  for (const f of factors) p *= f;
  if (p > MAX_ELEMENTS) throw Errors.addonArgument(fn, what, `at most ${MAX_ELEMENTS} elements`, p);
  return p;
}

function convGeometry(fn: string, g: ConvGeometry): Int32Array {
  const s = convScratch;
  s[0] = int(fn, 'batch', g.batch, 1);
  s[1] = int(fn, 'inH', g.inH, 1);
  s[2] = int(fn, 'inW', g.inW, 1);
  s[3] = int(fn, 'inC', g.inC, 1);
  s[4] = int(fn, 'filterH', g.filterH, 1);
  s[5] = int(fn, 'filterW', g.filterW, 1);
  s[6] = int(fn, 'outC', g.outC, 1);
  s[7] = int(fn, 'strideH', g.strideH, 1);
  s[8] = int(fn, 'strideW', g.strideW, 1);
  s[9] = int(fn, 'padTop', g.padTop, 0);
  s[10] = int(fn, 'padLeft', g.padLeft, 0);
  s[11] = int(fn, 'outH', g.outH, 1);
  s[12] = int(fn, 'outW', g.outW, 1);
  return s;
}

function convSizes(fn: string, g: ConvGeometry): { x: number; y: number; filter: number } {
  return {
    x: product(fn, 'x', g.batch, g.inH, g.inW, g.inC),
    y: product(fn, 'y', g.batch, g.outH, g.outW, g.outC),
    filter: product(fn, 'filter', g.filterH, g.filterW, g.inC, g.outC),
  };
}

/** y = act(conv2d(x, filter) + bias): NHWC, HWIO, dilation 1. bias null: none. */
export function conv2d(
  x: Float32Array, filter: Float32Array, bias: Float32Array | null, relu: boolean, y: Float32Array,
  g: ConvGeometry, threads: number,
): void {
  const fn = 'tfjsConv2d';
  const geometry = convGeometry(fn, g);
  const n = convSizes(fn, g);
  f32(fn, 'x', x, n.x);
  f32(fn, 'filter', filter, n.filter);
  if (bias !== null) f32(fn, 'bias', bias, g.outC);
  if (typeof relu !== 'boolean') throw Errors.addonArgument(fn, 'relu', 'a boolean', relu);
  f32(fn, 'y', y, n.y);
  lib().tfjsConv2d(x, filter, bias, relu, y, geometry, threadCount(fn, threads));
}

/** dfilter = Σ im2col(x)ᵀ·dy over batch and output pixels. */
export function conv2dBackpropFilter(
  x: Float32Array, dy: Float32Array, dfilter: Float32Array, g: ConvGeometry, threads: number,
): void {
  const fn = 'tfjsConv2dBackpropFilter';
  const geometry = convGeometry(fn, g);
  const n = convSizes(fn, g);
  f32(fn, 'x', x, n.x);
  f32(fn, 'dy', dy, n.y);
  f32(fn, 'dfilter', dfilter, n.filter);
  lib().tfjsConv2dBackpropFilter(x, dy, dfilter, geometry, threadCount(fn, threads));
}

/** dx = col2im(dy·filterᵀ). */
export function conv2dBackpropInput(
  dy: Float32Array, filter: Float32Array, dx: Float32Array, g: ConvGeometry, threads: number,
): void {
  const fn = 'tfjsConv2dBackpropInput';
  const geometry = convGeometry(fn, g);
  const n = convSizes(fn, g);
  f32(fn, 'dy', dy, n.y);
  f32(fn, 'filter', filter, n.filter);
  f32(fn, 'dx', dx, n.x);
  lib().tfjsConv2dBackpropInput(dy, filter, dx, geometry, threadCount(fn, threads));
}

function poolGeometry(fn: string, g: PoolGeometry): { geometry: Int32Array; x: number; y: number } {
  const s = poolScratch;
  s[0] = int(fn, 'batch', g.batch, 1);
  s[1] = int(fn, 'inH', g.inH, 1);
  s[2] = int(fn, 'inW', g.inW, 1);
  s[3] = int(fn, 'channels', g.channels, 1);
  s[4] = int(fn, 'filterH', g.filterH, 1);
  s[5] = int(fn, 'filterW', g.filterW, 1);
  s[6] = int(fn, 'strideH', g.strideH, 1);
  s[7] = int(fn, 'strideW', g.strideW, 1);
  s[8] = int(fn, 'padTop', g.padTop, 0);
  s[9] = int(fn, 'padLeft', g.padLeft, 0);
  s[10] = int(fn, 'outH', g.outH, 1);
  s[11] = int(fn, 'outW', g.outW, 1);
  return {
    geometry: s,
    x: product(fn, 'x', g.batch, g.inH, g.inW, g.channels),
    y: product(fn, 'y', g.batch, g.outH, g.outW, g.channels),
  };
}

/** NHWC max pooling (tfjs's tie and NaN rules: see native/core/pool.h). */
export function maxPool(x: Float32Array, y: Float32Array, g: PoolGeometry, threads: number): void {
  const fn = 'tfjsMaxPool';
  const p = poolGeometry(fn, g);
  f32(fn, 'x', x, p.x);
  f32(fn, 'y', y, p.y);
  lib().tfjsMaxPool(x, y, p.geometry, threadCount(fn, threads));
}

/** dx: each window's dy added at its first maximum in x. */
export function maxPoolGrad(
  dy: Float32Array, x: Float32Array, dx: Float32Array, g: PoolGeometry, threads: number,
): void {
  const fn = 'tfjsMaxPoolGrad';
  const p = poolGeometry(fn, g);
  f32(fn, 'dy', dy, p.y);
  f32(fn, 'x', x, p.x);
  f32(fn, 'dx', dx, p.x);
  lib().tfjsMaxPoolGrad(dy, x, dx, p.geometry, threadCount(fn, threads));
}

/** out = act(op(a)·op(b) + bias), batched. a is [batchA, M, K] ([batchA, K, M] transposed), b likewise. */
export function batchMatMul(
  a: Float32Array, b: Float32Array, bias: Float32Array | null, relu: boolean, out: Float32Array,
  d: MatMulDims, threads: number,
): void {
  const fn = 'tfjsBatchMatMul';
  const batchA = int(fn, 'batchA', d.batchA, 1);
  const batchB = int(fn, 'batchB', d.batchB, 1);
  const batch = Math.max(batchA, batchB);
  if ((batchA !== 1 && batchA !== batch) || (batchB !== 1 && batchB !== batch)) {
    throw Errors.addonArgument(fn, 'batchA/batchB', 'equal, or one of them 1', [batchA, batchB]);
  }
  const M = int(fn, 'M', d.M, 0), N = int(fn, 'N', d.N, 0), K = int(fn, 'K', d.K, 0);
  if (typeof d.transposeA !== 'boolean') throw Errors.addonArgument(fn, 'transposeA', 'a boolean', d.transposeA);
  if (typeof d.transposeB !== 'boolean') throw Errors.addonArgument(fn, 'transposeB', 'a boolean', d.transposeB);
  f32(fn, 'a', a, product(fn, 'a', batchA, M, K));
  f32(fn, 'b', b, product(fn, 'b', batchB, K, N));
  if (bias !== null) f32(fn, 'bias', bias, N);
  if (typeof relu !== 'boolean') throw Errors.addonArgument(fn, 'relu', 'a boolean', relu);
  f32(fn, 'out', out, product(fn, 'out', batch, M, N));
  const s = dimsScratch;
  s[0] = batchA;
  s[1] = batchB;
  s[2] = M;
  s[3] = N;
  s[4] = K;
  s[5] = d.transposeA ? 1 : 0;
  s[6] = d.transposeB ? 1 : 0;
  lib().tfjsBatchMatMul(a, b, bias, relu, out, s, threadCount(fn, threads));
}

/**
 * out[i] = a[i % a.length] op b[i % b.length]: one operand is full length
 * (out.length) and the other full, a scalar or a block repeating along the
 * leading axes (its length divides out.length); or both are scalars.
 */
export function binary(op: BinaryOpName, a: Float32Array, b: Float32Array, out: Float32Array, threads: number): void {
  const fn = 'tfjsBinary';
  const code = BINARY_CODES[op];
  if (code === undefined) throw Errors.addonArgument(fn, 'op', 'one of add, sub, mul', op);
  if (!(a instanceof Float32Array)) throw Errors.addonArgument(fn, 'a', 'a Float32Array', typeof a);
  if (!(b instanceof Float32Array)) throw Errors.addonArgument(fn, 'b', 'a Float32Array', typeof b);
  if (!(out instanceof Float32Array)) throw Errors.addonArgument(fn, 'out', 'a Float32Array', typeof out);
  const n = out.length;
  const fits = (len: number): boolean => len >= 1 && n % len === 0;
  const ok = n === 0 || (fits(a.length) && fits(b.length) && (a.length === n || b.length === n || (a.length === 1 && b.length === 1)));
  if (!ok) {
    throw Errors.addonArgument(fn, 'a.length/b.length', `lengths that broadcast to ${n} (one full, the other dividing it)`, [a.length, b.length]);
  }
  if (n === 0) return;
  lib().tfjsBinary(code, a, b, out, threadCount(fn, threads));
}

/** y = max(0, x) as tfjs's Relu computes it. */
export function relu(x: Float32Array, y: Float32Array, threads: number): void {
  const fn = 'tfjsRelu';
  if (!(x instanceof Float32Array)) throw Errors.addonArgument(fn, 'x', 'a Float32Array', typeof x);
  f32(fn, 'y', y, x.length);
  lib().tfjsRelu(x, y, threadCount(fn, threads));
}

/** y = NaN for NaN, 1 where x > 0, else alpha (tfjs's Step). */
export function step(x: Float32Array, alpha: number, y: Float32Array, threads: number): void {
  const fn = 'tfjsStep';
  if (!(x instanceof Float32Array)) throw Errors.addonArgument(fn, 'x', 'a Float32Array', typeof x);
  if (typeof alpha !== 'number') throw Errors.addonArgument(fn, 'alpha', 'a number', alpha);
  f32(fn, 'y', y, x.length);
  lib().tfjsStep(x, alpha, y, threadCount(fn, threads));
}

/** x as [outer, reduce, inner]: y[o, i] = Σ_r x[o, r, i], in double, in order. */
export function sum(x: Float32Array, y: Float32Array, outer: number, reduce: number, inner: number, threads: number): void {
  const fn = 'tfjsSum';
  int(fn, 'outer', outer, 0);
  int(fn, 'reduce', reduce, 0);
  int(fn, 'inner', inner, 0);
  f32(fn, 'x', x, product(fn, 'x', outer, reduce, inner));
  f32(fn, 'y', y, product(fn, 'y', outer, inner));
  lib().tfjsSum(x, y, outer, reduce, inner, threadCount(fn, threads));
}

/**
 * x as [outer, dim, slice]: out[o, i, :] = x[o, indices[i], :]. Returns false,
 * writing nothing, when an index is outside [0, dim). Copies bits: a
 * Float32Array view of int32 data gathers int32 values.
 */
export function gather(
  x: Float32Array, indices: Int32Array, out: Float32Array, outer: number, dim: number, slice: number,
  threads: number,
): boolean {
  const fn = 'tfjsGather';
  int(fn, 'outer', outer, 0);
  int(fn, 'dim', dim, 0);
  int(fn, 'slice', slice, 0);
  f32(fn, 'x', x, product(fn, 'x', outer, dim, slice));
  if (!(indices instanceof Int32Array)) throw Errors.addonArgument(fn, 'indices', 'an Int32Array', typeof indices);
  f32(fn, 'out', out, product(fn, 'out', outer, indices.length, slice));
  return lib().tfjsGather(x, indices, out, outer, dim, slice, threadCount(fn, threads));
}
