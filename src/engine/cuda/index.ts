// Registers the cuda engine's tfjs backend ('cuda') with this thread's tfjs:
// the backend (backend.ts) and, for EVERY kernel the cpu backend has, a cuda
// kernel: the device implementation where we have one (kernels/), else the
// host fallback (fallback.ts). Counters per kernel name say which ran, so a
// test can demand that a training step never leaves the device.
//
// The addon is passed in: the real one (src/engine/native.ts) on a GPU
// machine, the emulated one (addon.ts) in the tests.
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';

import type { NativeCudaAddon } from '../addon-types.js';
import { CudaBackend } from './backend.js';
import { runOnHost } from './fallback.js';
import { DEVICE_KERNELS } from './kernels/index.js';
import type { DeviceKernelDef, KernelArgs, KernelCounts } from './kernels/types.js';

export { CudaBackend } from './backend.js';
export type { KernelCounts } from './kernels/types.js';

export const CUDA_BACKEND_NAME = 'cuda';

interface Registered {
  addon: NativeCudaAddon;
  device: number;
  counts: Map<string, KernelCounts>;
  deviceKernels: string[];
}

let registered: Registered | null = null;

export interface RegisterCudaOptions {
  /** CUDA device ordinal (default 0). */
  device?: number;
  /** tfjs backend priority (default 0: never picked unless asked for by name). */
  priority?: number;
}

/**
 * Registers the 'cuda' backend and its kernels (idempotent per thread; a
 * second call with another addon is an error). Does not make it active:
 * `await tf.setBackend('cuda')` does. Returns the kernels served on the device.
 */
export function registerCudaBackend(addon: NativeCudaAddon, options: RegisterCudaOptions = {}): { deviceKernels: string[] } {
  const device = options.device ?? 0;
  if (registered) {
    if (registered.addon !== addon || registered.device !== device) {
      throw new Error('the cuda backend is already registered with another addon or device in this thread');
    }
    return { deviceKernels: [...registered.deviceKernels] };
  }
  const counts = new Map<string, KernelCounts>();
  const opNames = addon.cudaOps();
  const ops = new Set(opNames);
  const defs = new Map<string, DeviceKernelDef>();
  for (const def of DEVICE_KERNELS) {
    // A device kernel whose addon ops are missing (an older addon) is left to the fallback.
    if (def.needs.every((op) => ops.has(op))) defs.set(def.kernelName, def);
  }
  tf.registerBackend(CUDA_BACKEND_NAME, () => new CudaBackend(new addon.CudaContext(device), opNames), options.priority ?? 0);
  const deviceKernels: string[] = [];
  for (const cpu of tf.getKernelsForBackend('cpu')) {
    const c: KernelCounts = { device: 0, fallback: 0 };
    counts.set(cpu.kernelName, c);
    const def = defs.get(cpu.kernelName);
    if (def) deviceKernels.push(cpu.kernelName);
    const config: KernelConfig = {
      kernelName: cpu.kernelName,
      backendName: CUDA_BACKEND_NAME,
      kernelFunc: kernelFunc(def, cpu.kernelFunc, c),
    };
    if (tf.getKernel(cpu.kernelName, CUDA_BACKEND_NAME)) tf.unregisterKernel(cpu.kernelName, CUDA_BACKEND_NAME);
    tf.registerKernel(config);
  }
  registered = { addon, device, counts, deviceKernels };
  return { deviceKernels: [...deviceKernels] };
}

function kernelFunc(def: DeviceKernelDef | undefined, cpuKernel: KernelFunc, c: KernelCounts): KernelFunc {
  return (args: KernelArgs) => {
    const backend = args.backend as CudaBackend;
    if (def) {
      const out = def.run(args.inputs, args.attrs ?? {}, backend);
      if (out !== null) {
        c.device++;
        return out;
      }
    }
    c.fallback++;
    return runOnHost(cpuKernel, args, backend);
  };
}

/** Per kernel name, the calls served on the device and on the host since registration (or the last reset). */
export function cudaKernelCounts(): Record<string, KernelCounts> {
  const out: Record<string, KernelCounts> = {};
  if (!registered) return out;
  for (const [name, c] of registered.counts) if (c.device > 0 || c.fallback > 0) out[name] = { ...c };
  return out;
}

/** Kernel names that fell back to the host at least once since the last reset, with their counts. */
export function cudaFallbacks(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, c] of Object.entries(cudaKernelCounts())) if (c.fallback > 0) out[name] = c.fallback;
  return out;
}

export function resetCudaKernelCounts(): void {
  if (!registered) return;
  for (const c of registered.counts.values()) {
    c.device = 0;
    c.fallback = 0;
  }
}

/** The kernels that have a device implementation in the registered backend (empty before registration). */
export function cudaDeviceKernels(): string[] {
  return registered ? [...registered.deviceKernels] : [];
}
