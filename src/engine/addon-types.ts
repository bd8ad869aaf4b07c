// The shape of the compiled addon (build/Release/hypersweep.node) as JavaScript
// sees it. CONTRACT between native/binding/*.cc and src/engine/native.ts:
// the binding implements exactly this; native.ts validates every argument
// before it crosses into C++ (better-sqlite3 style) and is the only importer.

export type ActivationName = 'sigmoid' | 'relu' | 'tanh';
export type InitName = 'zero' | 'normal' | 'glorot';
export type DeviceName = 'cpu' | 'cuda';
export type DTypeName = 'float32' | 'float64';
export type SimdName = 'avx512' | 'avx2' | 'generic';

export interface BuildInfo {
  /** hypersweep version baked in at build time is not needed: package.json has it. */
  buildId: string;
  /**
   * The widest GEMM kernels this CPU runs: 'avx512', 'avx2' (FMA) or 'generic'.
   * 'avx512' and 'avx2' give the same bits (native/core/gemm.h); 'generic' does not.
   */
  simd: SimdName;
  /** true when the addon was compiled with the CUDA kernels. */
  cudaCompiled: boolean;
  /** number of CUDA devices visible now (0 without a GPU or without CUDA build). */
  cudaDevices: number;
  compiler: string;
}

/** Immutable training data held by reference (no copy); may live in a SharedArrayBuffer. */
export interface NativeDataset {
  readonly rows: number;
  readonly features: number;
}
export interface NativeDatasetConstructor {
  new (x: Float32Array, y: Uint8Array, rows: number, features: number): NativeDataset;
}

export interface MlpModelOptions {
  inputs: number;
  h1: number;
  h2: number;
  outputs: number;
  activation: ActivationName;
  init: InitName;
  /** Seed of the weight initialisation (and nothing else). */
  seed: number;
  dtype: DTypeName;
  device: DeviceName;
  /** Native threads for this model's CPU kernels (ignored on cuda). */
  threads: number;
}

export interface TrainEpochOptions {
  alpha0: number;
  delta: number;
  lambda: number;
  batchSize: number;
  /** Global step counter t at the start of this epoch (0 for the first epoch). */
  tStart: number;
  /** Shuffle seed; the permutation depends only on (shuffleSeed, epoch). */
  shuffleSeed: number;
  epoch: number;
}

export interface TrainEpochResult {
  steps: number;
  tEnd: number;
  nonfinite: boolean;
  failedStep: number;
  stopped: boolean;
}

export interface EvalResult {
  loss: number;
  accuracy: number;
}

export interface MlpParamArrays {
  W1: Float32Array | Float64Array;
  b1: Float32Array | Float64Array;
  W2: Float32Array | Float64Array;
  b2: Float32Array | Float64Array;
  W3: Float32Array | Float64Array;
  b3: Float32Array | Float64Array;
}

export interface NativeMlp {
  /** Runs one epoch of minibatch SGD off the event loop (AsyncWorker). */
  trainEpoch(data: NativeDataset, options: TrainEpochOptions): Promise<TrainEpochResult>;
  /** Mean cross-entropy (without penalty) and accuracy over the whole dataset, off the event loop. */
  evaluate(data: NativeDataset): Promise<EvalResult>;
  /** Σ_j ‖W_j‖² over the three weight matrices (biases excluded). */
  weightSquaredNorm(): number;
  /** Copies of the parameters (dtype of the model). */
  getParams(): MlpParamArrays;
  /** Replaces the parameters; arrays must have the model's dtype and sizes. */
  setParams(params: MlpParamArrays): void;
  /**
   * Objective on the single row `row` of `data`: cross-entropy + lambda * Σ‖W‖²,
   * and (when withGradient) its analytic gradient by backprop. Synchronous; for gradcheck.
   */
  sampleObjective(data: NativeDataset, row: number, lambda: number, withGradient: boolean): {
    loss: number;
    gradient: MlpParamArrays | null;
  };
  /** Raise the stop flag: a running trainEpoch returns between minibatches with stopped=true. */
  requestStop(): void;
  readonly device: DeviceName;
  readonly dtype: DTypeName;
  readonly threads: number;
}
export interface NativeMlpConstructor {
  new (options: MlpModelOptions): NativeMlp;
}

