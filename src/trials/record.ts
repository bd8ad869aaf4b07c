// Trial records: one JSON line per trial in <results>/trials.jsonl, written
// through pino to a synchronous destination with fsync, so a record is on
// disk when the call returns, even if the process dies right after.
import { once } from 'node:events';
import { mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { pino, type Logger } from 'pino';

import { Errors } from '../errors.js';
import { buildInfo } from '../engine/native.js';
import type { MlpTrialResult } from './mlp/run.js';

export const TRIALS_FILE = 'trials.jsonl';
export const GRADCHECK_FILE = 'gradcheck.jsonl';

export { hypersweepVersion } from '../version.js';
import { hypersweepVersion } from '../version.js';

export interface Provenance {
  hypersweep: string;
  node: string;
  native: { buildId: string; simd: string; compiler: string; cudaCompiled: boolean };
}

/** Versions of everything that can change a result. Loads the addon. */
export function provenance(): Provenance {
  const info = buildInfo();
  return {
    hypersweep: hypersweepVersion(),
    node: process.version,
    native: { buildId: info.buildId, simd: info.simd, compiler: info.compiler, cudaCompiled: info.cudaCompiled },
  };
}

/**
 * Schema version of the record lines. It is the first key of every line: pino
 * needs a non-empty "level" object there, and a format number is more useful
 * to readers than a log level.
 */
export const RECORD_FORMAT = 1;

/** A pino logger that writes JSON lines {format, time (ISO), ...record} to `file` (no level, pid or hostname). */
export class RecordWriter {
  readonly file: string;
  private readonly destination: ReturnType<typeof pino.destination>;
  private readonly logger: Logger;

  constructor(file: string) {
    this.file = file;
    // We open the file ourselves: in sync mode sonic-boom swallows open errors.
    let fd: number;
    try {
      mkdirSync(dirname(file), { recursive: true });
      fd = openSync(file, 'a');
    } catch (error) {
      throw Errors.resultsUnwritable(file, error);
    }
    this.destination = pino.destination({ fd, sync: true, fsync: true });
    this.logger = pino(
      {
        base: undefined,
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: () => ({ format: RECORD_FORMAT }) },
      },
      this.destination,
    );
  }

  write(record: object): void {
    try {
      this.logger.info(record);
      this.destination.flushSync();
    } catch (error) {
      throw Errors.resultsUnwritable(this.file, error);
    }
  }

  /** Flushes, fsyncs and closes the file. */
  async close(): Promise<void> {
    const closed = once(this.destination, 'close');
    this.destination.end();
    await closed;
  }
}

export async function appendRecord(file: string, record: object): Promise<void> {
  const writer = new RecordWriter(file);
  try {
    writer.write(record);
  } finally {
    await writer.close();
  }
}

export interface TrialRecord extends Provenance {
  kind: 'trial';
  workload: 'mlp';
  state: MlpTrialResult['state'];
  reason: string | null;
  params: MlpTrialResult['params'];
  seed: number;
  seeds: MlpTrialResult['seeds'];
  epochs: MlpTrialResult['epochs'];
  test_accuracy: number | null;
  steps: number;
  durations: MlpTrialResult['durations'] & { data_seconds?: number };
  device: string;
  dtype: string;
  threads: number;
  dataset: string;
  train_rows: number;
}

export function trialRecord(result: MlpTrialResult, extra: { dataSeconds?: number } = {}): TrialRecord {
  return {
    kind: 'trial',
    workload: 'mlp',
    state: result.state,
    reason: result.reason,
    params: result.params,
    seed: result.params.seed,
    seeds: result.seeds,
    epochs: result.epochs,
    test_accuracy: result.test_accuracy,
    steps: result.steps,
    durations:
      extra.dataSeconds === undefined ? result.durations : { ...result.durations, data_seconds: extra.dataSeconds },
    device: result.device,
    dtype: result.dtype,
    threads: result.threads,
    dataset: result.dataset,
    train_rows: result.train_rows,
    ...provenance(),
  };
}

/** Appends the trial's record to <resultsDir>/trials.jsonl; returns the file's path. */
export async function appendTrialRecord(
  resultsDir: string,
  result: MlpTrialResult,
  extra: { dataSeconds?: number } = {},
): Promise<string> {
  const file = join(resultsDir, TRIALS_FILE);
  await appendRecord(file, trialRecord(result, extra));
  return file;
}
