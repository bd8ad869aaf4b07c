// Training-step speed of TensorFlow.js Layers CNNs on the cpu backend, with the
// stock kernels and with ours (src/engine/tfjs, the "native" engine).
//
//   node --import tsx bench/cnn-kernels.ts [--model light|cnn|rgb64] [--batch 64]
//        [--threads 1,2] [--steps 20] [--rounds 3] [--stock] [--profile] [--epoch]
//
// Times model.trainOnBatch on synthetic data (the work does not depend on the
// values) and prints samples/s: the best of `rounds` runs of `steps` steps,
// after warm-up. --stock also times the stock kernels (slow: ~20 s per light
// step here, so it runs 1 step). --profile prints where a native step spends
// its time, kernel by kernel. --epoch times a 50,000-sample model.fit epoch.
// The PyTorch yardstick and the real trial path (MNIST, trainCnn) are in
// bench/cnn.ts (`npm run bench:cnn`); this one isolates the kernels.
// The machine is shared: repeat, and compare figures from the same run.
import { parseArgs } from 'node:util';

import * as tf from '@tensorflow/tfjs';

import {
  installNativeKernels,
  nativeKernelStats,
  setNativeKernelThreads,
  uninstallNativeKernels,
} from '../src/engine/tfjs/index.js';

const { values: opts } = parseArgs({
  options: {
    model: { type: 'string', default: 'light' },
    batch: { type: 'string', default: '64' },
    threads: { type: 'string', default: '1,2' },
    steps: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    stock: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    epoch: { type: 'boolean', default: false },
  },
});

type ModelName = 'light' | 'cnn' | 'rgb64';
const modelName = opts.model as ModelName;
const batch = Number(opts.batch);
const threadList = opts.threads.split(',').map(Number);
const steps = Number(opts.steps);
const rounds = Number(opts.rounds);

function inputShape(name: ModelName): [number, number, number] {
  return name === 'rgb64' ? [64, 64, 3] : [28, 28, 1];
}

/** The models of the issue: light CNN, the heavier `cnn`, and a 64×64×3 model with an 8×8 stride-2 conv. */
function buildModel(name: ModelName): tf.LayersModel {
  const m = tf.sequential();
  const shape = inputShape(name);
  if (name === 'light') {
    m.add(tf.layers.conv2d({ inputShape: shape, filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  } else if (name === 'cnn') {
    m.add(tf.layers.conv2d({ inputShape: shape, filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.conv2d({ filters: 128, kernelSize: 3, padding: 'same', activation: 'relu' }));
    m.add(tf.layers.conv2d({ filters: 128, kernelSize: 3, padding: 'same', activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 64, activation: 'relu' }));
    m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  } else {
    m.add(tf.layers.conv2d({ inputShape: shape, filters: 32, kernelSize: 8, strides: 2, padding: 'same', activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 64, activation: 'relu' }));
    m.add(tf.layers.dense({ units: 2, activation: 'softmax' }));
  }
  m.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

function classes(name: ModelName): number {
  return name === 'rgb64' ? 2 : 10;
}

function batchData(name: ModelName, n: number): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => ({
    x: tf.randomUniform([n, ...inputShape(name)], 0, 1, 'float32', 1),
    y: tf.oneHot(tf.randomUniform([n], 0, classes(name), 'int32', 2), classes(name)).toFloat(),
  }));
}

/** Best seconds per step over the rounds. */
async function timeSteps(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, n: number, r: number): Promise<number> {
  for (let i = 0; i < 3; i++) await model.trainOnBatch(x, y);
  let best = Infinity;
  for (let k = 0; k < r; k++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await model.trainOnBatch(x, y);
    best = Math.min(best, (performance.now() - t0) / 1000 / n);
  }
  return best;
}

/** Milliseconds per step spent in each kernel (a timing wrapper around every cpu kernel). */
async function profileStep(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, n: number): Promise<void> {
  const times = new Map<string, { calls: number; ms: number }>();
  const wrapped = tf.getKernelsForBackend('cpu');
  for (const k of wrapped) {
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, 'cpu');
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        const t0 = performance.now();
        const out = inner(args);
        const key = `${k.kernelName} ${Object.values(args.inputs).filter((t) => t).map((t) => `[${t!.shape.join(',')}]`).join(' ')}`;
        const e = times.get(key) ?? { calls: 0, ms: 0 };
        e.calls++;
        e.ms += performance.now() - t0;
        times.set(key, e);
        return out;
      },
    });
  }
  await model.trainOnBatch(x, y);
  times.clear();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await model.trainOnBatch(x, y);
  const total = (performance.now() - t0) / n;
  for (const k of wrapped) {
    tf.unregisterKernel(k.kernelName, 'cpu');
    tf.registerKernel(k);
  }
  let inKernels = 0;
  const rows = [...times.entries()].sort((a, b) => b[1].ms - a[1].ms);
  for (const [, e] of rows) inKernels += e.ms / n;
  console.log(`\nprofile: ${total.toFixed(2)} ms/step, ${inKernels.toFixed(2)} ms in kernels, ${(total - inKernels).toFixed(2)} ms elsewhere (tfjs, JS)`);
  for (const [key, e] of rows.slice(0, 25)) {
    console.log(`${(e.ms / n).toFixed(3).padStart(9)} ms ${String(e.calls / n).padStart(4)}x  ${key}`);
  }
}

