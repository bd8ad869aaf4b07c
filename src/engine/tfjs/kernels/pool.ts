// MaxPool and MaxPoolGrad (NHWC, float32, dilation 1). The gradient goes to
// each window's first maximum, tfjs's rule (native/core/pool.h).
import * as tf from '@tensorflow/tfjs';
import type { backend_util, NamedAttrMap } from '@tensorflow/tfjs';

import { float32Values, sizeOf } from '../cpu-backend.js';
import * as ops from '../native-ops.js';
import type { PoolGeometry } from '../native-ops.js';
import type { NativeKernelDef } from './context.js';

type PoolInfoArgs = Parameters<typeof tf.backend_util.computePool2DInfo>;

/** tfjs's pool info for NHWC attrs (dilation 1), or null for what we do not handle; shared with the cuda engine. */
export function poolInfo(xShape: readonly number[], attrs: NamedAttrMap): backend_util.Conv2DInfo | null {
  if (xShape.length !== 4 || !xShape.every((d) => Number.isInteger(d) && d > 0)) return null;
  const info = tf.backend_util.computePool2DInfo(
    xShape as PoolInfoArgs[0],
    attrs['filterSize'] as PoolInfoArgs[1],
    attrs['strides'] as PoolInfoArgs[2],
    1,
    attrs['pad'] as PoolInfoArgs[4],
    attrs['dimRoundingMode'] as PoolInfoArgs[5],
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  if (info.padInfo.top < 0 || info.padInfo.left < 0 || info.outHeight < 1 || info.outWidth < 1) return null;
  return info;
}

export function poolGeometry(info: backend_util.Conv2DInfo): PoolGeometry {
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    channels: info.inChannels,
    filterH: info.filterHeight,
    filterW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    outH: info.outHeight,
    outW: info.outWidth,
  };
}

export const maxPoolKernel: NativeKernelDef = {
  kernelName: tf.MaxPool,
  body: (inputs, attrs, backend, ctx) => {
    const x = inputs['x'];
    const xv = float32Values(backend, x);
    if (!x || !xv) return null;
    const info = poolInfo(x.shape, attrs);
    if (!info) return null;
    // tfjs returns x itself for a 1×1 window that keeps the shape (NaN
    // included, where a pool would give -Infinity): leave that to it.
    if (info.filterHeight === 1 && info.filterWidth === 1 && info.outShape.every((d, i) => d === x.shape[i])) return null;
    const y = ctx.pool.alloc(sizeOf(info.outShape));
    ops.maxPool(xv, y, poolGeometry(info), ctx.threads);
    return ctx.pool.output(info.outShape, y);
  },
};

export const maxPoolGradKernel: NativeKernelDef = {
  kernelName: tf.MaxPoolGrad,
  body: (inputs, attrs, backend, ctx) => {
    const dy = inputs['dy'], x = inputs['input'];
    const dyv = float32Values(backend, dy), xv = float32Values(backend, x);
    if (!dy || !x || !dyv || !xv) return null;
    const info = poolInfo(x.shape, attrs);
    if (!info || dy.shape.length !== 4 || !dy.shape.every((d, i) => d === info.outShape[i])) return null;
    const dx = ctx.pool.alloc(sizeOf(x.shape));
    ops.maxPoolGrad(dyv, xv, dx, poolGeometry(info), ctx.threads);
    return ctx.pool.output(x.shape.slice(), dx);
  },
};
