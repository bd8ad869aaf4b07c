// Kernels that move no data: a reshape or an identity shares the input's
// device buffer (tfjs's cpu backend does the same with its arrays), and
// zerosLike is a memset on the device.
import type { TensorInfo } from '@tensorflow/tfjs';

import { sizeOfShape } from '../backend.js';
import type { DeviceKernelDef } from './types.js';

const reshape: DeviceKernelDef = {
  kernelName: 'Reshape',
  needs: [],
  run(inputs, attrs, backend) {
    const x = inputs['x']!;
    const size = sizeOfShape(x.shape);
    const wanted = (attrs['shape'] as number[]).slice();
    // tfjs's inferFromImplicitShape: one -1 takes what is left.
    const known = wanted.reduce((n, d) => (d === -1 ? n : n * d), 1);
    const shape = wanted.map((d) => (d === -1 ? size / known : d));
    if (sizeOfShape(shape) !== size || !shape.every(Number.isInteger)) return null; // the cpu kernel says why
    return backend.share(x, shape);
  },
};

const identity: DeviceKernelDef = {
  kernelName: 'Identity',
  needs: [],
  run(inputs, _attrs, backend) {
    const x = inputs['x']!;
    return backend.share(x, x.shape);
  },
};

const zerosLike: DeviceKernelDef = {
  kernelName: 'ZerosLike',
  needs: [],
  run(inputs, _attrs, backend): TensorInfo | null {
    const x = inputs['x']!;
    if (!backend.onDevice(x)) return null;
    const out = backend.makeOutput(x.shape, x.dtype);
    if (out.buffer >= 0) backend.device.memset(out.buffer, 0);
    return out.info;
  },
};

export const SHAPE_KERNELS: readonly DeviceKernelDef[] = [reshape, identity, zerosLike];
