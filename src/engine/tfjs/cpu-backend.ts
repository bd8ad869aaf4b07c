// The parts of tfjs's cpu backend (MathBackendCPU, not in tfjs's public
// typings) that our kernels use: its data map (dataId -> values), and the
// methods through which tensor data enters and leaves it (buffer-pool.ts hooks
// those). Checked once, at install, against the live backend object.
import type { DataId, DataType, TensorInfo } from '@tensorflow/tfjs';

/** What the cpu backend stores per dataId. */
export interface CpuTensorData {
  values?: unknown;
  dtype: DataType;
  refCount: number;
}

export type BackendValues = Float32Array | Int32Array | Uint8Array | Uint8Array[];

export interface CpuBackend {
  data: {
    get(dataId: DataId): CpuTensorData | undefined;
    has(dataId: DataId): boolean;
  };
  makeTensorInfo(shape: number[], dtype: DataType, values?: BackendValues): TensorInfo;
  write(values: BackendValues, shape: number[], dtype: DataType): DataId;
  move(dataId: DataId, values: BackendValues, shape: number[], dtype: DataType, refCount: number): void;
  readSync(dataId: DataId): BackendValues;
  read(dataId: DataId): Promise<BackendValues>;
  disposeData(dataId: DataId, force?: boolean): boolean;
}

const METHODS = ['makeTensorInfo', 'write', 'move', 'readSync', 'read', 'disposeData'] as const;

/** The backend as a CpuBackend, or null when it does not look like tfjs's cpu backend. */
export function asCpuBackend(backend: unknown): CpuBackend | null {
  if (typeof backend !== 'object' || backend === null) return null;
  const b = backend as Record<string, unknown>;
  const data = b['data'] as Record<string, unknown> | undefined;
  if (typeof data !== 'object' || data === null) return null;
  if (typeof data['get'] !== 'function' || typeof data['has'] !== 'function') return null;
  for (const m of METHODS) if (typeof b[m] !== 'function') return null;
  return backend as CpuBackend;
}

/** The float32 values of a tensor, or null when it is not float32 data held as a Float32Array. */
export function float32Values(backend: CpuBackend, t: TensorInfo | undefined): Float32Array | null {
  if (!t || t.dtype !== 'float32') return null;
  const values = backend.data.get(t.dataId)?.values;
  return values instanceof Float32Array ? values : null;
}

/** The int32 values of a tensor, or null. */
export function int32Values(backend: CpuBackend, t: TensorInfo | undefined): Int32Array | null {
  if (!t || t.dtype !== 'int32') return null;
  const values = backend.data.get(t.dataId)?.values;
  return values instanceof Int32Array ? values : null;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
