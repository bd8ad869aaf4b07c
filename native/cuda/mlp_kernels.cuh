// The MLP's CUDA kernels: a tiled shared-memory SGEMM with fused epilogues,
// softmax + cross-entropy (loss reduced on the device, NaN/Inf flagged there),
// bias-gradient column sums, the SGD update, and the evaluation reductions.
//
// Rules every kernel here keeps:
//  - float32 FMA arithmetic, no tensor cores: results stay within float32
//    rounding of the CPU trainer;
//  - no atomics, every reduction in a fixed order: same inputs, same bits;
//  - every output element is computed by the same sequence of operations
//    whatever its position in a tile or its thread, so hidden units that start
//    identical (zero initialisation) stay bit-identical.
//
// The kernels that are not templates are static: tfjs_ops.cu includes this
// file too (for the GEMM), and each .cu gets its own copy.
//
// Compiled by nvcc for the GPU, or by a host compiler under HS_CUDA_EMULATE
// (cuda_compat.cuh) for the tests' host emulation of the same source.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "cuda/cuda_compat.cuh"

namespace HS_CUDA_NS {

// What the GEMM does to each element v of op(A)·op(B) before storing it.
// bias is indexed by column; aux is the layer's activation output A (same shape
// as C), from which the activation's derivative is computed in backprop.
enum class Epilogue : int {
  None,         // C = v
  Bias,         // C = v + bias
  BiasSigmoid,  // C = sigmoid(v + bias)
  BiasRelu,     // C = relu(v + bias)
  BiasTanh,     // C = tanh(v + bias)
  DSigmoid,     // C = v * a(1 - a)
  DRelu,        // C = v * (a > 0 ? 1 : 0)
  DTanh,        // C = v * (1 - a^2)
};

// C[M x N] = op(A)[M x K] * op(B)[K x N], all row-major with row strides
// lda/ldb/ldc. With transA, A is stored K x M (op(A) = A^T); with transB, B is
// stored N x K.
struct GemmArgs {
  int M, N, K;
  const float* A;
  int lda;
  const float* B;
  int ldb;
  float* C;
  int ldc;
  Epilogue epi;
  const float* bias;
  const float* aux;
  int ldaux;
  // Split K across blocks (blockIdx.z): block z sums k in [z k_chunk, (z+1) k_chunk)
  // and, when partial != nullptr, stores that raw sum in partial[z][M][N];
  // splitk_reduce_kernel then adds the splits in order and applies the epilogue.
  int k_chunk;
  float* partial;
};

namespace tile {
// A block computes a 32 x 32 tile of C with 256 threads. The MLP's GEMMs are
// small (M is the minibatch, 32..128), so tiles are small to give the GPU many
// blocks, and the K dimension is split *inside* the block ("sliced K"): the
// 256 threads form 4 slices of 64, slice s accumulates the k's [8s, 8s+8) of
// every 32-wide K tile, each thread a 4 x 4 register tile; the 4 partial sums
// are added at the end in the fixed order ((p0 + p1) + p2) + p3.
constexpr int BM = 32;
constexpr int BN = 32;
constexpr int BK = 32;
constexpr int SLICES = 4;
constexpr int KS = BK / SLICES;  // k's per slice per K tile
constexpr int TM = 4;
constexpr int TN = 4;
constexpr int THREADS = 256;
constexpr int PAD = 4;  // keeps rows 16-byte aligned for the 4-float reads
constexpr int LOADS = BM * BK / THREADS;  // elements of each input tile per thread
static_assert((BM / TM) * (BN / TN) * SLICES == THREADS, "thread layout");
static_assert(BM * BK == BN * BK && LOADS * THREADS == BM * BK, "tile loads");
static_assert(BM == 32 && BN == 32 && KS == 8, "index maps below assume these");
}  // namespace tile

__device__ __forceinline__ float sigmoidf(float z) { return 1.0f / (1.0f + expf(-z)); }

__device__ __forceinline__ float apply_epilogue(Epilogue epi, const float* bias, const float* aux, int ldaux, int m,
                                                int n, float v) {
  switch (epi) {
    case Epilogue::None:
      return v;
    case Epilogue::Bias:
      return v + bias[n];
    case Epilogue::BiasSigmoid:
      return sigmoidf(v + bias[n]);
    case Epilogue::BiasRelu: {
      // z < 0 ? 0 : z lets NaN through (as the CPU core does), so divergence stays visible.
      const float z = v + bias[n];
      return z < 0.0f ? 0.0f : z;
    }
    case Epilogue::BiasTanh:
      return tanhf(v + bias[n]);
    case Epilogue::DSigmoid: {
      const float a = aux[static_cast<size_t>(m) * ldaux + n];
      return v * (a * (1.0f - a));
    }
    case Epilogue::DRelu: {
      const float a = aux[static_cast<size_t>(m) * ldaux + n];
      return v * (a > 0.0f ? 1.0f : 0.0f);
    }
    case Epilogue::DTanh: {
      const float a = aux[static_cast<size_t>(m) * ldaux + n];
      return v * (1.0f - a * a);
    }
  }
  return v;
}

// Grid: (ceil(N / 32), ceil(M / 32), K splits); block: 256 threads.
template <bool TA, bool TB>
__global__ void __launch_bounds__(tile::THREADS, 2) gemm_kernel(GemmArgs g) {
  using namespace tile;
  // As[k][m] = op(A)[m0 + m][k0 + k], Bs[k][n] = op(B)[k0 + k][n0 + n].
  __shared__ __align__(16) float As[BK][BM + PAD];
  __shared__ __align__(16) float Bs[BK][BN + PAD];
  __shared__ float Part[SLICES][BM * BN];

  const int tid = static_cast<int>(threadIdx.x);
  const int m0 = static_cast<int>(blockIdx.y) * BM;
  const int n0 = static_cast<int>(blockIdx.x) * BN;
  const int slice = tid / 64;
  const int ty = (tid % 64) / (BN / TN);  // row group of this thread's 4 x 4 tile
  const int tx = (tid % 64) % (BN / TN);  // column group

  float acc[TM][TN];
HS_UNROLL
  for (int i = 0; i < TM; ++i)
HS_UNROLL
    for (int j = 0; j < TN; ++j) acc[i][j] = 0.0f;

  const int k_begin = static_cast<int>(blockIdx.z) * g.k_chunk;
  const int k_end = g.K < k_begin + g.k_chunk ? g.K : k_begin + g.k_chunk;
  for (int k0 = k_begin; k0 < k_end; k0 += BK) {
    // Load the tiles. Consecutive threads follow the contiguous dimension in
    // global memory. When that is k (A not transposed, B transposed), a warp
    // reads 8 consecutive k's of 4 rows, which keeps the transposed stores into
    // shared memory free of bank conflicts (the row stride is 36 floats).
HS_UNROLL
    for (int i = 0; i < LOADS; ++i) {
      const int idx = i * THREADS + tid;
      int m, k;
      if constexpr (TA) {
        m = idx % BM;
        k = idx / BM;
      } else {
        m = (idx / KS) % BM;
        k = (idx / KS / BM) * KS + idx % KS;
      }
      const int gm = m0 + m;
      const int gk = k0 + k;
      float v = 0.0f;
      if (gm < g.M && gk < k_end) {
        v = TA ? g.A[static_cast<size_t>(gk) * g.lda + gm] : g.A[static_cast<size_t>(gm) * g.lda + gk];
      }
      As[k][m] = v;
    }
HS_UNROLL
    for (int i = 0; i < LOADS; ++i) {
      const int idx = i * THREADS + tid;
      int n, k;
      if constexpr (TB) {
        n = (idx / KS) % BN;
        k = (idx / KS / BN) * KS + idx % KS;
      } else {
        n = idx % BN;
        k = idx / BN;
      }
      const int gn = n0 + n;
      const int gk = k0 + k;
      float v = 0.0f;
      if (gn < g.N && gk < k_end) {
        v = TB ? g.B[static_cast<size_t>(gn) * g.ldb + gk] : g.B[static_cast<size_t>(gk) * g.ldb + gn];
      }
      Bs[k][n] = v;
    }
    __syncthreads();

    // k beyond this block's range was loaded as 0 on both sides: fmaf(0, 0, acc) == acc.
HS_UNROLL
    for (int kk = 0; kk < KS; ++kk) {
      const int k = slice * KS + kk;
      float a[TM], b[TN];
      load4(&As[k][ty * TM], a);
      load4(&Bs[k][tx * TN], b);
HS_UNROLL
      for (int i = 0; i < TM; ++i)
HS_UNROLL
        for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }

HS_UNROLL
  for (int i = 0; i < TM; ++i)
HS_UNROLL
    for (int j = 0; j < TN; ++j) Part[slice][(ty * TM + i) * BN + tx * TN + j] = acc[i][j];
  __syncthreads();

  for (int e = tid; e < BM * BN; e += THREADS) {
    const int m = m0 + e / BN;
    const int n = n0 + e % BN;
    if (m >= g.M || n >= g.N) continue;
    float v = Part[0][e];
HS_UNROLL
    for (int s = 1; s < SLICES; ++s) v += Part[s][e];
    if (g.partial != nullptr) {
      g.partial[(static_cast<size_t>(blockIdx.z) * g.M + m) * g.N + n] = v;
    } else {
      g.C[static_cast<size_t>(m) * g.ldc + n] = apply_epilogue(g.epi, g.bias, g.aux, g.ldaux, m, n, v);
    }
  }
}

// C = epilogue(partial[0] + partial[1] + ... + partial[splits - 1]), added in
// that order. Grid: ceil(M N / 256); block: 256.
[[maybe_unused]] static __global__ void splitk_reduce_kernel(GemmArgs g, int splits) {
  const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  const long long mn = static_cast<long long>(g.M) * g.N;
  if (i >= mn) return;
  const int m = static_cast<int>(i / g.N);
  const int n = static_cast<int>(i % g.N);
  float v = g.partial[i];
  for (int z = 1; z < splits; ++z) v += g.partial[static_cast<size_t>(z) * mn + i];
  g.C[static_cast<size_t>(m) * g.ldc + n] = apply_epilogue(g.epi, g.bias, g.aux, g.ldaux, m, n, v);
}

// Threads of the single-block reductions below (a power of two).
constexpr int kReduceThreads = 256;

// Device-side record of an epoch: whether a minibatch loss turned non-finite,
// and the global step at which it first did. Once failed is set, the loss
// kernel and the SGD update of every later step do nothing, so the weights stay
// those from before the failing step even though the host only looks every few
// steps.
struct StepStatus {
  int failed;
  int pad;
  long long failed_step;
  double last_loss;  // mean cross-entropy of the last minibatch (diagnostics)
};

// Cross-entropy of one row of logits z against label y: log(sum exp(z - max)) - (z_y - max).
// Leaves max and the sum of exponentials for the caller.
__device__ __forceinline__ float row_xent(const float* z, int classes, int y, float& mx, float& sum) {
  mx = z[0];
  for (int j = 1; j < classes; ++j) mx = z[j] > mx ? z[j] : mx;
  sum = 0.0f;
  for (int j = 0; j < classes; ++j) sum += expf(z[j] - mx);
  return logf(sum) - (z[y] - mx);
}

// out[r][f] = x[perm[start + r]][f] for the `rows` minibatch rows.
// Grid: ceil(rows * features / 256); block: 256.
[[maybe_unused]] static __global__ void gather_rows_kernel(const float* x, int features, const int64_t* perm, int64_t start, int rows,
                                   float* out) {
  const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<long long>(rows) * features) return;
  const long long r = i / features;
  const long long f = i % features;
  out[i] = x[static_cast<size_t>(perm[start + r]) * features + f];
}

// Softmax + cross-entropy of a minibatch: dz = (softmax(z) - onehot(y)) / rows,
// the gradient of the mean loss; the mean loss itself is reduced in a fixed
// order and checked for NaN/Inf. Labels are y[perm[start + r]].
// Grid: 1; block: kReduceThreads.
[[maybe_unused]] static __global__ void __launch_bounds__(kReduceThreads)
    softmax_xent_kernel(const float* z, int rows, int classes, const uint8_t* labels, const int64_t* perm,
                        int64_t start, float inv_rows, float* dz, StepStatus* status, long long step) {
  __shared__ double part[kReduceThreads];
  const int tid = static_cast<int>(threadIdx.x);
  // Every thread reads the flag before the barriers below; only thread 0 writes
  // it, after them.
  if (status->failed) return;
  double local = 0.0;
  for (int r = tid; r < rows; r += kReduceThreads) {
    const float* zr = z + static_cast<size_t>(r) * classes;
    const int y = labels[perm[start + r]];
    float mx, sum;
    local += static_cast<double>(row_xent(zr, classes, y, mx, sum));
    float* dr = dz + static_cast<size_t>(r) * classes;
    for (int j = 0; j < classes; ++j) {
      const float p = expf(zr[j] - mx) / sum;
      dr[j] = (p - (j == y ? 1.0f : 0.0f)) * inv_rows;
    }
  }
  part[tid] = local;
  __syncthreads();
  for (int s = kReduceThreads / 2; s > 0; s /= 2) {
    if (tid < s) part[tid] += part[tid + s];
    __syncthreads();
  }
  if (tid == 0) {
    const double mean = part[0] / rows;
    status->last_loss = mean;
    if (!is_finite(mean)) {
      status->failed = 1;
      status->failed_step = step;
    }
  }
}

// out[c] = sum over r of d[r][c], rows in order. Grid: ceil(cols / 128); block: 128.
[[maybe_unused]] static __global__ void colsum_kernel(const float* d, int rows, int cols, float* out) {
  const int c = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (c >= cols) return;
  float s = 0.0f;
  for (int r = 0; r < rows; ++r) s += d[static_cast<size_t>(r) * cols + c];
  out[c] = s;
}

// params[i] -= alpha * (grad[i] + 2 lambda params[i]) for the weights (the first
// n_weights entries), params[i] -= alpha * grad[i] for the biases after them.
// Skipped entirely once the epoch has failed.
[[maybe_unused]] static __global__ void sgd_update_kernel(float* params, const float* grads, long long n_weights, long long n_total,
                                  float alpha, float two_lambda, const StepStatus* status) {
  if (status->failed) return;
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < n_total; i += stride) {
    const float w = params[i];
    params[i] = i < n_weights ? w - alpha * (grads[i] + two_lambda * w) : w - alpha * grads[i];
  }
}

