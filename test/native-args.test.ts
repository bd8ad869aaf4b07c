// native.ts validates every argument before it crosses into C++: mistakes are
// HypersweepErrors naming the function and the argument, never crashes.
import { describe, expect, it } from 'vitest';

import { Dataset, MlpModel, sgemm, type MlpModelOptions } from '../src/engine/native.js';
import { HypersweepError } from '../src/errors.js';
import { expectArgError, hasAddon } from './helpers/native.js';

const model: MlpModelOptions = {
  inputs: 4, h1: 3, h2: 5, outputs: 2, activation: 'tanh', init: 'glorot', seed: 1, dtype: 'float64', device: 'cpu', threads: 1,
};


describe.skipIf(!hasAddon)('native argument validation (skipped: native addon not built)', () => {
  const x = new Float32Array(6 * 4).fill(0.5);
  const y = Uint8Array.from([0, 1, 0, 1, 1, 0]);

  it('Dataset checks lengths and labels', () => {
    expectArgError(() => new Dataset(x, y, 7, 4), /x must be of length rows\*features = 28/);
    expectArgError(() => new Dataset(x, y.subarray(0, 5), 6, 4), /y must be of length rows = 6/);
    expectArgError(() => new Dataset(x, Uint8Array.from([0, 1, 0, 1, 1, 12]), 6, 4), /y\[5\] must be a label in \[0, 10\)/);
  });

  it('MlpModel checks options', () => {
    expectArgError(() => new MlpModel({ ...model, threads: 0 }), /MlpModel: argument threads must be an integer in \[1, 1024\]/);
    expectArgError(() => new MlpModel({ ...model, h1: 2.5 }), /h1/);
    expect(() => new MlpModel({ ...model, device: 'cuda' })).toThrow(/float64 is not supported on device cuda/);
    expectArgError(() => new MlpModel({ ...model, activation: 'gelu' as 'relu' }), /one of sigmoid, relu, tanh/);
  });

  it('model methods check their arguments', () => {
    const m = new MlpModel(model);
    const data = new Dataset(x, y, 6, 4);
    const epoch = { alpha0: 0.1, delta: 0, lambda: 0, batchSize: 2, tStart: 0, shuffleSeed: 1, epoch: 0 };
    expectArgError(() => void m.trainEpoch(data, { ...epoch, batchSize: 7 }), /batchSize must be an integer in \[1, 6\]/);
    expectArgError(() => void m.trainEpoch(data, { ...epoch, alpha0: Number.NaN }), /alpha0 must be a finite number > 0/);
    expectArgError(() => m.sampleObjective(data, 6, 0, true), /row must be an integer in \[0, 5\]/);
    const p = m.getParams();
    expect(p.W1).toBeInstanceOf(Float64Array);
    expectArgError(() => m.setParams({ ...p, W2: new Float64Array(3) }), /W2.length must be 15/);
    expectArgError(() => m.setParams({ ...p, b1: new Float32Array(3) }), /b1 must be a Float64Array/);
    const other = new Dataset(new Float32Array(6 * 5), y, 6, 5);
    expectArgError(() => m.sampleObjective(other, 0, 0, false), /data.features must be 4/);
  });

  it('sgemm checks matrix sizes against shapes and strides', () => {
    const g = {
      transA: false, transB: true, M: 3, N: 2, K: 4, alpha: 1,
      A: new Float32Array(12), lda: 4, B: new Float32Array(8), ldb: 4, beta: 0, C: new Float32Array(6), ldc: 2,
    };
    expect(() => sgemm(g)).not.toThrow();
    expectArgError(() => sgemm({ ...g, A: new Float32Array(11) }), /A must be at least 12 elements/);
    expectArgError(() => sgemm({ ...g, ldb: 3 }), /ldb must be an integer in \[4,/);
    expectArgError(() => sgemm({ ...g, C: new Float32Array(5) }), /C must be at least 6 elements/);
  });
});