async function timeEpoch(model: tf.LayersModel, name: ModelName): Promise<number> {
  const rows = 50_000;
  const { x, y } = batchData(name, rows);
  const t0 = performance.now();
  await model.fit(x, y, { batchSize: batch, epochs: 1, shuffle: true, verbose: 0 });
  const s = (performance.now() - t0) / 1000;
  tf.dispose([x, y]);
  return s;
}

async function main(): Promise<void> {
  tf.enableProdMode();
  await tf.setBackend('cpu');
  const model = buildModel(modelName);
  const { x, y } = batchData(modelName, batch);
  console.log(`model ${modelName}, batch ${batch}, ${steps} steps x ${rounds} rounds (best round), tfjs ${tf.version.tfjs}`);

  if (opts.stock) {
    const s = await timeSteps(model, x, y, 1, 1);
    console.log(`stock kernels:           ${(s * 1000).toFixed(0).padStart(8)} ms/step  ${(batch / s).toFixed(1).padStart(8)} samples/s`);
  }
  installNativeKernels();
  for (const threads of threadList) {
    setNativeKernelThreads(threads);
    const s = await timeSteps(model, x, y, steps, rounds);
    console.log(`native, ${threads} thread(s):     ${(s * 1000).toFixed(2).padStart(8)} ms/step  ${(batch / s).toFixed(1).padStart(8)} samples/s  (${((50_000 / batch) * s).toFixed(1)} s per 50,000-sample epoch)`);
  }
  const stats = nativeKernelStats();
  if (stats) {
    const fallbacks = Object.entries(stats.kernels).filter(([, c]) => c.fallback > 0);
    console.log(`fallbacks to stock kernels: ${fallbacks.length === 0 ? 'none' : fallbacks.map(([k, c]) => `${k} ${c.fallback}`).join(', ')}`);
    console.log(`output arrays: ${stats.pool.created} created, ${stats.pool.reused} reused`);
  }
  if (opts.profile) {
    setNativeKernelThreads(threadList[threadList.length - 1]!);
    await profileStep(model, x, y, steps);
  }
  if (opts.epoch) {
    for (const threads of threadList) {
      setNativeKernelThreads(threads);
      const s = await timeEpoch(model, modelName);
      console.log(`model.fit, 50,000 samples, ${threads} thread(s): ${s.toFixed(1)} s  (${(50_000 / s).toFixed(0)} samples/s)`);
    }
  }
  uninstallNativeKernels();
}

await main();
