// The cuda engine's tfjs backend as a TensorStorage (emulated device):
// write/read/readSync round trips per dtype, reshape sharing one device
// buffer (refCount), device memory rising with live tensors and falling back
// when they go, no leak across a tf.tidy'd training step, the host fallback
// counted per kernel, and `--engine cuda` from the CLI without a GPU.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import type { CudaBackend } from '../src/engine/cuda/index.js';
import { cudaFallbacks, cudaKernelCounts, resetCudaKernelCounts } from '../src/engine/cuda/index.js';
import { runCli } from './helpers/cli.js';
import { on, setupCudaBackend } from './helpers/cuda-backend.js';
import { hasAddon, hasGpu } from './helpers/native.js';

function deviceBytes(): number {
  return (tf.memory() as tf.MemoryInfo & { numBytesInGPU: number }).numBytesInGPU;
}

describe('cuda backend storage (emulated device)', () => {
  let backend: CudaBackend;
  beforeAll(async () => {
    await setupCudaBackend();
    await on('cuda', () => undefined);
    backend = tf.backend() as CudaBackend;
  }, 900_000);

  it('round-trips float32, int32, bool and string tensors through the device', async () => {
    await on('cuda', async () => {
      const f = tf.tensor([1.5, -2, 3.25], [3], 'float32');
      const i = tf.tensor([7, -8, 9], [3], 'int32');
      const b = tf.tensor([1, 0, 1], [3], 'bool');
      const s = tf.tensor(['a', 'bc'], [2], 'string');
      // Through a device kernel (Add / Cast / LogicalNot), so values go up and come back down.
      const f2 = tf.add(f, 0);
      const i2 = tf.add(i, tf.scalar(0, 'int32'));
      const b2 = tf.logicalNot(tf.logicalNot(b));
      expect(Array.from(f2.dataSync())).toEqual([1.5, -2, 3.25]);
      expect(Array.from(await i2.data())).toEqual([7, -8, 9]);
      expect(Array.from(b2.dataSync())).toEqual([1, 0, 1]);
      expect(b2.dtype).toBe('bool');
      expect(s.arraySync()).toEqual(['a', 'bc']);
      tf.dispose([f, i, b, s, f2, i2, b2]);
    });
  });

  it('reshape shares the device buffer (refCount 2) until both tensors are disposed', async () => {
    await on('cuda', () => {
      const x = tf.add(tf.ones([2, 3]), 1); // an output on the device
      const y = x.reshape([3, 2]);
      expect(y.dataId).toBe(x.dataId);
      expect(backend.refCount(x.dataId)).toBe(2);
      x.dispose();
      expect(backend.refCount(y.dataId)).toBe(1);
      expect(Array.from(y.dataSync())).toEqual([2, 2, 2, 2, 2, 2]);
      y.dispose();
      expect(backend.refCount(y.dataId)).toBe(0);
    });
  });

  it('device memory rises with live tensors and falls back when they are disposed', async () => {
    await on('cuda', () => {
      const before = deviceBytes();
      const ids = backend.numDataIds();
      const a = tf.fill([256, 64], 0.5); // Fill on the device: 64 KiB
      const b = tf.relu(a);
      expect(deviceBytes() - before).toBe(2 * 256 * 64 * 4);
      expect(backend.numDataIds() - ids).toBe(2);
      tf.dispose([a, b]);
      expect(deviceBytes()).toBe(before);
      expect(backend.numDataIds()).toBe(ids);
      const m = backend.memory();
      expect(m.unreliable).toBe(false);
      expect(m.numBytesInGPUAllocated).toBeGreaterThanOrEqual(2 * 256 * 64 * 4); // the cache keeps the blocks
    });
  });

  it('a tf.tidy of a training step leaves no tensor and no device byte behind', async () => {
    await on('cuda', () => {
      const w = tf.variable(tf.randomNormal([16, 4], 0, 0.1, 'float32', 3));
      const x = tf.randomNormal([8, 16], 0, 1, 'float32', 4);
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32'), 4).toFloat();
      const opt = tf.train.adam(0.01);
      const step = (): void => {
        tf.tidy(() => {
          opt.minimize(() => tf.losses.softmaxCrossEntropy(y, tf.matMul(x, w)) as tf.Scalar);
        });
      };
      step(); // creates Adam's slots
      const tensors = tf.memory().numTensors;
      const bytes = deviceBytes();
      for (let k = 0; k < 3; k++) step();
      expect(tf.memory().numTensors).toBe(tensors);
      expect(deviceBytes()).toBe(bytes);
      opt.dispose();
      tf.dispose([w, x, y]);
    });
  });

  it('counts a kernel without a device implementation as a fallback, per kernel name, and gives the cpu result', async () => {
    resetCudaKernelCounts();
    const expected = await on('cpu', () => tf.cumsum(tf.tensor1d([1, 2, 3, 4])).arraySync());
    const got = await on('cuda', () => tf.cumsum(tf.tensor1d([1, 2, 3, 4])).arraySync());
    expect(got).toEqual(expected);
    expect(cudaFallbacks()).toEqual({ Cumsum: 1 });
    expect(cudaKernelCounts()['Cumsum']).toEqual({ device: 0, fallback: 1 });
  });
});

describe('--engine cuda from the CLI without a GPU', () => {
  it.skipIf(!hasAddon || hasGpu)('is one clear error with the hint, and a non-zero exit', () => {
    const r = runCli(['trial', 'cnn-light', '--engine', 'cuda', '--epochs', '1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--engine cuda was asked for but (no CUDA device is visible|this build of the native addon has no CUDA kernels)/);
    expect(r.stderr).toMatch(/--engine native/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });
});
