// Output buffers for our kernels, recycled when tfjs disposes their tensors.
//
// Why: a fresh Float32Array of a conv activation (64×28×28×32 floats, 6.4 MB)
// costs ~3.5 ms here (page faults and zeroing), about a dozen of them per
// training step of the light CNN: more than all its arithmetic. Reusing the
// arrays of disposed tensors removes that cost.
//
// Why it is safe: the cpu backend holds a tensor's values only in its data map
// (dataId -> values); a disposed tensor's entry is deleted. An array of ours
// is put back in the pool only when the entry that held it is deleted and the
// array never left that entry. It leaves through:
//   - readSync / read (tensor.dataSync(), data(), bufferSync(), a backend
//     move): the caller keeps the array, which tfjs does not copy;
//   - write / move of the same ArrayBuffer under another dataId (a stock
//     kernel's output that is a view of its input, as Slice makes).
// Those hooks mark the buffer "escaped", and an escaped buffer is never
// reused (the garbage collector frees it as usual).
import type { DataId, DataType, TensorInfo } from '@tensorflow/tfjs';

import type { BackendValues, CpuBackend } from './cpu-backend.js';

/** Arrays shorter than this are left to the allocator: cheap, and not worth a map lookup. */
const MIN_POOLED = 4096;
const HOOKED = ['write', 'move', 'readSync', 'read', 'disposeData'] as const;
type Hooked = (typeof HOOKED)[number];

export interface OutputPoolStats {
  /** Arrays created (pooled sizes only). */
  created: number;
  /** Arrays handed out again from the pool. */
  reused: number;
  /** Bytes now waiting in the pool. */
  freeBytes: number;
}

export class OutputPool {
  private readonly free = new Map<number, Float32Array[]>();
  private freeBytes = 0;
  private readonly ours = new WeakSet<ArrayBuffer>();
  private readonly escaped = new WeakSet<ArrayBuffer>();
  private readonly idle = new WeakSet<ArrayBuffer>();
  /** The buffer our own output() is registering right now (its write is not an escape). */
  private registering: ArrayBufferLike | null = null;
  private saved: Map<Hooked, { own: boolean; value: unknown }> | null = null;
  private created = 0;
  private reused = 0;

  /**
   * @param backend the cpu backend instance whose data map holds our outputs
   * @param maxFreeBytes how much idle memory the pool may hold (per thread)
   * @param recycle false: plain allocation, no hooks (outputs are still ours)
   */
  constructor(
    readonly backend: CpuBackend,
    private readonly maxFreeBytes: number,
    readonly recycle: boolean,
  ) {}

  stats(): OutputPoolStats {
    return { created: this.created, reused: this.reused, freeBytes: this.freeBytes };
  }

  /** A Float32Array of n elements with undefined contents: the kernel must write all of it. */
  alloc(n: number): Float32Array {
    if (!this.recycle || n < MIN_POOLED) return new Float32Array(n);
    const list = this.free.get(n);
    const reused = list?.pop();
    if (reused) {
      this.freeBytes -= reused.byteLength;
      this.idle.delete(reused.buffer as ArrayBuffer);
      this.reused++;
      return reused;
    }
    const fresh = new Float32Array(n);
    this.ours.add(fresh.buffer);
    this.created++;
    return fresh;
  }

  /** Registers values (from alloc) as a new float32 tensor of the backend. */
  output(shape: number[], values: Float32Array, dtype: DataType = 'float32'): TensorInfo {
    this.registering = values.buffer;
    try {
      return this.backend.makeTensorInfo(shape, dtype, values);
    } finally {
      this.registering = null;
    }
  }

  /** Hooks the backend's data entry and exit points (no-op without recycling). */
  attach(): void {
    if (!this.recycle || this.saved) return;
    const target = this.backend as unknown as Record<Hooked, unknown>;
    const saved = new Map<Hooked, { own: boolean; value: unknown }>();
    for (const name of HOOKED) {
      saved.set(name, { own: Object.prototype.hasOwnProperty.call(target, name), value: target[name] });
    }
    this.saved = saved;
    const b = this.backend;
    const write = b.write.bind(b);
    const move = b.move.bind(b);
    const readSync = b.readSync.bind(b);
    const read = b.read.bind(b);
    const disposeData = b.disposeData.bind(b);
    target.write = (values: BackendValues, shape: number[], dtype: DataType): DataId => {
      this.noteForeign(values);
      return write(values, shape, dtype);
    };
    target.move = (dataId: DataId, values: BackendValues, shape: number[], dtype: DataType, refCount: number): void => {
      this.noteEscape(values);
      move(dataId, values, shape, dtype, refCount);
    };
    target.readSync = (dataId: DataId): BackendValues => {
      const values = readSync(dataId);
      this.noteEscape(values);
      return values;
    };
    // data.get moves data in from another backend when the id is not here:
    // the hooks only look (has, then get), they never cause a move.
    const peek = (dataId: DataId): unknown => (b.data.has(dataId) ? b.data.get(dataId)?.values : undefined);
    target.read = async (dataId: DataId): Promise<BackendValues> => {
      this.noteEscape(peek(dataId));
      const values = await read(dataId);
      this.noteEscape(values);
      return values;
    };
    target.disposeData = (dataId: DataId, force?: boolean): boolean => {
      const values = peek(dataId);
      const result = disposeData(dataId, force);
      if (values instanceof Float32Array && !b.data.has(dataId)) this.release(values);
      return result;
    };
  }

  /** Restores the backend's methods and drops the idle arrays. */
  detach(): void {
    if (this.saved) {
      const target = this.backend as unknown as Record<Hooked, unknown>;
      for (const [name, { own, value }] of this.saved) {
        if (own) target[name] = value;
        else delete target[name];
      }
      this.saved = null;
    }
    this.free.clear();
    this.freeBytes = 0;
  }

  private noteEscape(values: unknown): void {
    if (ArrayBuffer.isView(values) && this.ours.has(values.buffer as ArrayBuffer)) {
      this.escaped.add(values.buffer as ArrayBuffer);
    }
  }

  private noteForeign(values: unknown): void {
    if (ArrayBuffer.isView(values) && values.buffer !== this.registering) this.noteEscape(values);
  }

  private release(values: Float32Array): void {
    const buffer = values.buffer as ArrayBuffer;
    if (!this.ours.has(buffer) || this.escaped.has(buffer) || this.idle.has(buffer)) return;
    if (values.byteOffset !== 0 || values.byteLength !== buffer.byteLength) return;
    if (this.freeBytes + values.byteLength > this.maxFreeBytes) return;
    let list = this.free.get(values.length);
    if (!list) {
      list = [];
      this.free.set(values.length, list);
    }
    list.push(values);
    this.idle.add(buffer);
    this.freeBytes += values.byteLength;
  }
}
