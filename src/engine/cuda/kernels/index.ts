// Every device kernel of the cuda engine; the others run through the host fallback.
import { ELEMENTWISE_KERNELS } from './elementwise.js';
import { LINALG_KERNELS } from './linalg.js';
import { REDUCE_KERNELS } from './reduce.js';
import { SHAPE_KERNELS } from './shape.js';
import type { DeviceKernelDef } from './types.js';

export const DEVICE_KERNELS: readonly DeviceKernelDef[] = [...SHAPE_KERNELS, ...ELEMENTWISE_KERNELS, ...REDUCE_KERNELS, ...LINALG_KERNELS];
