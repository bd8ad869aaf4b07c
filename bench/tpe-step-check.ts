// node --import tsx bench/tpe-step-check.ts [--seeds 3000] — is one TPE ask
// distributed as Optuna 3.1's? From the same fixed history (random branin
// trials, 30 and 80 of them), ask the next trial's params under many seeds
// on both sides and compare the two samples per parameter: quantiles and the
// two-sample Kolmogorov–Smirnov statistic D against its 1% critical value.
// A systematic difference in the Parzen estimators' maths (bandwidths, prior,
// weights, endpoints, candidates) shows up here, free of the run-to-run noise
// of whole studies. Not a test: it prints figures.

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSampler } from '../src/samplers/sampler.js';
import { DEFAULT_TPE_OPTIONS } from '../src/space/spec.js';
import { PROBLEMS } from './lib/sampler-problems.js';
import { ks } from './lib/stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const i = process.argv.indexOf('--seeds');
const seeds = i >= 0 ? Number(process.argv[i + 1]) : 3000;
const branin = PROBLEMS.find((p) => p.name === 'branin')!;
const names = Object.keys(branin.space);

const q = (a: number[], f: number): number => [...a].sort((p, r) => p - r)[Math.floor(f * (a.length - 1))]!;

for (const n of [30, 80]) {
  const random = createSampler({ type: 'random', seed: 99 }, branin.space, 'minimize', 99);
  const history = Array.from({ length: n }, (_, t) => {
    const params = random.ask(t, []);
    return { number: t, params, value: branin.evaluate(params) };
  });
  const ours: number[][] = [];
  for (let seed = 0; seed < seeds; seed++) {
    const tpe = createSampler({ type: 'tpe', seed, options: { ...DEFAULT_TPE_OPTIONS, constantLiar: false } }, branin.space, 'minimize', seed);
    for (const h of history) tpe.tell({ ...h, state: 'complete', intermediate: [] });
    const p = tpe.ask(n, []);
    ours.push(names.map((name) => p[name] as number));
  }
  const space = Object.fromEntries(names.map((name) => [name, [(branin.space[name] as { low: number }).low, (branin.space[name] as { high: number }).high]]));
  const out = execFileSync('/usr/bin/python3', [path.join(here, 'optuna_tpe_step.py')], {
    input: JSON.stringify({ history, space, seeds }),
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    cwd: here,
  });
  const theirs = (JSON.parse(out) as { asks: number[][] }).asks;
  const critical = 1.628 * Math.sqrt(2 / seeds);
  console.log(`\nhistory of ${n} random branin trials, ${seeds} seeds each side`);
  names.forEach((name, k) => {
    const a = ours.map((r) => r[k]!);
    const b = theirs.map((r) => r[k]!);
    const qs = (s: number[]): string => [0.05, 0.25, 0.5, 0.75, 0.95].map((f) => q(s, f).toFixed(3)).join(' ');
    const d = ks(a, b);
    console.log(`  ${name}  ours   q05..q95 ${qs(a)}`);
    console.log(`  ${name}  optuna q05..q95 ${qs(b)}`);
    console.log(`  ${name}  KS D = ${d.toFixed(4)} (1% critical ${critical.toFixed(4)}): ${d < critical ? 'same distribution' : 'DIFFERENT'}`);
  });
}
