// Which TensorFlow.js kernels a CNN trial dispatches (issue 15): the list the
// CUDA backend must implement (native/cuda/tfjs_ops.h carries its output).
//
//   node --import tsx bench/cuda-tfjs-ops.ts [--batch 2] [--json]
//
// Wraps every kernel of the cpu backend by name (with our native kernels
// installed, under the same names), then for each of the three
// homework nets and each optimizer: builds the trial's model (buildCnnModel,
// with l2 and dropout on, so the penalty and SeededDropout dispatch too),
// compiles it as trainCnn does, runs two trainOnBatch steps (the first creates
// the optimizer's slots) and one predict (evaluation). Prints every kernel
// seen with its call count per phase and the dtypes and shapes it saw.
// Not a timing benchmark: the data are random and tiny.
import { parseArgs } from 'node:util';

import * as tf from '@tensorflow/tfjs';

import { installNativeKernels } from '../src/engine/tfjs/index.js';
import { MODEL_SHAPES, buildCnnModel } from '../src/trials/cnn/models.js';
import { makeOptimizer } from '../src/trials/cnn/optimizers.js';
import { CNN_DEFAULTS, CNN_MODELS, OPTIMIZERS } from '../src/trials/cnn/params.js';
import type { CnnModelName, CnnParams, OptimizerName } from '../src/trials/cnn/params.js';

const { values: opts } = parseArgs({
  options: { batch: { type: 'string', default: '2' }, json: { type: 'boolean', default: false } },
});
const batch = Number(opts.batch);

type Phase = 'train' | 'eval';
interface Seen {
  calls: Record<Phase, number>;
  /** "float32[2,28,28,1] float32[3,3,1,32]"-style signatures of the inputs. */
  signatures: Set<string>;
  attrs: Set<string>;
}
const seen = new Map<string, Seen>();
let phase: Phase = 'train';

function signature(inputs: tf.NamedTensorInfoMap): string {
  return Object.entries(inputs)
    .filter(([, t]) => t !== undefined)
    .map(([name, t]) => `${name}:${t!.dtype}[${t!.shape.join(',')}]`)
    .join(' ');
}

/** The attributes that matter for a kernel's implementation (padding, strides, activation, axes...). */
function attrSummary(attrs: tf.NamedAttrMap | undefined): string {
  if (!attrs) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || typeof v === 'function') continue;
    if (typeof v === 'object' && !Array.isArray(v)) continue;
    parts.push(`${k}=${JSON.stringify(v)}`);
  }
  return parts.join(' ');
}

function wrapCpuKernels(): void {
  for (const k of tf.getKernelsForBackend('cpu')) {
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, 'cpu');
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        const e = seen.get(k.kernelName) ?? { calls: { train: 0, eval: 0 }, signatures: new Set(), attrs: new Set() };
        e.calls[phase]++;
        e.signatures.add(signature(args.inputs));
        const a = attrSummary(args.attrs);
        if (a) e.attrs.add(a);
        seen.set(k.kernelName, e);
        return inner(args);
      },
    });
  }
}

function trialParams(model: CnnModelName, optimizer: OptimizerName): CnnParams {
  return { ...CNN_DEFAULTS[model], optimizer, dropout: 0.25, l2: 1e-4, batch_size: batch, seed: 7 };
}

async function exercise(model: CnnModelName, optimizer: OptimizerName): Promise<void> {
  const shape = MODEL_SHAPES[model];
  const params = trialParams(model, optimizer);
  const net = buildCnnModel(model, params);
  net.compile({ optimizer: makeOptimizer(optimizer, params.lr, params), loss: shape.loss, metrics: ['accuracy'] });
  const [h, w, c] = shape.input;
  const labels = Array.from({ length: batch }, (_, i) => i % Math.max(2, shape.outputs));
  const y = new Float32Array(batch * shape.outputs);
  labels.forEach((l, r) => {
    if (shape.outputs === 1) y[r] = l;
    else y[r * shape.outputs + l] = 1;
  });
  phase = 'train';
  for (let step = 0; step < 2; step++) {
    const xs = tf.randomUniform([batch, h, w, c], 0, 1, 'float32', 11 + step);
    const ys = tf.tensor2d(y, [batch, shape.outputs]);
    await net.trainOnBatch(xs, ys);
    tf.dispose([xs, ys]);
  }
  phase = 'eval';
  const probs = tf.tidy(() => net.predict(tf.randomUniform([batch, h, w, c], 0, 1, 'float32', 5)) as tf.Tensor);
  probs.dataSync();
  probs.dispose();
  net.optimizer.dispose();
  net.dispose();
}

async function main(): Promise<void> {
  tf.enableProdMode();
  await tf.setBackend('cpu');
  // Our native kernels keep tfjs's kernel names (the stock ones in pure JS take
  // minutes for catsdogs); the wrappers below record names, not implementations.
  installNativeKernels();
  wrapCpuKernels();
  for (const model of CNN_MODELS) {
    for (const optimizer of OPTIMIZERS) await exercise(model, optimizer);
    console.error(`${model}: done`);
  }
  const names = [...seen.keys()].sort();
  if (opts.json) {
    const out = Object.fromEntries(names.map((n) => [n, { calls: seen.get(n)!.calls, signatures: [...seen.get(n)!.signatures], attrs: [...seen.get(n)!.attrs] }]));
    console.log(JSON.stringify(out, null, 2));
    return;
  }
  console.log(`${names.length} kernels (3 nets x ${OPTIMIZERS.length} optimizers, 2 train steps + 1 predict each, batch ${batch}, l2 and dropout on; tfjs ${tf.version.tfjs})`);
  for (const n of names) {
    const e = seen.get(n)!;
    const dtypes = [...new Set([...e.signatures].flatMap((s) => s.split(' ').map((p) => p.split(':')[1]!.split('[')[0]!)))].join('/');
    const attrs = [...e.attrs].slice(0, 3).join(' | ');
    console.log(`${n.padEnd(22)} train ${String(e.calls.train).padStart(4)}  eval ${String(e.calls.eval).padStart(3)}  ${dtypes || '-'}  ${attrs}`);
  }
}

await main();
