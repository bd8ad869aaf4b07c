// installNativeKernels / uninstallNativeKernels / setNativeKernelThreads, the
// recycling of output arrays (never one whose values escaped: dataSync,
// views made by stock kernels, reshapes), and the argument checks of the thin
// layer over the addon.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  installNativeKernels,
  NATIVE_KERNEL_NAMES,
  nativeKernelsInstalled,
  nativeKernelStats,
  nativeKernelThreads,
  setNativeKernelThreads,
  uninstallNativeKernels,
} from '../src/engine/tfjs/index.js';
import * as ops from '../src/engine/tfjs/native-ops.js';
import { expectArgError, hasAddon } from './helpers/native.js';
import { randomTensor, rng, setupTfjs } from './helpers/tfjs-kernels.js';


const REQUIRED = [
  'Conv2D', 'FusedConv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPool', 'MaxPoolGrad', 'BatchMatMul',
  '_FusedMatMul', 'Sum', 'Add', 'Sub', 'Multiply', 'Relu', 'Step', 'GatherV2',
];

describe.skipIf(!hasAddon)('installNativeKernels (skipped: native addon not built)', () => {
  beforeAll(async () => {
    await setupTfjs();
  });
  afterAll(() => uninstallNativeKernels());

  it('replaces the kernels, is idempotent, and uninstall restores the stock ones', () => {
    uninstallNativeKernels();
    const stock = new Map(REQUIRED.map((k) => [k, tf.getKernel(k, 'cpu')!.kernelFunc]));
    const { replaced } = installNativeKernels({ threads: 2 });
    expect([...replaced].sort()).toEqual([...REQUIRED].sort());
    expect([...NATIVE_KERNEL_NAMES].sort()).toEqual([...REQUIRED].sort());
    expect(tf.getBackend()).toBe('cpu');
    expect(nativeKernelsInstalled()).toBe(true);
    const ours = new Map(REQUIRED.map((k) => [k, tf.getKernel(k, 'cpu')!.kernelFunc]));
    for (const k of REQUIRED) expect(ours.get(k), k).not.toBe(stock.get(k));

    // A second call changes nothing but the thread count.
    expect(installNativeKernels({ threads: 3 }).replaced).toEqual(replaced);
    expect(nativeKernelThreads()).toBe(3);
    for (const k of REQUIRED) expect(tf.getKernel(k, 'cpu')!.kernelFunc, k).toBe(ours.get(k));

    uninstallNativeKernels();
    expect(nativeKernelsInstalled()).toBe(false);
    expect(nativeKernelStats()).toBeNull();
    for (const k of REQUIRED) expect(tf.getKernel(k, 'cpu')!.kernelFunc, k).toBe(stock.get(k));
    // The backend's own methods are back (no hooks left on the instance).
    expect(Object.prototype.hasOwnProperty.call(tf.backend(), 'disposeData')).toBe(false);
    uninstallNativeKernels(); // a second uninstall is a no-op
  });

  it('checks thread counts', () => {
    expectArgError(() => setNativeKernelThreads(0), /setNativeKernelThreads: argument threads must be an integer in \[1, 1024\]/);
    expectArgError(() => setNativeKernelThreads(1.5), /threads/);
    expectArgError(() => installNativeKernels({ threads: -1 }), /installNativeKernels: argument threads/);
    setNativeKernelThreads(2);
    expect(nativeKernelThreads()).toBe(2);
  });

  it('reuses the arrays of disposed outputs', () => {
    installNativeKernels({ threads: 1 });
    const x = randomTensor(rng(1), [8, 32, 32, 4]);
    const before = nativeKernelStats()!.pool.reused;
    for (let i = 0; i < 5; i++) tf.tidy(() => tf.relu(x).mul(x));
    expect(nativeKernelStats()!.pool.reused).toBeGreaterThan(before);
    uninstallNativeKernels();
  });

  it('never reuses an array whose values escaped', () => {
    installNativeKernels({ threads: 1 });
    const r = rng(2);
    const x = randomTensor(r, [6, 4096]);
    // Each output below differs from all the others, so that an array reused
    // too early shows. 1. dataSync hands out the backend's own array.
    const t = tf.relu(x);
    const values = t.dataSync();
    const copy = Float32Array.from(values);
    t.dispose();
    // 2. A stock kernel's view of our output (Slice of leading rows is a subarray).
    // (Its expected values are computed here, not read: a read would itself protect the array.)
    const u = tf.mul(x, x);
    const view = tf.slice(u, [0, 0], [2, 4096]);
    const viewCopy = Float32Array.from(x.dataSync().subarray(0, 2 * 4096), (a) => Math.fround(a * a));
    u.dispose();
    // 3. A reshape shares the data: disposing the original keeps it alive.
    const v = tf.add(x, x);
    const reshaped = v.reshape([4096, 6]);
    v.dispose();
    const reshapedCopy = Float32Array.from(tf.tidy(() => reshaped.add(0)).dataSync());
    // Many same-sized outputs, which would land in any recycled array.
    for (let i = 0; i < 10; i++) tf.tidy(() => tf.neg(x).add(tf.scalar(i + 1)).relu().mul(x).sub(x));
    expect(values).toEqual(copy);
    expect(view.dataSync()).toEqual(viewCopy);
    expect(tf.tidy(() => reshaped.add(0)).dataSync()).toEqual(reshapedCopy);
    uninstallNativeKernels();
  });

  it('reuseBuffers: false allocates every output', () => {
    installNativeKernels({ threads: 1, reuseBuffers: false });
    const x = randomTensor(rng(3), [8, 32, 32, 4]);
    for (let i = 0; i < 5; i++) tf.tidy(() => tf.relu(x).mul(x));
    expect(nativeKernelStats()!.pool.reused).toBe(0);
    expect(Object.prototype.hasOwnProperty.call(tf.backend(), 'disposeData')).toBe(false);
    uninstallNativeKernels();
  });
});

