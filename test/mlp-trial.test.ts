// Real training on MNIST through the native core: a short run must learn,
// two runs must agree to the bit, and a diverging run must be recorded as
// failed with its epoch and step.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadDataset, type DatasetSplits } from '../src/data/index.js';
import { buildInfo, PARAM_NAMES, sameArithmetic } from '../src/engine/native.js';
import { resolveMlpParams } from '../src/trials/mlp/params.js';
import { trainMlp, type EpochMetrics } from '../src/trials/mlp/run.js';
import { lastJsonLine, runCli } from './helpers/cli.js';

const results = mkdtempSync(join(tmpdir(), 'hs-trial-'));
afterAll(() => rmSync(results, { recursive: true, force: true }));

// The short run: the homework network (784-400-700-10, sigmoid, glorot) on the
// first 5,000 training images, 4 epochs, alpha0 = 0.5, batch 10, seed 1.
// Sigmoid networks sit on a plateau for the first few hundred updates, hence
// the small batch (500 updates per epoch). Measured on the AVX2 build (1 and 2
// threads give the same bits): val_accuracy 0.883 and test_accuracy 0.882 after
// epoch 4 (seeds 2 and 3: val 0.894, 0.885). The bar sits a few points lower
// so that another correct summation order (the generic kernel, another CPU)
// cannot fail it, while a broken gradient or update (stuck at 10-60%) does.
const SHORT_RUN_BAR = 0.85;

