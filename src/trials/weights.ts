// Saved MLP weights: results/<study>/trials/<n>/weights.bin.
//
// File format (version 1), all integers little-endian:
//   bytes 0..7    magic "HSWEIGHT"
//   bytes 8..11   uint32 format version (1)
//   bytes 12..15  uint32 H, the byte length of the header
//   bytes 16..    H bytes of UTF-8 JSON: the WeightsHeader below
//   then zero padding up to a multiple of 8 bytes, then the six arrays
//   W1, b1, W2, b2, W3, b3 back to back, each little-endian float32 or float64
//   (header.dtype), each at header.arrays[i].offset (from the start of the file).
// Weights are row-major [fan_in x fan_out] as in native/core/mlp.h, so
// W1 is [inputs x h1], W2 [h1 x h2], W3 [h2 x outputs]. In numpy:
//   np.frombuffer(data, '<f4', count=a['length'], offset=a['offset']).reshape(a['shape'])
// header.sha256 is the SHA-256 of everything after the padding, checked on load.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import type { DTypeName, MlpParamArrays } from '../engine/addon-types.js';
import { Errors } from '../errors.js';
import { writeFileAtomic } from '../study/leaderboard.js';
import type { StudyState } from '../study/state.js';
import { bestTrial } from '../study/state.js';
import { studyDir } from '../study/study.js';

export const WEIGHTS_FILE = 'weights.bin';
/** A CNN trial's checkpoint (src/trials/cnn/checkpoint.ts): tfjs's topology + manifest, then the weights. */
export const CNN_MODEL_FILE = 'cnn-model.json';
export const CNN_WEIGHTS_FILE = 'cnn-weights.bin';

export const WEIGHTS_FORMAT = 1;
const MAGIC = 'HSWEIGHT';
const ARRAY_NAMES = ['W1', 'b1', 'W2', 'b2', 'W3', 'b3'] as const;
type ArrayName = (typeof ARRAY_NAMES)[number];

export interface WeightsShape {
  inputs: number;
  h1: number;
  h2: number;
  outputs: number;
}

export interface WeightsHeader {
  format: number;
  dtype: DTypeName;
  byte_order: 'little';
  shape: WeightsShape;
  arrays: Array<{ name: ArrayName; shape: number[]; offset: number; length: number }>;
  sha256: string;
  study: string;
  trial: number;
  saved: string;
  /** Free-form context from the caller (e.g. the trial's value and params). */
  info: Record<string, unknown>;
}

export interface LoadedWeights {
  file: string;
  header: WeightsHeader;
  params: MlpParamArrays;
}

/** results/<study>/trials/<n>/ */
export function trialDir(resultsDir: string, study: string, trial: number): string {
  return path.join(studyDir(resultsDir, study), 'trials', String(trial));
}

export function weightsFile(resultsDir: string, study: string, trial: number): string {
  return path.join(trialDir(resultsDir, study, trial), WEIGHTS_FILE);
}

/** Layer sizes implied by the arrays (b1, b2, b3 give h1, h2, outputs; W1 the inputs). */
export function shapeOf(params: MlpParamArrays): WeightsShape {
  const h1 = params.b1.length;
  const h2 = params.b2.length;
  const outputs = params.b3.length;
  const inputs = h1 > 0 ? params.W1.length / h1 : 0;
  const ok =
    h1 > 0 && h2 > 0 && outputs > 0 && Number.isInteger(inputs) && inputs > 0 &&
    params.W2.length === h1 * h2 && params.W3.length === h2 * outputs;
  if (!ok) throw new Error('saveTrialWeights: the arrays do not form an MLP (check W1/W2/W3 against b1/b2/b3)');
  return { inputs, h1, h2, outputs };
}

function dtypeOf(params: MlpParamArrays): DTypeName {
  const all = ARRAY_NAMES.map((n) => params[n]);
  if (all.every((a) => a instanceof Float32Array)) return 'float32';
  if (all.every((a) => a instanceof Float64Array)) return 'float64';
  throw new Error('saveTrialWeights: the arrays mix float32 and float64');
}

