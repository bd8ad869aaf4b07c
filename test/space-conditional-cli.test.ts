// End to end through the CLI: a sweep over a conditional space (a quick module
// objective), then every reader of its journal with absent parameters: the
// leaderboard (empty cells, --where), CSV and JSON, the HTML report (slices
// over the trials where the parameter is active) and repro; and a grid sweep
// over the valid combinations only.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastJsonLine, ROOT, runCli } from './helpers/cli.js';

let dir: string;
const results = () => path.join(dir, 'results');

const SPACE = `name: cond
objective: {module: ./conditional-objective.mjs}
metric: value
direction: minimize
params:
  optimizer: {type: categorical, choices: [sgd, momentum, adam]}
  lr: {type: float, low: 1.0e-4, high: 1, log: true}
  momentum: {type: float, low: 0.5, high: 0.99, when: {optimizer: momentum}}
  nesterov: {type: categorical, choices: [true, false], when: {optimizer: momentum}}
  dampening: {type: float, low: 0, high: 0.5, when: {nesterov: false}}
  beta1: {type: float, low: 0.8, high: 0.95, when: {optimizer: adam}}
  beta2: {type: float, low: 0.9, high: 0.9999, when: {optimizer: adam}}
sampler: {type: tpe, seed: 3, options: {multivariate: true, group: true, n_startup_trials: 8}}
budget: {trials: 30}
`;

