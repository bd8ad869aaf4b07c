// npm run bench:samplers -- --only conditional — TPE on a conditional space
// against Optuna 3.1's TPESampler(multivariate=True, group=True). Not a test:
// it prints figures and PASS/MISS.
//
//   benchmark  three branches with different optima (offsets 0.45, 0.3 and
//              0 / 0.15, and a different best value of the shared parameter s
//              in each): kind=quad (x, y), kind=log (a log float and an int),
//              kind=nested with its own two-way choice (mode=p: u, mode=q: v)
//              and w; global minimum 0 at kind=nested, mode=p, u=0.3, w=1, s=0.5
//              (bench/samplers-conditional-space.ts).
//   protocol   100 sequential trials × 20 seeds (0..19), n_startup_trials 10,
//              every other TPE option at Optuna 3.1's values; median best@100
//              (and best@50). Target: hypersweep's multivariate + group TPE
//              equal or better than Optuna's at best@100. With it, a 90%
//              bootstrap CI of the difference of the medians (seeds resampled
//              on each side, bench/lib/stats.ts): how far from level the two
//              are beyond the noise of this many seeds (--seeds 200 to see it
//              narrow; bench/tpe-step-check-conditional.ts compares single asks).
//   yardstick  bench/optuna_conditional.py under /usr/bin/python3 (the same
//              function, define-by-run), run in the same invocation; or
//              --optuna-json FILE to reuse its output.
//
// Options: --seeds N (default 20), --optuna-json FILE, --no-optuna.
//
// Measured (2026-12-05, shared 2-core machine), median best@100, ours
// (multivariate + group, neighbour joint bandwidths as Optuna >= 5.0) vs
// Optuna 3.1's TPESampler(multivariate=True, group=True):
//   seeds 0..19    0.0010 vs 0.0026  PASS (CI of the difference [−0.0026, 0.0003]; ours lower in 65% of pairs)
//   seeds 0..199   0.0008 vs 0.0034  PASS (CI [−0.0035, −0.0022]; ours lower in 77% of pairs; best@50 0.0062 vs 0.0125)
//   (held out, seeds 20..199: 0.0007 vs 0.0037.) With Optuna 3.1's Scott joint
//   bandwidths (the "3.1 bandwidths" row, the yardstick's own algorithm) ours
//   was 0.0041 and 0.0036. Optuna 3.1 given the neighbour rule (the variant
//   group_neighbour of the yardstick, a row when its JSON has it): 0.0004 on
//   seeds 0..19, 0.0007 on 0..199 (ours level with it over 200 seeds: CI of
//   the difference [−0.0001, 0.0002]). 200 seeds:
//     /usr/bin/python3 bench/optuna_conditional.py --seeds 200 --variants group > F
//     npm run bench:samplers -- --only conditional --seeds 200 --optuna-json F

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSampler, type Sampler } from '../src/samplers/sampler.js';
import type { TpeSamplerOptions } from '../src/samplers/tpe/sampler.js';
import { DEFAULT_TPE_OPTIONS, type SamplerSpec } from '../src/space/spec.js';
import { bootstrapDiff, quantile } from './lib/stats.js';
import { CONDITIONAL_SPACE, conditionalValue } from './samplers-conditional-space.js';

const argv = process.argv.slice(2);
const argValue = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const SEEDS = Number(argValue('--seeds') ?? 20);
const TRIALS = 100;
const here = path.dirname(fileURLToPath(import.meta.url));

/** Best value after each trial of one sequential study. */
function curve(sampler: Sampler): number[] {
  const out: number[] = [];
  let best = Infinity;
  for (let n = 0; n < TRIALS; n++) {
    const params = sampler.ask(n, []);
    const value = conditionalValue(params);
    sampler.tell({ number: n, state: 'complete', params, value, intermediate: [] });
    best = Math.min(best, value);
    out.push(best);
  }
  return out;
}

type Curves = number[][];

function ours(spec: (seed: number) => SamplerSpec): Curves {
  return Array.from({ length: SEEDS }, (_, seed) => curve(createSampler(spec(seed), CONDITIONAL_SPACE, 'minimize', seed)));
}