const arrayShape = (name: ArrayName, s: WeightsShape): number[] =>
  ({ W1: [s.inputs, s.h1], b1: [s.h1], W2: [s.h1, s.h2], b2: [s.h2], W3: [s.h2, s.outputs], b3: [s.outputs] })[name];

/** Serializes the weights (see the format at the top of the file). */
export function encodeWeights(
  params: MlpParamArrays,
  meta: { study: string; trial: number; info?: Record<string, unknown>; saved?: string },
): Buffer {
  const shape = shapeOf(params);
  const dtype = dtypeOf(params);
  const width = dtype === 'float32' ? 4 : 8;
  const total = ARRAY_NAMES.reduce((n, name) => n + params[name].length, 0);
  const data = Buffer.alloc(total * width);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  const relative: Array<{ name: ArrayName; shape: number[]; start: number; length: number }> = [];
  for (const name of ARRAY_NAMES) {
    const a = params[name];
    relative.push({ name, shape: arrayShape(name, shape), start: at, length: a.length });
    // DataView writes little-endian whatever the host's byte order.
    if (width === 4) for (let i = 0; i < a.length; i++, at += 4) view.setFloat32(at, a[i]!, true);
    else for (let i = 0; i < a.length; i++, at += 8) view.setFloat64(at, a[i]!, true);
  }
  const sha256 = createHash('sha256').update(data).digest('hex');
  // The header holds the absolute offsets, which depend on the header's own length:
  // offsets are written with a fixed width, so one pass with a placeholder sizes it.
  const build = (dataStart: number): Buffer => {
    const header: WeightsHeader = {
      format: WEIGHTS_FORMAT,
      dtype,
      byte_order: 'little',
      shape,
      arrays: relative.map((r) => ({ name: r.name, shape: r.shape, offset: dataStart + r.start, length: r.length })),
      sha256,
      study: meta.study,
      trial: meta.trial,
      saved: meta.saved ?? new Date().toISOString(),
      info: meta.info ?? {},
    };
    return Buffer.from(JSON.stringify(header), 'utf8');
  };
  let headerBytes = build(0);
  for (;;) {
    const dataStart = align8(16 + headerBytes.length);
    const next = build(dataStart);
    if (align8(16 + next.length) === dataStart) {
      headerBytes = next;
      break;
    }
    headerBytes = next;
  }
  const dataStart = align8(16 + headerBytes.length);
  const prefix = Buffer.alloc(dataStart);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(WEIGHTS_FORMAT, 8);
  prefix.writeUInt32LE(headerBytes.length, 12);
  headerBytes.copy(prefix, 16);
  return Buffer.concat([prefix, data]);
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

export function decodeWeights(bytes: Buffer, file = '<buffer>'): { header: WeightsHeader; params: MlpParamArrays } {
  if (bytes.length < 16 || bytes.toString('ascii', 0, 8) !== MAGIC) throw Errors.weightsCorrupt(file, 'not a hypersweep weights file (bad magic)');
  const format = bytes.readUInt32LE(8);
  if (format !== WEIGHTS_FORMAT) throw Errors.weightsCorrupt(file, `format ${format}; this hypersweep reads format ${WEIGHTS_FORMAT}`);
  const headerLength = bytes.readUInt32LE(12);
  if (16 + headerLength > bytes.length) throw Errors.weightsCorrupt(file, 'truncated header');
  let header: WeightsHeader;
  try {
    header = JSON.parse(bytes.toString('utf8', 16, 16 + headerLength)) as WeightsHeader;
  } catch {
    throw Errors.weightsCorrupt(file, 'header is not valid JSON');
  }
  const width = header.dtype === 'float32' ? 4 : header.dtype === 'float64' ? 8 : 0;
  if (width === 0) throw Errors.weightsCorrupt(file, `unknown dtype ${JSON.stringify(header.dtype)}`);
  const dataStart = align8(16 + headerLength);
  const data = bytes.subarray(dataStart);
  if (createHash('sha256').update(data).digest('hex') !== header.sha256) {
    throw Errors.weightsCorrupt(file, 'checksum mismatch (the file is damaged or truncated)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Partial<Record<ArrayName, Float32Array | Float64Array>> = {};
  for (const name of ARRAY_NAMES) {
    const a = header.arrays.find((x) => x.name === name);
    const expected = arrayShape(name, header.shape).reduce((p, d) => p * d, 1);
    if (!a || a.length !== expected || a.offset + a.length * width > bytes.length) {
      throw Errors.weightsCorrupt(file, `array ${name} is missing or does not match the shape`);
    }
    const arr = width === 4 ? new Float32Array(a.length) : new Float64Array(a.length);
    if (width === 4) for (let i = 0; i < a.length; i++) arr[i] = view.getFloat32(a.offset + 4 * i, true);
    else for (let i = 0; i < a.length; i++) arr[i] = view.getFloat64(a.offset + 8 * i, true);
    out[name] = arr;
  }
  return { header, params: out as MlpParamArrays };
}

/**
 * Saves a trial's weights (atomically) to results/<study>/trials/<n>/weights.bin;
 * returns the file's path. `info` is stored in the header (e.g. value, params).
 */
export function saveTrialWeights(
  resultsDir: string,
  study: string,
  trial: number,
  params: MlpParamArrays,
  info: Record<string, unknown> = {},
): string {
  const file = weightsFile(resultsDir, study, trial);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, encodeWeights(params, { study, trial, info }));
  } catch (error) {
    throw Errors.resultsUnwritable(file, error);
  }
  return file;
}

export function hasTrialWeights(resultsDir: string, study: string, trial: number): boolean {
  const dir = trialDir(resultsDir, study, trial);
  return fs.existsSync(path.join(dir, WEIGHTS_FILE)) || fs.existsSync(path.join(dir, CNN_MODEL_FILE));
}

export function loadTrialWeights(resultsDir: string, study: string, trial: number): LoadedWeights {
  const file = weightsFile(resultsDir, study, trial);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    throw Errors.weightsMissing(file, study, trial);
  }
  return { file, ...decodeWeights(bytes, file) };
}

