// npm run bench:samplers — speed and quality of the samplers. Not a test: it
// prints figures and PASS/MISS against the targets of issue 13.
//
//   ask latency  TPE (defaults) on a 6-parameter mixed space (3 log floats,
//                1 int, 2 categoricals) after 100 / 1,000 / 5,000 finished
//                trials: median of many asks, two ways: asks in a row with
//                no tell between them (as parallel workers ask; the fitted
//                estimators are reused), and ask-then-tell (as a sequential
//                sweep does; every ask refits), each after a warm-up of its
//                own kind;
//   GP latency   GP ask-then-tell after 100 and 300 finished trials, 6
//                continuous params (target: <= 50 ms and <= 300 ms), growth;
//   quality      random, TPE, GP and auto on branin, hartmann6, 5-D rosenbrock
//                and an MLP-like surrogate (bench/lib/sampler-problems.ts),
//                100 trials × 20 seeds (seeds 0..19): median and IQR of the best
//                value after 25, 50 and 100 trials, median regret at 100;
//   yardstick    with --optuna, Optuna 3.1's TPESampler on the same protocol
//                (bench/optuna_tpe.py under /usr/bin/python3, every option set
//                explicitly to ours); or --optuna-json FILE to reuse its output;
//   targets      GP regret <= 1/2 Optuna TPE's (branin, hartmann6, rosenbrock);
//                auto no worse than the better of GP/TPE beyond noise (paired
//                bootstrap over the seeds), every problem.
//
// Options: --quick (5 seeds, fewer asks), --seeds N, --samplers random,tpe,gp,auto,
// --multivariate (TPE multivariate in the quality table), --skip-latency,
// --skip-gp-latency, --skip-quality.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSampler, type FinishedTrial, type Sampler } from '../src/samplers/sampler.js';
import { Stream, rngFor } from '../src/samplers/rng.js';
import type { SearchSpace } from '../src/space/distributions.js';
import { DEFAULT_GP_OPTIONS, DEFAULT_TPE_OPTIONS, type SamplerSpec, type TpeOptions } from '../src/space/spec.js';
import { TEST_FUNCTIONS } from '../src/trials/functions.js';
import { PROBLEMS, type Problem } from './lib/sampler-problems.js';
import { bootstrapDiff, median, quantile } from './lib/stats.js';

const args = new Set(process.argv.slice(2));
const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
// --only conditional: just the conditional-space benchmark against Optuna (bench/samplers-conditional.ts).
if (argValue('--only') === 'conditional') {
  await import('./samplers-conditional.js');
  process.exit(0);
}
const quick = args.has('--quick');
const multivariate = args.has('--multivariate');
const here = path.dirname(fileURLToPath(import.meta.url));

const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(1) : Math.abs(x) >= 1 ? x.toFixed(3) : x.toFixed(4));

// ---------------------------------------------------------------- latency
const MIXED_SPACE: SearchSpace = {
  alpha0: { type: 'float', low: 0.01, high: 10, log: true, step: null, includeZero: false },
  delta: { type: 'float', low: 1e-5, high: 1, log: true, step: null, includeZero: false },
  lambda: { type: 'float', low: 1e-6, high: 1e-1, log: true, step: null, includeZero: false },
  h1: { type: 'int', low: 16, high: 1024, log: false, step: 1 },
  batch_size: { type: 'categorical', choices: [16, 32, 64, 128, 256] },
  init: { type: 'categorical', choices: ['zero', 'normal', 'glorot'] },
};

function syntheticValue(params: Record<string, unknown>, number: number): number {
  // Any deterministic function of the params will do; a little noise from the trial number.
  const a = Math.log10(params.alpha0 as number);
  const d = Math.log10(params.delta as number);
  const noise = rngFor(7, number, Stream.trial).nextFloat();
  return (a - 0.3) ** 2 + 0.1 * (d + 3) ** 2 + ((params.h1 as number) - 400) ** 2 / 1e5 + (params.init === 'zero' ? 1 : 0) + 0.01 * noise;
}

