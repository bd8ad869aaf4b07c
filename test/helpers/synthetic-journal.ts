// Synthetic study journals for leaderboard and report tests and the leaderboard
// benchmark: MLP-like trials (params, per-epoch metrics, intermediate values)
// written straight to results/<study>/journal.jsonl in the journal format, with
// a known truth to check the ranking against. Deterministic for a given seed.
import fs from 'node:fs';
import path from 'node:path';

import type { FinishedState, JournalEvent, Params } from '../../src/study/events.js';

export interface SyntheticOptions {
  trials: number;
  seed?: number;
  direction?: 'maximize' | 'minimize';
  metric?: string;
  epochs?: number;
  /** Fractions of pruned, failed and still-running trials (the rest complete). */
  pruned?: number;
  failed?: number;
  running?: number;
  /** Round values to this many decimals, so that ties happen. */
  decimals?: number;
  sampler?: string;
}

export interface SyntheticTrial {
  trial: number;
  state: FinishedState | 'running';
  value: number | null;
  params: Params;
  epochs: number;
}

/** mulberry32: a tiny deterministic PRNG for test data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SYNTHETIC_SPACE = {
  alpha0: { type: 'float', low: 0.01, high: 10, log: true, step: null, includeZero: false },
  lambda: { type: 'float', low: 1e-6, high: 0.1, log: true, step: null, includeZero: true },
  batch_size: { type: 'categorical', choices: [16, 32, 64, 128, 256] },
  init: { type: 'categorical', choices: ['zero', 'normal', 'glorot'] },
  epochs: { type: 'fixed', value: 3 },
} as const;

/** Writes the journal; returns its path and the truth of every trial. */
export function writeSyntheticJournal(
  resultsDir: string,
  study: string,
  options: SyntheticOptions,
): { file: string; trials: SyntheticTrial[] } {
  const rand = mulberry32(options.seed ?? 1);
  const direction = options.direction ?? 'maximize';
  const metric = options.metric ?? 'val_accuracy';
  const epochs = options.epochs ?? 3;
  const decimals = options.decimals ?? 3;
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  const time = (ms: number) => new Date(t0 + ms).toISOString();
  const lines: string[] = [];
  const push = (ms: number, e: JournalEvent) => lines.push(JSON.stringify({ time: time(ms), ...e }));
  push(0, {
    event: 'study_created',
    study,
    format: 1,
    hypersweep_version: '0.1.0',
    spec: {
      file: '<synthetic>',
      name: study,
      description: 'synthetic study for tests',
      objective: { kind: 'model', model: 'mlp' },
      dataset: { name: 'mnist', trainSubset: 1000 },
      metric,
      direction,
      params: SYNTHETIC_SPACE,
      fixed: {},
      sampler: { type: options.sampler ?? 'random', seed: 1 },
      budget: { trials: options.trials, timeSeconds: null },
      pruner: null,
    },
    space_file: '<synthetic>',
    sampler: options.sampler ?? 'random',
    seed: 1,
    direction,
    metric,
  });
  push(1, { event: 'controller_started', pid: 1, host: 'test' });
  const round = (v: number) => Number(v.toFixed(decimals));
  const truth: SyntheticTrial[] = [];
  for (let n = 0; n < options.trials; n++) {
    const ms = 1000 * (n + 1);
    const init = (['zero', 'normal', 'glorot'] as const)[Math.floor(rand() * 3)]!;
    const params: Params = {
      alpha0: 10 ** (-2 + 3 * rand()),
      lambda: rand() < 0.2 ? 0 : 10 ** (-6 + 5 * rand()),
      batch_size: [16, 32, 64, 128, 256][Math.floor(rand() * 5)]!,
      init,
    };
    push(ms, { event: 'trial_started', trial: n, params, seed: Math.floor(rand() * 2 ** 32), worker: 'main' });
    // A smooth truth in the params (init matters most), plus noise.
    const quality = (init === 'zero' ? 0.1 : init === 'normal' ? 0.8 : 0.9) - 0.05 * Math.abs(Math.log10(params['alpha0'] as number));
    const r = rand();
    const state: SyntheticTrial['state'] =
      r < (options.running ?? 0)
        ? 'running'
        : r < (options.running ?? 0) + (options.failed ?? 0)
          ? 'failed'
          : r < (options.running ?? 0) + (options.failed ?? 0) + (options.pruned ?? 0)
            ? 'pruned'
            : 'complete';
    const ran = state === 'complete' ? epochs : state === 'pruned' ? 1 + Math.floor(rand() * (epochs - 1)) : state === 'failed' ? 1 : 0;
    const perEpoch: Array<Record<string, number>> = [];
    for (let e = 1; e <= ran; e++) {
      const acc = round(Math.min(0.999, Math.max(0.05, quality * (1 - 0.3 / e) + 0.02 * (rand() - 0.5))));
      const loss = round(2.4 * (1 - acc) + 0.05 * rand());
      const m = { epoch: e, train_loss: loss, train_accuracy: acc, val_loss: loss + 0.01, val_accuracy: acc, seconds: 1, train_seconds: 0.8 };
      perEpoch.push(m);
      push(ms + 10 * e, { event: 'intermediate', trial: n, step: e, value: metric === 'val_loss' ? m.val_loss : m.val_accuracy });
    }
    const lastValue = perEpoch.length ? (metric === 'val_loss' ? perEpoch.at(-1)!['val_loss']! : perEpoch.at(-1)!['val_accuracy']!) : null;
    const value = state === 'complete' || state === 'pruned' ? lastValue : null;
    if (state !== 'running') {
      push(ms + 500, {
        event: 'trial_finished',
        trial: n,
        state,
        value,
        duration_s: 0.5 + rand(),
        metrics: { epochs: perEpoch, test_accuracy: state === 'complete' ? lastValue : null, steps: 100 * ran, device: 'cpu', threads: 1, train_rows: 1000 },
        ...(state === 'failed' ? { error: 'loss became NaN/Inf at epoch 1' } : {}),
      });
    }
    truth.push({ trial: n, state, value, params, epochs: ran });
  }
  const file = path.join(resultsDir, study, 'journal.jsonl');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return { file, trials: truth };
}

/** The reference ranking, computed independently of src/study/leaderboard.ts. */
export function expectedOrder(trials: readonly SyntheticTrial[], direction: 'maximize' | 'minimize', state: FinishedState): number[] {
  const sign = direction === 'maximize' ? -1 : 1;
  return trials
    .filter((t) => t.state === state)
    .map((t) => ({ t, key: t.value === null ? Infinity : sign * t.value }))
    .sort((a, b) => (a.key === b.key ? a.t.trial - b.t.trial : a.key < b.key ? -1 : 1))
    .map((x) => x.t.trial);
}
