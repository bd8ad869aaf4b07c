// Shared pieces of the cuda-backend-*.test.ts files: the cuda engine's tfjs
// backend on the emulated addon (the CUDA kernels' source on the host
// emulator, test/helpers/cuda-emu-addon.ts), and running the same thing on
// tfjs's cpu backend and on it.
import * as tf from '@tensorflow/tfjs';

import { CUDA_BACKEND_NAME, registerCudaBackend } from '../../src/engine/cuda/index.js';
import { ensureEmulatedAddon } from './cuda-emu-addon.js';

let ready = false;

/** Builds (if needed) and loads the emulated addon, registers the 'cuda' backend on it. */
export async function setupCudaBackend(): Promise<void> {
  if (ready) return;
  const addon = await ensureEmulatedAddon();
  tf.enableProdMode();
  registerCudaBackend(addon);
  ready = true;
}

/** Runs f with `backend` active (tensors made inside live there). */
export async function on<T>(backend: 'cpu' | typeof CUDA_BACKEND_NAME, f: () => T | Promise<T>): Promise<T> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialise`);
  return f();
}

/** The largest |a[i] - b[i]| (NaN where exactly one side is NaN counts as Infinity). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity;
      continue;
    }
    if (x === y) continue; // infinities of the same sign
    worst = Math.max(worst, Math.abs(x - y));
  }
  return worst;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]!)) m = Math.max(m, Math.abs(a[i]!));
  return m;
}
