// Every device kernel of the cuda engine against tfjs's cpu backend: the
// same kernel, the same inputs (small, seeded random tensors), on the emulated
// addon (the CUDA kernels' source on the host emulator). Each case must run on
// the device (not through the host fallback), give the cpu backend's shape and
// dtype, and its values:
//   exactly, for kernels that only move, compare, select or round values
//   (and for max/argmax/relu/step/clip/abs/neg/cast/fill, which are exact in float32);
//   within 8 float32 ulps of max(1, max|value|) for the transcendental ops
//   (CUDA documents expf/tanhf within 2 ulps, powf 4, and sigmoid/softplus
//   round twice more; tfjs's cpu computes in double and rounds once);
//   within 1e-5 · max(1, max|cpu|) for sums, products, softmax and convolutions
//   (at most 600 terms of magnitude <= 4 here: float32 accumulation in another order).
// A final test checks that every kernel the backend serves on the device has a case here.
import * as tf from '@tensorflow/tfjs';
import type { DataType } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { cudaDeviceKernels, cudaKernelCounts } from '../src/engine/cuda/index.js';
import { maxAbs, maxAbsDiff, on, setupCudaBackend } from './helpers/cuda-backend.js';
import { rng } from './helpers/tfjs-kernels.js';

type Gen = 'signed' | 'positive' | 'prob' | 'int' | 'bool' | 'ties';

interface InputSpec {
  shape: number[];
  dtype?: DataType;
  gen?: Gen;
}

type Tolerance = 'exact' | 'ulps' | 'sum';

interface Case {
  kernel: string;
  label?: string;
  inputs: Record<string, InputSpec>;
  attrs?: Record<string, unknown>;
  tol: Tolerance;
}

const F32_EPS = 2 ** -23;

function values(spec: InputSpec, seed: number): Float32Array | Int32Array | Uint8Array {
  const r = rng(seed);
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.dtype ?? 'float32';
  if (dtype === 'bool') return Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
  if (dtype === 'int32') return Int32Array.from({ length: n }, () => Math.floor(r() * 7) - 3);
  const gen = spec.gen ?? 'signed';
  return Float32Array.from({ length: n }, () => {
    switch (gen) {
      case 'positive':
        return 0.05 + 2 * r();
      case 'prob':
        return -0.25 + 1.5 * r(); // straddles ClipByValue's [1e-7, 1 - 1e-7]
      case 'int':
        return Math.floor(r() * 5) - 2;
      case 'ties':
        return Math.floor(r() * 3) - 1; // many equal values: ties in max, argmax, pool
      default:
        return -2 + 4 * r();
    }
  });
}

const conv = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 };
const convValid2 = { strides: 2, pad: 'valid', dataFormat: 'NHWC', dilations: 1 };
const pool = { filterSize: 2, strides: 2, pad: 'valid' };