// ---------------------------------------------------------------------------
// The --save-weights policy (the sweep wires these; see the lead's notes)

export type SaveWeightsPolicy = 'best' | 'all' | 'none';
export const SAVE_WEIGHTS_POLICIES: readonly SaveWeightsPolicy[] = ['best', 'all', 'none'];

/**
 * Whether a trial that just finished complete with `value` keeps its weights:
 * always under 'all', never under 'none', and under 'best' when it beats (strictly)
 * every complete trial of `state` other than itself — ties keep the earlier trial.
 */
export function shouldSaveWeights(
  policy: SaveWeightsPolicy,
  state: StudyState,
  trial: number,
  value: number | null,
): boolean {
  if (policy === 'none' || value === null || !Number.isFinite(value)) return false;
  if (policy === 'all') return true;
  const others = state.trials.filter((t) => t.number !== trial);
  const best = bestTrial(others, state.created.direction);
  if (!best) return true;
  return state.created.direction === 'maximize' ? value > best.value! : value < best.value!;
}

/**
 * Deletes one trial's saved weights (and its folder, once empty). Under 'best'
 * the sweep calls it for each finished trial that is not the study's best, and
 * for the previous best when a new one appears — never for a running trial,
 * whose worker may be writing its weights right now. Returns whether a file went.
 */
export function removeTrialWeights(resultsDir: string, study: string, trial: number): boolean {
  const dir = trialDir(resultsDir, study, trial);
  let removed = false;
  // The CNN's JSON goes first: without it the binary half is never read.
  for (const name of [CNN_MODEL_FILE, CNN_WEIGHTS_FILE, WEIGHTS_FILE]) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) continue;
    fs.rmSync(file);
    removed = true;
  }
  if (!removed) return false;
  try {
    fs.rmdirSync(dir); // refuses a folder that holds anything else
  } catch {
    /* other files live there: keep it */
  }
  return true;
}
