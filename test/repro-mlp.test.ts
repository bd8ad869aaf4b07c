// `hypersweep repro` on a real MLP study made by `hypersweep sweep` (a tiny
// network on 1,000 MNIST images, 2 epochs): bit-identical on the cpu with the
// recorded thread count; a record altered by one ulp is caught; another thread
// count switches to a stated tolerance; saved weights are compared too and
// `gradcheck --from` checks them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadDataset } from '../src/data/index.js';
import type { StudySpec } from '../src/space/spec.js';
import { Study } from '../src/study/study.js';
import { trainMlp } from '../src/trials/mlp/run.js';
import { mlpTrialParams, type ReproReport } from '../src/trials/repro.js';
import { saveTrialWeights, weightsFile } from '../src/trials/weights.js';
import { lastJsonLine, runCli } from './helpers/cli.js';
import { hasAddon } from './helpers/native.js';

const SPACE = `
name: tiny
objective: {model: mlp}
dataset: {name: mnist, train_subset: 1000}
metric: val_accuracy
direction: maximize
params:
  alpha0: {type: float, low: 0.1, high: 1, log: true}
  batch_size: {type: categorical, choices: [32, 64]}
  init: {type: categorical, choices: [normal, glorot]}
  h1: 32
  h2: 16
fixed: {epochs: 2}
sampler: {type: random, seed: 3}
budget: {trials: 2}
`;

let results: string;
let journal: string;
let original: string;

/** Rewrites the journal from the original with epoch `epoch`'s `metric` of trial `trial` changed by `change`. */
function alterRecord(trial: number, epoch: number, metric: string, change: (v: number) => number): void {
  const lines = original.trimEnd().split('\n').map((l) => {
    const e = JSON.parse(l) as { event: string; trial?: number; metrics?: { epochs: Array<Record<string, number>> } };
    if (e.event === 'trial_finished' && e.trial === trial) {
      const m = e.metrics!.epochs[epoch - 1]!;
      m[metric] = change(m[metric]!);
    }
    return JSON.stringify(e);
  });
  fs.writeFileSync(journal, lines.join('\n') + '\n');
}

/** The next float64 up: one unit in the last place. */
function nextUp(v: number): number {
  const bits = new BigInt64Array(new Float64Array([v]).buffer);
  bits[0]! += v >= 0 ? 1n : -1n;
  return new Float64Array(bits.buffer)[0]!;
}