interface Row {
  trial: number;
  params: Record<string, unknown>;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-cond-cli-'));
  fs.copyFileSync(path.join(ROOT, 'test', 'fixtures', 'conditional-objective.mjs'), path.join(dir, 'conditional-objective.mjs'));
  fs.writeFileSync(path.join(dir, 'cond.yaml'), SPACE);
  const r = runCli(['sweep', path.join(dir, 'cond.yaml'), '--results', results(), '--quiet']);
  expect(r.code, r.stderr).toBe(0);
}, 180_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The leaderboard's rows (--format json prints them as one array). */
function rowsOf(args: string[]): Row[] {
  const r = runCli(['leaderboard', 'cond', '--results', results(), ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Row[];
}

function journalParams(study: string): Array<Record<string, unknown>> {
  return fs
    .readFileSync(path.join(results(), study, 'journal.jsonl'), 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e['event'] === 'trial_started')
    .map((e) => e['params'] as Record<string, unknown>);
}

describe('a sweep over a conditional space', () => {
  it('journals only the active params of each trial (every trial completed: the objective saw no inactive one)', () => {
    const params = journalParams('cond');
    expect(params).toHaveLength(30);
    for (const p of params) {
      expect(Object.values(p)).not.toContain(null);
      expect('momentum' in p).toBe(p['optimizer'] === 'momentum');
      expect('dampening' in p).toBe(p['nesterov'] === false);
      expect('beta1' in p && 'beta2' in p).toBe(p['optimizer'] === 'adam');
    }
    expect(new Set(params.map((p) => p['optimizer']))).toEqual(new Set(['sgd', 'momentum', 'adam']));
    expect(rowsOf(['--format', 'json'])).toHaveLength(30);
  });

  it('leaderboard: empty cells in CSV and the table, absent keys in JSON, --where over present values only', () => {
    const json = { rows: rowsOf(['--format', 'json']) };
    const csv = runCli(['leaderboard', 'cond', '--results', results(), '--format', 'csv']).stdout.trimEnd().split('\r\n');
    const header = csv[0]!.split(',');
    const col = header.indexOf('momentum');
    expect(col).toBeGreaterThan(0);
    json.rows.forEach((row, i) => {
      const cells = csv[i + 1]!.split(',');
      expect(cells[header.indexOf('trial')]).toBe(String(row.trial));
      expect(cells[col]).toBe('momentum' in row.params ? String(row.params['momentum']) : '');
      expect(Object.values(row.params)).not.toContain(null);
    });
    const table = runCli(['leaderboard', 'cond', '--results', results()]).stdout;
    expect(table).not.toMatch(/null|undefined/);

    const where = { rows: rowsOf(['--format', 'json', '--where', 'momentum>0.7']) };
    const expected = json.rows.filter((r) => typeof r.params['momentum'] === 'number' && (r.params['momentum'] as number) > 0.7).map((r) => r.trial);
    expect(where.rows.map((r) => r.trial)).toEqual(expected);
    const notAdam = { rows: rowsOf(['--format', 'json', '--where', 'beta1!=0.9']) };
    // An absent parameter differs from any value.
    expect(notAdam.rows).toHaveLength(json.rows.length);
  });

  it('report: each slice plots only the trials where its parameter is active', () => {
    const out = path.join(dir, 'report.html');
    const r = runCli(['report', 'cond', '--results', results(), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const html = fs.readFileSync(out, 'utf8');
    const params = journalParams('cond');
    for (const name of ['momentum', 'beta2', 'dampening', 'lr']) {
      const points = html.match(new RegExp(`<title>trial \\d+: ${name}=`, 'g')) ?? [];
      expect(points.length, name).toBe(params.filter((p) => name in p).length);
    }
    expect(html).not.toMatch(/=null|=undefined/);
  });

  it('repro: a trial re-runs with its active params only', () => {
    const params = journalParams('cond');
    const sgd = params.findIndex((p) => p['optimizer'] === 'sgd');
    const r = runCli(['repro', 'cond', String(sgd), '--results', results(), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(lastJsonLine(r.stdout)).toMatchObject({ match: true, bit_identical: true });
  });

  it('a null in an older journal is read as absent (leaderboard, repro)', () => {
    const journal = path.join(results(), 'cond', 'journal.jsonl');
    const original = fs.readFileSync(journal, 'utf8');
    const lines = original.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const started = lines.find((e) => e['event'] === 'trial_started' && (e['params'] as Record<string, unknown>)['optimizer'] === 'sgd')!;
    (started['params'] as Record<string, unknown>)['momentum'] = null;
    fs.writeFileSync(journal, lines.map((e) => JSON.stringify(e)).join('\n') + '\n');
    try {
      fs.writeFileSync(path.join(dir, 'kept-journal.jsonl'), fs.readFileSync(journal));
      const csv = runCli(['leaderboard', 'cond', '--results', results(), '--format', 'csv', '--rebuild']).stdout;
      expect(csv).not.toContain('null');
      const r = runCli(['repro', 'cond', String(started['trial']), '--results', results(), '--json']);
      expect(r.code, r.stderr).toBe(0);
    } finally {
      if (!process.env['KEEP']) fs.writeFileSync(journal, original);
    }
  });
});

describe('a grid sweep over a conditional space', () => {
  it('runs each valid combination once; the budget defaults to their count', () => {
    const grid = SPACE.replace('name: cond', 'name: cond-grid')
      .replace('low: 1.0e-4, high: 1, log: true', 'low: 0.001, high: 0.1, step: 0.099')
      .replace('{type: float, low: 0.5, high: 0.99, when', '{type: categorical, choices: [0.5, 0.9], when')
      .replace('{type: float, low: 0, high: 0.5, when', '{type: categorical, choices: [0, 0.5], when')
      .replace('{type: float, low: 0.8, high: 0.95, when', '{type: categorical, choices: [0.8, 0.9], when')
      .replace('{type: float, low: 0.9, high: 0.9999, when', '{type: categorical, choices: [0.99], when')
      .replace(/sampler: .*\n/, 'sampler: {type: grid}\n')
      .replace('budget: {trials: 30}\n', '');
    fs.writeFileSync(path.join(dir, 'grid.yaml'), grid);
    const r = runCli(['sweep', path.join(dir, 'grid.yaml'), '--results', results(), '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    // lr 2 values × (sgd 1 + momentum 2 × (nesterov 1 + 2) + adam 2 × 1) = 2 × 9 = 18.
    const params = journalParams('cond-grid');
    expect(params).toHaveLength(18);
    expect(new Set(params.map((p) => JSON.stringify(p))).size).toBe(18);
  });
});
