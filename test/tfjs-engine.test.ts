// Engine selection for CNN trials: the optional tfjs-node packages are
// refused with an actionable error when they are not installed, and `auto`
// then falls back to our native engine, whose kernels are registered.
import { createRequire } from 'node:module';

import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';

import { parseEngineRequest } from '../src/engine/engine-request.js';
import { startTfjsEngine } from '../src/engine/tfjs-engine.js';
import { HypersweepError } from '../src/errors.js';

const resolvable = (name: string): boolean => {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
};
const tfjsNodeMissing = !resolvable('@tensorflow/tfjs-node') && !resolvable('@tensorflow/tfjs-node-gpu');

describe('tfjs engine selection', () => {
  it('parses the five requests and refuses others with the valid list', () => {
    expect(parseEngineRequest('native')).toBe('native');
    let err: unknown;
    try {
      parseEngineRequest('webgl');
    } catch (e) {
      err = e;
    }
    expect((err as HypersweepError).oneLine()).toMatch(/unknown engine "webgl".*auto, cuda, tfjs-node-gpu, tfjs-node, native/);
    expect((err as HypersweepError).exitCode).toBe(2);
  });

  it.skipIf(!tfjsNodeMissing)('a missing tfjs-node is an E_ENGINE_UNAVAILABLE error saying how to install it', async () => {
    const err = await startTfjsEngine('tfjs-node', 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HypersweepError);
    expect((err as HypersweepError).code).toBe('E_ENGINE_UNAVAILABLE');
    expect((err as HypersweepError).oneLine()).toMatch(/tfjs-node.*npm install @tensorflow\/tfjs-node.*--engine native/);
  });

  it.skipIf(!tfjsNodeMissing)('auto falls back to native: the cpu backend with our kernels in place', async () => {
    const engine = await startTfjsEngine('auto', 1);
    expect(engine).toMatchObject({ engine: 'native', backend: 'cpu' });
    expect(engine.replacedKernels).toEqual(expect.arrayContaining(['Conv2D', 'Conv2DBackpropFilter', 'MaxPoolGrad', '_FusedMatMul']));
    expect(tf.getBackend()).toBe('cpu');
    // Asking again returns the running engine; another thread count is applied, not refused.
    expect((await startTfjsEngine('native', 2)).threads).toBe(2);
    await expect(startTfjsEngine('tfjs-node', 1)).rejects.toThrow(/already trains with native/);
  });
});