// Per-row cross-entropy and correctness (argmax, first maximum wins) of a chunk
// of evaluation rows. Grid: ceil(rows / 256); block: 256.
[[maybe_unused]] static __global__ void eval_rows_kernel(const float* z, int rows, int classes, const uint8_t* labels, float* row_loss,
                                 int* row_correct) {
  const int r = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (r >= rows) return;
  const float* zr = z + static_cast<size_t>(r) * classes;
  const int y = labels[r];
  float mx, sum;
  row_loss[r] = row_xent(zr, classes, y, mx, sum);
  int best = 0;
  for (int j = 1; j < classes; ++j)
    if (zr[j] > zr[best]) best = j;
  row_correct[r] = best == y ? 1 : 0;
}

// out[0] = sum of row_loss, out[1] = sum of row_correct, in a fixed order.
// Grid: 1; block: kReduceThreads.
[[maybe_unused]] static __global__ void __launch_bounds__(kReduceThreads)
    eval_reduce_kernel(const float* row_loss, const int* row_correct, long long rows, double* out) {
  __shared__ double loss_part[kReduceThreads];
  __shared__ double correct_part[kReduceThreads];
  const int tid = static_cast<int>(threadIdx.x);
  double l = 0.0, c = 0.0;
  for (long long r = tid; r < rows; r += kReduceThreads) {
    l += static_cast<double>(row_loss[r]);
    c += static_cast<double>(row_correct[r]);
  }
  loss_part[tid] = l;
  correct_part[tid] = c;
  __syncthreads();
  for (int s = kReduceThreads / 2; s > 0; s /= 2) {
    if (tid < s) {
      loss_part[tid] += loss_part[tid + s];
      correct_part[tid] += correct_part[tid + s];
    }
    __syncthreads();
  }
  if (tid == 0) {
    out[0] = loss_part[0];
    out[1] = correct_part[0];
  }
}

