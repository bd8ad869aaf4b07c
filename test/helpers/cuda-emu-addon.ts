// The emulated cuda addon (build/Release/hypersweep_cuda_emu.node: the CUDA
// tfjs kernels compiled for the host emulator) for the cuda-backend tests.
// Built here when missing or older than a native source, in its own build
// directory (build-cuda-emu/) so that build/'s CMake cache, which `npm ci` and
// `npx cmake-js compile` use, never gets the option. Incremental afterwards;
// a lock keeps two test files (or two runs) from building it at once.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

import { EMULATED_ADDON_FILE, emulatedCudaAddon } from '../../src/engine/cuda/addon.js';
import type { NativeCudaAddon } from '../../src/engine/addon-types.js';
import { ROOT } from './cli.js';

export const EMU_ADDON_PATH = join(ROOT, EMULATED_ADDON_FILE);
const BUILD_DIR = 'build-cuda-emu';
const NATIVE_SOURCE = /\.(h|cc|cpp|cu|cuh)$/;
const STALE_LOCK_MS = 10 * 60_000;

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'tests') newest = Math.max(newest, newestSource(path));
    } else if (NATIVE_SOURCE.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function upToDate(): boolean {
  if (!existsSync(EMU_ADDON_PATH)) return false;
  const built = statSync(EMU_ADDON_PATH).mtimeMs;
  return built >= newestSource(join(ROOT, 'native')) && built >= statSync(join(ROOT, 'CMakeLists.txt')).mtimeMs;
}

async function withBuildLock<T>(f: () => T): Promise<T> {
  const lock = join(ROOT, `${BUILD_DIR}.lock`);
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left by a killed run: a build takes well under a minute here.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) {
        rmdirSync(lock);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lock} held for 15 minutes: remove it if no build is running`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return f();
  } finally {
    rmdirSync(lock);
  }
}

/**
 * The emulated addon, built first when needed. A first build (hs_core, the
 * binding and the kernels at -O2, 23 steps) took 15 s of wall time here on 2
 * cores; later runs rebuild only what changed.
 */
export async function ensureEmulatedAddon(): Promise<NativeCudaAddon> {
  if (!upToDate()) {
    await withBuildLock(() => {
      if (upToDate()) return;
      const cmakeJs = join(ROOT, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
      execFileSync(
        process.execPath,
        [cmakeJs, 'compile', '--out', BUILD_DIR, '--target', 'hypersweep_cuda_emu', '--parallel', '2',
          '--CDHS_BUILD_CUDA_EMU_ADDON=ON', '--CDHS_WITH_CUDA=OFF'],
        { cwd: ROOT, stdio: 'pipe', maxBuffer: 64 * 1024 * 1024 },
      );
      // Ninja relinks only when an input of the addon changed: date it now so that
      // an unrelated native edit does not send every later run through cmake-js again.
      const now = new Date();
      utimesSync(EMU_ADDON_PATH, now, now);
    });
  }
  return emulatedCudaAddon();
}