function latency(
  history: number,
  asks: number,
  options: TpeOptions,
): { min: number; median: number; p90: number; sequential: number } {
  const spec: SamplerSpec = { type: 'tpe', seed: 1, options };
  // Fill the history quickly with random parameters, then time TPE asks.
  const filler = createSampler({ type: 'random', seed: 1 }, MIXED_SPACE, 'minimize', 1);
  const trials: FinishedTrial[] = [];
  for (let t = 0; t < history; t++) {
    const params = filler.ask(t, []);
    trials.push({ number: t, state: 'complete', params, value: syntheticValue(params, t), intermediate: [] });
  }
  const tpe = createSampler(spec, MIXED_SPACE, 'minimize', 1);
  for (const trial of trials) tpe.tell(trial);
  // Warm-up (JIT), as a long sweep would be: asks in a row on this sampler;
  // ask-then-tell rounds (which refit) on a copy, leaving this one's history as it is.
  for (let i = 0; i < 50; i++) tpe.ask(history + i, []);
  const copy = createSampler(spec, MIXED_SPACE, 'minimize', 1);
  for (const trial of trials) copy.tell(trial);
  for (let n = history; n < history + 30; n++) {
    const params = copy.ask(n, []);
    copy.tell({ number: n, state: 'complete', params, value: syntheticValue(params, n), intermediate: [] });
  }
  const times: number[] = [];
  for (let i = 0; i < asks; i++) {
    const t0 = process.hrtime.bigint();
    tpe.ask(history + 50 + i, []);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  // Ask-then-tell: each ask follows a tell, so nothing fitted can be reused.
  const sequential: number[] = [];
  for (let i = 0, n = history + 50 + asks; i < Math.min(asks, 100); i++, n++) {
    const t0 = process.hrtime.bigint();
    const params = tpe.ask(n, []);
    sequential.push(Number(process.hrtime.bigint() - t0) / 1e6);
    tpe.tell({ number: n, state: 'complete', params, value: syntheticValue(params, n), intermediate: [] });
  }
  return { min: Math.min(...times), median: median(times), p90: quantile(times, 0.9), sequential: median(sequential) };
}

// ---------------------------------------------------------------- quality
const CHECKPOINTS = [25, 50, 100];
type Label = 'random' | 'tpe' | 'gp' | 'auto';

function specFor(label: Label, seed: number): SamplerSpec {
  switch (label) {
    case 'tpe':
      return { type: 'tpe', seed, options: { ...DEFAULT_TPE_OPTIONS, constantLiar: false, multivariate } };
    case 'gp':
      return { type: 'gp', seed, options: DEFAULT_GP_OPTIONS };
    case 'auto':
      return { type: 'auto', seed, budget: 100 };
    case 'random':
      return { type: 'random', seed };
  }
}

/** Best-so-far curve of one sequential run. */
function run(sampler: Sampler, problem: Problem, trials: number): number[] {
  let best = Infinity;
  const curve: number[] = [];
  for (let t = 0; t < trials; t++) {
    const params = sampler.ask(t, []);
    const value = problem.evaluate(params);
    sampler.tell({ number: t, state: 'complete', params, value, intermediate: [] });
    best = Math.min(best, value);
    curve.push(best);
  }
  return curve;
}

type Curves = Record<string, number[][]>;

function ourCurves(label: Label, seeds: number): Curves {
  const out: Curves = {};
  for (const problem of PROBLEMS) {
    out[problem.name] = Array.from({ length: seeds }, (_, seed) =>
      run(createSampler(specFor(label, seed), problem.space, 'minimize', seed), problem, 100),
    );
  }
  return out;
}

function optunaCurves(seeds: number): Curves | null {
  const file = argValue('--optuna-json');
  let text: string;
  if (file) text = fs.readFileSync(file, 'utf8');
  else if (args.has('--optuna')) {
    try {
      text = execFileSync(
        '/usr/bin/python3',
        [path.join(here, 'optuna_tpe.py'), '--trials', '100', '--seeds', String(seeds), ...(multivariate ? ['--multivariate'] : [])],
        { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] },
      );
    } catch (err) {
      console.log(`(Optuna yardstick skipped: ${(err as Error).message.split('\n')[0]})`);
      return null;
    }
  } else return null;
  const parsed = JSON.parse(text.trim().split('\n').pop()!) as { optuna: string; seconds?: number; results: Curves };
  console.log(`Optuna ${parsed.optuna} TPESampler ran in ${parsed.seconds ?? '?'} s`);
  return parsed.results;
}

