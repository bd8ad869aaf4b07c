// Reductions (Sum, Mean, Max, Min, Prod, ArgMax, ArgMin), Softmax, and the
// data movement they and tfjs need (Slice, Transpose) on the device. The
// reduced axes are viewed as one contiguous block [outer, reduce, inner];
// axes that are not contiguous are first transposed last, as tfjs's cpu
// backend does, so the sums add in the same order.
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';

import type { CudaBackend } from '../backend.js';
import { sizeOfShape } from '../backend.js';
import { MAX_RANK, REDUCE } from '../device-ops.js';
import type { DeviceKernelDef } from './types.js';

const ELEM_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** x permuted by `perm` into a new device tensor (for the reductions and Transpose). */
function transposeOnDevice(backend: CudaBackend, x: TensorInfo, perm: readonly number[]): TensorInfo {
  const xb = backend.bufferOf(x);
  const shape = perm.map((p) => x.shape[p]!);
  const out = backend.makeOutput(shape, x.dtype);
  if (out.buffer >= 0) backend.ops.transpose(out.buffer, xb, ELEM_BYTES[x.dtype]!, x.shape, perm);
  return out.info;
}

/** [outer, reduce, inner] of reducing `axes` of `shape` when they are contiguous; null otherwise. */
function blockOf(shape: readonly number[], axes: readonly number[]): [number, number, number] | null {
  const sorted = [...axes].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]! + 1) return null;
  const first = sorted[0] ?? shape.length;
  const last = sorted.at(-1) ?? shape.length - 1;
  const outer = sizeOfShape(shape.slice(0, first));
  const reduce = sizeOfShape(shape.slice(first, last + 1));
  const inner = sizeOfShape(shape.slice(last + 1));
  return [outer, reduce, inner];
}

/**
 * Runs `launch(x, outer, reduce, inner)` over the reduced axes of x (after a
 * transpose when they are not contiguous); returns the output shape (keepDims
 * applied) or null when the kernel declines.
 */
function reduceAxes(
  backend: CudaBackend, x: TensorInfo, axisAttr: unknown, keepDims: boolean,
  launch: (x: TensorInfo, outer: number, reduce: number, inner: number, outShape: number[]) => TensorInfo,
): TensorInfo | null {
  if (x.shape.length > MAX_RANK) return null;
  const axes = tf.util.parseAxisParam(axisAttr as number | number[], x.shape);
  const [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
  const shape = keepDims ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
  let block = blockOf(x.shape, axes);
  let input = x;
  let temp: TensorInfo | null = null;
  if (!block) {
    const perm = tf.backend_util.getAxesPermutation(axes, x.shape.length)!;
    temp = transposeOnDevice(backend, x, perm);
    input = temp;
    block = blockOf(temp.shape, tf.backend_util.getInnerMostAxes(axes.length, x.shape.length))!;
  }
  try {
    return launch(input, block[0], block[1], block[2], shape);
  } finally {
    if (temp) backend.disposeData(temp.dataId);
  }
}

function reduceKernel(kernelName: string, op: number): DeviceKernelDef {
  return {
    kernelName,
    needs: ['reduce', 'transpose', 'cast'],
    run(inputs, attrs, backend) {
      const x = inputs['x']!;
      if (!backend.onDevice(x)) return null;
      // Mean of bool or int32 (an accuracy metric's mean of equal()) is a float32 mean, as tfjs's.
      const castFirst = op === REDUCE.Mean && (x.dtype === 'bool' || x.dtype === 'int32');
      if (x.dtype !== 'float32' && !castFirst) return null;
      let input = x;
      if (castFirst) {
        const xb = backend.bufferOf(x);
        const cast = backend.makeOutput(x.shape, 'float32');
        if (cast.buffer >= 0) backend.ops.cast(cast.buffer, xb, x.dtype as 'bool' | 'int32', 'float32', sizeOfShape(x.shape));
        input = cast.info;
      }
      try {
        // Max names its axes reductionIndices; the others axis.
        return reduceAxes(backend, input, attrs['axis'] ?? attrs['reductionIndices'], attrs['keepDims'] === true, (t, outer, reduce, inner, shape) => {
          const xb = backend.bufferOf(t);
          const out = backend.makeOutput(shape, 'float32');
          if (out.buffer >= 0) backend.ops.reduce(op, out.buffer, xb, outer, reduce, inner);
          return out.info;
        });
      } finally {
        if (input !== x) backend.disposeData(input.dataId);
      }
    },
  };
}

function argKernel(kernelName: string, isMax: boolean): DeviceKernelDef {
  return {
    kernelName,
    needs: ['arg_reduce', 'transpose'],
    run(inputs, attrs, backend) {
      const x = inputs['x']!;
      if (x.dtype !== 'float32' || !backend.onDevice(x)) return null;
      const axes = tf.util.parseAxisParam(attrs['axis'] as number, x.shape);
      if (axes.length !== 1) return null;
      return reduceAxes(backend, x, axes, false, (input, outer, reduce, inner, shape) => {
        const xb = backend.bufferOf(input);
        const out = backend.makeOutput(shape, 'int32');
        if (out.buffer >= 0) backend.ops.argReduce(isMax, out.buffer, xb, outer, reduce, inner);
        return out.info;
      });
    },
  };
}

const softmax: DeviceKernelDef = {
  kernelName: 'Softmax',
  needs: ['softmax'],
  run(inputs, attrs, backend) {
    const logits = inputs['logits']!;
    if (logits.dtype !== 'float32' || !backend.onDevice(logits) || logits.shape.length === 0) return null;
    const rank = logits.shape.length;
    const dim = attrs['dim'] as number;
    if (dim !== -1 && dim !== rank - 1) return null;
    const cols = logits.shape[rank - 1]!;
    const xb = backend.bufferOf(logits);
    const out = backend.makeOutput(logits.shape, 'float32');
    if (out.buffer >= 0) backend.ops.softmax(out.buffer, xb, sizeOfShape(logits.shape) / cols, cols);
    return out.info;
  },
};

const slice: DeviceKernelDef = {
  kernelName: 'Slice',
  needs: ['slice'],
  run(inputs, attrs, backend) {
    const x = inputs['x']!;
    if (!backend.onDevice(x) || x.shape.length > MAX_RANK || x.shape.length === 0) return null;
    const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, attrs['begin'] as number[], attrs['size'] as number[]) as [number[], number[]];
    tf.slice_util.assertParamsValid(x as unknown as tf.Tensor, begin, size);
    const xb = backend.bufferOf(x);
    const out = backend.makeOutput(size, x.dtype);
    if (out.buffer >= 0) backend.ops.slice(out.buffer, xb, ELEM_BYTES[x.dtype]!, x.shape, begin, size);
    return out.info;
  },
};

const transpose: DeviceKernelDef = {
  kernelName: 'Transpose',
  needs: ['transpose'],
  run(inputs, attrs, backend) {
    const x = inputs['x']!;
    if (!backend.onDevice(x) || x.shape.length > MAX_RANK) return null;
    return transposeOnDevice(backend, x, attrs['perm'] as number[]);
  },
};

export const REDUCE_KERNELS: readonly DeviceKernelDef[] = [
  reduceKernel('Sum', REDUCE.Sum),
  reduceKernel('Mean', REDUCE.Mean),
  reduceKernel('Max', REDUCE.Max),
  reduceKernel('Min', REDUCE.Min),
  reduceKernel('Prod', REDUCE.Prod),
  argKernel('ArgMax', true),
  argKernel('ArgMin', false),
  softmax,
  slice,
  transpose,
];
