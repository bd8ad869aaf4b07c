import { describe, expect, it } from 'vitest';

import type { BuildInfo } from '../src/engine/addon-types.js';
import { parseDeviceRequest, resolveDevice } from '../src/engine/device.js';
import { HypersweepError } from '../src/errors.js';

const info = (cudaCompiled: boolean, cudaDevices: number): BuildInfo => ({
  buildId: 'test',
  simd: 'generic',
  cudaCompiled,
  cudaDevices,
  compiler: 'test',
});

describe('resolveDevice', () => {
  it('auto picks cuda only when compiled in and a GPU is visible', () => {
    expect(resolveDevice('auto', info(true, 1))).toBe('cuda');
    expect(resolveDevice('auto', info(true, 0))).toBe('cpu');
    expect(resolveDevice('auto', info(false, 0))).toBe('cpu');
    expect(resolveDevice('cpu', info(true, 1))).toBe('cpu');
  });

  it('explains why cuda is unavailable', () => {
    expect(() => resolveDevice('cuda', info(false, 0))).toThrow(/no CUDA kernels/);
    expect(() => resolveDevice('cuda', info(true, 0))).toThrow(/no CUDA device is visible/);
    expect(resolveDevice('cuda', info(true, 2))).toBe('cuda');
  });

  it('rejects unknown device names', () => {
    expect(() => parseDeviceRequest('gpu')).toThrow(HypersweepError);
    expect(parseDeviceRequest('auto')).toBe('auto');
  });
});
