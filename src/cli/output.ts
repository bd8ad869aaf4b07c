// Printing: error lines, per-epoch progress (a bar on a terminal, plain lines
// otherwise), the final --json line.
import { createRequire } from 'node:module';

import type * as CliProgress from 'cli-progress';

import { isHypersweepError } from '../errors.js';
import type { EpochMetrics } from '../trials/mlp/run.js';

export type Stream = NodeJS.WriteStream;

/** Prints an error and returns the exit code: user errors as one line, bugs with their stack. */
export function reportError(error: unknown, stream: Stream = process.stderr): number {
  if (isHypersweepError(error)) {
    stream.write(`hypersweep: error: ${error.oneLine()}\n`);
    return error.exitCode;
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  stream.write(`hypersweep: internal error: ${text}\n`);
  return 1;
}

/** The final result as one JSON object on one line (NaN/Infinity become null, as in JSON). */
export function printJsonLine(value: unknown, stream: Stream = process.stdout): void {
  stream.write(`${JSON.stringify(value)}\n`);
}

export const fmt = {
  loss: (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v)),
  accuracy: (v: number | null) => (v === null ? '-' : v.toFixed(4)),
  seconds: (v: number) => `${v.toFixed(v < 10 ? 2 : 1)} s`,
  sci: (v: number) => (Number.isFinite(v) ? v.toExponential(3) : String(v)),
};

export function epochLine(m: EpochMetrics, total: number): string {
  const width = String(total).length;
  return (
    `epoch ${String(m.epoch).padStart(width)}/${total}  ` +
    `train_loss ${fmt.loss(m.train_loss)}  train_accuracy ${fmt.accuracy(m.train_accuracy)}  ` +
    `val_loss ${fmt.loss(m.val_loss)}  val_accuracy ${fmt.accuracy(m.val_accuracy)}  ${fmt.seconds(m.seconds)}`
  );
}

export interface EpochProgress {
  start(): void;
  epoch(metrics: EpochMetrics): void;
  stop(): void;
}

/** Per-epoch progress on `stream`: a cli-progress bar with the epoch lines above it on a TTY, plain lines otherwise. */
export function epochProgress(total: number, stream: Stream): EpochProgress {
  if (!stream.isTTY) {
    return {
      start: () => {},
      epoch: (m) => stream.write(`${epochLine(m, total)}\n`),
      stop: () => {},
    };
  }
  // Loaded for a terminal only: the commands that print no bars (status,
  // leaderboard...) start ~20 ms sooner without it.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  const bars = new cliProgress.MultiBar(
    {
      stream,
      format: 'training |{bar}| epoch {value}/{total} | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 3,
    },
    cliProgress.Presets.shades_classic,
  );
  let bar: CliProgress.SingleBar | undefined;
  return {
    start: () => {
      bar = bars.create(total, 0);
    },
    epoch: (m) => {
      bars.log(`${epochLine(m, total)}\n`);
      bar?.increment();
    },
    stop: () => bars.stop(),
  };
}
