// Resolves the user's --device choice against what the loaded addon can do.
import { Errors } from '../errors.js';
import type { BuildInfo, CudaInfo, DeviceName } from './addon-types.js';
import { addon, buildInfo } from './native.js';

export type DeviceRequest = 'auto' | DeviceName;
export const DEVICE_REQUESTS: readonly DeviceRequest[] = ['auto', 'cpu', 'cuda'];

export function parseDeviceRequest(value: string): DeviceRequest {
  if (!(DEVICE_REQUESTS as readonly string[]).includes(value)) throw Errors.unknownDevice(value);
  return value as DeviceRequest;
}

/**
 * auto = cuda when the addon was built with the CUDA kernels and a GPU is
 * visible, else cpu. cuda when it cannot run is an error, never a silent cpu run.
 * `info` is injectable for tests; by default the addon is asked.
 */
export function resolveDevice(request: DeviceRequest, info: BuildInfo = buildInfo()): DeviceName {
  const cudaUsable = info.cudaCompiled && info.cudaDevices > 0;
  switch (request) {
    case 'cpu':
      return 'cpu';
    case 'auto':
      return cudaUsable ? 'cuda' : 'cpu';
    case 'cuda':
      if (!info.cudaCompiled) {
        throw Errors.cudaUnavailable('this build of the native addon has no CUDA kernels (built without nvcc, or with HS_WITH_CUDA=OFF)');
      }
      if (info.cudaDevices <= 0) throw Errors.cudaUnavailable('no CUDA device is visible');
      return 'cuda';
  }
}

/**
 * The cuda engine (CNN trials, issue 15) needs the addon's CUDA kernels (an
 * nvcc build, not the tests' host emulation) and a visible GPU; otherwise one
 * clear error. `info` is injectable for tests; by default the addon is asked.
 */
export function checkCudaEngine(info?: CudaInfo): CudaInfo {
  const i = info ?? cudaInfoOfAddon();
  if (!i.compiled || i.emulated) {
    throw Errors.cudaEngineUnavailable('this build of the native addon has no CUDA kernels (built without nvcc, or with HS_WITH_CUDA=OFF)');
  }
  if (i.devices <= 0) throw Errors.cudaEngineUnavailable('no CUDA device is visible');
  return i;
}

function cudaInfoOfAddon(): CudaInfo {
  const a = addon();
  // An addon built before the cuda engine existed has no cudaInfo: it has no CUDA tfjs kernels either.
  if (typeof a.cudaInfo !== 'function') return { compiled: false, emulated: false, devices: 0, deviceName: null };
  return a.cudaInfo();
}
