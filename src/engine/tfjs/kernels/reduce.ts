// Sum over one block of consecutive axes (the bias gradients: all axes but the
// last), float32: double accumulation in index order, as the stock kernel sums
// after moving the reduced axes innermost — bit-identical to it.
import * as tf from '@tensorflow/tfjs';

import { float32Values, sizeOf } from '../cpu-backend.js';
import * as ops from '../native-ops.js';
import type { NativeKernelDef } from './context.js';

export const sumKernel: NativeKernelDef = {
  kernelName: tf.Sum,
  body: (inputs, attrs, backend, ctx) => {
    const x = inputs['x'];
    const xv = float32Values(backend, x);
    if (!x || !xv || xv.length === 0) return null;
    const shape = x.shape;
    const axes = [...new Set(tf.util.parseAxisParam(attrs['axis'] as number | number[], shape))].sort((p, q) => p - q);
    if (axes.length === 0) return null;
    const first = axes[0]!, last = axes[axes.length - 1]!;
    if (last - first + 1 !== axes.length) return null; // not one block of consecutive axes
    const outer = sizeOf(shape.slice(0, first));
    const reduce = sizeOf(shape.slice(first, last + 1));
    const inner = sizeOf(shape.slice(last + 1));
    const outShape = attrs['keepDims'] === true
      ? shape.map((d, i) => (i >= first && i <= last ? 1 : d))
      : [...shape.slice(0, first), ...shape.slice(last + 1)];
    const y = ctx.pool.alloc(outer * inner);
    ops.sum(xv, y, outer, reduce, inner, ctx.threads);
    return ctx.pool.output(outShape, y);
  },
};
