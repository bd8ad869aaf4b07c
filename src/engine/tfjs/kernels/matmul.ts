// BatchMatMul and _FusedMatMul (bias + relu/linear) on our GEMM. Batch
// dimensions must be equal or one side's all 1 (tfjs's cpu kernel indexes
// other broadcasts modulo, which we leave to it).
import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

import { float32Values, sizeOf } from '../cpu-backend.js';
import type { CpuBackend } from '../cpu-backend.js';
import * as ops from '../native-ops.js';
import { channelBias, fusedRelu } from './conv.js';
import type { KernelContext, NativeKernelDef } from './context.js';

function matMul(
  inputs: NamedTensorInfoMap, attrs: NamedAttrMap, backend: CpuBackend, ctx: KernelContext, fused: boolean,
): TensorInfo | null {
  const a = inputs['a'], b = inputs['b'];
  const av = float32Values(backend, a), bv = float32Values(backend, b);
  if (!a || !b || !av || !bv || a.shape.length < 2 || b.shape.length < 2) return null;
  const transposeA = attrs['transposeA'] === true, transposeB = attrs['transposeB'] === true;
  const ra = a.shape.length, rb = b.shape.length;
  const M = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const K = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const KB = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const N = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (K !== KB) return null; // the stock kernel throws tfjs's error
  const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
  const batchA = sizeOf(outerA), batchB = sizeOf(outerB);
  let outer: number[];
  if (batchA === batchB && outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i])) {
    outer = outerA;
  } else if (batchB === 1) {
    outer = outerA.length >= outerB.length ? outerA : [...Array<number>(outerB.length - outerA.length).fill(1), ...outerA];
  } else if (batchA === 1) {
    outer = outerB.length >= outerA.length ? outerB : [...Array<number>(outerA.length - outerB.length).fill(1), ...outerB];
  } else {
    return null;
  }
  if (batchA === 0 || batchB === 0) return null;
  let bias: Float32Array | null = null;
  let relu = false;
  if (fused) {
    const act = fusedRelu(attrs, inputs['preluActivationWeights']);
    if (act === null) return null;
    relu = act;
    const bv2 = channelBias(backend, inputs['bias'], N);
    if (bv2 === null) return null;
    bias = bv2 ?? null;
  }
  const outShape = [...outer, M, N];
  const out = ctx.pool.alloc(sizeOf(outShape));
  ops.batchMatMul(av, bv, bias, relu, out, { batchA, batchB, M, N, K, transposeA, transposeB }, ctx.threads);
  return ctx.pool.output(outShape, out);
}

export const batchMatMulKernel: NativeKernelDef = {
  kernelName: tf.BatchMatMul,
  body: (inputs, attrs, backend, ctx) => matMul(inputs, attrs, backend, ctx, false),
};

export const fusedMatMulKernel: NativeKernelDef = {
  kernelName: tf._FusedMatMul,
  body: (inputs, attrs, backend, ctx) => matMul(inputs, attrs, backend, ctx, true),
};