function repro(args: string[]): { code: number | null; report: ReproReport; stdout: string; stderr: string } {
  const r = runCli(['repro', ...args, '--results', results, '--json']);
  return { code: r.code, report: lastJsonLine(r.stdout) as unknown as ReproReport, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!hasAddon)('repro of an MLP trial', () => {
  beforeAll(() => {
    results = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-repro-'));
    const space = path.join(results, 'tiny.yaml');
    fs.writeFileSync(space, SPACE);
    // --save-weights all: every trial's weights are saved by the sweep itself, so repro checks them too.
    const r = runCli(['sweep', space, '--results', results, '--device', 'cpu', '--threads', '2', '--save-weights', 'all', '--json']);
    expect(r.code, r.stderr).toBe(0);
    journal = path.join(results, 'tiny', 'journal.jsonl');
    original = fs.readFileSync(journal, 'utf8');
  }, 300_000);
  afterAll(() => fs.rmSync(results, { recursive: true, force: true }));

  it('is bit-identical on the cpu with the recorded thread count, and says so', () => {
    fs.writeFileSync(journal, original);
    const r = repro(['tiny', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report).toMatchObject({ check: 'bit-identical', match: true, bit_identical: true, tolerance: null, objective: 'mlp', state: 'complete' });
    // 2 epochs × 4 metrics, test_accuracy, steps, state, and the weights the sweep saved.
    expect(r.report.comparisons.map((c) => c.metric)).toEqual([
      'train_loss', 'train_accuracy', 'val_loss', 'val_accuracy',
      'train_loss', 'train_accuracy', 'val_loss', 'val_accuracy',
      'test_accuracy', 'steps', 'state', 'weights (max |diff|)',
    ]);
    expect(r.report.recorded_run).toMatchObject({ device: 'cpu', threads: 2 });
    expect(r.report.new_run).toMatchObject({ device: 'cpu', threads: 2, dtype: 'float32' });
    expect(r.stderr).toMatch(/result: REPRODUCED, bit-identical \(12 value\(s\) compared\)/);
    expect(r.stderr).toMatch(/^ +2 +val_accuracy +\S+ +\S+ +0 +identical$/m);
  }, 120_000);

  it('catches a record altered by one unit in the last place (exit 1)', () => {
    alterRecord(0, 2, 'val_loss', nextUp);
    const r = repro(['tiny', '0']);
    expect(r.code).toBe(1);
    expect(r.report.match).toBe(false);
    const bad = r.report.comparisons.filter((c) => !c.ok);
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ step: 2, metric: 'val_loss', identical: false });
    expect(bad[0]!.abs_diff!).toBeGreaterThan(0);
    expect(bad[0]!.abs_diff!).toBeLessThan(1e-14);
    expect(r.stderr).toMatch(/NOT REPRODUCED: 1 of 12 value\(s\) differ \(bit-identity required\); first: step 2 val_loss/);
  }, 120_000);

  it('with another thread count, states the tolerance it checked (and that one ulp is within it)', () => {
    alterRecord(0, 2, 'val_loss', nextUp);
    const r = repro(['tiny', '0', '--threads', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report).toMatchObject({ check: 'tolerance', match: true, bit_identical: false, tolerance: { rtol: 0.01, atol: 0.001 } });
    expect(r.report.why).toMatch(/2 thread\(s\) recorded, 1 now/);
    expect(r.stderr).toMatch(/result: REPRODUCED within tolerance rtol=0.01, atol=0.001 \(12 value\(s\) compared; 1 not bit-identical\)/);
    // A real difference is still caught under a tolerance.
    alterRecord(0, 1, 'val_accuracy', (v) => v + 0.2);
    const far = repro(['tiny', '0', '--threads', '1']);
    expect(far.code).toBe(1);
    expect(far.report.check).toBe('tolerance');
    fs.writeFileSync(journal, original);
  }, 120_000);

  it('compares saved weights bit for bit, and gradcheck --from checks them', async () => {
    fs.writeFileSync(journal, original);
    const state = Study.read(results, 'tiny');
    const trial = state.trials[0]!;
    const { params } = mlpTrialParams(state.created.spec as StudySpec, trial);
    const dataset = await loadDataset('mnist', { subset: 1000 });
    const { model } = await trainMlp(params, { dataset, device: 'cpu', threads: 2 });
    const weights = model.getParams();
    saveTrialWeights(results, 'tiny', 0, weights, { value: trial.value });

    const same = repro(['tiny', '0']);
    expect(same.code, same.stderr).toBe(0);
    expect(same.report.comparisons.at(-1)).toMatchObject({ metric: 'weights (max |diff|)', identical: true, abs_diff: 0 });

    const g = runCli(['gradcheck', '--from', 'tiny/0', '--results', results, '--threads', '1', '--json']);
    expect(g.code, g.stderr).toBe(0);
    const record = lastJsonLine(g.stdout) as { from: { study: string; trial: number; weights: string }; params: { h1: number; seed: number }; dtype: string; results: Array<{ N: number; max_abs_diff: number }> };
    expect(record.from).toEqual({ study: 'tiny', trial: 0, weights: weightsFile(results, 'tiny', 0) });
    expect(record.params).toMatchObject({ h1: 32, seed: trial.seed });
    expect(record.dtype).toBe('float64');
    // Central differences in float64: truncation O(eps²) then rounding; at eps = 1e-3 far below 1e-6.
    expect(record.results.find((x) => x.N === 1000)!.max_abs_diff).toBeLessThan(1e-6);
    expect(g.stderr).toContain('weights of trial 0 of study tiny');
    expect(runCli(['gradcheck', '--from', 'tiny/0', '--seed', '3', '--results', results]).stderr).toMatch(/--from cannot be combined with --seed/);
    fs.rmSync(weightsFile(results, 'tiny', 1));
    expect(runCli(['gradcheck', '--from', 'tiny/1', '--results', results]).stderr).toMatch(/no saved weights for trial 1/);

    // Weights that differ by one ulp in one place are caught.
    weights.W3[5] = new Float32Array(new Int32Array([new Int32Array(new Float32Array([weights.W3[5]!]).buffer)[0]! + 1]).buffer)[0]!;
    saveTrialWeights(results, 'tiny', 0, weights);
    const changed = repro(['tiny', '0']);
    expect(changed.code).toBe(1);
    expect(changed.report.comparisons.filter((c) => !c.ok).map((c) => c.metric)).toEqual(['weights (max |diff|)']);
  }, 300_000);

  it('refuses unknown trials and studies with usage errors', () => {
    expect(runCli(['repro', 'tiny', '9', '--results', results]).stderr).toMatch(/study "tiny" has no trial 9/);
    expect(runCli(['repro', 'tiny', 'x', '--results', results]).code).toBe(2);
    expect(runCli(['repro', 'nope', '0', '--results', results]).code).toBe(2);
  });
});