function optuna(): Record<string, Curves> | null {
  const file = argValue('--optuna-json');
  let text: string;
  if (file) text = fs.readFileSync(file, 'utf8');
  else if (argv.includes('--no-optuna')) return null;
  else {
    try {
      const t0 = performance.now();
      text = execFileSync('/usr/bin/python3', [path.join(here, 'optuna_conditional.py'), '--trials', String(TRIALS), '--seeds', String(SEEDS)], {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      console.log(`(Optuna runs took ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (err) {
      console.log(`(Optuna yardstick skipped: ${(err as Error).message.split('\n')[0]})`);
      return null;
    }
  }
  const parsed = JSON.parse(text.trim().split('\n').pop()!) as { optuna: string; results: Record<string, Curves> };
  console.log(`yardstick: Optuna ${parsed.optuna} TPESampler`);
  return parsed.results;
}

const at = (curves: Curves, trial: number, q: number): number => quantile(curves.map((c) => c[trial - 1]!), q);
const fmt = (x: number): string => x.toFixed(4);

const tpe =
  (multivariate: boolean, group: boolean, extra: Partial<TpeSamplerOptions> = {}) =>
  (seed: number): SamplerSpec => {
    const options: TpeSamplerOptions = { ...DEFAULT_TPE_OPTIONS, constantLiar: false, multivariate, group, ...extra };
    return { type: 'tpe', seed, options };
  };

console.log(`Conditional benchmark (3 branches, a nested choice, 10 parameters; minimum 0): ${TRIALS} trials × ${SEEDS} seeds`);
const t0 = performance.now();
const rows: Array<{ label: string; curves: Curves }> = [
  { label: 'hypersweep random', curves: ours((seed) => ({ type: 'random', seed })) },
  { label: 'hypersweep tpe (univariate)', curves: ours(tpe(false, false)) },
  { label: 'hypersweep tpe multivariate+group', curves: ours(tpe(true, true)) },
  // For reference: with Optuna 3.1's joint kernels (Scott bandwidths), the yardstick's own algorithm.
  { label: 'hypersweep tpe mv+group, 3.1 bandwidths', curves: ours(tpe(true, true, { jointBandwidth: 'scott' })) },
];
console.log(`(hypersweep runs took ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
const yard = optuna();
if (yard?.univariate) rows.push({ label: 'optuna tpe (univariate)', curves: yard.univariate });
if (yard?.group) rows.push({ label: 'optuna tpe multivariate+group', curves: yard.group });
if (yard?.group_neighbour) rows.push({ label: 'optuna mv+group, neighbour bandwidths', curves: yard.group_neighbour });

const width = Math.max(...rows.map((r) => r.label.length));
console.log(`${'sampler'.padEnd(width)}  best@50 median  best@100 median [IQR]`);
for (const { label, curves } of rows) {
  console.log(`${label.padEnd(width)}  ${fmt(at(curves, 50, 0.5)).padStart(14)}  ${fmt(at(curves, 100, 0.5))} [${fmt(at(curves, 100, 0.25))}, ${fmt(at(curves, 100, 0.75))}]`);
}
if (yard?.group) {
  const mine = at(rows[2]!.curves, 100, 0.5);
  const theirs = at(yard.group, 100, 0.5);
  console.log(
    `median best@100, multivariate+group: hypersweep ${fmt(mine)} vs Optuna ${fmt(theirs)} (ratio ${(mine / theirs).toFixed(3)}, lower is better): ` +
      `${mine <= theirs ? 'PASS' : 'MISS'} (target: equal or better)`,
  );
  // Is the difference beyond the noise of this many seeds? Unpaired (different
  // generators): the seeds resampled independently on each side.
  const a = rows[2]!.curves.map((c) => c[TRIALS - 1]!);
  const b = yard.group.map((c) => c[TRIALS - 1]!);
  const { lo, hi } = bootstrapDiff(a, b, false);
  const pairs = a.reduce((n, x) => n + b.filter((y) => x < y).length, 0) / (a.length * b.length);
  console.log(
    `  difference of the medians (hypersweep − Optuna): 90% bootstrap CI [${fmt(lo)}, ${fmt(hi)}] ` +
      `(${lo <= 0 && hi >= 0 ? 'contains 0: level within the noise of ' : lo > 0 ? 'worse beyond the noise of ' : 'better beyond the noise of '}${a.length} vs ${b.length} seeds); ` +
      `ours lower in ${(100 * pairs).toFixed(0)}% of pairs`,
  );
} else {
  console.log('no Optuna yardstick: no PASS/MISS');
}
