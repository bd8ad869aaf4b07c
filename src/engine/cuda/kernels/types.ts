// What a device kernel of the cuda engine is: a tfjs kernel body that runs on
// the addon's CUDA ops, or declines (returns null) for a case it does not
// handle, which then runs through the host fallback and is counted as one.
import type { KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

import type { CudaBackend } from '../backend.js';

export type KernelArgs = Parameters<KernelFunc>[0];

export interface DeviceKernelDef {
  kernelName: string;
  /** The addon's CUDA ops it calls (NativeAddon.cudaOps); without them it is not registered. */
  needs: readonly string[];
  run(inputs: NamedTensorInfoMap, attrs: NamedAttrMap, backend: CudaBackend): TensorInfo | TensorInfo[] | null;
}

export interface KernelCounts {
  /** Calls served by a device kernel. */
  device: number;
  /** Calls run on the host through the cpu backend's kernel. */
  fallback: number;
}
