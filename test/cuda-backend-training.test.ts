// A training step of each homework net with each optimizer on the cuda
// engine (emulated device: the CUDA kernels' source on the host emulator),
// compiled and run as trainCnn runs it (l2 and dropout on, so the penalty's
// and SeededDropout's kernels run too), against the same step on tfjs's cpu
// backend:
//   - ZERO host fallbacks (the test names the kernels that fell back);
//   - the loss within 1e-5 relative and the accuracy equal;
//   - every weight within 2e-5 absolute after the step (float32 sums in
//     another order through forward and backward, times a learning rate of
//     0.01). Adam's first step is lr·g/(|g| + 1e-7), whose derivative in g is
//     lr·1e-7/(|g| + 1e-7)²: up to lr/4e-7 = 25,000 near |g| = 1e-7, so a
//     gradient rounding difference of 1e-9 moves the weight by 2.5e-5. Weights
//     whose cpu step is under 0.99·lr (|g| < ~1e-5, amplification over 10) are
//     held only to |difference| <= lr; all others to 2e-5;
//   - determinism: the same step again from the same initial weights gives
//     bit-identical weights and loss.
// The cpu reference computes each net's loss and gradients once (the expensive
// part: tfjs's cpu convolutions), through trainOnBatch with a recording
// optimizer, and applies each optimizer's update to them on the cpu backend;
// the cuda side runs trainOnBatch itself for every optimizer.
// Batches are tiny (the emulator runs every GPU thread as a fiber): 1 image.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { cudaFallbacks, resetCudaKernelCounts } from '../src/engine/cuda/index.js';
import { MODEL_SHAPES, buildCnnModel } from '../src/trials/cnn/models.js';
import { makeOptimizer } from '../src/trials/cnn/optimizers.js';
import { CNN_DEFAULTS } from '../src/trials/cnn/params.js';
import type { CnnModelName, CnnParams, OptimizerName } from '../src/trials/cnn/params.js';
import { maxAbsDiff, on, setupCudaBackend } from './helpers/cuda-backend.js';
import { rng } from './helpers/tfjs-kernels.js';

const NETS: readonly CnnModelName[] = ['cnn-light', 'cnn', 'catsdogs'];
const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'momentum', 'rmsprop', 'adam'];
const LR = 0.01;
const LOSS_REL_TOL = 1e-5;
const WEIGHT_ABS_TOL = 2e-5;
/** Adam's step lr·g/(|g| + 1e-7) is at least this share of lr where |g| >= 99e-7: there it is insensitive to g's rounding. */
const ADAM_STABLE = 0.99;

interface StepResult {
  loss: number;
  accuracy: number;
  weights: Float32Array[];
}

function paramsOf(net: CnnModelName, optimizer: OptimizerName): CnnParams {
  return { ...CNN_DEFAULTS[net], seed: 11, l2: 1e-3, dropout: 0.25, optimizer, lr: LR };
}

function batchOf(net: CnnModelName): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const s = MODEL_SHAPES[net];
  const r = rng(7);
  const x = Float32Array.from({ length: s.input[0] * s.input[1] * s.input[2] }, () => r());
  const y = new Float32Array(s.outputs);
  y[s.outputs === 1 ? 0 : 3] = 1;
  return { x: tf.tensor4d(x, [1, ...s.input]), y: tf.tensor2d(y, [1, s.outputs]) };
}

function compiled(net: CnnModelName, optimizer: tf.Optimizer): tf.LayersModel {
  const model = buildCnnModel(net, paramsOf(net, 'sgd'));
  model.compile({ optimizer, loss: MODEL_SHAPES[net].loss, metrics: ['accuracy'] });
  return model;
}

function trainableValues(model: tf.LayersModel): Float32Array[] {
  return model.trainableWeights.map((w) => w.read().dataSync() as Float32Array);
}

/** One trainOnBatch of `net` with `optimizer` on the active backend, from the trial seed's initial weights. */
async function trainStep(net: CnnModelName, optimizer: OptimizerName): Promise<StepResult> {
  const model = compiled(net, makeOptimizer(optimizer, LR, paramsOf(net, optimizer)));
  const { x, y } = batchOf(net);
  try {
    const [loss, accuracy] = (await model.trainOnBatch(x, y)) as number[];
    return { loss: loss!, accuracy: accuracy!, weights: trainableValues(model) };
  } finally {
    tf.dispose([x, y]);
    model.optimizer.dispose();
    model.dispose();
  }
}

interface CpuReference {
  loss: number;
  accuracy: number;
  initial: Float32Array[];
  after: Map<OptimizerName, Float32Array[]>;
}