// ---------------------------------------------------------------------------
// Host-side launchers
// ---------------------------------------------------------------------------

// How a GEMM of this shape splits K across blocks: a pure function of
// (M, N, K), so that a shape is always summed in the same order (determinism)
// and every element of C the same way (symmetry). The MLP's forward GEMMs have
// M = minibatch and long K: 32 x 32 tiles alone give a few dozen blocks, each
// walking all of K, on a GPU of 100+ multiprocessors. Splitting K until there
// are about 128 blocks, at least two K tiles each, gives every SM work.
struct SplitK {
  int splits;
  int k_chunk;  // a multiple of tile::BK
};
inline SplitK gemm_split(int M, int N, int K) {
  const long long blocks = ((static_cast<long long>(M) + tile::BM - 1) / tile::BM) *
                           ((static_cast<long long>(N) + tile::BN - 1) / tile::BN);
  const int k_tiles = (K + tile::BK - 1) / tile::BK;
  const int whole = (k_tiles > 0 ? k_tiles : 1) * tile::BK;
  if (blocks >= 96 || k_tiles < 4) return {1, whole};
  long long want = (128 + blocks - 1) / blocks;
  want = want < k_tiles / 2 ? want : k_tiles / 2;
  want = want < 16 ? want : 16;
  if (want < 2) return {1, whole};
  const int tiles_per_split = static_cast<int>((k_tiles + want - 1) / want);
  const int k_chunk = tiles_per_split * tile::BK;
  return {(K + k_chunk - 1) / k_chunk, k_chunk};
}
// Floats of workspace a GEMM of this shape needs (0 when K is not split).
inline size_t gemm_workspace_floats(int M, int N, int K) {
  const SplitK sk = gemm_split(M, N, K);
  return sk.splits > 1 ? static_cast<size_t>(sk.splits) * static_cast<size_t>(M) * static_cast<size_t>(N) : 0;
}