const CASES: Case[] = [
  // no data moved
  { kernel: 'Reshape', inputs: { x: { shape: [2, 3, 4] } }, attrs: { shape: [6, -1] }, tol: 'exact' },
  { kernel: 'Identity', inputs: { x: { shape: [5] } }, tol: 'exact' },
  { kernel: 'ZerosLike', inputs: { x: { shape: [3, 2] } }, tol: 'exact' },
  { kernel: 'OnesLike', inputs: { x: { shape: [3, 2] } }, tol: 'exact' },
  { kernel: 'Fill', inputs: {}, attrs: { shape: [2, 3], value: 2.5, dtype: 'float32' }, tol: 'exact' },
  // unary
  ...['Neg', 'Abs', 'Relu', 'Relu6', 'Sign', 'Floor', 'Ceil', 'Round', 'Square'].map((k): Case => ({ kernel: k, inputs: { x: { shape: [2, 3, 4] } }, tol: 'exact' })),
  ...['Exp', 'Sigmoid', 'Tanh', 'Elu', 'Softplus'].map((k): Case => ({ kernel: k, inputs: { x: { shape: [2, 3, 4] } }, tol: 'ulps' })),
  ...['Log', 'Log1p', 'Sqrt', 'Rsqrt', 'Reciprocal'].map((k): Case => ({ kernel: k, inputs: { x: { shape: [2, 3, 4], gen: 'positive' } }, tol: 'ulps' })),
  { kernel: 'LeakyRelu', inputs: { x: { shape: [10] } }, attrs: { alpha: 0.2 }, tol: 'ulps' }, // alpha·x: cpu in double, device in float32
  { kernel: 'Step', label: 'alpha 0', inputs: { x: { shape: [12], gen: 'int' } }, attrs: { alpha: 0 }, tol: 'exact' },
  { kernel: 'Step', label: 'alpha -1', inputs: { x: { shape: [12], gen: 'int' } }, attrs: { alpha: -1 }, tol: 'exact' },
  { kernel: 'ClipByValue', inputs: { x: { shape: [16], gen: 'prob' } }, attrs: { clipValueMin: 1e-7, clipValueMax: 1 - 1e-7 }, tol: 'exact' },
  // binary with broadcasting
  ...['Add', 'Sub', 'Multiply', 'Maximum', 'Minimum', 'SquaredDifference'].flatMap((k): Case[] => [
    // (a-b)² rounds twice on the device, once (from double) on the cpu
    { kernel: k, label: 'same shape', inputs: { a: { shape: [2, 3, 4] }, b: { shape: [2, 3, 4] } }, tol: k === 'SquaredDifference' ? 'ulps' : 'exact' },
    { kernel: k, label: '[2,1,4] x [3,1]', inputs: { a: { shape: [2, 1, 4] }, b: { shape: [3, 1] } }, tol: k === 'SquaredDifference' ? 'ulps' : 'exact' },
  ]),
  { kernel: 'Add', label: 'scalar', inputs: { a: { shape: [2, 3] }, b: { shape: [] } }, tol: 'exact' },
  { kernel: 'Add', label: 'int32', inputs: { a: { shape: [2, 3], dtype: 'int32' }, b: { shape: [3], dtype: 'int32' } }, tol: 'exact' },
  { kernel: 'Multiply', label: 'int32', inputs: { a: { shape: [6], dtype: 'int32' }, b: { shape: [6], dtype: 'int32' } }, tol: 'exact' },
  { kernel: 'RealDiv', inputs: { a: { shape: [2, 3, 4] }, b: { shape: [4], gen: 'positive' } }, tol: 'ulps' },
  { kernel: 'Pow', inputs: { a: { shape: [2, 3], gen: 'positive' }, b: { shape: [2, 3] } }, tol: 'ulps' },
  // comparisons, logic, select
  ...['Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual'].flatMap((k): Case[] => [
    { kernel: k, inputs: { a: { shape: [3, 4], gen: 'ties' }, b: { shape: [4], gen: 'ties' } }, tol: 'exact' },
    { kernel: k, label: 'int32', inputs: { a: { shape: [3, 4], dtype: 'int32' }, b: { shape: [3, 4], dtype: 'int32' } }, tol: 'exact' },
  ]),
  { kernel: 'LogicalAnd', inputs: { a: { shape: [3, 4], dtype: 'bool' }, b: { shape: [4], dtype: 'bool' } }, tol: 'exact' },
  { kernel: 'LogicalOr', inputs: { a: { shape: [3, 4], dtype: 'bool' }, b: { shape: [3, 4], dtype: 'bool' } }, tol: 'exact' },
  { kernel: 'LogicalNot', inputs: { x: { shape: [7], dtype: 'bool' } }, tol: 'exact' },
  { kernel: 'Select', inputs: { condition: { shape: [3, 4], dtype: 'bool' }, t: { shape: [3, 4] }, e: { shape: [3, 4] } }, tol: 'exact' },
  { kernel: 'Cast', label: 'float32 -> int32', inputs: { x: { shape: [10] } }, attrs: { dtype: 'int32' }, tol: 'exact' },
  { kernel: 'Cast', label: 'bool -> float32', inputs: { x: { shape: [10], dtype: 'bool' } }, attrs: { dtype: 'float32' }, tol: 'exact' },
  { kernel: 'Cast', label: 'float32 -> bool', inputs: { x: { shape: [10], gen: 'int' } }, attrs: { dtype: 'bool' }, tol: 'exact' },
  // reductions, softmax, data movement
  ...['Sum', 'Mean', 'Prod'].flatMap((k): Case[] => [
    { kernel: k, label: 'last axis', inputs: { x: { shape: [3, 5] } }, attrs: { axis: -1, keepDims: false }, tol: 'sum' },
    { kernel: k, label: 'all axes', inputs: { x: { shape: [3, 5] } }, attrs: { axis: [0, 1], keepDims: false }, tol: 'sum' },
    { kernel: k, label: 'axes [0,2], keepDims', inputs: { x: { shape: [2, 3, 4] } }, attrs: { axis: [0, 2], keepDims: true }, tol: 'sum' },
  ]),
  { kernel: 'Mean', label: 'of bool (an accuracy)', inputs: { x: { shape: [4, 3], dtype: 'bool' } }, attrs: { axis: -1, keepDims: false }, tol: 'sum' },
  { kernel: 'Max', inputs: { x: { shape: [2, 3, 4], gen: 'ties' } }, attrs: { reductionIndices: [1], keepDims: false }, tol: 'exact' },
  { kernel: 'Min', inputs: { x: { shape: [2, 3, 4] } }, attrs: { axis: [0, 2], keepDims: false }, tol: 'exact' },
  { kernel: 'ArgMax', inputs: { x: { shape: [4, 10], gen: 'ties' } }, attrs: { axis: 1 }, tol: 'exact' },
  { kernel: 'ArgMin', inputs: { x: { shape: [4, 10], gen: 'ties' } }, attrs: { axis: 0 }, tol: 'exact' },
  { kernel: 'Softmax', inputs: { logits: { shape: [3, 10] } }, attrs: { dim: -1 }, tol: 'sum' },
  { kernel: 'Slice', inputs: { x: { shape: [3, 4, 5] } }, attrs: { begin: [1, 0, 2], size: [2, -1, 2] }, tol: 'exact' },
  { kernel: 'Transpose', inputs: { x: { shape: [2, 3, 4] } }, attrs: { perm: [2, 0, 1] }, tol: 'exact' },
  // products, convolutions, pooling
  ...[false, true].flatMap((ta) => [false, true].map((tb): Case => ({
    kernel: 'BatchMatMul',
    label: `transposeA ${ta} transposeB ${tb}`,
    inputs: { a: { shape: ta ? [2, 7, 5] : [2, 5, 7] }, b: { shape: tb ? [1, 6, 7] : [1, 7, 6] } },
    attrs: { transposeA: ta, transposeB: tb },
    tol: 'sum',
  }))),
  { kernel: '_FusedMatMul', label: 'bias + relu', inputs: { a: { shape: [3, 20] }, b: { shape: [20, 9] }, bias: { shape: [9] } }, attrs: { transposeA: false, transposeB: false, activation: 'relu' }, tol: 'sum' },
  { kernel: '_FusedMatMul', label: 'linear, no bias, transposeB', inputs: { a: { shape: [3, 20] }, b: { shape: [9, 20] } }, attrs: { transposeA: false, transposeB: true, activation: 'linear' }, tol: 'sum' },
  { kernel: 'Conv2D', label: '3x3 same', inputs: { x: { shape: [2, 7, 6, 3] }, filter: { shape: [3, 3, 3, 4] } }, attrs: conv, tol: 'sum' },
  { kernel: 'Conv2D', label: '8x8 stride 2 valid', inputs: { x: { shape: [1, 20, 20, 3] }, filter: { shape: [8, 8, 3, 5] } }, attrs: convValid2, tol: 'sum' },
  { kernel: 'FusedConv2D', label: 'bias + relu', inputs: { x: { shape: [2, 6, 6, 2] }, filter: { shape: [3, 3, 2, 4] }, bias: { shape: [4] } }, attrs: { ...conv, activation: 'relu' }, tol: 'sum' },
  { kernel: 'Conv2DBackpropInput', label: '3x3 same', inputs: { dy: { shape: [2, 7, 6, 4] }, filter: { shape: [3, 3, 3, 4] } }, attrs: { ...conv, inputShape: [2, 7, 6, 3] }, tol: 'sum' },
  { kernel: 'Conv2DBackpropInput', label: '8x8 stride 2 valid', inputs: { dy: { shape: [1, 7, 7, 5] }, filter: { shape: [8, 8, 3, 5] } }, attrs: { ...convValid2, inputShape: [1, 20, 20, 3] }, tol: 'sum' },
  { kernel: 'Conv2DBackpropFilter', label: '3x3 same', inputs: { x: { shape: [2, 7, 6, 3] }, dy: { shape: [2, 7, 6, 4] } }, attrs: { ...conv, filterShape: [3, 3, 3, 4] }, tol: 'sum' },
  { kernel: 'Conv2DBackpropFilter', label: '8x8 stride 2 valid', inputs: { x: { shape: [1, 20, 20, 3] }, dy: { shape: [1, 7, 7, 5] } }, attrs: { ...convValid2, filterShape: [8, 8, 3, 5] }, tol: 'sum' },
  { kernel: 'MaxPool', inputs: { x: { shape: [2, 6, 7, 3], gen: 'ties' } }, attrs: pool, tol: 'exact' },
  { kernel: 'MaxPoolGrad', inputs: { dy: { shape: [2, 3, 3, 3] }, input: { shape: [2, 6, 7, 3], gen: 'ties' }, output: { shape: [2, 3, 3, 3] } }, attrs: pool, tol: 'exact' },
];

