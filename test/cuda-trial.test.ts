// The CUDA trainer: same recipe as the CPU, agreement within float32 rounding
// effects, not bitwise. Skips visibly without a GPU.
import { beforeAll, describe, expect, it } from 'vitest';

import { loadDataset, type DatasetSplits } from '../src/data/index.js';
import { resolveDevice } from '../src/engine/device.js';
import { resolveMlpParams } from '../src/trials/mlp/params.js';
import { runMlpTrial } from '../src/trials/mlp/run.js';
import { hasAddon, hasGpu, noGpuReason } from './helpers/native.js';

// Say so in the run's output, not only in the verbose list of skipped tests.
if (!hasGpu) console.warn(`CUDA tests skipped: ${noGpuReason}`);

describe('device resolution with the real addon', () => {
  it.skipIf(!hasAddon || hasGpu)('--device cuda without a GPU is a clear error', () => {
    expect(() => resolveDevice('cuda')).toThrow(/--device cuda was asked for but/);
    expect(resolveDevice('auto')).toBe('cpu');
  });
});

describe.skipIf(!hasGpu)(`CUDA training (skipped: ${noGpuReason})`, () => {
  let data: DatasetSplits;
  beforeAll(async () => {
    data = await loadDataset('mnist', { subset: 5000 });
  });

  it('learns like the CPU trainer on the same recipe', async () => {
    expect(resolveDevice('auto')).toBe('cuda');
    const params = resolveMlpParams({ epochs: 3, seed: 1, alpha0: 0.5, batch_size: 32 });
    const gpu = await runMlpTrial(params, { dataset: data, device: 'cuda', threads: 1 });
    const cpu = await runMlpTrial(params, { dataset: data, device: 'cpu', threads: 2 });
    console.log(`cuda ${JSON.stringify(gpu.epochs.at(-1))} test ${gpu.test_accuracy}; cpu test ${cpu.test_accuracy}`);
    expect(gpu.state).toBe('complete');
    expect(gpu.device).toBe('cuda');
    expect(gpu.test_accuracy!).toBeGreaterThan(0.9);
    expect(Math.abs(gpu.test_accuracy! - cpu.test_accuracy!)).toBeLessThan(0.01);
    expect(Math.abs(gpu.epochs[0]!.train_loss - cpu.epochs[0]!.train_loss)).toBeLessThan(0.02);
  });
});