describe('trial mlp (CLI) on 5,000 MNIST images', () => {
  it(`beats ${SHORT_RUN_BAR} validation and test accuracy and appends a full record`, () => {
    const r = runCli([
      'trial', 'mlp', '--subset', '5000', '--epochs', '4', '--seed', '1', '--device', 'cpu', '--threads', '2',
      '--set', 'alpha0=0.5', '--set', 'batch_size=10', '--set', 'activation=sigmoid', '--set', 'init=glorot',
      '--results', results, '--json',
    ]);
    expect(r.stderr).toMatch(/epoch 4\/4/);
    expect(r.code).toBe(0);
    const out = lastJsonLine(r.stdout);
    expect(out.state).toBe('complete');
    const epochs = out.epochs as EpochMetrics[];
    expect(epochs).toHaveLength(4);
    const last = epochs[3]!;
    console.log(`short run: ${JSON.stringify({ last, test_accuracy: out.test_accuracy })}`);
    expect(last.val_accuracy).toBeGreaterThan(SHORT_RUN_BAR);
    expect(out.test_accuracy as number).toBeGreaterThan(SHORT_RUN_BAR);
    // Training makes progress epoch after epoch.
    expect(epochs[3]!.train_loss).toBeLessThan(epochs[0]!.train_loss);

    const lines = readFileSync(join(results, 'trials.jsonl'), 'utf8').trimEnd().split('\n');
    const record = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
    expect(record).toMatchObject({
      kind: 'trial',
      state: 'complete',
      seed: 1,
      device: 'cpu',
      threads: 2,
      dataset: 'mnist',
      train_rows: 5000,
      params: { alpha0: 0.5, batch_size: 10, activation: 'sigmoid', init: 'glorot', h1: 400, h2: 700, epochs: 4 },
      test_accuracy: out.test_accuracy,
      node: process.version,
    });
    expect(typeof record.time).toBe('string');
    expect(record.hypersweep).toMatch(/^\d+\.\d+\.\d+/);
    expect(record.native).toMatchObject({ buildId: expect.any(String), simd: expect.stringMatching(/^(avx512|avx2|generic)$/) });
    expect(record.durations).toMatchObject({ total_seconds: expect.any(Number), data_seconds: expect.any(Number) });
  });

  it('records a diverging run as failed with epoch and step (exit 1, no crash)', () => {
    const r = runCli([
      'trial', 'mlp', '--subset', '2000', '--epochs', '2', '--device', 'cpu',
      '--set', 'alpha0=1e6', '--set', 'activation=relu', '--set', 'init=normal', '--results', results, '--json',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const out = lastJsonLine(r.stdout);
    expect(out.state).toBe('failed');
    expect(out.reason).toMatch(/NaN\/Inf at epoch 1, step t=\d+/);
    expect(out.test_accuracy).toBeNull();
    const lines = readFileSync(join(results, 'trials.jsonl'), 'utf8').trimEnd().split('\n');
    expect(JSON.parse(lines[lines.length - 1]!)).toMatchObject({ state: 'failed', reason: out.reason });
  });
});

describe('determinism (same parameters, seed and threads ⇒ same bits)', () => {
  let data: DatasetSplits;
  beforeAll(async () => {
    data = await loadDataset('mnist', { subset: 2000 });
  });

  const run = async (seed: number, threads: number) => {
    const params = resolveMlpParams({ epochs: 2, seed, h1: 64, h2: 48, alpha0: 0.3, batch_size: 20, delta: 1e-3, lambda: 1e-5 });
    const { result, model } = await trainMlp(params, { dataset: data, device: 'cpu', threads });
    const metrics = result.epochs.map(({ seconds: _s, train_seconds: _t, ...m }) => m);
    const weights = model.getParams();
    const bytes = Buffer.concat(PARAM_NAMES.map((n) => Buffer.from(weights[n].buffer)));
    return { metrics: JSON.stringify([metrics, result.test_accuracy, result.steps]), bytes };
  };

  it('two runs give identical metric bytes and identical weights', async () => {
    const a = await run(7, 2);
    const b = await run(7, 2);
    expect(b.metrics).toBe(a.metrics);
    expect(b.bytes.equals(a.bytes)).toBe(true);
    // ...and the check can fail: another seed changes both.
    const c = await run(8, 2);
    expect(c.metrics).not.toBe(a.metrics);
    expect(c.bytes.equals(a.bytes)).toBe(false);
  });

  it('single-threaded runs are deterministic too', async () => {
    const a = await run(3, 1);
    const b = await run(3, 1);
    expect(b.bytes.equals(a.bytes)).toBe(true);
    expect(b.metrics).toBe(a.metrics);
  });
});

// The AVX-512 kernels are the AVX2 kernels' arithmetic, lane for lane (one FMA
// chain per element, the same K blocks): a trial gives the same bits on a CPU
// with either, so repro does not flag the difference.
describe('AVX-512 and AVX2 kernels (HS_GEMM_SIMD caps them)', () => {
  const avx512 = buildInfo().simd === 'avx512';
  if (!avx512) console.log(`SKIP avx512 == avx2 training: this CPU runs ${buildInfo().simd} kernels`);

  it.skipIf(!avx512)('train to identical metrics', () => {
    const trial = (simd: string) => {
      const r = runCli([
        'trial', 'mlp', '--subset', '3000', '--epochs', '2', '--seed', '4', '--device', 'cpu', '--threads', '2',
        '--set', 'alpha0=0.3', '--set', 'batch_size=32', '--set', 'delta=0.001', '--set', 'lambda=0.00001',
        '--results', results, '--json',
      ], { HS_GEMM_SIMD: simd });
      expect(r.code, r.stderr).toBe(0);
      const out = lastJsonLine(r.stdout);
      const epochs = (out.epochs as EpochMetrics[]).map(({ seconds: _s, train_seconds: _t, ...m }) => m);
      return { metrics: JSON.stringify([epochs, out.test_accuracy]), stderr: r.stderr };
    };
    const wide = trial('avx512');
    const narrow = trial('avx2');
    expect(wide.stderr).toMatch(/avx512/);
    expect(narrow.stderr).toMatch(/avx2/);
    expect(narrow.metrics).toBe(wide.metrics);
  });

  it('repro treats the two as the same arithmetic, and generic as another', () => {
    expect(sameArithmetic('avx512', 'avx2')).toBe(true);
    expect(sameArithmetic('avx2', 'avx2')).toBe(true);
    expect(sameArithmetic('avx512', 'generic')).toBe(false);
    expect(sameArithmetic('generic', 'generic')).toBe(true);
  });
});
