// Finite differences against backprop, in float64, for every activation: the
// differences must fall from N = 100 to N = 10,000 (truncation error ~ 1/N²)
// until they reach round-off. Plus the CLI's plot and record.
//
// Measured (seed 3, lambda 1e-3, untrained glorot weights), max diff for
// N = 100, 200, 1000, 10000, 100000:
//   sigmoid 4.0e-8 1.0e-8 4.0e-10 4.5e-12 4.4e-11
//   relu    2.2e-12 5.3e-13 9.8e-14 2.7e-12 3.6e-11  (nearly linear in W2: at round-off already)
//   tanh    6.4e-9 1.6e-9 6.4e-11 3.7e-12 2.9e-11
// A wrong gradient (even off by 1%) leaves differences of ~1e-5 at every N.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadDataset, type DatasetSplits } from '../src/data/index.js';
import { ACTIVATIONS } from '../src/engine/native.js';
import { runGradcheck } from '../src/trials/mlp/gradcheck.js';
import { resolveMlpParams } from '../src/trials/mlp/params.js';
import { lastJsonLine, runCli } from './helpers/cli.js';

let data: DatasetSplits;
beforeAll(async () => {
  data = await loadDataset('mnist', { subset: 1000 });
});
const results = mkdtempSync(join(tmpdir(), 'hs-gradcheck-'));
afterAll(() => rmSync(results, { recursive: true, force: true }));

describe('gradcheck in float64', () => {
  it.each(ACTIVATIONS)('%s: differences fall toward round-off', async (activation) => {
    const params = resolveMlpParams({ activation, seed: 3, lambda: 1e-3 });
    const r = await runGradcheck(params, { dataset: data, dtype: 'float64', fromTrainedEpochs: 0, device: 'cpu', threads: 2 });
    const diffs = r.results.map((p) => p.max_abs_diff);
    console.log(`${activation}: analytic[0..2] ${r.analytic.slice(0, 3).map((v) => v.toExponential(3))}; max diffs ${diffs.map((d) => d.toExponential(2)).join(' ')}`);
    expect(r.results.map((p) => p.N)).toEqual([100, 200, 1000, 10_000, 100_000]);
    // The check is not vacuous: the gradient is not zero.
    expect(Math.max(...r.analytic.map(Math.abs))).toBeGreaterThan(1e-6);
    expect(diffs.every(Number.isFinite)).toBe(true);
    expect(Math.max(...diffs)).toBeLessThan(1e-6);
    // From N = 100 to 10,000 the truncation error falls 10^4-fold; ask for 100-fold unless at round-off already.
    expect(diffs[3]!).toBeLessThan(Math.max(diffs[0]! / 100, 1e-10));
    expect(Math.min(...diffs)).toBeLessThan(1e-9);
  });
});

describe('gradcheck CLI', () => {
  it('after one trained epoch: table, --json results, SVG plot and record', () => {
    const r = runCli([
      'gradcheck', '--from-trained-epochs', '1', '--subset', '2000', '--device', 'cpu', '--results', results, '--json',
    ]);
    expect(r.code).toBe(0);
    const out = lastJsonLine(r.stdout);
    const rows = out.results as Array<{ N: number; epsilon: number; max_abs_diff: number }>;
    expect(rows.map((x) => Object.keys(x))).toEqual(Array(5).fill(['N', 'epsilon', 'max_abs_diff']));
    expect(rows[4]).toMatchObject({ N: 100_000, epsilon: 1e-5 });
    expect(out.dtype).toBe('float64');
    expect(out.trained_epochs).toBe(1);
    const plot = out.plot as string;
    expect(plot).toMatch(/gradcheck-.*\.svg$/);
    expect(existsSync(plot)).toBe(true);
    expect(readFileSync(plot, 'utf8')).toMatch(/^<svg[^]*<polyline[^]*<\/svg>\n$/);
    const record = JSON.parse(readFileSync(join(results, 'gradcheck.jsonl'), 'utf8').trimEnd().split('\n').pop()!);
    expect(record).toMatchObject({ kind: 'gradcheck', plot, results: rows });
    expect(r.stderr).toMatch(/100000\s+1e-5/);
  });
});
