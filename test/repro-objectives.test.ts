// `hypersweep repro` for module objectives and test functions: re-run exactly
// (same params, same ctx.seed) and compared bit for bit — intermediate values,
// the value and the numbers returned beside it; altered records are caught.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ReproReport } from '../src/trials/repro.js';
import { lastJsonLine, ROOT, runCli } from './helpers/cli.js';

let results: string;
let slowJournal: string;
let original: string;

function repro(args: string[]): { code: number | null; report: ReproReport; stderr: string } {
  const r = runCli(['repro', ...args, '--results', results, '--json']);
  return { code: r.code, report: lastJsonLine(r.stdout) as unknown as ReproReport, stderr: r.stderr };
}

/** The journal with the first line matching `event` and trial `trial` changed by `edit`. */
function edited(trial: number, event: string, edit: (e: Record<string, unknown>) => void): string {
  let done = false;
  const lines = original.trimEnd().split('\n').map((l) => {
    const e = JSON.parse(l) as Record<string, unknown>;
    if (!done && e['event'] === event && e['trial'] === trial) {
      edit(e);
      done = true;
    }
    return JSON.stringify(e);
  });
  if (!done) throw new Error(`no ${event} for trial ${trial}`);
  return lines.join('\n') + '\n';
}

beforeAll(() => {
  results = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-repro-obj-'));
  const r = runCli(['sweep', path.join(ROOT, 'test', 'fixtures', 'slow.yaml'), '--results', results, '--trials', '4', '--quiet'], { SLOW_MS: '0' });
  expect(r.code, r.stderr).toBe(0);
  slowJournal = path.join(results, 'slow', 'journal.jsonl');
  original = fs.readFileSync(slowJournal, 'utf8');
}, 120_000);
afterAll(() => fs.rmSync(results, { recursive: true, force: true }));

describe('repro of a module objective', () => {
  it('re-runs it exactly: intermediate values, value and returned metrics', () => {
    fs.writeFileSync(slowJournal, original);
    const r = repro(['slow', '0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report).toMatchObject({ objective: 'module', check: 'bit-identical', match: true, bit_identical: true });
    // 3 intermediate values, the value, and metrics.seed (the module returns ctx.seed: the same seed was passed).
    expect(r.report.comparisons.map((c) => c.metric)).toEqual(['intermediate', 'intermediate', 'intermediate', 'value', 'metrics.seed']);
  });

  it('catches an altered intermediate value and an altered value', () => {
    fs.writeFileSync(slowJournal, edited(1, 'intermediate', (e) => (e['value'] = (e['value'] as number) + 1e-12)));
    const a = repro(['slow', '1']);
    expect(a.code).toBe(1);
    expect(a.report.comparisons.filter((c) => !c.ok)).toMatchObject([{ metric: 'intermediate', step: 0 }]);

    fs.writeFileSync(slowJournal, edited(2, 'trial_finished', (e) => (e['value'] = (e['value'] as number) * 1.001)));
    const b = repro(['slow', '2']);
    expect(b.code).toBe(1);
    expect(b.report.comparisons.filter((c) => !c.ok).map((c) => c.metric)).toEqual(['value']);

    // Under a tolerance the relative change of 1e-3 passes with rtol 1e-2, and the report says it was not bit-identical.
    const c = repro(['slow', '2', '--rtol', '1e-2']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.report).toMatchObject({ check: 'tolerance', match: true, bit_identical: false, tolerance: { rtol: 0.01, atol: 0.001 } });
    fs.writeFileSync(slowJournal, original);
  });
});

describe('repro of a test function', () => {
  it('is exact', () => {
    const space = path.join(results, 'fn.yaml');
    fs.writeFileSync(
      space,
      'name: fn\nobjective: {function: branin}\nparams:\n  x1: {type: float, low: -5, high: 10}\n  x2: {type: float, low: 0, high: 15}\nsampler: {type: random, seed: 1}\nbudget: {trials: 2}\n',
    );
    expect(runCli(['sweep', space, '--results', results, '--quiet']).code).toBe(0);
    const r = repro(['fn', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report).toMatchObject({ objective: 'function', check: 'bit-identical', match: true });
    expect(r.report.comparisons).toHaveLength(1);
  });
});
