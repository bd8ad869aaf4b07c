// The tfjs KernelBackend of the cuda engine (issue 15), modelled on
// tfjs-node's NodeJSKernelBackend: tfjs tensors whose data live in device
// buffers of our addon's caching allocator. Values cross PCIe only when they
// must: a tensor written from JS (an input batch, a scalar) is uploaded the
// first time a kernel needs it, and a tensor is downloaded when JS reads it
// (loss values, accuracy) or when a kernel has no device implementation and
// runs on the host through the fallback (fallback.ts, counted per kernel).
//
// Per tensor (dataId) the backend keeps the device buffer, a host copy when
// there is one (tfjs data never change once written, so a copy never goes
// stale), and the number of tfjs tensors sharing it (reshape shares).
import * as tf from '@tensorflow/tfjs';
import type { BackendTimingInfo, DataId, DataType, TensorInfo } from '@tensorflow/tfjs';

import type { NativeCudaContext } from '../addon-types.js';
import { DeviceOps } from './device-ops.js';

export type BackendValues = Float32Array | Int32Array | Uint8Array | Uint8Array[];

/** Bytes per element on the device; dtypes absent here stay on the host (strings, complex). */
const DEVICE_BYTES: Partial<Record<DataType, number>> = { float32: 4, int32: 4, bool: 1 };

/** No device buffer (a host-only tensor, or one of zero elements). */
const NO_BUFFER = -1;

interface TensorData {
  dtype: DataType;
  size: number;
  refCount: number;
  /** Device buffer id from the addon's allocator, or NO_BUFFER. */
  buffer: number;
  /** Host copy (written values, or a cached read); null when only the device holds the data. */
  host: BackendValues | null;
}

export function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Whether tensors of `dtype` can live in device memory. */
export function deviceDtype(dtype: DataType): boolean {
  return DEVICE_BYTES[dtype] !== undefined;
}

function emptyValues(dtype: DataType, size: number): Float32Array | Int32Array | Uint8Array {
  switch (dtype) {
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
    default:
      return new Float32Array(size);
  }
}

/** tfjs hands numbers in whatever typed array it has; the device wants the dtype's exact layout. */
function asDeviceArray(values: BackendValues, dtype: DataType): Float32Array | Int32Array | Uint8Array {
  const want = emptyValues(dtype, 0).constructor as Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor;
  if (values instanceof want) return values;
  return want.from(values as ArrayLike<number>);
}

export class CudaBackend extends tf.KernelBackend {
  private readonly data: tf.DataStorage<TensorData>;
  private disposed = false;
  /** The addon's device ops, for the kernels. */
  readonly ops: DeviceOps;

  /** `opNames`: the addon's cudaOps(), in the order CudaContext.run numbers them. */
  constructor(readonly device: NativeCudaContext, opNames: readonly string[]) {
    super();
    this.data = new tf.DataStorage<TensorData>(this, tf.engine());
    this.ops = new DeviceOps(device, opNames);
  }

  // --- TensorStorage ---------------------------------------------------------

  override write(values: BackendValues, shape: number[], dtype: DataType): DataId {
    const dataId = {};
    this.data.set(dataId, { dtype, size: sizeOfShape(shape), refCount: 1, buffer: NO_BUFFER, host: values });
    return dataId;
  }

  override move(dataId: DataId, values: BackendValues, shape: number[], dtype: DataType, refCount: number): void {
    this.data.set(dataId, { dtype, size: sizeOfShape(shape), refCount, buffer: NO_BUFFER, host: values });
  }

  override readSync(dataId: DataId): BackendValues {
    const d = this.data.get(dataId);
    if (d.host === null) {
      const values = emptyValues(d.dtype, d.size);
      if (d.size > 0) this.device.download(d.buffer, values);
      d.host = values;
    }
    return d.host;
  }

  override read(dataId: DataId): Promise<BackendValues> {
    return Promise.resolve(this.readSync(dataId));
  }

  override disposeData(dataId: DataId, force = false): boolean {
    if (!this.data.has(dataId)) return true;
    const d = this.data.get(dataId);
    d.refCount--;
    if (!force && d.refCount > 0) return false;
    if (d.buffer !== NO_BUFFER) this.device.free(d.buffer);
    this.data.delete(dataId);
    return true;
  }

  override refCount(dataId: DataId): number {
    return this.data.has(dataId) ? this.data.get(dataId).refCount : 0;
  }

  override incRef(dataId: DataId): void {
    this.data.get(dataId).refCount++;
  }

  override numDataIds(): number {
    return this.data.numDataIds();
  }

  /**
   * tf.memory() merges this in: bytes held by live tensors on the device, and
   * what the caching allocator reserves (held + cached free blocks).
   */
  override memory(): { unreliable: boolean; numBytesInGPU: number; numBytesInGPUAllocated: number; numDeviceBuffers: number } {
    const m = this.device.memory();
    return { unreliable: false, numBytesInGPU: m.bytesInUse, numBytesInGPUAllocated: m.bytesReserved, numDeviceBuffers: m.buffers };
  }

  override timerAvailable(): boolean {
    return true;
  }

  /** Wall time of f with the device's queue drained after it, so kernels are counted. */
  override time(f: () => void): Promise<BackendTimingInfo> {
    const start = performance.now();
    f();
    this.device.synchronize();
    return Promise.resolve({ kernelMs: performance.now() - start });
  }

  override floatPrecision(): 16 | 32 {
    return 32;
  }

  override epsilon(): number {
    return super.epsilon();
  }

  override dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.device.dispose();
  }

  // --- For the kernels --------------------------------------------------------

  /** The device buffer of an input, uploading its host copy the first time; NO_BUFFER for an empty tensor. */
  bufferOf(t: TensorInfo): number {
    const d = this.data.get(t.dataId);
    if (d.buffer === NO_BUFFER && d.size > 0) {
      const bytes = DEVICE_BYTES[d.dtype];
      if (bytes === undefined || d.host === null) throw new Error(`cuda backend: a ${d.dtype} tensor cannot be used on the device`);
      const buffer = this.device.alloc(d.size * bytes);
      try {
        this.device.upload(buffer, asDeviceArray(d.host, d.dtype));
      } catch (err) {
        this.device.free(buffer);
        throw err;
      }
      d.buffer = buffer;
    }
    return d.buffer;
  }

  /** Whether the data of `t` are in this backend and could be used by a device kernel. */
  onDevice(t: TensorInfo): boolean {
    return this.data.has(t.dataId) && deviceDtype(t.dtype);
  }

  /** A new tensor with an uninitialised device buffer for a kernel to fill. */
  makeOutput(shape: number[], dtype: DataType): { info: TensorInfo; buffer: number } {
    const bytes = DEVICE_BYTES[dtype];
    if (bytes === undefined) throw new Error(`cuda backend: no device layout for ${dtype}`);
    const size = sizeOfShape(shape);
    const buffer = size > 0 ? this.device.alloc(size * bytes) : NO_BUFFER;
    const dataId = {};
    this.data.set(dataId, { dtype, size, refCount: 1, buffer, host: null });
    return { info: { dataId, shape, dtype }, buffer };
  }

  /** A new tensor holding host values (uploaded when a kernel first needs them). */
  makeTensorInfo(shape: number[], dtype: DataType, values: BackendValues): TensorInfo {
    return { dataId: this.write(values, shape, dtype), shape, dtype };
  }

  /** A tensor sharing the data of `t` under another shape (reshape, identity). */
  share(t: TensorInfo, shape: number[]): TensorInfo {
    this.incRef(t.dataId);
    return { dataId: t.dataId, shape, dtype: t.dtype };
  }
}
