// npm run bench:pruning — what ASHA buys on search-spaces/mlp-quick.yaml (TPE,
// 2 epochs on 10,000 images): the best validation accuracy reached for a
// given amount of CPU, with `asha` and with `none`, same seeds, side by side.
//
// Each (pruner, seed) sweep runs for the same wall-clock time on the same
// workers (W = min(cores, 2), cores / W threads each), with a trial budget it
// cannot reach. CPU spent is counted per trial as its duration × its threads,
// in the order trials end; "best at C" is the best val_accuracy among the
// trials that ended within C CPU-seconds. ASHA (min_resource 1 epoch,
// reduction factor 4) stops most trials after their first epoch, so it gets
// through more trials for the same CPU.
//
// Options: --quick (1 seed, 40 s per sweep), --seeds N (default 2),
// --seconds S per sweep (default 120), --json. The full run takes about
// seeds × 2 × seconds plus start-up: under 10 minutes by default.
import { availableParallelism } from 'node:os';
import path from 'node:path';

import { loadSpaceFile } from '../src/space/load.js';
import { median } from './lib/timing.js';
import { argValue, repoRoot, runBenchSweep, withSettings, type SweepRun } from './lib/sweep-run.js';
import { renderTable } from './lib/table.js';

const ROOT = repoRoot();
const quick = process.argv.includes('--quick');
const seeds = Number(argValue('--seeds') ?? (quick ? 1 : 2));
const seconds = Number(argValue('--seconds') ?? (quick ? 40 : 120));
const cores = availableParallelism();
const workers = Math.min(cores, 2);
const threads = Math.max(1, Math.floor(cores / workers));
const PRUNERS = ['none', 'asha'] as const;

const spec = withSettings(loadSpaceFile(path.join(ROOT, 'search-spaces', 'mlp-quick.yaml')), {});

interface Curve {
  pruner: string;
  seed: number;
  trials: number;
  pruned: number;
  cpuS: number;
  best: number | null;
  /** [cumulative CPU seconds, best so far] after each trial that ended. */
  points: Array<[number, number | null]>;
}

function curveOf(pruner: string, seed: number, run: SweepRun): Curve {
  let cpu = 0;
  let best: number | null = null;
  const points: Curve['points'] = [];
  for (const { trial } of run.finished) {
    cpu += (trial.durationS ?? 0) * threads;
    if (trial.state === 'complete' && trial.value !== null && (best === null || trial.value > best)) best = trial.value;
    points.push([cpu, best]);
  }
  return {
    pruner,
    seed,
    trials: run.finished.length,
    pruned: run.trials.filter((t) => t.state === 'pruned').length,
    cpuS: cpu,
    best,
    points,
  };
}

/** Best value among the trials that ended within `cpuS` CPU-seconds. */
function bestAt(curve: Curve, cpuS: number): number | null {
  let best: number | null = null;
  for (const [cpu, b] of curve.points) if (cpu <= cpuS) best = b;
  return best;
}

process.stderr.write(
  `bench:pruning — mlp-quick (TPE), ${seeds} seed(s) × {none, asha}, ${seconds} s per sweep, W=${workers} × ${threads} thread(s)\n`,
);
const curves: Curve[] = [];
for (let seed = 0; seed < seeds; seed++) {
  for (const pruner of PRUNERS) {
    process.stderr.write(`  seed ${seed}, pruner ${pruner}… `);
    const run = await runBenchSweep(spec, {
      seed,
      budget: 100_000,
      timeSeconds: seconds,
      workers,
      threadsPerTrial: threads,
      pruner: { type: pruner },
    });
    const curve = curveOf(pruner, seed, run);
    curves.push(curve);
    process.stderr.write(`${curve.trials} trials, ${curve.pruned} pruned, best ${curve.best?.toFixed(4) ?? '-'}\n`);
  }
}

// Compare at CPU amounts both pruners reached on every seed.
const reached = Math.min(...curves.map((c) => c.cpuS));
const checkpoints = [0.25, 0.5, 0.75, 1].map((f) => f * reached);
const summary = PRUNERS.map((pruner) => {
  const mine = curves.filter((c) => c.pruner === pruner);
  return {
    pruner,
    trialsPerCpuHour: median(mine.map((c) => (c.trials / c.cpuS) * 3600)),
    prunedShare: median(mine.map((c) => c.pruned / Math.max(1, c.trials))),
    bestAt: checkpoints.map((cpu) => median(mine.map((c) => bestAt(c, cpu) ?? Number.NaN))),
  };
});

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ seeds, seconds, workers, threads, checkpointsCpuS: checkpoints, summary, curves }));
} else {
  const fmtCpu = (s: number) => `${(s / 60).toFixed(1)} CPU-min`;
  console.log(
    renderTable(
      ['pruner', 'trials / CPU-hour', 'pruned', ...checkpoints.map((c) => `best @ ${fmtCpu(c)}`)],
      summary.map((s) => [s.pruner, s.trialsPerCpuHour, `${(s.prunedShare * 100).toFixed(0)}%`, ...s.bestAt.map((b) => (Number.isNaN(b) ? null : b))]),
      [0, 0, 0, 4, 4, 4, 4],
    ),
  );
  console.log(`\n(median over ${seeds} seed(s); best = best val_accuracy among trials ended within that much CPU)`);
  console.log('\nper seed:');
  console.log(
    renderTable(
      ['seed', 'pruner', 'trials', 'pruned', 'CPU-min', 'best val_accuracy'],
      curves.map((c) => [String(c.seed), c.pruner, String(c.trials), String(c.pruned), c.cpuS / 60, c.best]),
      [0, 0, 0, 0, 1, 4],
    ),
  );
}
