// Matrix products, convolutions and max pooling on the device: BatchMatMul,
// _FusedMatMul, Conv2D, FusedConv2D, both conv gradients, MaxPool and
// MaxPoolGrad. NHWC, float32; the geometry comes from tfjs's own conv/pool
// info (convInfo, shared with the native engine). Declines (host fallback):
// NCHW, dilations, prelu, a bias that is not one value per output channel,
// batch dimensions that neither match nor are all 1.
import type { backend_util, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

import { convGeometry, convInfo } from '../../tfjs/kernels/conv.js';
import { poolGeometry, poolInfo } from '../../tfjs/kernels/pool.js';
import type { CudaBackend } from '../backend.js';
import { sizeOfShape } from '../backend.js';
import { ACTIVATION } from '../device-ops.js';
import type { ConvGeometry } from '../device-ops.js';
import type { DeviceKernelDef } from './types.js';

const NONE = -1;

function float32OnDevice(backend: CudaBackend, ...ts: (TensorInfo | undefined)[]): boolean {
  return ts.every((t) => t !== undefined && t.dtype === 'float32' && backend.onDevice(t));
}

/** The fused activation's code, or null for one we do not run (prelu, unknown). */
function activationOf(attrs: NamedAttrMap, prelu: TensorInfo | undefined): number | null {
  if (prelu) return null;
  const a = attrs['activation'];
  if (a === undefined || a === null) return ACTIVATION.linear;
  return (ACTIVATION as Record<string, number>)[a as string] ?? null;
}

/** A bias of one value per channel: shape [n] or [1, …, 1, n]. undefined: none; null: another shape. */
function channelBias(backend: CudaBackend, bias: TensorInfo | undefined, channels: number): TensorInfo | null | undefined {
  if (!bias) return undefined;
  if (!float32OnDevice(backend, bias) || sizeOfShape(bias.shape) !== channels || bias.shape.at(-1) !== channels) return null;
  return bias;
}

function matMul(inputs: NamedTensorInfoMap, attrs: NamedAttrMap, backend: CudaBackend, fused: boolean): TensorInfo | null {
  const a = inputs['a'];
  const b = inputs['b'];
  if (!float32OnDevice(backend, a, b) || a!.shape.length < 2 || b!.shape.length < 2) return null;
  const transA = attrs['transposeA'] === true;
  const transB = attrs['transposeB'] === true;
  const ra = a!.shape.length;
  const rb = b!.shape.length;
  const M = transA ? a!.shape[ra - 1]! : a!.shape[ra - 2]!;
  const K = transA ? a!.shape[ra - 2]! : a!.shape[ra - 1]!;
  const KB = transB ? b!.shape[rb - 1]! : b!.shape[rb - 2]!;
  const N = transB ? b!.shape[rb - 2]! : b!.shape[rb - 1]!;
  if (K !== KB) return null; // the cpu kernel throws tfjs's error
  const outerA = a!.shape.slice(0, -2);
  const outerB = b!.shape.slice(0, -2);
  const batchA = sizeOfShape(outerA);
  const batchB = sizeOfShape(outerB);
  if (batchA === 0 || batchB === 0) return null;
  let outer: number[];
  if (batchA === batchB && outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i])) outer = outerA;
  else if (batchB === 1) outer = outerA.length >= outerB.length ? outerA : [...Array<number>(outerB.length - outerA.length).fill(1), ...outerA];
  else if (batchA === 1) outer = outerB.length >= outerA.length ? outerB : [...Array<number>(outerA.length - outerB.length).fill(1), ...outerB];
  else return null;
  let activation: number = ACTIVATION.linear;
  let bias: TensorInfo | undefined;
  if (fused) {
    const act = activationOf(attrs, inputs['preluActivationWeights']);
    if (act === null) return null;
    activation = act;
    const bb = channelBias(backend, inputs['bias'], N);
    if (bb === null) return null;
    bias = bb;
  }
  const ab = backend.bufferOf(a!);
  const bb = backend.bufferOf(b!);
  const biasBuffer = bias ? backend.bufferOf(bias) : NONE;
  const out = backend.makeOutput([...outer, M, N], 'float32');
  if (out.buffer >= 0) {
    backend.ops.batchMatMul(out.buffer, ab, bb, biasBuffer, { batchA, batchB, M, N, K, transA, transB }, activation, Number(attrs['leakyreluAlpha'] ?? 0.2));
  }
  return out.info;
}

function geometry(info: backend_util.Conv2DInfo): ConvGeometry {
  return { ...convGeometry(info), dilationH: info.dilationHeight, dilationW: info.dilationWidth };
}