function qualityTable(rows: Array<{ label: string; curves: Curves }>): void {
  const header = ['problem', 'sampler', ...CHECKPOINTS.map((c) => `best@${c} median [IQR]`), 'regret@100 median'];
  const lines: string[][] = [header];
  for (const problem of PROBLEMS) {
    for (const { label, curves } of rows) {
      const per = curves[problem.name];
      if (!per) continue;
      lines.push([
        problem.name,
        label,
        ...CHECKPOINTS.map((c) => {
          const at = per.map((curve) => curve[c - 1]!);
          return `${fmt(median(at))} [${fmt(quantile(at, 0.25))}, ${fmt(quantile(at, 0.75))}]`;
        }),
        fmtRegret(median(per.map((curve) => curve[99]!)) - problem.optimum),
      ]);
    }
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const l of lines) console.log(l.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
}

const fmtRegret = (x: number): string => (Math.abs(x) < 1e-3 ? x.toExponential(2) : fmt(x));

/** Regrets at trial 100, one per seed. */
const regrets = (curves: Curves, problem: Problem): number[] => curves[problem.name]!.map((c) => c[99]! - problem.optimum);

function targets(ours: Partial<Record<Label, Curves>>, optuna: Curves | null): void {
  console.log('\nTargets (regret = best@100 − optimum, medians over the seeds):');
  const gp = ours.gp;
  if (gp && optuna) {
    for (const problem of PROBLEMS.filter((p) => p.name !== 'mlp')) {
      const mine = median(regrets(gp, problem));
      const theirs = median(regrets(optuna, problem));
      const ok = mine <= theirs / 2;
      console.log(
        `  gp regret <= 1/2 Optuna TPE's on ${problem.name.padEnd(10)} ${fmtRegret(mine)} vs ${fmtRegret(theirs)} (ratio ${(mine / theirs).toFixed(4)})  ${ok ? 'PASS' : 'MISS'}`,
      );
    }
  }
  if (ours.tpe && optuna) {
    for (const problem of PROBLEMS) {
      const mine = regrets(ours.tpe, problem);
      const theirs = regrets(optuna, problem);
      // Unpaired (different generators): seeds resampled independently on each side.
      const { lo, hi } = bootstrapDiff(mine, theirs, false);
      const pairs = mine.reduce((n, a) => n + theirs.filter((b) => a < b).length, 0) / (mine.length * theirs.length);
      console.log(
        `  tpe level with Optuna TPE on ${problem.name.padEnd(10)} regret ${fmtRegret(median(mine))} vs ${fmtRegret(median(theirs))}, ` +
          `90% CI of the difference [${fmtRegret(lo)}, ${fmtRegret(hi)}], ours lower in ${(100 * pairs).toFixed(0)}% of pairs  ${lo <= 0 ? 'PASS' : 'MISS'}`,
      );
    }
  }
  const auto = ours.auto;
  if (auto && gp && ours.tpe) {
    for (const problem of PROBLEMS) {
      const a = regrets(auto, problem);
      const g = regrets(gp, problem);
      const t = regrets(ours.tpe, problem);
      const better = median(g) <= median(t) ? { name: 'gp', r: g } : { name: 'tpe', r: t };
      const { lo, hi } = bootstrapDiff(a, better.r);
      const ok = lo <= 0;
      console.log(
        `  auto no worse than the better of gp/tpe (${better.name}) on ${problem.name.padEnd(10)} ` +
          `${fmtRegret(median(a))} vs ${fmtRegret(median(better.r))}, 90% CI of the difference [${fmtRegret(lo)}, ${fmtRegret(hi)}]  ${ok ? 'PASS' : 'MISS'}`,
      );
    }
  }
}

// ---------------------------------------------------------------- GP latency
const CONTINUOUS6: SearchSpace = Object.fromEntries(
  ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => [n, { type: 'float', low: 0, high: 1, log: false, step: null, includeZero: false }]),
);
const hartmann = TEST_FUNCTIONS.hartmann6;
const h6 = (p: Record<string, unknown>): number => hartmann.evaluate(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => p[n] as number));

/**
 * GP ask-then-tell latency after `history` finished trials (6 continuous
 * params, hartmann6 values): the history is made by the GP itself (so the
 * data look like a real sweep's, clustered near optima), then `asks` more
 * rounds are timed, each ask following a tell (every ask conditions on new
 * data; the kernel is refitted on the schedule of src/samplers/gp/sampler.ts).
 */
function gpLatency(history: number, asks: number): { median: number; p90: number; max: number; mean: number } {
  const gp = createSampler({ type: 'gp', seed: 3, options: DEFAULT_GP_OPTIONS }, CONTINUOUS6, 'minimize', 3);
  for (let t = 0; t < history; t++) {
    const params = t < 100 || t % 10 === 0 ? gp.ask(t, []) : createSampler({ type: 'random', seed: 3 }, CONTINUOUS6, 'minimize', 3).ask(t, []);
    gp.tell({ number: t, state: 'complete', params, value: h6(params), intermediate: [] });
  }
  const times: number[] = [];
  for (let n = history; n < history + asks; n++) {
    const t0 = process.hrtime.bigint();
    const params = gp.ask(n, []);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    gp.tell({ number: n, state: 'complete', params, value: h6(params), intermediate: [] });
  }
  return { median: median(times), p90: quantile(times, 0.9), max: Math.max(...times), mean: times.reduce((a, b) => a + b, 0) / times.length };
}

