// metrics.repro, what a finished trial records so that `hypersweep repro` can
// run it again: the record's shape, and the part for module and test-function
// objectives. Light on purpose (no addon, no journal code): every pool thread
// of a module objective loads it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';

import type { DeviceName, DTypeName } from '../engine/addon-types.js';
import type { StudySpec } from '../space/spec.js';
import type { MlpParams } from './mlp/params.js';
import type { Provenance } from './record.js';

export type ObjectiveKind = 'mlp' | 'cnn' | 'module' | 'function';

export interface ReproInfo {
  objective: ObjectiveKind;
  hypersweep: string;
  node: string;
  /** The native addon that trained it (MLP only). */
  native: Provenance['native'] | null;
  /**
   * SHA-256 of the addon file that trained it (MLP only). The build id hashes
   * the native sources and the compiler; this also tells apart two builds of
   * the same sources with other flags or another toolchain version.
   */
  addon_sha256?: string | null;
  /** MLP only from here on. */
  dataset?: string;
  /** Train on the first N training images (null: all 50,000). */
  train_subset?: number | null;
  split?: { scheme: 'mnist.pkl.gz'; train_rows: number; val_rows: number; test_rows: number };
  device?: DeviceName;
  threads?: number;
  dtype?: DTypeName;
  /** Every MLP parameter as trained (search params, fixed settings, seed). */
  params?: MlpParams;
  /** Module objectives: the file and its SHA-256 when the trial ran. */
  module?: { path: string; sha256: string };
}

/** metrics.repro for a module or test-function trial (does not load the addon). */
export function objectiveReproInfo(spec: StudySpec, version: string): ReproInfo {
  const o = spec.objective;
  return {
    objective: o.kind === 'module' ? 'module' : 'function',
    hypersweep: version,
    node: process.version,
    native: null,
    ...(o.kind === 'module' ? { module: { path: o.path, sha256: fileSha256(o.path) ?? 'unreadable' } } : {}),
  };
}

export function fileSha256(file: string): string | null {
  try {
    return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  } catch {
    return null;
  }
}

