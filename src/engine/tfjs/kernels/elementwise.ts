// Add, Sub, Multiply (float32, same shape, a scalar, or a block repeating
// along the leading axes such as a bias over channels), Relu and Step.
// Bit-identical to the stock kernels (see native/core/elementwise.h).
import * as tf from '@tensorflow/tfjs';
import type { NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

import { float32Values, sizeOf } from '../cpu-backend.js';
import type { CpuBackend } from '../cpu-backend.js';
import * as ops from '../native-ops.js';
import type { BinaryOpName } from '../native-ops.js';
import type { KernelContext, NativeKernelDef } from './context.js';

/** The shape without its leading 1s. */
function stripped(shape: readonly number[]): readonly number[] {
  let i = 0;
  while (i < shape.length && shape[i] === 1) i++;
  return shape.slice(i);
}

/**
 * Whether `shape` broadcasts to `out` as a scalar or as a trailing block (the
 * shape, less its leading 1s, is the tail of `out`), so that its element i
 * pairs with output elements ≡ i modulo its size.
 */
function repeatsInto(shape: readonly number[], out: readonly number[]): boolean {
  const s = stripped(shape);
  if (s.length > out.length) return false;
  const offset = out.length - s.length;
  return s.every((d, i) => d === out[offset + i]);
}

function binary(op: BinaryOpName, inputs: NamedTensorInfoMap, backend: CpuBackend, ctx: KernelContext): TensorInfo | null {
  const a = inputs['a'], b = inputs['b'];
  const av = float32Values(backend, a), bv = float32Values(backend, b);
  if (!a || !b || !av || !bv) return null;
  let outShape: number[];
  try {
    outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  } catch {
    return null; // the stock kernel throws tfjs's own message
  }
  const n = sizeOf(outShape);
  if (n === 0 || av.length !== sizeOf(a.shape) || bv.length !== sizeOf(b.shape)) return null;
  const aFull = av.length === n, bFull = bv.length === n;
  if (!(aFull && bFull)) {
    if (!aFull && !bFull && !(av.length === 1 && bv.length === 1)) return null;
    if (!aFull && !repeatsInto(a.shape, outShape)) return null;
    if (!bFull && !repeatsInto(b.shape, outShape)) return null;
  }
  const out = ctx.pool.alloc(n);
  ops.binary(op, av, bv, out, ctx.threads);
  return ctx.pool.output(outShape, out);
}

export const addKernel: NativeKernelDef = {
  kernelName: tf.Add,
  body: (inputs, _attrs, backend, ctx) => binary('add', inputs, backend, ctx),
};
export const subKernel: NativeKernelDef = {
  kernelName: tf.Sub,
  body: (inputs, _attrs, backend, ctx) => binary('sub', inputs, backend, ctx),
};
export const multiplyKernel: NativeKernelDef = {
  kernelName: tf.Multiply,
  body: (inputs, _attrs, backend, ctx) => binary('mul', inputs, backend, ctx),
};

export const reluKernel: NativeKernelDef = {
  kernelName: tf.Relu,
  body: (inputs, _attrs, backend, ctx) => {
    const x = inputs['x'];
    const xv = float32Values(backend, x);
    if (!x || !xv) return null;
    const y = ctx.pool.alloc(xv.length);
    ops.relu(xv, y, ctx.threads);
    return ctx.pool.output(x.shape.slice(), y);
  },
};

export const stepKernel: NativeKernelDef = {
  kernelName: tf.Step,
  body: (inputs, attrs, backend, ctx) => {
    const x = inputs['x'];
    const xv = float32Values(backend, x);
    const alpha = attrs['alpha'];
    if (!x || !xv || typeof alpha !== 'number') return null;
    const y = ctx.pool.alloc(xv.length);
    ops.step(xv, alpha, y, ctx.threads);
    return ctx.pool.output(x.shape.slice(), y);
  },
};
