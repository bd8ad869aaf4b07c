// Scratch memory for one ask. An ask builds a dozen Parzen estimators with
// arrays as long as the study; allocating each as a fresh typed array makes the
// garbage collector the main cost at a few thousand trials (every typed array
// owns an off-heap buffer). Instead the arrays of an ask are zero-filled views
// into a few large buffers that are reused from one ask to the next. reset()
// starts a new ask; views handed out before it must not be used after it.

const CHUNK = 1 << 16;

class Pool<T extends Float64Array | Int32Array> {
  private chunks: T[] = [];
  private chunk = 0;
  private offset = 0;

  constructor(private readonly make: (length: number) => T) {}

  take(length: number): T {
    for (;;) {
      const current = this.chunks[this.chunk];
      if (!current) {
        this.chunks.push(this.make(Math.max(CHUNK, length)));
        continue;
      }
      if (this.offset + length <= current.length) {
        const view = current.subarray(this.offset, this.offset + length) as T;
        this.offset += length;
        view.fill(0);
        return view;
      }
      this.chunk++;
      this.offset = 0;
      // A later chunk too small for this request is replaced by a larger one.
      const next = this.chunks[this.chunk];
      if (next && next.length < length) this.chunks[this.chunk] = this.make(length);
    }
  }

  reset(): void {
    this.chunk = 0;
    this.offset = 0;
  }
}

export class Arena {
  private readonly f64 = new Pool((n) => new Float64Array(n));
  private readonly i32 = new Pool((n) => new Int32Array(n));

  /** A zero-filled Float64Array of `length`, valid until the next reset(). */
  floats(length: number): Float64Array {
    return this.f64.take(length);
  }

  /** A zero-filled Int32Array of `length`, valid until the next reset(). */
  ints(length: number): Int32Array {
    return this.i32.take(length);
  }

  reset(): void {
    this.f64.reset();
    this.i32.reset();
  }
}
