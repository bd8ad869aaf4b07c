// Typed calls of the addon's device ops (native/binding/cuda_backend_ops.cc):
// each writes its parameters in the order that file documents per op. The
// enums mirror native/cuda/tfjs_ops.h's. Buffers are handles (-1: absent).
import type { NativeCudaContext } from '../addon-types.js';
import type { PoolGeometry } from '../tfjs/native-ops.js';

export const MAX_RANK = 6;

export const DTYPE_CODE = { float32: 0, int32: 1, bool: 2 } as const;
export type DeviceDtype = keyof typeof DTYPE_CODE;

export const UNARY = {
  Identity: 0, Neg: 1, Abs: 2, Exp: 3, Log: 4, Log1p: 5, Sqrt: 6, Rsqrt: 7, Square: 8, Reciprocal: 9,
  Sigmoid: 10, Tanh: 11, Relu: 12, Relu6: 13, LeakyRelu: 14, Elu: 15, Step: 16, ClipByValue: 17, Sign: 18,
  Floor: 19, Ceil: 20, Round: 21, Softplus: 22,
} as const;
export const BINARY = { Add: 0, Sub: 1, Mul: 2, Div: 3, Maximum: 4, Minimum: 5, Pow: 6, SquaredDifference: 7 } as const;
export const COMPARE = { Equal: 0, NotEqual: 1, Greater: 2, GreaterEqual: 3, Less: 4, LessEqual: 5 } as const;
export const LOGICAL = { And: 0, Or: 1 } as const;
export const REDUCE = { Sum: 0, Mean: 1, Max: 2, Min: 3, Prod: 4, Any: 5, All: 6 } as const;
export const ACTIVATION = { linear: 0, relu: 1, relu6: 2, elu: 3, leakyrelu: 4, sigmoid: 5 } as const;

/** The 15 ints of a conv geometry, in cuda_backend_ops.cc's order. */
export interface ConvGeometry {
  batch: number; inH: number; inW: number; inC: number; outH: number; outW: number; outC: number;
  filterH: number; filterW: number; strideH: number; strideW: number; padTop: number; padLeft: number;
  dilationH: number; dilationW: number;
}
/** The 12 ints of a pool geometry: the native engine's. */
export type { PoolGeometry };

const NO_FLOATS = new Float64Array(0);

function shapeInts(shape: readonly number[]): number[] {
  const out = new Array<number>(1 + MAX_RANK).fill(0);
  out[0] = shape.length;
  shape.forEach((d, i) => (out[1 + i] = d));
  return out;
}

function padded(values: readonly number[]): number[] {
  const out = new Array<number>(MAX_RANK).fill(0);
  values.forEach((v, i) => (out[i] = v));
  return out;
}

export class DeviceOps {
  private readonly codes = new Map<string, number>();

  constructor(private readonly ctx: NativeCudaContext, names: readonly string[]) {
    names.forEach((n, i) => this.codes.set(n, i));
  }

  has(name: string): boolean {
    return this.codes.has(name);
  }

  private run(name: string, buffers: number[], ints: number[], floats: number[] = []): void {
    const code = this.codes.get(name);
    if (code === undefined) throw new Error(`cuda backend: the addon has no op ${name}`);
    this.ctx.run(code, Int32Array.from(buffers), Int32Array.from(ints), floats.length ? Float64Array.from(floats) : NO_FLOATS);
  }