interface Result {
  shape: number[];
  dtype: DataType;
  values: ArrayLike<number>;
}

/** The kernel on the active backend, inputs made there from the same seeded values. */
function runKernel(c: Case, caseIndex: number): Result {
  const inputs: Record<string, tf.Tensor> = {};
  Object.entries(c.inputs).forEach(([name, spec], k) => {
    inputs[name] = tf.tensor(values(spec, 1000 * caseIndex + k), spec.shape, spec.dtype ?? 'float32');
  });
  // MaxPoolGrad's `output` input must be the pool of `input`, as in a real gradient.
  if (c.kernel === 'MaxPoolGrad') {
    inputs['output']!.dispose();
    inputs['output'] = tf.maxPool(inputs['input'] as tf.Tensor4D, 2, 2, 'valid');
  }
  const out = tf.engine().runKernel(c.kernel, inputs as unknown as tf.NamedTensorMap, (c.attrs ?? {}) as tf.NamedAttrMap) as tf.Tensor;
  const result = { shape: out.shape, dtype: out.dtype, values: out.dataSync() as ArrayLike<number> };
  tf.dispose([out, ...Object.values(inputs)]);
  return result;
}

function tolerance(c: Case, expected: ArrayLike<number>): number {
  switch (c.tol) {
    case 'exact':
      return 0;
    case 'ulps':
      return 8 * F32_EPS * Math.max(1, maxAbs(expected));
    case 'sum':
      return 1e-5 * Math.max(1, maxAbs(expected));
  }
}

