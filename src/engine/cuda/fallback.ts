// The host fallback of the cuda engine: a kernel with no device
// implementation (or a case its device kernel does not handle) runs as tfjs's
// cpu backend runs it, on a private cpu backend instance: the inputs are
// downloaded into it, the cpu kernel runs, and its outputs are written back
// as new tensors of the cuda backend (uploaded when a device kernel needs
// them). Correct but slow: every call crosses PCIe twice, so each one is
// counted (kernelCounts) and the tests fail a training step that has any.
import * as tf from '@tensorflow/tfjs';
import type { DataId, KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs';

import type { BackendValues, CudaBackend } from './backend.js';

type KernelArgs = Parameters<KernelFunc>[0];
type KernelResult = TensorInfo | TensorInfo[];

/** The cpu backend's data methods the fallback uses (MathBackendCPU). */
interface HostBackend extends KernelBackend {
  write(values: BackendValues, shape: number[], dtype: tf.DataType): DataId;
}

let host: HostBackend | null = null;

/** A cpu backend of our own, not the engine's registered one (whose registry entry may be active or absent). */
function hostBackend(): HostBackend {
  if (host) return host;
  const factory = tf.findBackendFactory('cpu');
  if (!factory) throw new Error('cuda backend: the tfjs cpu backend (for the host fallback) is not registered');
  const made = factory();
  if (made instanceof Promise) throw new Error('cuda backend: the tfjs cpu backend initialises asynchronously');
  // Its "install tfjs-node" banner would print at its first write: it is not the user's backend.
  (made as unknown as { firstUse?: boolean }).firstUse = false;
  host = made as HostBackend;
  return host;
}

/** Runs the cpu kernel `cpuKernel` on the host copies of the inputs; returns cuda-backend tensors. */
export function runOnHost(cpuKernel: KernelFunc, args: KernelArgs, backend: CudaBackend): KernelResult {
  const cpu = hostBackend();
  const created: DataId[] = [];
  try {
    const inputs: tf.NamedTensorInfoMap = {};
    for (const [name, t] of Object.entries(args.inputs)) {
      if (t === undefined) continue;
      const dataId = cpu.write(backend.readSync(t.dataId), t.shape, t.dtype);
      created.push(dataId);
      inputs[name] = { dataId, shape: t.shape, dtype: t.dtype };
    }
    const out = cpuKernel({ inputs, attrs: args.attrs ?? {}, backend: cpu }) as KernelResult;
    const outs = Array.isArray(out) ? out : [out];
    const results = outs.map((o) => {
      // An output may share an input's data (identity-like kernels): copy either way.
      const values = cpu.readSync(o.dataId) as BackendValues;
      if (!created.includes(o.dataId)) created.push(o.dataId);
      return backend.makeTensorInfo(o.shape, o.dtype, values);
    });
    return Array.isArray(out) ? results : results[0]!;
  } finally {
    for (const dataId of created) cpu.disposeData(dataId, true);
  }
}
