// Shared pieces of the tfjs-kernels-*.test.ts files: run a kernel with the
// stock cpu kernels and with ours, and compare within the rounding error of a
// float32 sum.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

import { installNativeKernels, nativeKernelStats, uninstallNativeKernels } from '../../src/engine/tfjs/index.js';
import { mulberry32 } from './synthetic-journal.js';

/** Unit roundoff of float32. */
export const U = 2 ** -24;

let ready = false;
/** The cpu backend, quiet and without debug checks (once per test file). */
export async function setupTfjs(): Promise<void> {
  if (ready) return;
  tf.enableProdMode();
  await tf.setBackend('cpu');
  ready = true;
}

/** Deterministic pseudo-random numbers (mulberry32), so that every run tests the same cases. */
export const rng: (seed: number) => () => number = mulberry32;

export function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)]!;
}

export function randomTensor(r: () => number, shape: number[], lo = -1, hi = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + r() * (hi - lo);
  return tf.tensor(v, shape, 'float32');
}

/** Runs f with the stock kernels (ours uninstalled), then restores ours. */
export function withStock<T>(f: () => T): T {
  uninstallNativeKernels();
  try {
    return f();
  } finally {
    installNativeKernels();
  }
}

/** Runs a kernel by name through the engine (the way tfjs's ops do). */
export function run(kernel: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}): tf.Tensor {
  return tf.engine().runKernel(kernel, inputs as unknown as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
}

export function nativeCalls(kernel: string): number {
  return nativeKernelStats()?.kernels[kernel]?.native ?? 0;
}
export function fallbackCalls(kernel: string): number {
  return nativeKernelStats()?.kernels[kernel]?.fallback ?? 0;
}

/**
 * |ours - stock| <= 2·(terms + 2)·u·scale element-wise, where scale is the
 * same computation on |inputs| (Σ|a·b| per element) and terms the length of
 * the sums: both sides are within (terms + 2)·u·scale of the exact value,
 * whatever order they sum in.
 */
export function expectClose(ours: tf.Tensor, stock: tf.Tensor, scale: tf.Tensor, terms: number, what: string): void {
  expect(ours.shape, `${what}: shape`).toEqual(stock.shape);
  const a = ours.dataSync(), b = stock.dataSync(), s = scale.dataSync();
  let worst = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const tol = 2 * (terms + 2) * U * s[i]! + 1e-30;
    const excess = Math.abs(a[i]! - b[i]!) / tol;
    if (!(excess <= worst)) {
      worst = Number.isNaN(excess) ? Infinity : excess;
      at = i;
    }
  }
  expect(worst, `${what}: element ${at}: ours ${a[at]} stock ${b[at]} (scale ${s[at]})`).toBeLessThanOrEqual(1);
}

/**
 * Exactly the same bits, except that any NaN equals any NaN: NaN payloads and
 * signs are not specified by JavaScript (V8 and C++ on x86 pick them by
 * operand order) and tfjs makes no promise about them.
 */
export function expectSameBits(ours: tf.Tensor, stock: tf.Tensor, what: string): void {
  expect(ours.shape, `${what}: shape`).toEqual(stock.shape);
  expect(ours.dtype, `${what}: dtype`).toBe(stock.dtype);
  const a = ours.dataSync(), b = stock.dataSync();
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let diff = -1;
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) {
      diff = i;
      break;
    }
  }
  expect(diff, `${what}: first differing element ${diff}: ours ${a[diff]} stock ${b[diff]}`).toBe(-1);
}