describe('cuda backend kernels (emulated device) against the cpu backend', () => {
  const tested = new Set<string>();
  beforeAll(async () => {
    await setupCudaBackend();
  }, 900_000);

  CASES.forEach((c, i) => {
    it(`${c.kernel}${c.label ? ` (${c.label})` : ''}`, async () => {
      const cpu = await on('cpu', () => runKernel(c, i));
      const before = cudaKernelCounts()[c.kernel] ?? { device: 0, fallback: 0 };
      const cuda = await on('cuda', () => runKernel(c, i));
      const after = cudaKernelCounts()[c.kernel]!;
      expect(after.fallback - before.fallback, 'ran through the host fallback').toBe(0);
      expect(after.device - before.device).toBe(1);
      expect(cuda.shape).toEqual(cpu.shape);
      expect(cuda.dtype).toBe(cpu.dtype);
      const diff = maxAbsDiff(cuda.values, cpu.values);
      expect(diff, `max |cuda - cpu| (tolerance ${tolerance(c, cpu.values)})`).toBeLessThanOrEqual(tolerance(c, cpu.values));
      tested.add(c.kernel);
    });
  });

  it('every kernel served on the device has a case above', () => {
    const untested = cudaDeviceKernels().filter((k) => !CASES.some((c) => c.kernel === k));
    expect(untested).toEqual([]);
  });
});
