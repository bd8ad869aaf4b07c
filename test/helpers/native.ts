// Whether the native addon (and a GPU) are here, for skipIf with a visible reason.
import { expect } from 'vitest';

import { addonAvailable, buildInfo } from '../../src/engine/native.js';
import { HypersweepError } from '../../src/errors.js';

export const hasAddon = addonAvailable();
export const gpu = hasAddon ? buildInfo() : null;
export const hasGpu = gpu !== null && gpu.cudaCompiled && gpu.cudaDevices > 0;
export const noGpuReason = !hasAddon
  ? 'native addon not built'
  : !gpu?.cudaCompiled
    ? 'addon built without CUDA'
    : 'no CUDA device visible';

/** `fn` throws the addon-argument error (E_ADDON_ARGUMENT) with a message matching `text`. */
export function expectArgError(fn: () => unknown, text: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(HypersweepError);
  expect((error as HypersweepError).code).toBe('E_ADDON_ARGUMENT');
  expect((error as HypersweepError).message).toMatch(text);
}