  fill(out: number, dtype: DeviceDtype, n: number, value: number): void {
    this.run('fill', [out], [DTYPE_CODE[dtype], n], [value]);
  }
  cast(out: number, x: number, from: DeviceDtype, to: DeviceDtype, n: number): void {
    this.run('cast', [out, x], [DTYPE_CODE[from], DTYPE_CODE[to], n]);
  }
  unary(op: number, y: number, x: number, n: number, alpha = 0, beta = 0): void {
    this.run('unary', [y, x], [op, n], [alpha, beta]);
  }
  binary(op: number, int32: boolean, out: number, a: number, aShape: readonly number[], b: number, bShape: readonly number[]): void {
    this.run('binary', [out, a, b], [op, int32 ? 1 : 0, ...shapeInts(aShape), ...shapeInts(bShape)]);
  }
  compare(op: number, int32: boolean, out: number, a: number, aShape: readonly number[], b: number, bShape: readonly number[]): void {
    this.run('compare', [out, a, b], [op, int32 ? 1 : 0, ...shapeInts(aShape), ...shapeInts(bShape)]);
  }
  logical(op: number, out: number, a: number, aShape: readonly number[], b: number, bShape: readonly number[]): void {
    this.run('logical', [out, a, b], [op, ...shapeInts(aShape), ...shapeInts(bShape)]);
  }
  logicalNot(y: number, x: number, n: number): void {
    this.run('logical_not', [y, x], [n]);
  }
  select(out: number, cond: number, condShape: readonly number[], a: number, aShape: readonly number[], b: number, bShape: readonly number[]): void {
    this.run('select', [out, cond, a, b], [...shapeInts(condShape), ...shapeInts(aShape), ...shapeInts(bShape)]);
  }
  slice(out: number, x: number, elemBytes: number, shape: readonly number[], begin: readonly number[], size: readonly number[]): void {
    this.run('slice', [out, x], [elemBytes, ...shapeInts(shape), ...padded(begin), ...padded(size)]);
  }
  transpose(out: number, x: number, elemBytes: number, shape: readonly number[], perm: readonly number[]): void {
    this.run('transpose', [out, x], [elemBytes, ...shapeInts(shape), ...padded(perm)]);
  }
  reduce(op: number, y: number, x: number, outer: number, reduce: number, inner: number): void {
    this.run('reduce', [y, x], [op, outer, reduce, inner]);
  }
  argReduce(isMax: boolean, y: number, x: number, outer: number, reduce: number, inner: number): void {
    this.run('arg_reduce', [y, x], [isMax ? 1 : 0, outer, reduce, inner]);
  }
  softmax(y: number, x: number, rows: number, cols: number): void {
    this.run('softmax', [y, x], [rows, cols]);
  }
  batchMatMul(
    out: number, a: number, b: number, bias: number,
    p: { batchA: number; batchB: number; M: number; N: number; K: number; transA: boolean; transB: boolean },
    activation: number, leakyAlpha: number,
  ): void {
    this.run('batch_matmul', [out, a, b, bias], [p.batchA, p.batchB, p.M, p.N, p.K, p.transA ? 1 : 0, p.transB ? 1 : 0, activation], [leakyAlpha]);
  }
  conv2d(y: number, x: number, filter: number, bias: number, g: ConvGeometry, activation: number, leakyAlpha: number): void {
    this.run('conv2d', [y, x, filter, bias], [...convInts(g), activation], [leakyAlpha]);
  }
  conv2dBackpropInput(dx: number, dy: number, filter: number, g: ConvGeometry): void {
    this.run('conv2d_backprop_input', [dx, dy, filter], convInts(g));
  }
  conv2dBackpropFilter(dfilter: number, x: number, dy: number, g: ConvGeometry): void {
    this.run('conv2d_backprop_filter', [dfilter, x, dy], convInts(g));
  }
  maxPool(y: number, x: number, g: PoolGeometry): void {
    this.run('max_pool', [y, x], poolInts(g));
  }
  maxPoolGrad(dx: number, dy: number, x: number, g: PoolGeometry): void {
    this.run('max_pool_grad', [dx, dy, x], poolInts(g));
  }
}

function convInts(g: ConvGeometry): number[] {
  return [g.batch, g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.filterH, g.filterW, g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW];
}

function poolInts(g: PoolGeometry): number[] {
  return [g.batch, g.inH, g.inW, g.channels, g.outH, g.outW, g.filterH, g.filterW, g.strideH, g.strideW, g.padTop, g.padLeft];
}
