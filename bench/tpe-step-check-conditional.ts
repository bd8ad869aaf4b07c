// node --import tsx bench/tpe-step-check-conditional.ts [--asks 1000] — is one
// multivariate+group TPE ask on the conditional benchmark distributed as
// Optuna 3.1's? As bench/tpe-step-check.ts, on bench/samplers-conditional-space.ts
// and from histories made by Optuna's own group TPE (seeds 3, 7, 11 after 40, 80
// and 60 trials: real studies' histories, unlike the random one of
// test/sampler-conditional-optuna.test.ts): the share of each branch, and per
// parameter, over the asks where it is active, quantiles and the two-sample
// Kolmogorov–Smirnov D against its 1% critical value. A difference in the
// groups, the split, the masks or the joint estimators shows up here, free of
// the run-to-run noise of whole studies. Not a test: it prints figures.
// Ours is run with jointBandwidth: 'scott' (Optuna 3.1's joint kernels; group
// TPE's default since is neighbour bandwidths, Optuna >= 5.0's, which draws
// differently by design).

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSampler } from '../src/samplers/sampler.js';
import type { Params } from '../src/space/distributions.js';
import type { TpeSamplerOptions } from '../src/samplers/tpe/sampler.js';
import { DEFAULT_TPE_OPTIONS } from '../src/space/spec.js';
import { ks, ksCritical, quantile } from './lib/stats.js';
import { CONDITIONAL_SPACE } from './samplers-conditional-space.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const i = process.argv.indexOf('--asks');
const asks = i >= 0 ? Number(process.argv[i + 1]) : 1000;
const HISTORIES: Array<[seed: number, trials: number]> = [
  [3, 40],
  [7, 80],
  [11, 60],
];
const branch = (p: Params): string => (p.kind === 'nested' ? `nested/${String(p.mode)}` : String(p.kind));
function shares(ps: Params[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of ps) out.set(branch(p), (out.get(branch(p)) ?? 0) + 1 / ps.length);
  return out;
}

for (const [historySeed, trials] of HISTORIES) {
  const out = execFileSync('/usr/bin/python3', [path.join(here, 'optuna_tpe_step_conditional.py'), String(historySeed), String(trials), String(asks)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    cwd: here,
  });
  const job = JSON.parse(out) as { optuna: string; history: Array<{ params: Params; value: number }>; asks: Params[] };
  const ours: Params[] = [];
  for (let seed = 0; seed < asks; seed++) {
    const options: TpeSamplerOptions = { ...DEFAULT_TPE_OPTIONS, constantLiar: false, multivariate: true, group: true, jointBandwidth: 'scott' };
    const tpe = createSampler({ type: 'tpe', seed, options }, CONDITIONAL_SPACE, 'minimize', seed);
    job.history.forEach((h, number) => tpe.tell({ number, state: 'complete', params: h.params, value: h.value, intermediate: [] }));
    ours.push(tpe.ask(trials, []));
  }
  console.log(`\nhistory: Optuna ${job.optuna} group TPE, seed ${historySeed}, ${trials} trials; ${asks} asks each side`);
  const [a, b] = [shares(ours), shares(job.asks)];
  const names = [...new Set([...a.keys(), ...b.keys()])].sort();
  console.log(`  branch shares  ours   ${names.map((k) => `${k} ${(a.get(k) ?? 0).toFixed(3)}`).join('  ')}`);
  console.log(`                 optuna ${names.map((k) => `${k} ${(b.get(k) ?? 0).toFixed(3)}`).join('  ')}`);
  for (const name of ['s', 'x', 'y', 'lr', 'n', 'w', 'u', 'v']) {
    // lr on its log scale (where TPE models it).
    const value = (p: Params): number => (name === 'lr' ? Math.log10(p[name] as number) : (p[name] as number));
    const mine = ours.filter((p) => typeof p[name] === 'number').map(value);
    const theirs = job.asks.filter((p) => typeof p[name] === 'number').map(value);
    if (mine.length < 20 || theirs.length < 20) continue;
    const qs = (s: number[]): string => [0.05, 0.25, 0.5, 0.75, 0.95].map((f) => quantile(s, f).toFixed(3)).join(' ');
    const d = ks(mine, theirs);
    const critical = ksCritical(mine.length, theirs.length);
    console.log(
      `  ${name.padEnd(2)} (${mine.length}/${theirs.length} active)  ours q05..q95 ${qs(mine)}  optuna ${qs(theirs)}  ` +
        `KS D = ${d.toFixed(3)} (1% critical ${critical.toFixed(3)}): ${d < critical ? 'same distribution' : 'DIFFERENT'}`,
    );
  }
}
