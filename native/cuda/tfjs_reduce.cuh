// Reductions of the tfjs CUDA backend (see tfjs_kernels.cuh): Sum, Mean, Max,
// Min, Prod, Any, All, ArgMax/ArgMin and Softmax. One thread block per output
// (per row for softmax): thread t takes the elements t, t + T, t + 2T, ... in
// order, then the T partials are added in a fixed binary tree. T is a
// function of the reduced length only, so a shape is always summed the same
// way: bit-reproducible, no atomics.
#pragma once
#include "cuda/tfjs_common.cuh"

namespace HS_CUDA_NS::tfjs {

constexpr int kReduceMaxThreads = 1024;

// Threads per reduction block, a function of the shape only: small rows
// (softmax over 10 classes, the accuracy's argmax) do not waste 256 threads
// each; few long reductions (the bias gradients: C outputs of N*H*W elements
// each, a whole weight's sum for the L2 penalty) get 1024 threads each, to keep
// more loads in flight on the few multiprocessors they occupy.
inline int reduce_threads(int64_t reduce, int64_t outputs = 1 << 30) {
  if (reduce <= 32) return 32;
  if (reduce <= 1024) return 64;
  if (reduce >= 8192 && outputs <= 256) return 1024;
  return 256;
}

// out = the tree sum of part[0..T) (T = blockDim.x, a power of two), in
// part[0]; every thread of the block must call it.
template <typename T, typename Combine>
__device__ __forceinline__ void block_tree(T* part, Combine combine) {
  const int tid = static_cast<int>(threadIdx.x);
  for (int s = static_cast<int>(blockDim.x) / 2; s > 0; s /= 2) {
    __syncthreads();
    if (tid < s) part[tid] = combine(part[tid], part[tid + s]);
  }
  __syncthreads();
}

struct AddD {
  __device__ double operator()(double a, double b) const { return a + b; }
};
struct MulD {
  __device__ double operator()(double a, double b) const { return a * b; }
};
// Max/Min where NaN wins (tfjs's Max: `value > max || isNaN(value)`).
struct MaxNaN {
  __device__ float operator()(float a, float b) const { return (a != a) ? a : ((b != b) ? b : (b > a ? b : a)); }
};
struct MinNaN {
  __device__ float operator()(float a, float b) const { return (a != a) ? a : ((b != b) ? b : (b < a ? b : a)); }
};

// Grid: outer * inner blocks (block o * inner + i computes y[o, i]).
__global__ void __launch_bounds__(kReduceMaxThreads)
    k_reduce(ReduceOp op, const float* x, float* y, long long outer, long long reduce, long long inner) {
  __shared__ double dpart[kReduceMaxThreads];
  __shared__ float fpart[kReduceMaxThreads];
  const long long out = static_cast<long long>(blockIdx.x) + static_cast<long long>(blockIdx.y) * gridDim.x;
  const bool active = out < outer * inner;
  const long long o = active ? out / inner : 0, i = active ? out % inner : 0;
  const float* base = x + o * reduce * inner + i;
  const int tid = static_cast<int>(threadIdx.x);
  const long long T = blockDim.x;
  if (op == ReduceOp::Sum || op == ReduceOp::Mean || op == ReduceOp::Prod) {
    const bool prod = op == ReduceOp::Prod;
    double acc = prod ? 1.0 : 0.0;
    // tfjs's Mean divides every element by the count (in float32) and sums those.
    const bool mean = op == ReduceOp::Mean;
    const float count = static_cast<float>(reduce);
    if (active)
      for (long long r = tid; r < reduce; r += T) {
        const float x_r = base[r * inner];
        const double v = static_cast<double>(mean ? x_r / count : x_r);
        acc = prod ? acc * v : acc + v;
      }
    dpart[tid] = acc;
    if (prod) block_tree(dpart, MulD{});
    else block_tree(dpart, AddD{});
    if (tid == 0 && active) {
      // reduce == 0: Mean is 0 / 0 (NaN), as tfjs's mean of nothing.
      y[out] = (op == ReduceOp::Mean && reduce == 0) ? NAN : static_cast<float>(dpart[0]);
    }
  } else if (op == ReduceOp::Max || op == ReduceOp::Min) {
    const bool mx = op == ReduceOp::Max;
    float acc = mx ? -INFINITY : INFINITY;
    if (active)
      for (long long r = tid; r < reduce; r += T) {
        const float v = base[r * inner];
        acc = mx ? MaxNaN{}(acc, v) : MinNaN{}(acc, v);
      }
    fpart[tid] = acc;
    if (mx) block_tree(fpart, MaxNaN{});
    else block_tree(fpart, MinNaN{});
    if (tid == 0 && active) y[out] = fpart[0];
  } else {  // Any / All: counts of nonzero elements
    double acc = 0.0;
    if (active)
      for (long long r = tid; r < reduce; r += T) acc += base[r * inner] != 0.0f ? 1.0 : 0.0;
    dpart[tid] = acc;
    block_tree(dpart, AddD{});
    if (tid == 0 && active) {
      const bool any = dpart[0] > 0.0, all = dpart[0] == static_cast<double>(reduce);
      y[out] = (op == ReduceOp::Any ? any : all) ? 1.0f : 0.0f;
    }
  }
}

// A grid of `blocks` blocks as (x, y) within CUDA's limits.
inline dim3 grid_2d(long long blocks) {
  const long long x = blocks < 65535 ? blocks : 65535;
  const long long y = (blocks + x - 1) / x;
  if (y > 65535) throw std::invalid_argument("tfjs: too many outputs for one launch");
  return dim3(static_cast<unsigned>(x > 0 ? x : 1), static_cast<unsigned>(y > 0 ? y : 1));
}

void reduce(Stream s, ReduceOp op, const float* x, float* y, int64_t outer, int64_t reduce, int64_t inner) {
  check_nonneg("reduce", "outer", outer);
  check_nonneg("reduce", "reduce", reduce);
  check_nonneg("reduce", "inner", inner);
  if (static_cast<int>(op) < 0 || static_cast<int>(op) > static_cast<int>(ReduceOp::All))
    bad_arg("reduce", "unknown op");
  const long long outputs = static_cast<long long>(outer) * inner;
  if (outputs == 0) return;
  launch(k_reduce, grid_2d(outputs), dim3(reduce_threads(reduce, outputs)), native_stream(s), op, x, y,
         static_cast<long long>(outer), static_cast<long long>(reduce), static_cast<long long>(inner));
}

// ArgMax (is_max) / ArgMin. Each thread keeps its best (value, index) over
// its elements, NaN never chosen; pairs combine by value, ties to the smaller
// index; a NaN at index 0 gives index 0 (tfjs starts from element 0 and
// nothing compares greater than NaN).
__global__ void __launch_bounds__(kReduceMaxThreads)
    k_arg_reduce(bool is_max, const float* x, int32_t* y, long long outer, long long reduce, long long inner) {
  __shared__ float vpart[kReduceMaxThreads];
  __shared__ long long ipart[kReduceMaxThreads];
  const long long out = static_cast<long long>(blockIdx.x) + static_cast<long long>(blockIdx.y) * gridDim.x;
  const bool active = out < outer * inner;
  const long long o = active ? out / inner : 0, i = active ? out % inner : 0;
  const float* base = x + o * reduce * inner + i;
  const int tid = static_cast<int>(threadIdx.x);
  float best = 0.0f;
  long long best_i = -1;  // none yet
  if (active)
    for (long long r = tid; r < reduce; r += blockDim.x) {
      const float v = base[r * inner];
      if (v != v) continue;
      if (best_i < 0 || (is_max ? v > best : v < best)) {
        best = v;
        best_i = r;
      }
    }
  vpart[tid] = best;
  ipart[tid] = best_i;
  for (int s = static_cast<int>(blockDim.x) / 2; s > 0; s /= 2) {
    __syncthreads();
    if (tid < s) {
      const long long j = ipart[tid + s];
      if (j >= 0) {
        const float v = vpart[tid + s];
        const long long k = ipart[tid];
        const float w = vpart[tid];
        if (k < 0 || (is_max ? v > w : v < w) || (v == w && j < k)) {
          vpart[tid] = v;
          ipart[tid] = j;
        }
      }
    }
  }
  __syncthreads();
  if (tid == 0 && active) {
    const float first = base[0];
    y[out] = (first != first || ipart[0] < 0) ? 0 : static_cast<int32_t>(ipart[0]);
  }
}

void arg_reduce(Stream s, bool is_max, const float* x, int32_t* y, int64_t outer, int64_t reduce, int64_t inner) {
  check_nonneg("arg_reduce", "outer", outer);
  check_positive("arg_reduce", "reduce", reduce);
  check_nonneg("arg_reduce", "inner", inner);
  const long long outputs = static_cast<long long>(outer) * inner;
  if (outputs == 0) return;
  launch(k_arg_reduce, grid_2d(outputs), dim3(reduce_threads(reduce, outputs)), native_stream(s), is_max, x, y,
         static_cast<long long>(outer), static_cast<long long>(reduce), static_cast<long long>(inner));
}

// One block per row: max (NaN wins), e = expf(x - max) (stored in y), sum of e
// in double in a fixed tree, y = e / float(sum).
__global__ void __launch_bounds__(kReduceMaxThreads) k_softmax(const float* x, float* y, long long rows, long long cols) {
  __shared__ float fpart[kReduceMaxThreads];
  __shared__ double dpart[kReduceMaxThreads];
  const long long row = static_cast<long long>(blockIdx.x) + static_cast<long long>(blockIdx.y) * gridDim.x;
  const bool active = row < rows;
  const float* xr = x + (active ? row : 0) * cols;
  float* yr = y + (active ? row : 0) * cols;
  const int tid = static_cast<int>(threadIdx.x);
  float mx = -INFINITY;
  if (active)
    for (long long c = tid; c < cols; c += blockDim.x) mx = MaxNaN{}(mx, xr[c]);
  fpart[tid] = mx;
  block_tree(fpart, MaxNaN{});
  mx = fpart[0];
  double sum = 0.0;
  if (active)
    for (long long c = tid; c < cols; c += blockDim.x) {
      const float e = expf(xr[c] - mx);
      yr[c] = e;
      sum += static_cast<double>(e);
    }
  dpart[tid] = sum;
  block_tree(dpart, AddD{});
  const float total = static_cast<float>(dpart[0]);
  // Each thread divides the elements it wrote itself: no barrier needed.
  if (active)
    for (long long c = tid; c < cols; c += blockDim.x) yr[c] = yr[c] / total;
}

void softmax(Stream s, const float* x, float* y, int64_t rows, int64_t cols) {
  check_nonneg("softmax", "rows", rows);
  check_positive("softmax", "cols", cols);
  if (rows == 0) return;
  launch(k_softmax, grid_2d(rows), dim3(reduce_threads(cols, rows)), native_stream(s), x, y, static_cast<long long>(rows),
         static_cast<long long>(cols));
}

}  // namespace HS_CUDA_NS::tfjs