describe.skipIf(!hasAddon)('native tfjs ops check their arguments (skipped: native addon not built)', () => {
  const g: ops.ConvGeometry = {
    batch: 1, inH: 4, inW: 4, inC: 2, filterH: 3, filterW: 3, outC: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1, outH: 4, outW: 4,
  };
  const x = new Float32Array(32), w = new Float32Array(54), y = new Float32Array(48);

  it('conv2d', () => {
    ops.conv2d(x, w, null, false, y, g, 1); // fine
    expectArgError(() => ops.conv2d(x.subarray(1), w, null, false, y, g, 1), /tfjsConv2d: argument x.length must be 32, got 31/);
    expectArgError(() => ops.conv2d(x, w, new Float32Array(2), false, y, g, 1), /bias.length must be 3/);
    expectArgError(() => ops.conv2d(x, w, null, false, y, { ...g, strideH: 0 }, 1), /strideH must be an integer/);
    expectArgError(() => ops.conv2d(x, w, null, false, y, { ...g, padTop: -1 }, 1), /padTop/);
    expectArgError(() => ops.conv2d(x, w, null, false, y, g, 0), /threads must be an integer in \[1, 1024\]/);
    expectArgError(() => ops.conv2d(Array.from(x) as unknown as Float32Array, w, null, false, y, g, 1), /x must be a Float32Array/);
    expectArgError(() => ops.conv2dBackpropFilter(x, y, new Float32Array(53), g, 1), /dfilter.length must be 54/);
    expectArgError(() => ops.conv2dBackpropInput(y, w, new Float32Array(33), g, 1), /dx.length must be 32/);
  });

  it('pooling, matmul, element-wise, sum, gather', () => {
    const p: ops.PoolGeometry = { batch: 1, inH: 4, inW: 4, channels: 2, filterH: 2, filterW: 2, strideH: 2, strideW: 2, padTop: 0, padLeft: 0, outH: 2, outW: 2 };
    expectArgError(() => ops.maxPool(x, new Float32Array(7), p, 1), /tfjsMaxPool: argument y.length must be 8/);
    expectArgError(() => ops.maxPoolGrad(new Float32Array(8), x, x, { ...p, channels: 0 }, 1), /channels/);
    const d: ops.MatMulDims = { batchA: 2, batchB: 3, M: 1, N: 1, K: 1, transposeA: false, transposeB: false };
    expectArgError(() => ops.batchMatMul(x, x, null, false, x, d, 1), /batchA\/batchB must be equal, or one of them 1/);
    expectArgError(() => ops.binary('add', new Float32Array(3), new Float32Array(2), new Float32Array(6), 1), /one full, the other dividing it/);
    expectArgError(() => ops.binary('pow' as 'add', x, x, x, 1), /one of add, sub, mul/);
    expectArgError(() => ops.sum(x, new Float32Array(3), 2, 4, 4, 1), /y.length must be 8/);
    expectArgError(() => ops.gather(x, new Int32Array(2), new Float32Array(5), 1, 8, 4, 1), /out.length must be 8/);
    expect(ops.gather(x, Int32Array.from([0, 8]), new Float32Array(8), 1, 8, 4, 1)).toBe(false);
  });
});