function conv(inputs: NamedTensorInfoMap, attrs: NamedAttrMap, backend: CudaBackend, fused: boolean): TensorInfo | null {
  const x = inputs['x'];
  const filter = inputs['filter'];
  if (!float32OnDevice(backend, x, filter)) return null;
  const info = convInfo(x!.shape, filter!.shape, attrs, true);
  if (!info) return null;
  let activation: number = ACTIVATION.linear;
  let bias: TensorInfo | undefined;
  if (fused) {
    const act = activationOf(attrs, inputs['preluActivationWeights']);
    if (act === null) return null;
    activation = act;
    const b = channelBias(backend, inputs['bias'], info.outChannels);
    if (b === null) return null;
    bias = b;
  }
  const xb = backend.bufferOf(x!);
  const fb = backend.bufferOf(filter!);
  const biasBuffer = bias ? backend.bufferOf(bias) : NONE;
  const out = backend.makeOutput(info.outShape, 'float32');
  if (out.buffer >= 0) backend.ops.conv2d(out.buffer, xb, fb, biasBuffer, geometry(info), activation, Number(attrs['leakyreluAlpha'] ?? 0.2));
  return out.info;
}

const conv2DBackpropInput: DeviceKernelDef = {
  kernelName: 'Conv2DBackpropInput',
  needs: ['conv2d_backprop_input'],
  run(inputs, attrs, backend) {
    const dy = inputs['dy'];
    const filter = inputs['filter'];
    const inputShape = attrs['inputShape'];
    if (!float32OnDevice(backend, dy, filter) || !Array.isArray(inputShape)) return null;
    const info = convInfo(inputShape as number[], filter!.shape, attrs, false);
    if (!info) return null;
    const dyb = backend.bufferOf(dy!);
    const fb = backend.bufferOf(filter!);
    const out = backend.makeOutput(info.inShape, 'float32');
    if (out.buffer >= 0) backend.ops.conv2dBackpropInput(out.buffer, dyb, fb, geometry(info));
    return out.info;
  },
};

const conv2DBackpropFilter: DeviceKernelDef = {
  kernelName: 'Conv2DBackpropFilter',
  needs: ['conv2d_backprop_filter'],
  run(inputs, attrs, backend) {
    const x = inputs['x'];
    const dy = inputs['dy'];
    const filterShape = attrs['filterShape'];
    if (!float32OnDevice(backend, x, dy) || !Array.isArray(filterShape)) return null;
    const info = convInfo(x!.shape, filterShape as number[], attrs, false);
    if (!info) return null;
    const xb = backend.bufferOf(x!);
    const dyb = backend.bufferOf(dy!);
    const out = backend.makeOutput(info.filterShape, 'float32');
    if (out.buffer >= 0) backend.ops.conv2dBackpropFilter(out.buffer, xb, dyb, geometry(info));
    return out.info;
  },
};

const maxPool: DeviceKernelDef = {
  kernelName: 'MaxPool',
  needs: ['max_pool'],
  run(inputs, attrs, backend) {
    const x = inputs['x'];
    if (!float32OnDevice(backend, x)) return null;
    const info = poolInfo(x!.shape, attrs);
    if (!info) return null;
    // tfjs returns x itself for a 1×1 window that keeps the shape.
    if (info.filterHeight === 1 && info.filterWidth === 1 && info.outShape.every((d, i) => d === x!.shape[i])) return backend.share(x!, x!.shape);
    const xb = backend.bufferOf(x!);
    const out = backend.makeOutput(info.outShape, 'float32');
    if (out.buffer >= 0) backend.ops.maxPool(out.buffer, xb, poolGeometry(info));
    return out.info;
  },
};

const maxPoolGrad: DeviceKernelDef = {
  kernelName: 'MaxPoolGrad',
  needs: ['max_pool_grad'],
  run(inputs, attrs, backend) {
    const dy = inputs['dy'];
    const x = inputs['input'];
    if (!float32OnDevice(backend, dy, x)) return null;
    const info = poolInfo(x!.shape, attrs);
    if (!info || !info.outShape.every((d, i) => d === dy!.shape[i])) return null;
    const dyb = backend.bufferOf(dy!);
    const xb = backend.bufferOf(x!);
    const out = backend.makeOutput(x!.shape, 'float32');
    if (out.buffer >= 0) backend.ops.maxPoolGrad(out.buffer, dyb, xb, poolGeometry(info));
    return out.info;
  },
};

export const LINALG_KERNELS: readonly DeviceKernelDef[] = [
  { kernelName: 'BatchMatMul', needs: ['batch_matmul'], run: (i, a, b) => matMul(i, a, b, false) },
  { kernelName: '_FusedMatMul', needs: ['batch_matmul'], run: (i, a, b) => matMul(i, a, b, true) },
  { kernelName: 'Conv2D', needs: ['conv2d'], run: (i, a, b) => conv(i, a, b, false) },
  { kernelName: 'FusedConv2D', needs: ['conv2d'], run: (i, a, b) => conv(i, a, b, true) },
  conv2DBackpropInput,
  conv2DBackpropFilter,
  maxPool,
  maxPoolGrad,
];
