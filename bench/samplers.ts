// npm run bench:samplers — speed and quality of the samplers. Not a test: it
// prints figures.
//
//   ask latency  TPE (defaults) on a 6-parameter mixed space (3 log floats,
//                1 int, 2 categoricals) after 100 / 1,000 / 5,000 finished
//                trials: median of many asks, two ways: asks in a row with
//                no tell between them (as parallel workers ask; the fitted
//                estimators are reused), and ask-then-tell (as a sequential
//                sweep does; every ask refits), each after a warm-up of its
//                own kind;
//   quality      TPE and random on branin, hartmann6 and 5-D rosenbrock,
//                100 trials × 20 seeds (seeds 0..19): median and IQR of the best
//                value after 25, 50 and 100 trials;
//   yardstick    with --optuna, Optuna 3.1's TPESampler on the same protocol
//                (bench/optuna_tpe.py under /usr/bin/python3, every option set
//                explicitly to ours); or --optuna-json FILE to reuse its output.
//
// Options: --quick (5 seeds, fewer asks), --multivariate (TPE multivariate in
// the quality table), --skip-latency, --skip-quality.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSampler, type FinishedTrial, type Sampler } from '../src/samplers/sampler.js';
import { Stream, rngFor } from '../src/samplers/rng.js';
import type { SearchSpace } from '../src/space/distributions.js';
import { DEFAULT_TPE_OPTIONS, type SamplerSpec, type TpeOptions } from '../src/space/spec.js';
import { TEST_FUNCTIONS, type TestFunctionName } from '../src/trials/functions.js';

const args = new Set(process.argv.slice(2));
const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const quick = args.has('--quick');
const multivariate = args.has('--multivariate');
const here = path.dirname(fileURLToPath(import.meta.url));

const median = (xs: number[]): number => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  // Linear interpolation between order statistics (numpy's default).
  const s = xs.slice().sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
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
const PROBLEMS: Array<{ fn: TestFunctionName; dims: number }> = [
  { fn: 'branin', dims: 2 },
  { fn: 'hartmann6', dims: 6 },
  { fn: 'rosenbrock', dims: 5 },
];
const CHECKPOINTS = [25, 50, 100];

function functionSpace(name: TestFunctionName, dims: number): SearchSpace {
  const fn = TEST_FUNCTIONS[name];
  const space: Record<string, SearchSpace[string]> = {};
  fn.paramNames(dims).forEach((p, i) => {
    const [low, high] = fn.domain(dims)[i]!;
    space[p] = { type: 'float', low, high, log: false, step: null, includeZero: false };
  });
  return space;
}

/** Best-so-far curve of one sequential run. */
function run(sampler: Sampler, name: TestFunctionName, dims: number, trials: number): number[] {
  const fn = TEST_FUNCTIONS[name];
  const names = fn.paramNames(dims);
  let best = Infinity;
  const curve: number[] = [];
  for (let t = 0; t < trials; t++) {
    const params = sampler.ask(t, []);
    const value = fn.evaluate(names.map((p) => params[p] as number));
    const trial: FinishedTrial = { number: t, state: 'complete', params, value, intermediate: [] };
    sampler.tell(trial);
    best = Math.min(best, value);
    curve.push(best);
  }
  return curve;
}

type Curves = Record<string, number[][]>;

function ourCurves(type: 'tpe' | 'random', seeds: number): Curves {
  const out: Curves = {};
  for (const { fn, dims } of PROBLEMS) {
    const space = functionSpace(fn, dims);
    out[fn] = Array.from({ length: seeds }, (_, seed) => {
      const spec: SamplerSpec =
        type === 'tpe' ? { type, seed, options: { ...DEFAULT_TPE_OPTIONS, constantLiar: false, multivariate } } : { type, seed };
      return run(createSampler(spec, space, 'minimize', seed), fn, dims, 100);
    });
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
  const header = ['function', 'sampler', ...CHECKPOINTS.map((c) => `best@${c} median [IQR]`)];
  const lines: string[][] = [header];
  for (const { fn } of PROBLEMS) {
    for (const { label, curves } of rows) {
      const per = curves[fn];
      if (!per) continue;
      lines.push([
        fn,
        label,
        ...CHECKPOINTS.map((c) => {
          const at = per.map((curve) => curve[c - 1]!);
          return `${fmt(median(at))} [${fmt(quantile(at, 0.25))}, ${fmt(quantile(at, 0.75))}]`;
        }),
      ]);
    }
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const l of lines) console.log(l.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
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
if (!args.has('--skip-quality')) {
  const seeds = quick ? 5 : 20;
  console.log(`\nQuality: best value found (minimised), 100 trials × ${seeds} seeds${multivariate ? ', multivariate TPE' : ''}`);
  const t0 = performance.now();
  const rows = [
    { label: 'random', curves: ourCurves('random', seeds) },
    { label: 'tpe', curves: ourCurves('tpe', seeds) },
  ];
  console.log(`(hypersweep runs took ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const optuna = optunaCurves(seeds);
  if (optuna) rows.push({ label: 'optuna-tpe', curves: optuna });
  qualityTable(rows);
  console.log('optima: branin 0.3979, hartmann6 -3.3224, rosenbrock 0');
}
