// npm run bench:sweep — throughput of a sweep of MLP trials with W = 1 and
// W = 2 workers, in the same run, on the same trials.
//
// The trials: search-spaces/mlp-quick.yaml with a random sampler of fixed
// seed (so every configuration trains exactly the same parameter sets), 1
// epoch on the first 10,000 training images (evaluation on the 50,000... no:
// on the train subset, the 10,000 validation and 10,000 test images, as every
// trial does). Throughput = trials / (last end − first start): pool start-up
// and data loading, paid once per sweep, are left out.
//
// Configurations (cores permitting): W=1 × 1 thread, W=1 × all cores, W=2 ×
// cores/2 threads. The speedup that matters on a 2-core machine is W=2 × 1
// against W=1 × 1 (the same per-trial work, twice the trials in flight); the
// W=1 × 2 row shows what threads within one trial give instead.
//
// Options: --quick (5,000 images, 4 trials), --subset N, --trials N (default 8), --json.
import { availableParallelism } from 'node:os';
import path from 'node:path';

import { loadSpaceFile } from '../src/space/load.js';
import { argValue, repoRoot, runBenchSweep, withSettings } from './lib/sweep-run.js';
import { renderTable } from './lib/table.js';

const ROOT = repoRoot();
const quick = process.argv.includes('--quick');
const subset = Number(argValue('--subset') ?? (quick ? 5000 : 10000));
const trials = Number(argValue('--trials') ?? (quick ? 4 : 8));
const cores = availableParallelism();

const spec = withSettings(loadSpaceFile(path.join(ROOT, 'search-spaces', 'mlp-quick.yaml')), {
  epochs: 1,
  trainSubset: subset,
  sampler: { type: 'random', seed: 0 },
});

const configs = [
  { workers: 1, threads: 1 },
  ...(cores >= 2 ? [{ workers: 1, threads: cores }, { workers: 2, threads: Math.floor(cores / 2) }] : []),
];

interface Row {
  workers: number;
  threads: number;
  trials: number;
  spanS: number;
  trialsPerHour: number;
  meanTrialS: number;
}
const rows: Row[] = [];
process.stderr.write(`bench:sweep — mlp-quick, 1 epoch on ${subset} images, ${trials} trials per configuration, ${cores} cores\n`);
for (const c of configs) {
  process.stderr.write(`  W=${c.workers} × ${c.threads} thread(s)… `);
  const run = await runBenchSweep(spec, { seed: 0, budget: trials, workers: c.workers, threadsPerTrial: c.threads, pruner: null });
  const done = run.trials.filter((t) => t.state === 'complete');
  if (done.length !== trials) throw new Error(`only ${done.length} of ${trials} trials completed`);
  const meanTrialS = done.reduce((s, t) => s + (t.durationS ?? 0), 0) / done.length;
  rows.push({ ...c, trials, spanS: run.spanS, trialsPerHour: (trials / run.spanS) * 3600, meanTrialS });
  process.stderr.write(`${run.spanS.toFixed(1)} s\n`);
}

const base = rows.find((r) => r.workers === 1 && r.threads === 1)!;
const oneWide = rows.find((r) => r.workers === 1 && r.threads === cores && cores > 1);
const two = rows.find((r) => r.workers === 2);
const speedup = two ? two.trialsPerHour / base.trialsPerHour : null;
const speedupVsWide = two && oneWide ? two.trialsPerHour / oneWide.trialsPerHour : null;

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ subset, trials, cores, rows, speedup, speedupVsWide }));
} else {
  console.log(
    renderTable(
      ['workers', 'threads/trial', 'trials', 'span s', 'trials/hour', 'mean trial s', 'speedup'],
      rows.map((r) => [String(r.workers), String(r.threads), String(r.trials), r.spanS, r.trialsPerHour, r.meanTrialS, r.trialsPerHour / base.trialsPerHour]),
      [0, 0, 0, 1, 0, 2, 2],
    ),
  );
  if (speedup !== null) console.log(`\nW=2 vs W=1 (1 thread each): ${speedup.toFixed(2)}× the trials per hour`);
  if (speedupVsWide !== null) console.log(`W=2 × ${two!.threads} vs W=1 × ${cores} threads: ${speedupVsWide.toFixed(2)}×`);
}
