// Checks the addon's CUDA path from JavaScript, with nothing but Node and the
// built addon (for a GPU machine that has no npm packages):
//   node bench/cuda-binding-smoke.mjs [mnist-dir]
// 1. CPU and CUDA models built from the same seed agree after an epoch;
// 2. trainEpoch on cuda does not block the event loop;
// 3. requestStop stops a cuda epoch between minibatches;
// 4. with the MNIST IDX files (plain or .gz), the homework MLP trains on the GPU
//    and on the CPU; prints s/epoch and validation accuracy for both.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const addon = require(path.resolve('build/Release/hypersweep.node'));
const info = addon.buildInfo();
console.log('buildInfo', JSON.stringify(info));
if (!info.cudaCompiled || info.cudaDevices === 0) {
  console.log('SKIPPED: no CUDA device or no CUDA build');
  process.exit(0);
}
let failures = 0;
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
};

function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
function randomData(rows, features, seed) {
  const r = rng(seed);
  const x = new Float32Array(new SharedArrayBuffer(rows * features * 4));
  for (let i = 0; i < x.length; i++) x[i] = r();
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) y[i] = Math.floor(r() * 10);
  return new addon.Dataset(x, y, rows, features);
}
const model = (device, threads, extra = {}) =>
  new addon.MlpModel({
    inputs: 784, h1: 400, h2: 700, outputs: 10, activation: 'sigmoid', init: 'glorot',
    seed: 7, dtype: 'float32', device, threads, ...extra,
  });
const sgd = { alpha0: 0.5, delta: 1e-3, lambda: 1e-4, batchSize: 32, tStart: 0, shuffleSeed: 11, epoch: 0 };

// 1. agreement
const data = randomData(2048, 784, 1);
const cpu = model('cpu', 4);
const gpu = model('cuda', 1);
const rc = await cpu.trainEpoch(data, sgd);
const rg = await gpu.trainEpoch(data, sgd);
check(rc.steps === rg.steps && rc.tEnd === rg.tEnd, `same steps (${rc.steps}, ${rg.steps})`);
let maxRel = 0;
const pc = cpu.getParams();
const pg = gpu.getParams();
for (const k of ['W1', 'b1', 'W2', 'b2', 'W3', 'b3']) {
  let num = 0, den = 0;
  for (let i = 0; i < pc[k].length; i++) {
    num = Math.max(num, Math.abs(pc[k][i] - pg[k][i]));
    den = Math.max(den, Math.abs(pc[k][i]));
  }
  maxRel = Math.max(maxRel, num / (den || 1));
}
check(maxRel < 1e-4, `cpu vs cuda weights after one epoch: max relative difference ${maxRel.toExponential(2)}`);
const ec = await cpu.evaluate(data);
const eg = await gpu.evaluate(data);
check(Math.abs(ec.loss - eg.loss) < 1e-4 && ec.accuracy === eg.accuracy,
  `evaluate: cpu loss ${ec.loss.toFixed(6)} acc ${ec.accuracy}, cuda loss ${eg.loss.toFixed(6)} acc ${eg.accuracy}`);
check(Math.abs(cpu.weightSquaredNorm() - gpu.weightSquaredNorm()) / cpu.weightSquaredNorm() < 1e-5, 'weightSquaredNorm agrees');

// 2. the event loop keeps running during a cuda epoch
const big = randomData(50000, 784, 2);
let ticks = 0;
const timer = setInterval(() => ticks++, 5);
const t0 = performance.now();
await gpu.trainEpoch(big, { ...sgd, batchSize: 16, epoch: 1 });
const epochMs = performance.now() - t0;
clearInterval(timer);
check(ticks > 0 || epochMs < 10, `event loop ticked ${ticks} times during a ${epochMs.toFixed(0)} ms cuda epoch`);

// 3. requestStop
const stopModel = model('cuda', 1);
const pending = stopModel.trainEpoch(big, { ...sgd, batchSize: 8 });
setTimeout(() => stopModel.requestStop(), 20);
const stopped = await pending;
check(stopped.stopped && stopped.steps < 50000 / 8, `requestStop: stopped=${stopped.stopped} after ${stopped.steps} steps`);

// 4. real MNIST
const dir = process.argv[2];
function readIdx(base) {
  const file = [base, `${base}.gz`].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
  const raw = fs.readFileSync(file);
  return file.endsWith('.gz') ? gunzipSync(raw) : raw;
}
if (dir) {
  const img = readIdx('train-images-idx3-ubyte');
  const lab = readIdx('train-labels-idx1-ubyte');
  const split = (start, rows) => {
    const x = new Float32Array(new SharedArrayBuffer(rows * 784 * 4));
    for (let i = 0; i < rows * 784; i++) x[i] = img[16 + start * 784 + i] / 255;
    const y = Uint8Array.from(lab.subarray(8 + start, 8 + start + rows));
    return new addon.Dataset(x, y, rows, 784);
  };
  const train = split(0, 50000);
  const val = split(50000, 10000);
  for (const [device, threads] of [['cuda', 1], ['cpu', 16]]) {
    const m = model(device, threads);
    let t = 0;
    for (let epoch = 0; epoch < 3; epoch++) {
      const s = performance.now();
      const r = await m.trainEpoch(train, { alpha0: 0.5, delta: 0, lambda: 0, batchSize: 32, tStart: t, shuffleSeed: 5, epoch });
      const secs = (performance.now() - s) / 1000;
      t = r.tEnd;
      const v = await m.evaluate(val);
      console.log(`mnist ${device} threads=${threads} epoch ${epoch + 1}: ${secs.toFixed(3)} s/epoch  val_loss ${v.loss.toFixed(4)}  val_accuracy ${v.accuracy.toFixed(4)}`);
      if (epoch === 2) check(v.accuracy > 0.9, `${device}: val_accuracy after 3 epochs > 0.9`);
    }
  }
}
console.log(failures === 0 ? 'cuda-binding-smoke: all passed' : `cuda-binding-smoke: ${failures} FAILED`);
process.exit(failures === 0 ? 0 : 1);
