// Saved trial weights: the file format round-trips exactly, is readable by
// offset as documented (numpy-style), detects damage, and the --save-weights
// policy keeps the best trial's weights only.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { MlpParamArrays } from '../src/engine/addon-types.js';
import { Study } from '../src/study/study.js';
import {
  decodeWeights,
  encodeWeights,
  loadTrialWeights,
  removeTrialWeights,
  saveTrialWeights,
  shouldSaveWeights,
  weightsFile,
} from '../src/trials/weights.js';
import { mulberry32, writeSyntheticJournal } from './helpers/synthetic-journal.js';

let results: string;
beforeEach(() => {
  results = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-weights-'));
});
afterEach(() => fs.rmSync(results, { recursive: true, force: true }));

function randomParams(Ctor: Float32ArrayConstructor | Float64ArrayConstructor, s = { inputs: 7, h1: 5, h2: 3, outputs: 2 }): MlpParamArrays {
  const rand = mulberry32(42);
  const fill = (n: number) => {
    const a = new Ctor(n);
    for (let i = 0; i < n; i++) a[i] = (rand() - 0.5) * 2 ** Math.floor(rand() * 40 - 20);
    return a;
  };
  return { W1: fill(s.inputs * s.h1), b1: fill(s.h1), W2: fill(s.h1 * s.h2), b2: fill(s.h2), W3: fill(s.h2 * s.outputs), b3: fill(s.outputs) };
}

const NAMES = ['W1', 'b1', 'W2', 'b2', 'W3', 'b3'] as const;

describe('weights file', () => {
  for (const Ctor of [Float32Array, Float64Array]) {
    it(`round-trips ${Ctor.name} bit for bit, with shapes and aligned offsets`, () => {
      const params = randomParams(Ctor);
      params.W1[0] = -0;
      params.W1[1] = Number.MIN_VALUE; // a subnormal in float64 (0 in float32)
      const bytes = encodeWeights(params, { study: 's', trial: 3, info: { value: 0.5 } });
      const { header, params: back } = decodeWeights(bytes);
      expect(header).toMatchObject({ format: 1, dtype: Ctor === Float32Array ? 'float32' : 'float64', byte_order: 'little', shape: { inputs: 7, h1: 5, h2: 3, outputs: 2 }, study: 's', trial: 3, info: { value: 0.5 } });
      expect(header.arrays.map((a) => [a.name, a.shape])).toEqual([
        ['W1', [7, 5]], ['b1', [5]], ['W2', [5, 3]], ['b2', [3]], ['W3', [3, 2]], ['b3', [2]],
      ]);
      const width = Ctor.BYTES_PER_ELEMENT;
      expect(header.arrays[0]!.offset % 8).toBe(0);
      for (const a of header.arrays) {
        expect(a.offset % width).toBe(0);
        expect(back[a.name]).toBeInstanceOf(Ctor);
        expect(Object.is(back[a.name][0], params[a.name][0])).toBe(true);
        expect(Array.from(back[a.name])).toEqual(Array.from(params[a.name]));
        // Readable by offset as documented: little-endian values at header offsets.
        const view = new DataView(bytes.buffer, bytes.byteOffset + a.offset, a.length * width);
        const first = width === 4 ? view.getFloat32(0, true) : view.getFloat64(0, true);
        expect(Object.is(first, params[a.name][0])).toBe(true);
      }
      // The arrays fill the file after the header, back to back.
      const last = header.arrays.at(-1)!;
      expect(bytes.length).toBe(last.offset + last.length * width);
    });
  }

  it('detects damage: bad magic, a flipped data byte, a truncated file', () => {
    const bytes = encodeWeights(randomParams(Float32Array), { study: 's', trial: 0 });
    const magic = Buffer.from(bytes);
    magic[0] = 0x58;
    expect(() => decodeWeights(magic, 'x.bin')).toThrow(/x.bin is not valid: not a hypersweep weights file/);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 3]! ^= 0x10;
    expect(() => decodeWeights(flipped)).toThrow(/checksum mismatch/);
    expect(() => decodeWeights(bytes.subarray(0, bytes.length - 4))).toThrow(expect.objectContaining({ code: 'E_WEIGHTS_CORRUPT' }));
  });

  it('refuses arrays that do not form an MLP or mix dtypes', () => {
    const p = randomParams(Float32Array);
    expect(() => encodeWeights({ ...p, W2: p.W2.subarray(1) }, { study: 's', trial: 0 })).toThrow(/do not form an MLP/);
    expect(() => encodeWeights({ ...p, b3: Float64Array.from(p.b3) }, { study: 's', trial: 0 })).toThrow(/mix float32 and float64/);
  });

  it('saves atomically under results/<study>/trials/<n>/ and loads back; a missing file is a clear error', () => {
    const params = randomParams(Float32Array);
    const file = saveTrialWeights(results, 's', 12, params, { value: 1 });
    expect(file).toBe(path.join(results, 's', 'trials', '12', 'weights.bin'));
    expect(fs.readdirSync(path.dirname(file))).toEqual(['weights.bin']);
    const loaded = loadTrialWeights(results, 's', 12);
    for (const n of NAMES) expect(Array.from(loaded.params[n])).toEqual(Array.from(params[n]));
    expect(() => loadTrialWeights(results, 's', 13)).toThrow(expect.objectContaining({ code: 'E_WEIGHTS_MISSING' }));
  });
});

describe('--save-weights policy', () => {
  it("'best' keeps a trial only when it beats every other complete trial (ties keep the earlier)", () => {
    const { trials } = writeSyntheticJournal(results, 's', { trials: 30, seed: 3 });
    const state = Study.read(results, 's');
    const best = Math.max(...trials.filter((t) => t.state === 'complete').map((t) => t.value!));
    expect(shouldSaveWeights('best', state, 999, best + 0.001)).toBe(true);
    expect(shouldSaveWeights('best', state, 999, best)).toBe(false);
    const bestTrial = trials.find((t) => t.state === 'complete' && t.value === best)!;
    expect(shouldSaveWeights('best', state, bestTrial.trial, best)).toBe(true); // itself excluded
    expect(shouldSaveWeights('all', state, 999, 0)).toBe(true);
    expect(shouldSaveWeights('none', state, 999, 1)).toBe(false);
    expect(shouldSaveWeights('all', state, 999, null)).toBe(false);
  });

  it('removeTrialWeights deletes one trial\'s weights.bin, and its folder only when empty', () => {
    const p = randomParams(Float32Array);
    for (const n of [1, 4, 7]) saveTrialWeights(results, 's', n, p);
    fs.writeFileSync(path.join(results, 's', 'trials', '4', 'notes.txt'), 'keep me');
    expect(removeTrialWeights(results, 's', 1)).toBe(true);
    expect(removeTrialWeights(results, 's', 4)).toBe(true);
    expect(removeTrialWeights(results, 's', 1)).toBe(false);
    expect(fs.existsSync(path.join(results, 's', 'trials', '1'))).toBe(false);
    expect(fs.existsSync(weightsFile(results, 's', 4))).toBe(false);
    expect(fs.existsSync(path.join(results, 's', 'trials', '4', 'notes.txt'))).toBe(true);
    expect(fs.existsSync(weightsFile(results, 's', 7))).toBe(true);
  });
});
