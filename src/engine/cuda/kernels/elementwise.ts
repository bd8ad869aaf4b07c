// Element-wise kernels on the device: unary math, broadcasting binary ops,
// comparisons and logic, Select, Cast, Fill/OnesLike. float32 (and int32
// where the op has an int32 kernel); any other dtype, or a rank above 6,
// declines and runs through the host fallback.
import * as tf from '@tensorflow/tfjs';
import type { DataType, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

import { sizeOfShape } from '../backend.js';
import { BINARY, COMPARE, LOGICAL, MAX_RANK, UNARY } from '../device-ops.js';
import type { DeviceDtype } from '../device-ops.js';
import type { DeviceKernelDef } from './types.js';

function isDeviceDtype(d: DataType): d is DeviceDtype {
  return d === 'float32' || d === 'int32' || d === 'bool';
}

function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  if (a.length > MAX_RANK || b.length > MAX_RANK) return null;
  try {
    return tf.backend_util.assertAndGetBroadcastShape(a as number[], b as number[]);
  } catch {
    return null; // the cpu kernel throws tfjs's own error
  }
}

function unaryKernel(kernelName: string, op: number, params: (attrs: NamedAttrMap) => [number, number] = () => [0, 0]): DeviceKernelDef {
  return {
    kernelName,
    needs: ['unary'],
    run(inputs, attrs, backend) {
      const x = inputs['x']!;
      if (x.dtype !== 'float32' || !backend.onDevice(x)) return null;
      const xb = backend.bufferOf(x);
      const out = backend.makeOutput(x.shape, 'float32');
      const [alpha, beta] = params(attrs);
      if (out.buffer >= 0) backend.ops.unary(op, out.buffer, xb, sizeOfShape(x.shape), alpha, beta);
      return out.info;
    },
  };
}

const UNARY_KERNELS: DeviceKernelDef[] = [
  unaryKernel('Neg', UNARY.Neg),
  unaryKernel('Abs', UNARY.Abs),
  unaryKernel('Exp', UNARY.Exp),
  unaryKernel('Log', UNARY.Log),
  unaryKernel('Log1p', UNARY.Log1p),
  unaryKernel('Sqrt', UNARY.Sqrt),
  unaryKernel('Rsqrt', UNARY.Rsqrt),
  unaryKernel('Square', UNARY.Square),
  unaryKernel('Reciprocal', UNARY.Reciprocal),
  unaryKernel('Sigmoid', UNARY.Sigmoid),
  unaryKernel('Tanh', UNARY.Tanh),
  unaryKernel('Relu', UNARY.Relu),
  unaryKernel('Relu6', UNARY.Relu6),
  unaryKernel('LeakyRelu', UNARY.LeakyRelu, (a) => [Number(a['alpha'] ?? 0.2), 0]),
  unaryKernel('Elu', UNARY.Elu),
  unaryKernel('Step', UNARY.Step, (a) => [Number(a['alpha'] ?? 0), 0]),
  unaryKernel('ClipByValue', UNARY.ClipByValue, (a) => [Number(a['clipValueMin']), Number(a['clipValueMax'])]),
  unaryKernel('Sign', UNARY.Sign),
  unaryKernel('Floor', UNARY.Floor),
  unaryKernel('Ceil', UNARY.Ceil),
  unaryKernel('Round', UNARY.Round),
  unaryKernel('Softplus', UNARY.Softplus),
];

/** Ops with an int32 kernel too (tfjs_ops.h: binary_i32). */
const INT32_BINARY = new Set<number>([BINARY.Add, BINARY.Sub, BINARY.Mul, BINARY.Maximum, BINARY.Minimum]);

function binaryKernel(kernelName: string, op: number): DeviceKernelDef {
  return {
    kernelName,
    needs: ['binary'],
    run(inputs, _attrs, backend) {
      const a = inputs['a']!;
      const b = inputs['b']!;
      if (a.dtype !== b.dtype || !backend.onDevice(a) || !backend.onDevice(b)) return null;
      const int32 = a.dtype === 'int32';
      if (!(a.dtype === 'float32' || (int32 && INT32_BINARY.has(op)))) return null;
      const shape = broadcastShape(a.shape, b.shape);
      if (!shape) return null;
      const ab = backend.bufferOf(a);
      const bb = backend.bufferOf(b);
      const out = backend.makeOutput(shape, a.dtype);
      if (out.buffer >= 0) backend.ops.binary(op, int32, out.buffer, ab, a.shape, bb, b.shape);
      return out.info;
    },
  };
}

const BINARY_KERNELS: DeviceKernelDef[] = [
  binaryKernel('Add', BINARY.Add),
  binaryKernel('Sub', BINARY.Sub),
  binaryKernel('Multiply', BINARY.Mul),
  binaryKernel('RealDiv', BINARY.Div),
  binaryKernel('Maximum', BINARY.Maximum),
  binaryKernel('Minimum', BINARY.Minimum),
  binaryKernel('Pow', BINARY.Pow),
  binaryKernel('SquaredDifference', BINARY.SquaredDifference),
];

function compareKernel(kernelName: string, op: number): DeviceKernelDef {
  return {
    kernelName,
    needs: ['compare'],
    run(inputs, _attrs, backend) {
      const a = inputs['a']!;
      const b = inputs['b']!;
      if (a.dtype !== b.dtype || (a.dtype !== 'float32' && a.dtype !== 'int32')) return null;
      if (!backend.onDevice(a) || !backend.onDevice(b)) return null;
      const shape = broadcastShape(a.shape, b.shape);
      if (!shape) return null;
      const ab = backend.bufferOf(a);
      const bb = backend.bufferOf(b);
      const out = backend.makeOutput(shape, 'bool');
      if (out.buffer >= 0) backend.ops.compare(op, a.dtype === 'int32', out.buffer, ab, a.shape, bb, b.shape);
      return out.info;
    },
  };
}