/**
 * A fixed reference workload (exp and arithmetic over 4M numbers), timed in the
 * same run: when the machine is shared or throttled this rises with every
 * figure above it, so latencies from different runs can be compared.
 */
function calibration(): number {
  const xs = new Float64Array(4096).map((_, i) => -(i % 64) * 0.5);
  let best = Infinity;
  let sink = 0;
  for (let rep = 0; rep < 5; rep++) {
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < 1000; r++) for (let i = 0; i < xs.length; i++) sink += Math.exp(xs[i]!) * 0.5 + xs[i]! * 1e-9;
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  if (sink === 42) console.log('');
  return best;
}

// ---------------------------------------------------------------- main
console.log(`node ${process.version}, ${process.platform}/${process.arch}, ${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`reference workload (4M exp + multiply-add): ${calibration().toFixed(1)} ms`);
if (!args.has('--skip-latency')) {
  console.log('\nTPE ask latency, 6-parameter mixed space (3 log floats, 1 int, 2 categoricals), default options');
  console.log('finished trials   median ms   (min    p90)   ask-then-tell median ms');
  for (const history of [100, 1000, 5000]) {
    const asks = quick ? 20 : history >= 5000 ? 100 : 300;
    const { min, median: m, p90, sequential } = latency(history, asks, DEFAULT_TPE_OPTIONS);
    console.log(
      `${String(history).padStart(15)}   ${m.toFixed(3).padStart(9)}   (${min.toFixed(3)}  ${p90.toFixed(3)})   ${sequential.toFixed(3).padStart(9)}`,
    );
  }
  const m = latency(1000, quick ? 20 : 100, { ...DEFAULT_TPE_OPTIONS, multivariate: true });
  console.log(`multivariate TPE at 1,000 trials: median ${m.median.toFixed(3)} ms, p90 ${m.p90.toFixed(3)} ms`);
}
if (!args.has('--skip-gp-latency')) {
  console.log('\nGP ask-then-tell latency, 6 continuous params (hartmann6), kernel refits on their schedule included');
  console.log('finished trials   median ms   mean ms   p90 ms    max ms   target');
  const rows: Array<{ history: number; median: number }> = [];
  for (const [history, target] of [[100, 50], [300, 300]] as const) {
    const r = gpLatency(history, quick ? 10 : 30);
    rows.push({ history, median: r.median });
    console.log(
      `${String(history).padStart(15)}   ${r.median.toFixed(1).padStart(9)}   ${r.mean.toFixed(1).padStart(7)}   ${r.p90.toFixed(1).padStart(6)}   ${r.max.toFixed(1).padStart(7)}   <= ${target} ms ${r.median <= target ? 'PASS' : 'MISS'} (median)`,
    );
  }
  const growth = Math.log(rows[1]!.median / rows[0]!.median) / Math.log(3);
  console.log(`growth 100 -> 300 trials: x${(rows[1]!.median / rows[0]!.median).toFixed(2)}, i.e. ~n^${growth.toFixed(2)}`);
}
if (!args.has('--skip-quality')) {
  const seeds = Number(argValue('--seeds') ?? (quick ? 5 : 20));
  const labels = (argValue('--samplers') ?? 'random,tpe,gp,auto').split(',') as Label[];
  console.log(`\nQuality: best value found (minimised), 100 trials × ${seeds} seeds${multivariate ? ', multivariate TPE' : ''}`);
  const ours: Partial<Record<Label, Curves>> = {};
  const rows: Array<{ label: string; curves: Curves }> = [];
  for (const label of labels) {
    const t0 = performance.now();
    ours[label] = ourCurves(label, seeds);
    rows.push({ label, curves: ours[label] });
    console.log(`(${label}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const optuna = optunaCurves(seeds);
  if (optuna) rows.push({ label: 'optuna-tpe', curves: optuna });
  qualityTable(rows);
  console.log(`optima: ${PROBLEMS.map((p) => `${p.name} ${p.optimum}`).join(', ')}`);
  targets(ours, optuna);
}