export interface NativeAddon extends NativeCudaAddon {
  buildInfo(): BuildInfo;
  Dataset: NativeDatasetConstructor;
  MlpModel: NativeMlpConstructor;
  /**
   * C = alpha·op(A)·op(B) + beta·C, row-major, synchronous; for tests and benchmarks.
   * op(A) is M×K, op(B) is K×N. lda/ldb/ldc are row strides of the stored matrices.
   */
  sgemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number,
    alpha: number, A: Float32Array, lda: number, B: Float32Array, ldb: number,
    beta: number, C: Float32Array, ldc: number, threads: number,
  ): void;
  /** The naive triple-loop reference of sgemm (double accumulation). */
  sgemmReference(
    transA: boolean, transB: boolean, M: number, N: number, K: number,
    alpha: number, A: Float32Array, lda: number, B: Float32Array, ldb: number,
    beta: number, C: Float32Array, ldc: number,
  ): void;

  // --- TensorFlow.js cpu-backend kernels (native/binding/tfjs_kernels.cc) ---
  // Synchronous; outputs are preallocated by the caller and fully overwritten.
  // Only src/engine/tfjs/native-ops.ts calls these, after checking every argument.
  /**
   * NHWC conv2d, HWIO filter, y = act(conv + bias). geometry (13 int32) =
   * [batch, inH, inW, inC, filterH, filterW, outC, strideH, strideW, padTop, padLeft, outH, outW].
   */
  tfjsConv2d(
    x: Float32Array, filter: Float32Array, bias: Float32Array | null, relu: boolean,
    y: Float32Array, geometry: Int32Array, threads: number,
  ): void;
  /** dfilter = im2col(x)ᵀ·dy (same geometry as tfjsConv2d). */
  tfjsConv2dBackpropFilter(
    x: Float32Array, dy: Float32Array, dfilter: Float32Array, geometry: Int32Array, threads: number,
  ): void;
  /** dx = col2im(dy·filterᵀ) (same geometry as tfjsConv2d). */
  tfjsConv2dBackpropInput(
    dy: Float32Array, filter: Float32Array, dx: Float32Array, geometry: Int32Array, threads: number,
  ): void;
  /**
   * NHWC max pooling. geometry (12 int32) =
   * [batch, inH, inW, channels, filterH, filterW, strideH, strideW, padTop, padLeft, outH, outW].
   */
  tfjsMaxPool(x: Float32Array, y: Float32Array, geometry: Int32Array, threads: number): void;
  /** dx: dy routed to each window's first maximum of x. */
  tfjsMaxPoolGrad(
    dy: Float32Array, x: Float32Array, dx: Float32Array, geometry: Int32Array, threads: number,
  ): void;
  /**
   * out[i] = act(op(a[i]) · op(b[i]) + bias). dims (7 int32) =
   * [batchA, batchB, M, N, K, transposeA 0|1, transposeB 0|1]; a batch of 1 broadcasts.
   */
  tfjsBatchMatMul(
    a: Float32Array, b: Float32Array, bias: Float32Array | null, relu: boolean,
    out: Float32Array, dims: Int32Array, threads: number,
  ): void;
  /** out[i] = a[i % a.length] op b[i % b.length]; op 0 add, 1 sub, 2 mul. */
  tfjsBinary(op: 0 | 1 | 2, a: Float32Array, b: Float32Array, out: Float32Array, threads: number): void;
  /** y = max(0, x) as Math.max computes it. */
  tfjsRelu(x: Float32Array, y: Float32Array, threads: number): void;
  /** y = NaN for NaN, 1 for x > 0, else alpha. */
  tfjsStep(x: Float32Array, alpha: number, y: Float32Array, threads: number): void;
  /** x as [outer, reduce, inner]: y[o, i] = Σ_r x[o, r, i] (double accumulation, in order). */
  tfjsSum(x: Float32Array, y: Float32Array, outer: number, reduce: number, inner: number, threads: number): void;
  /** x as [outer, dim, slice]: out[o, i, :] = x[o, indices[i], :]; false (nothing written) on a bad index. */
  tfjsGather(
    x: Float32Array, indices: Int32Array, out: Float32Array, outer: number, dim: number, slice: number,
    threads: number,
  ): boolean;
}

// --- The cuda engine's device memory and ops (native/binding/cuda_backend.cc) ---
// Only src/engine/cuda/ calls these. Buffers are integer handles into the
// addon's table of device allocations (never raw pointers); the addon checks
// every handle and every size against the op's geometry before a launch.

export interface CudaMemoryInfo {
  /** Bytes of the live buffers (as asked for). */
  bytesInUse: number;
  /** Bytes the caching allocator holds from the driver: live buffers and cached free blocks. */
  bytesReserved: number;
  /** Live buffers. */
  buffers: number;
}

export interface CudaInfo {
  /** Compiled with the CUDA kernels (nvcc), or their host emulation. */
  compiled: boolean;
  /** The kernels run on the host emulator (hypersweep_cuda_emu.node, tests only). */
  emulated: boolean;
  /** CUDA devices visible now (the emulator shows one). */
  devices: number;
  /** Name of device 0 ("NVIDIA H200", "host emulator"); null without one. */
  deviceName: string | null;
}

/** One CUDA device's stream, allocator and buffer table. */
export interface NativeCudaContext {
  /** A device buffer of `bytes` bytes (uninitialised); returns its handle. */
  alloc(bytes: number): number;
  /** Gives the buffer back to the caching allocator. */
  free(buffer: number): void;
  /** Copies host values into the whole buffer (the sizes must match). */
  upload(buffer: number, values: Float32Array | Int32Array | Uint8Array): void;
  /** Copies the whole buffer into `out` (the sizes must match); waits for the stream. */
  download(buffer: number, out: Float32Array | Int32Array | Uint8Array): void;
  /** Sets every byte of the buffer to `byte`. */
  memset(buffer: number, byte: number): void;
  /**
   * Launches op `op` (an index into cudaOps()) on the context's stream:
   * `buffers` are handles (outputs first, -1 for an absent optional one),
   * `ints` and `floats` its parameters, in the order native/binding/cuda_backend.cc documents per op.
   */
  run(op: number, buffers: Int32Array, ints: Int32Array, floats: Float64Array): void;
  memory(): CudaMemoryInfo;
  /** Waits until every launched op has finished. */
  synchronize(): void;
  /** Frees every buffer and the stream; the context is unusable afterwards. */
  dispose(): void;
}

export interface NativeCudaContextConstructor {
  new (device: number): NativeCudaContext;
}

/** The cuda engine's part of the addon (every build exports it; CudaContext throws without CUDA). */
export interface NativeCudaAddon {
  cudaInfo(): CudaInfo;
  /** Names of the device ops, in the index order `run` takes. */
  cudaOps(): string[];
  CudaContext: NativeCudaContextConstructor;
}