/** The cpu backend's step of `net` for every optimizer, from one forward and backward pass. */
async function cpuReference(net: CnnModelName): Promise<CpuReference> {
  return on('cpu', async () => {
    const recorder = makeOptimizer('sgd', 0, {});
    let grads: tf.Tensor[] = [];
    const apply = recorder.applyGradients.bind(recorder);
    recorder.applyGradients = (g: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]) => {
      grads = (Array.isArray(g) ? g.map((n) => n.tensor) : Object.values(g)).map((t) => t.clone());
      apply(g);
    };
    const model = compiled(net, recorder);
    const initial = trainableValues(model);
    const { x, y } = batchOf(net);
    const [loss, accuracy] = (await model.trainOnBatch(x, y)) as number[];
    tf.dispose([x, y]);
    model.dispose();
    const after = new Map<OptimizerName, Float32Array[]>();
    for (const name of OPTIMIZERS) {
      const fresh = buildCnnModel(net, paramsOf(net, name));
      const optimizer = makeOptimizer(name, LR, paramsOf(net, name));
      optimizer.applyGradients(Object.fromEntries(fresh.trainableWeights.map((w, i) => [(w.read() as tf.Variable).name, grads[i]!])));
      after.set(name, trainableValues(fresh));
      optimizer.dispose();
      fresh.dispose();
    }
    tf.dispose(grads);
    return { loss: loss!, accuracy: accuracy!, initial, after };
  });
}

/** The largest |cuda - cpu| over the weights Adam's tiny-gradient regime does not exempt (see the header). */
function worstWeightDiff(cuda: Float32Array[], cpu: Float32Array[], initial: Float32Array[], optimizer: OptimizerName): { worst: number; exempt: number; exemptWorst: number } {
  let worst = 0;
  let exempt = 0;
  let exemptWorst = 0;
  cuda.forEach((w, i) => {
    const c = cpu[i]!;
    const w0 = initial[i]!;
    for (let k = 0; k < w.length; k++) {
      const d = Math.abs(w[k]! - c[k]!);
      if (Number.isNaN(d)) worst = Infinity;
      else if (optimizer === 'adam' && Math.abs(c[k]! - w0[k]!) < ADAM_STABLE * LR) {
        exempt++;
        exemptWorst = Math.max(exemptWorst, d);
      } else worst = Math.max(worst, d);
    }
  });
  return { worst, exempt, exemptWorst };
}

describe('training steps on the cuda backend (emulated device) against the cpu backend', () => {
  const references = new Map<CnnModelName, CpuReference>();
  const cudaSteps = new Map<string, StepResult>();
  beforeAll(async () => {
    await setupCudaBackend();
  }, 900_000);

  for (const net of NETS) {
    for (const optimizer of OPTIMIZERS) {
      it(`${net} with ${optimizer}: no fallback, same loss and weights as the cpu backend`, async () => {
        if (!references.has(net)) references.set(net, await cpuReference(net));
        const cpu = references.get(net)!;
        resetCudaKernelCounts();
        const cuda = await on('cuda', () => trainStep(net, optimizer));
        cudaSteps.set(`${net}/${optimizer}`, cuda);
        expect(cudaFallbacks(), 'kernels that ran on the host').toEqual({});
        expect(Math.abs(cuda.loss - cpu.loss)).toBeLessThanOrEqual(LOSS_REL_TOL * Math.abs(cpu.loss));
        expect(cuda.accuracy).toBe(cpu.accuracy);
        const after = cpu.after.get(optimizer)!;
        expect(cuda.weights.map((w) => w.length)).toEqual(after.map((w) => w.length));
        const { worst, exempt, exemptWorst } = worstWeightDiff(cuda.weights, after, cpu.initial, optimizer);
        if (optimizer === 'adam') console.info(`${net}/adam: ${exempt} of ${after.reduce((n, w) => n + w.length, 0)} weights had gradients under ~1e-5 (held to lr)`);
        expect(worst, 'largest |weight difference|').toBeLessThanOrEqual(WEIGHT_ABS_TOL);
        expect(exemptWorst, 'Adam, gradients under ~1e-5').toBeLessThanOrEqual(LR);
      });
    }
  }

  it('the same step again gives bit-identical weights and loss (cnn-light with adam, catsdogs with momentum)', async () => {
    for (const [net, optimizer] of [['cnn-light', 'adam'], ['catsdogs', 'momentum']] as const) {
      const first = cudaSteps.get(`${net}/${optimizer}`) ?? (await on('cuda', () => trainStep(net, optimizer)));
      const second = await on('cuda', () => trainStep(net, optimizer));
      expect(second.loss).toBe(first.loss);
      first.weights.forEach((w, i) => {
        expect(Buffer.from(second.weights[i]!.buffer).equals(Buffer.from(w.buffer)), `weight ${i} of ${net}`).toBe(true);
      });
    }
  });
});
