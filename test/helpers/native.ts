// Whether the native addon (and a GPU) are here, for skipIf with a visible reason.
import { addonAvailable, buildInfo } from '../../src/engine/native.js';

export const hasAddon = addonAvailable();
export const gpu = hasAddon ? buildInfo() : null;
export const hasGpu = gpu !== null && gpu.cudaCompiled && gpu.cudaDevices > 0;
export const noGpuReason = !hasAddon
  ? 'native addon not built'
  : !gpu?.cudaCompiled
    ? 'addon built without CUDA'
    : 'no CUDA device visible';
