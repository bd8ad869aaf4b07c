// Our addon's kernels under TensorFlow.js's cpu backend (the "native" engine).
//
// installNativeKernels() swaps the heavy kernels of tfjs's registry for ours:
// the convolutions and their gradients (im2col + our GEMM), max pooling, the
// matrix products and the element-wise ops a Layers training step spends its
// time in. Each keeps the stock kernel as its fallback for what it does not
// handle (int32, NCHW, dilations, other fused activations, other broadcasts).
//
// tfjs's kernel registry and backends are per JS thread: every worker thread
// (Piscina worker) calls installNativeKernels itself. Within a thread it is
// idempotent.
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig } from '@tensorflow/tfjs';

import { Errors } from '../../errors.js';
import { addon, MAX_THREADS } from '../native.js';
import { OutputPool } from './buffer-pool.js';
import type { OutputPoolStats } from './buffer-pool.js';
import { asCpuBackend } from './cpu-backend.js';
import { makeKernelFunc } from './kernels/context.js';
import type { KernelContext, KernelCounts, NativeKernelDef } from './kernels/context.js';
import { conv2DBackpropFilterKernel, conv2DBackpropInputKernel, conv2DKernel, fusedConv2DKernel } from './kernels/conv.js';
import { addKernel, multiplyKernel, reluKernel, stepKernel, subKernel } from './kernels/elementwise.js';
import { gatherV2Kernel } from './kernels/gather.js';
import { batchMatMulKernel, fusedMatMulKernel } from './kernels/matmul.js';
import { maxPoolGradKernel, maxPoolKernel } from './kernels/pool.js';
import { sumKernel } from './kernels/reduce.js';

export type { OutputPoolStats } from './buffer-pool.js';
export type { KernelCounts } from './kernels/context.js';

/** Every kernel we can replace, in registration order. */
const KERNELS: readonly NativeKernelDef[] = [
  conv2DKernel,
  fusedConv2DKernel,
  conv2DBackpropFilterKernel,
  conv2DBackpropInputKernel,
  maxPoolKernel,
  maxPoolGradKernel,
  batchMatMulKernel,
  fusedMatMulKernel,
  sumKernel,
  addKernel,
  subKernel,
  multiplyKernel,
  reluKernel,
  stepKernel,
  gatherV2Kernel,
];

export const NATIVE_KERNEL_NAMES: readonly string[] = KERNELS.map((k) => k.kernelName);

export interface NativeKernelOptions {
  /** Native threads per kernel call (default: the current setting, initially 1). */
  threads?: number;
  /**
   * Recycle the output arrays of disposed tensors (default true). Off: every
   * output is a fresh allocation, as with the stock kernels (slower).
   */
  reuseBuffers?: boolean;
  /** Most idle memory the recycled arrays may hold in this thread (default 256 MiB). */
  maxIdleBytes?: number;
}

export interface NativeKernelStats {
  /** Per kernel name: calls served natively and calls handed to the stock kernel. */
  kernels: Record<string, KernelCounts>;
  pool: OutputPoolStats;
}

interface Installed {
  ctx: KernelContext;
  originals: Map<string, KernelConfig>;
  replaced: string[];
}

const DEFAULT_IDLE_BYTES = 256 * 1024 * 1024;
let threadSetting = 1;
let installed: Installed | null = null;

function checkThreads(fn: string, threads: unknown): number {
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw Errors.addonArgument(fn, 'threads', `an integer in [1, ${MAX_THREADS}]`, threads);
  }
  return threads;
}

/**
 * Replaces tfjs's cpu kernels in this thread by ours and makes 'cpu' the
 * active backend. Idempotent: a second call only applies `threads`.
 * Throws E_ADDON_MISSING without the addon, E_TFJS_BACKEND when the cpu
 * backend cannot be made active.
 */
export function installNativeKernels(options: NativeKernelOptions = {}): { replaced: string[] } {
  const fn = 'installNativeKernels';
  if (typeof options !== 'object' || options === null) throw Errors.addonArgument(fn, 'options', 'an object', options);
  if (options.threads !== undefined) threadSetting = checkThreads(fn, options.threads);
  if (options.reuseBuffers !== undefined && typeof options.reuseBuffers !== 'boolean') {
    throw Errors.addonArgument(fn, 'reuseBuffers', 'a boolean', options.reuseBuffers);
  }
  const maxIdle = options.maxIdleBytes ?? DEFAULT_IDLE_BYTES;
  if (typeof maxIdle !== 'number' || !Number.isFinite(maxIdle) || maxIdle < 0) {
    throw Errors.addonArgument(fn, 'maxIdleBytes', 'a number >= 0', maxIdle);
  }
  if (installed) {
    installed.ctx.threads = threadSetting;
    return { replaced: [...installed.replaced] };
  }
  addon(); // E_ADDON_MISSING now rather than at the first kernel call
  if (tf.getBackend() !== 'cpu') {
    // For the cpu backend, setBackend does its work synchronously (no async
    // initialisation); the promise only reports it.
    void tf.setBackend('cpu');
  }
  const backend = tf.getBackend() === 'cpu' ? asCpuBackend(tf.backend()) : null;
  if (!backend) throw Errors.tfjsBackend(`the active backend is ${String(tf.getBackend())}, and 'cpu' could not be set`);

  const pool = new OutputPool(backend, maxIdle, options.reuseBuffers ?? true);
  const ctx: KernelContext = { threads: threadSetting, pool, counts: new Map() };
  const originals = new Map<string, KernelConfig>();
  const replaced: string[] = [];
  for (const def of KERNELS) {
    const original = tf.getKernel(def.kernelName, 'cpu');
    if (!original) continue; // not in this tfjs version: nothing to replace
    const kernelFunc = makeKernelFunc(def, ctx, original.kernelFunc);
    tf.unregisterKernel(def.kernelName, 'cpu');
    tf.registerKernel({ ...original, kernelFunc });
    originals.set(def.kernelName, original);
    replaced.push(def.kernelName);
  }
  pool.attach();
  installed = { ctx, originals, replaced };
  return { replaced: [...replaced] };
}

/** Puts the stock kernels back (tests compare against them). No-op when not installed. */
export function uninstallNativeKernels(): void {
  if (!installed) return;
  for (const [name, original] of installed.originals) {
    if (tf.getKernel(name, 'cpu')) tf.unregisterKernel(name, 'cpu');
    tf.registerKernel(original);
  }
  installed.ctx.pool.detach();
  installed = null;
}

/** Threads of every later kernel call in this thread (also before install). */
export function setNativeKernelThreads(threads: number): void {
  threadSetting = checkThreads('setNativeKernelThreads', threads);
  if (installed) installed.ctx.threads = threadSetting;
}

export function nativeKernelThreads(): number {
  return threadSetting;
}

export function nativeKernelsInstalled(): boolean {
  return installed !== null;
}

/** How often each kernel ran natively or fell back, and the output pool's figures (null when not installed). */
export function nativeKernelStats(): NativeKernelStats | null {
  if (!installed) return null;
  const kernels: Record<string, KernelCounts> = {};
  for (const [name, c] of installed.ctx.counts) kernels[name] = { ...c };
  return { kernels, pool: installed.ctx.pool.stats() };
}
