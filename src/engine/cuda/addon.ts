// The addon the cuda engine runs on: the real one (build/Release/hypersweep.node
// or the prebuild, through native.ts) with its nvcc-compiled kernels, or the
// emulated one (build/Release/hypersweep_cuda_emu.node: the same kernel source
// on the host emulator, built only for the tests by CMake's
// HS_BUILD_CUDA_EMU_ADDON, see test/helpers/cuda-emu-addon.ts).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Errors } from '../../errors.js';
import type { NativeCudaAddon } from '../addon-types.js';
import { addon } from '../native.js';

const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Where the emulated addon is built, relative to the package root. */
export const EMULATED_ADDON_FILE = join('build', 'Release', 'hypersweep_cuda_emu.node');

let emulated: NativeCudaAddon | undefined;

/** The emulated addon (tests); E_ADDON_MISSING with the build command when it is not built. */
export function emulatedCudaAddon(): NativeCudaAddon {
  if (emulated) return emulated;
  const file = join(PACKAGE_ROOT, EMULATED_ADDON_FILE);
  try {
    emulated = createRequire(import.meta.url)(file) as NativeCudaAddon;
  } catch (err) {
    throw Errors.addonMissing(file, err instanceof Error ? err : new Error(String(err)));
  }
  return emulated;
}

/** The real addon's cuda part. */
export function realCudaAddon(): NativeCudaAddon {
  return addon();
}
