// When `repro` of a CNN trial must repeat the recorded numbers bit for bit,
// and when it checks them against a tolerance (src/trials/cnn/repro.ts).
import { describe, expect, it } from 'vitest';

import { notExactBecause, type CnnRunner } from '../src/trials/cnn/repro.js';

const native: CnnRunner = { engine: 'native', threads: 2, gpu: null, addon: 'a1' };
const h200: CnnRunner = { engine: 'cuda', threads: 1, gpu: 'NVIDIA H200', addon: 'a1' };

describe('repro of a CNN trial: exact or within a tolerance', () => {
  it('is exact on the native engine at the same thread count with the same addon', () => {
    expect(notExactBecause(native, { ...native })).toEqual([]);
  });

  it('is exact on the cuda engine on the same GPU model with the same addon, whatever the thread count', () => {
    expect(notExactBecause(h200, { ...h200, threads: 4 })).toEqual([]);
  });

  it('states a tolerance on another GPU model, another engine, other threads or another addon', () => {
    expect(notExactBecause(h200, { ...h200, gpu: 'NVIDIA A100-SXM4-80GB' })).toEqual(['trained on NVIDIA H200, re-run on NVIDIA A100-SXM4-80GB']);
    expect(notExactBecause(h200, native)).toEqual(['recorded on cuda, re-run on native']);
    expect(notExactBecause(native, { ...native, threads: 1 })).toEqual(['2 thread(s) recorded, 1 now']);
    expect(notExactBecause(native, { ...native, addon: 'b2' })).toEqual(['the native addon differs from the one that ran the trial']);
    expect(notExactBecause({ ...h200, gpu: null }, h200)).toEqual(['trained on an unrecorded GPU, re-run on NVIDIA H200']);
  });

  it('is never exact on tfjs-node, either way', () => {
    const tfjsNode: CnnRunner = { engine: 'tfjs-node-gpu', threads: 1, gpu: null, addon: null };
    expect(notExactBecause(tfjsNode, tfjsNode)).toEqual(['recorded on tfjs-node-gpu', 're-run on tfjs-node-gpu']);
    expect(notExactBecause(native, tfjsNode)).toEqual(['recorded on native, re-run on tfjs-node-gpu']);
    expect(notExactBecause(tfjsNode, native)).toEqual(['recorded on tfjs-node-gpu']);
  });
});
