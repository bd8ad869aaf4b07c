// GatherV2 with batchDims 0 (selecting rows: minibatches out of a dataset
// tensor), float32 or int32 data, int32 indices. An index out of range runs
// the stock kernel, which throws tfjs's own error.
import * as tf from '@tensorflow/tfjs';

import { int32Values, sizeOf } from '../cpu-backend.js';
import * as ops from '../native-ops.js';
import type { NativeKernelDef } from './context.js';

export const gatherV2Kernel: NativeKernelDef = {
  kernelName: tf.GatherV2,
  body: (inputs, attrs, backend, ctx) => {
    const x = inputs['x'], indices = inputs['indices'];
    if (!x || !indices) return null;
    const batchDims = attrs['batchDims'];
    if (batchDims !== undefined && batchDims !== null && batchDims !== 0) return null;
    const iv = int32Values(backend, indices);
    const raw = backend.data.get(x.dataId)?.values;
    const isFloat = x.dtype === 'float32' && raw instanceof Float32Array;
    const isInt = x.dtype === 'int32' && raw instanceof Int32Array;
    if (!iv || !(isFloat || isInt) || x.shape.length === 0) return null;
    const axis = tf.util.parseAxisParam(attrs['axis'] as number, x.shape)[0]!;
    const outer = sizeOf(x.shape.slice(0, axis));
    const dim = x.shape[axis]!;
    const slice = sizeOf(x.shape.slice(axis + 1));
    const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
    const n = outer * iv.length * slice;
    if (n === 0) return null;
    // The addon copies 4-byte elements as bits: int32 data goes through a Float32Array view.
    const xv = isFloat ? (raw as Float32Array) : new Float32Array(raw.buffer, raw.byteOffset, raw.length);
    const out = isFloat ? ctx.pool.alloc(n) : new Float32Array(n);
    if (!ops.gather(xv, iv, out, outer, dim, slice, ctx.threads)) return null;
    if (isFloat) return ctx.pool.output(outShape, out);
    return backend.makeTensorInfo(outShape, 'int32', new Int32Array(out.buffer, 0, n));
  },
};