const COMPARE_KERNELS: DeviceKernelDef[] = [
  compareKernel('Equal', COMPARE.Equal),
  compareKernel('NotEqual', COMPARE.NotEqual),
  compareKernel('Greater', COMPARE.Greater),
  compareKernel('GreaterEqual', COMPARE.GreaterEqual),
  compareKernel('Less', COMPARE.Less),
  compareKernel('LessEqual', COMPARE.LessEqual),
];

function logicalKernel(kernelName: string, op: number): DeviceKernelDef {
  return {
    kernelName,
    needs: ['logical'],
    run(inputs, _attrs, backend) {
      const a = inputs['a']!;
      const b = inputs['b']!;
      if (a.dtype !== 'bool' || b.dtype !== 'bool' || !backend.onDevice(a) || !backend.onDevice(b)) return null;
      const shape = broadcastShape(a.shape, b.shape);
      if (!shape) return null;
      const ab = backend.bufferOf(a);
      const bb = backend.bufferOf(b);
      const out = backend.makeOutput(shape, 'bool');
      if (out.buffer >= 0) backend.ops.logical(op, out.buffer, ab, a.shape, bb, b.shape);
      return out.info;
    },
  };
}

const logicalNot: DeviceKernelDef = {
  kernelName: 'LogicalNot',
  needs: ['logical_not'],
  run(inputs, _attrs, backend) {
    const x = inputs['x']!;
    if (x.dtype !== 'bool' || !backend.onDevice(x)) return null;
    const xb = backend.bufferOf(x);
    const out = backend.makeOutput(x.shape, 'bool');
    if (out.buffer >= 0) backend.ops.logicalNot(out.buffer, xb, sizeOfShape(x.shape));
    return out.info;
  },
};

/**
 * tf.where(condition, t, e) with the three of one shape. A rank-1 condition
 * over higher-rank t is left to the cpu kernel: tfjs 4.22's cpu Select then
 * reads t[i] and e[i] for row i (not the row's elements), and the device must
 * give what the cpu backend gives.
 */
const select: DeviceKernelDef = {
  kernelName: 'Select',
  needs: ['select'],
  run(inputs, _attrs, backend) {
    const c = inputs['condition']!;
    const t = inputs['t']!;
    const e = inputs['e']!;
    if (c.dtype !== 'bool' || t.dtype !== 'float32' || e.dtype !== 'float32') return null;
    if (!backend.onDevice(c) || !backend.onDevice(t) || !backend.onDevice(e) || t.shape.length > MAX_RANK) return null;
    const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
    if (!same(c.shape, t.shape) || !same(t.shape, e.shape)) return null;
    const cb = backend.bufferOf(c);
    const tb = backend.bufferOf(t);
    const eb = backend.bufferOf(e);
    const out = backend.makeOutput(t.shape, 'float32');
    if (out.buffer >= 0) backend.ops.select(out.buffer, cb, c.shape, tb, t.shape, eb, e.shape);
    return out.info;
  },
};

const cast: DeviceKernelDef = {
  kernelName: 'Cast',
  needs: ['cast'],
  run(inputs, attrs, backend): TensorInfo | null {
    const x = inputs['x']!;
    const to = attrs['dtype'] as DataType;
    if (!isDeviceDtype(x.dtype) || !isDeviceDtype(to) || !backend.onDevice(x)) return null;
    if (to === x.dtype) return backend.share(x, x.shape); // as tfjs: the same data
    const xb = backend.bufferOf(x);
    const out = backend.makeOutput(x.shape, to);
    if (out.buffer >= 0) backend.ops.cast(out.buffer, xb, x.dtype, to, sizeOfShape(x.shape));
    return out.info;
  },
};

const onesLike: DeviceKernelDef = {
  kernelName: 'OnesLike',
  needs: ['fill'],
  run(inputs, _attrs, backend) {
    const x = inputs['x']!;
    if (!isDeviceDtype(x.dtype)) return null;
    const out = backend.makeOutput(x.shape, x.dtype);
    if (out.buffer >= 0) backend.ops.fill(out.buffer, x.dtype, sizeOfShape(x.shape), 1);
    return out.info;
  },
};

const fill: DeviceKernelDef = {
  kernelName: 'Fill',
  needs: ['fill'],
  run(_inputs, attrs, backend) {
    const shape = attrs['shape'] as number[];
    const value = attrs['value'];
    const dtype = (attrs['dtype'] as DataType | undefined) ?? 'float32';
    if (!isDeviceDtype(dtype) || typeof value !== 'number') return null;
    const out = backend.makeOutput(shape, dtype);
    if (out.buffer >= 0) backend.ops.fill(out.buffer, dtype, sizeOfShape(shape), value);
    return out.info;
  },
};

export const ELEMENTWISE_KERNELS: readonly DeviceKernelDef[] = [
  ...UNARY_KERNELS,
  ...BINARY_KERNELS,
  ...COMPARE_KERNELS,
  logicalKernel('LogicalAnd', LOGICAL.And),
  logicalKernel('LogicalOr', LOGICAL.Or),
  logicalNot,
  select,
  cast,
  onesLike,
  fill,
];