// C = epilogue(op(A) * op(B)) on stream s; see GemmArgs. `workspace` holds at
// least gemm_workspace_floats(M, N, K) floats (device memory).
inline void gemm(Stream s, bool ta, bool tb, int M, int N, int K, const float* A, int lda, const float* B,
                 int ldb, float* C, int ldc, float* workspace, size_t workspace_floats,
                 Epilogue epi = Epilogue::None, const float* bias = nullptr, const float* aux = nullptr,
                 int ldaux = 0) {
  if (M <= 0 || N <= 0) return;
  if (K < 0) throw std::invalid_argument("gemm: negative K");
  const long long grid_y = (static_cast<long long>(M) + tile::BM - 1) / tile::BM;
  if (grid_y > 65535) throw std::invalid_argument("gemm: M too large for one launch");
  const SplitK sk = gemm_split(M, N, K);
  const size_t need = gemm_workspace_floats(M, N, K);
  if (need > workspace_floats) throw std::logic_error("gemm: split-K workspace too small");
  GemmArgs g{M, N, K, A, lda, B, ldb, C, ldc, epi, bias, aux, ldaux, sk.k_chunk, sk.splits > 1 ? workspace : nullptr};
  const dim3 grid(static_cast<unsigned>((N + tile::BN - 1) / tile::BN), static_cast<unsigned>(grid_y),
                  static_cast<unsigned>(sk.splits));
  const dim3 block(tile::THREADS);
  if (!ta && !tb) launch(gemm_kernel<false, false>, grid, block, s, g);
  else if (!ta && tb) launch(gemm_kernel<false, true>, grid, block, s, g);
  else if (ta && !tb) launch(gemm_kernel<true, false>, grid, block, s, g);
  else launch(gemm_kernel<true, true>, grid, block, s, g);
  if (sk.splits > 1) {
    const long long mn = static_cast<long long>(M) * N;
    launch(splitk_reduce_kernel, dim3(static_cast<unsigned>((mn + 255) / 256)), dim3(256), s, g, sk.splits);
  }
}

}  // namespace HS_CUDA_NS
