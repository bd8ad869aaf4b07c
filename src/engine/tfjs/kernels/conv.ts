// Conv2D, FusedConv2D (bias + relu/linear) and the two convolution gradients
// on the addon's im2col + GEMM kernels. NHWC only, dilation 1, float32; any
// other case (NCHW, dilations, int32, other fused activations, prelu, a bias
// that is not one value per output channel) runs the stock kernel.
import * as tf from '@tensorflow/tfjs';
import type { backend_util, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

import { float32Values, sizeOf } from '../cpu-backend.js';
import type { CpuBackend } from '../cpu-backend.js';
import * as ops from '../native-ops.js';
import type { ConvGeometry } from '../native-ops.js';
import type { KernelContext, NativeKernelDef } from './context.js';

type ConvInfoArgs = Parameters<typeof tf.backend_util.computeConv2DInfo>;
type Shape4 = ConvInfoArgs[0];

function isShape4(shape: readonly number[]): shape is Shape4 {
  return shape.length === 4 && shape.every((d) => Number.isInteger(d) && d > 0);
}

/** tfjs's conv info for NHWC attrs, or null for what we do not handle. */
export function convInfo(
  xShape: readonly number[], filterShape: readonly number[], attrs: NamedAttrMap, withDilations: boolean,
): backend_util.Conv2DInfo | null {
  const dataFormat = attrs['dataFormat'];
  if (dataFormat !== undefined && dataFormat !== 'NHWC') return null;
  if (!isShape4(xShape) || !isShape4(filterShape)) return null;
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs['strides'] as ConvInfoArgs[2],
    (withDilations ? (attrs['dilations'] ?? 1) : 1) as ConvInfoArgs[3],
    attrs['pad'] as ConvInfoArgs[4],
    attrs['dimRoundingMode'] as ConvInfoArgs[5],
    false,
    'channelsLast',
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  if (info.padInfo.top < 0 || info.padInfo.left < 0) return null;
  if (info.outHeight < 1 || info.outWidth < 1 || info.inChannels !== filterShape[2]) return null;
  return info;
}

export function convGeometry(info: backend_util.Conv2DInfo): ConvGeometry {
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    filterH: info.filterHeight,
    filterW: info.filterWidth,
    outC: info.outChannels,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    outH: info.outHeight,
    outW: info.outWidth,
  };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * The bias of a fused op as one value per output channel: shape [n] or
 * [1, …, 1, n]. undefined: no bias; null: a bias we do not handle.
 */
export function channelBias(backend: CpuBackend, bias: TensorInfo | undefined, channels: number): Float32Array | null | undefined {
  if (!bias) return undefined;
  const values = float32Values(backend, bias);
  if (!values || values.length !== channels) return null;
  const s = bias.shape;
  if (s.length === 0 || s[s.length - 1] !== channels) return null;
  return values;
}

/** relu: true, linear: false, anything else: null (stock kernel). */
export function fusedRelu(attrs: NamedAttrMap, prelu: TensorInfo | undefined): boolean | null {
  if (prelu) return null;
  const a = attrs['activation'];
  if (a === undefined || a === null || a === 'linear') return false;
  return a === 'relu' ? true : null;
}

function forward(
  x: TensorInfo | undefined, filter: TensorInfo | undefined, attrs: NamedAttrMap, backend: CpuBackend,
  ctx: KernelContext, bias: Float32Array | null, relu: boolean,
): TensorInfo | null {
  const xv = float32Values(backend, x);
  const fv = float32Values(backend, filter);
  if (!x || !filter || !xv || !fv) return null;
  const info = convInfo(x.shape, filter.shape, attrs, true);
  if (!info) return null;
  const y = ctx.pool.alloc(sizeOf(info.outShape));
  ops.conv2d(xv, fv, bias, relu, y, convGeometry(info), ctx.threads);
  return ctx.pool.output(info.outShape, y);
}

export const conv2DKernel: NativeKernelDef = {
  kernelName: tf.Conv2D,
  body: (inputs, attrs, backend, ctx) => forward(inputs['x'], inputs['filter'], attrs, backend, ctx, null, false),
};

export const fusedConv2DKernel: NativeKernelDef = {
  kernelName: tf.FusedConv2D,
  body: (inputs, attrs, backend, ctx) => {
    const relu = fusedRelu(attrs, inputs['preluActivationWeights']);
    const filter = inputs['filter'];
    if (relu === null || !filter || filter.shape.length !== 4) return null;
    const bias = channelBias(backend, inputs['bias'], filter.shape[3]!);
    if (bias === null) return null;
    return forward(inputs['x'], filter, attrs, backend, ctx, bias ?? null, relu);
  },
};

export const conv2DBackpropFilterKernel: NativeKernelDef = {
  kernelName: tf.Conv2DBackpropFilter,
  body: (inputs, attrs, backend, ctx) => {
    const x = inputs['x'], dy = inputs['dy'];
    const xv = float32Values(backend, x), dyv = float32Values(backend, dy);
    const filterShape = attrs['filterShape'];
    if (!x || !dy || !xv || !dyv || !Array.isArray(filterShape)) return null;
    const info = convInfo(x.shape, filterShape as number[], attrs, false);
    if (!info || !sameShape(dy.shape, info.outShape)) return null;
    const dw = ctx.pool.alloc(sizeOf(info.filterShape));
    ops.conv2dBackpropFilter(xv, dyv, dw, convGeometry(info), ctx.threads);
    return ctx.pool.output(info.filterShape, dw);
  },
};

export const conv2DBackpropInputKernel: NativeKernelDef = {
  kernelName: tf.Conv2DBackpropInput,
  body: (inputs, attrs, backend, ctx) => {
    const dy = inputs['dy'], filter = inputs['filter'];
    const dyv = float32Values(backend, dy), fv = float32Values(backend, filter);
    const inputShape = attrs['inputShape'];
    if (!dy || !filter || !dyv || !fv || !Array.isArray(inputShape)) return null;
    const info = convInfo(inputShape as number[], filter.shape, attrs, false);
    if (!info || !sameShape(dy.shape, info.outShape)) return null;
    const dx = ctx.pool.alloc(sizeOf(info.inShape));
    ops.conv2dBackpropInput(dyv, fv, dx, convGeometry(info), ctx.threads);
    return ctx.pool.output(info.inShape, dx);
  },
};
