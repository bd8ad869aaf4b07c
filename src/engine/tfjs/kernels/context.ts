// What every native kernel gets: the thread count, the output pool of the cpu
// backend it serves, and counters of how often it ran natively or fell back.
import type { KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

import type { OutputPool } from '../buffer-pool.js';
import type { CpuBackend } from '../cpu-backend.js';

export interface KernelCounts {
  native: number;
  fallback: number;
}

export interface KernelContext {
  /** Native threads per kernel call (setNativeKernelThreads). */
  threads: number;
  readonly pool: OutputPool;
  readonly counts: Map<string, KernelCounts>;
}

export type KernelArgs = Parameters<KernelFunc>[0];

/**
 * A native kernel: returns its output, or null to let the stock kernel run
 * (a dtype, layout or attribute it does not handle).
 */
export type NativeKernelBody = (
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap,
  backend: CpuBackend,
  ctx: KernelContext,
) => TensorInfo | null;

export interface NativeKernelDef {
  kernelName: string;
  body: NativeKernelBody;
}

/** The tfjs KernelFunc of a native kernel with the stock one as its fallback. */
export function makeKernelFunc(def: NativeKernelDef, ctx: KernelContext, fallback: KernelFunc): KernelFunc {
  let counts = ctx.counts.get(def.kernelName);
  if (!counts) {
    counts = { native: 0, fallback: 0 };
    ctx.counts.set(def.kernelName, counts);
  }
  const c = counts;
  return (args: KernelArgs) => {
    // Only the backend instance whose data map our pool knows (a re-created
    // cpu backend, after tf.removeBackend, gets the stock kernels).
    const out = args.backend === ctx.pool.backend ? def.body(args.inputs, args.attrs ?? {}, ctx.pool.backend, ctx) : null;
    if (out) {
      c.native++;
      return out;
    }
    c.fallback++;
    return fallback(args);
  };
}
