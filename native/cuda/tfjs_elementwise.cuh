// Element-wise ops and data movement of the tfjs CUDA backend (see
// tfjs_kernels.cuh). Grid-stride loops, one output element per iteration;
// every element's value depends on its inputs only, so any grid gives the same bits.
#pragma once
#include <type_traits>

#include "cuda/tfjs_common.cuh"

namespace HS_CUDA_NS::tfjs {

// ---------------------------------------------------------------------------
// Fill and Cast
// ---------------------------------------------------------------------------

template <typename T>
__global__ void k_fill(T* out, long long n, T value) {
  for (long long i = global_index(); i < n; i += grid_stride()) out[i] = value;
}

void fill(Stream s, void* out, DType dtype, int64_t n, double value) {
  check_nonneg("fill", "n", n);
  if (n == 0) return;
  const auto st = native_stream(s);
  switch (dtype) {
    case DType::Float32:
      launch(k_fill<float>, grid_for(n), dim3(kThreads), st, static_cast<float*>(out), static_cast<long long>(n),
             static_cast<float>(value));
      return;
    case DType::Int32:
      launch(k_fill<int32_t>, grid_for(n), dim3(kThreads), st, static_cast<int32_t*>(out),
             static_cast<long long>(n), static_cast<int32_t>(value));
      return;
    case DType::Bool:
      launch(k_fill<uint8_t>, grid_for(n), dim3(kThreads), st, static_cast<uint8_t*>(out),
             static_cast<long long>(n), static_cast<uint8_t>(value != 0.0 ? 1 : 0));
      return;
  }
  bad_arg("fill", "unknown dtype");
}

// JavaScript's ToInt32 of a float (what Int32Array.from does): NaN and
// infinities give 0, otherwise truncate toward zero and wrap modulo 2^32.
__device__ __forceinline__ int32_t to_int32(float v) {
  if (v != v || v == INFINITY || v == -INFINITY) return 0;
  double t = trunc(static_cast<double>(v));
  t = fmod(t, 4294967296.0);
  if (t < 0) t += 4294967296.0;
  const uint32_t u = static_cast<uint32_t>(t);
  return static_cast<int32_t>(u);
}

template <typename From, typename To>
__global__ void k_cast(const From* in, To* out, long long n) {
  for (long long i = global_index(); i < n; i += grid_stride()) {
    const From v = in[i];
    if constexpr (sizeof(To) == 1) {
      out[i] = v != From(0) ? 1 : 0;  // NaN != 0: true
    } else if constexpr (std::is_same_v<From, float> && std::is_same_v<To, int32_t>) {
      out[i] = to_int32(v);
    } else {
      out[i] = static_cast<To>(v);
    }
  }
}

void cast(Stream s, const void* in, DType from, void* out, DType to, int64_t n) {
  check_nonneg("cast", "n", n);
  if (n == 0) return;
  const auto st = native_stream(s);
  const long long nn = n;
  const dim3 g = grid_for(n), b(kThreads);
  if (from == to) {
    copy_device(s, out, in, static_cast<size_t>(n) * (from == DType::Bool ? 1 : 4));
    return;
  }
  if (from == DType::Float32 && to == DType::Int32)
    launch(k_cast<float, int32_t>, g, b, st, static_cast<const float*>(in), static_cast<int32_t*>(out), nn);
  else if (from == DType::Float32 && to == DType::Bool)
    launch(k_cast<float, uint8_t>, g, b, st, static_cast<const float*>(in), static_cast<uint8_t*>(out), nn);
  else if (from == DType::Int32 && to == DType::Float32)
    launch(k_cast<int32_t, float>, g, b, st, static_cast<const int32_t*>(in), static_cast<float*>(out), nn);
  else if (from == DType::Int32 && to == DType::Bool)
    launch(k_cast<int32_t, uint8_t>, g, b, st, static_cast<const int32_t*>(in), static_cast<uint8_t*>(out), nn);
  else if (from == DType::Bool && to == DType::Float32)
    launch(k_cast<uint8_t, float>, g, b, st, static_cast<const uint8_t*>(in), static_cast<float*>(out), nn);
  else if (from == DType::Bool && to == DType::Int32)
    launch(k_cast<uint8_t, int32_t>, g, b, st, static_cast<const uint8_t*>(in), static_cast<int32_t*>(out), nn);
  else
    bad_arg("cast", "unknown dtype");
}

// ---------------------------------------------------------------------------
// Unary
// ---------------------------------------------------------------------------

__device__ __forceinline__ float unary_value(UnaryOp op, float x, float alpha, float beta) {
  switch (op) {
    case UnaryOp::Identity:
      return x;
    case UnaryOp::Neg:
      return -x;
    case UnaryOp::Abs:
      return fabsf(x);
    case UnaryOp::Exp:
      return expf(x);
    case UnaryOp::Log:
      return logf(x);
    case UnaryOp::Log1p:
      return log1pf(x);
    case UnaryOp::Sqrt:
      return sqrtf(x);
    case UnaryOp::Rsqrt:
      return 1.0f / sqrtf(x);
    case UnaryOp::Square:
      return x * x;
    case UnaryOp::Reciprocal:
      return 1.0f / x;
    case UnaryOp::Sigmoid:
      return 1.0f / (1.0f + expf(-x));
    case UnaryOp::Tanh:
      return tanhf(x);
    case UnaryOp::Relu:
      return is_nan(x) ? x : (x > 0.0f ? x : 0.0f);
    case UnaryOp::Relu6:
      return is_nan(x) ? x : (x > 0.0f ? (x < 6.0f ? x : 6.0f) : 0.0f);
    case UnaryOp::LeakyRelu:
      return x < 0.0f ? alpha * x : x;
    case UnaryOp::Elu:
      return x >= 0.0f ? x : expm1f(x);  // tfjs: Math.exp(x) - 1 in double
    case UnaryOp::Step:
      return is_nan(x) ? x : (x > 0.0f ? 1.0f : alpha);
    case UnaryOp::ClipByValue:
      return x > beta ? beta : (x < alpha ? alpha : x);
    case UnaryOp::Sign:
      return is_nan(x) ? x : (x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f));
    case UnaryOp::Floor:
      return floorf(x);
    case UnaryOp::Ceil:
      return ceilf(x);
    case UnaryOp::Round:
      return rintf(x);
    case UnaryOp::Softplus: {
      // tfjs's: log(1 + exp(x)) except where it would lose everything.
      const float threshold = logf(1.1920928955078125e-7f) + 2.0f;
      if (x > -threshold) return x;
      if (x < threshold) return expf(x);
      return log1pf(expf(x));  // tfjs: Math.log(1 + exp(x)) in double
    }
  }
  return x;
}

__global__ void k_unary(UnaryOp op, const float* x, float* y, long long n, float alpha, float beta) {
  for (long long i = global_index(); i < n; i += grid_stride()) y[i] = unary_value(op, x[i], alpha, beta);
}

void unary(Stream s, UnaryOp op, const float* x, float* y, int64_t n, float alpha, float beta) {
  check_nonneg("unary", "n", n);
  if (static_cast<int>(op) < 0 || static_cast<int>(op) > static_cast<int>(UnaryOp::Softplus))
    bad_arg("unary", "unknown op " + std::to_string(static_cast<int>(op)));
  if (n == 0) return;
  launch(k_unary, grid_for(n), dim3(kThreads), native_stream(s), op, x, y, static_cast<long long>(n), alpha, beta);
}

// ---------------------------------------------------------------------------
// Broadcasting binary ops
// ---------------------------------------------------------------------------

// The element offsets in operands 0..K-1 of output element i.
template <int K>
__device__ __forceinline__ void broadcast_offsets(const Broadcast& bc, long long i, long long (&off)[K]) {
  HS_UNROLL
  for (int k = 0; k < K; ++k) off[k] = 0;
  if (bc.all_same) {
    HS_UNROLL
    for (int k = 0; k < K; ++k) off[k] = i;
    return;
  }
  for (int axis = bc.rank - 1; axis >= 0; --axis) {
    const long long d = bc.shape[axis];
    const long long c = i % d;
    i /= d;
    HS_UNROLL
    for (int k = 0; k < K; ++k) off[k] += c * bc.strides[k][axis];
  }
}

__device__ __forceinline__ float binary_value(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::Add:
      return a + b;
    case BinaryOp::Sub:
      return a - b;
    case BinaryOp::Mul:
      return a * b;
    case BinaryOp::Div:
      return a / b;
    case BinaryOp::Maximum:
      return (is_nan(a) || is_nan(b)) ? a + b : (a > b ? a : b);
    case BinaryOp::Minimum:
      return (is_nan(a) || is_nan(b)) ? a + b : (a < b ? a : b);
    case BinaryOp::Pow:
      return powf(a, b);
    case BinaryOp::SquaredDifference: {
      const float d = a - b;
      return d * d;
    }
  }
  return a;
}

__device__ __forceinline__ int32_t binary_value_i32(BinaryOp op, int32_t a, int32_t b) {
  const uint32_t ua = static_cast<uint32_t>(a), ub = static_cast<uint32_t>(b);
  switch (op) {
    case BinaryOp::Add:
      return static_cast<int32_t>(ua + ub);
    case BinaryOp::Sub:
      return static_cast<int32_t>(ua - ub);
    case BinaryOp::Mul:
      return static_cast<int32_t>(ua * ub);
    case BinaryOp::Maximum:
      return a > b ? a : b;
    case BinaryOp::Minimum:
      return a < b ? a : b;
    default:
      return 0;
  }
}

template <typename T>
__device__ __forceinline__ uint8_t compare_value(CompareOp op, T a, T b) {
  switch (op) {
    case CompareOp::Equal:
      return a == b;
    case CompareOp::NotEqual:
      return a != b;
    case CompareOp::Greater:
      return a > b;
    case CompareOp::GreaterEqual:
      return a >= b;
    case CompareOp::Less:
      return a < b;
    case CompareOp::LessEqual:
      return a <= b;
  }
  return 0;
}

__global__ void k_binary(BinaryOp op, const float* a, const float* b, float* out, Broadcast bc) {
  for (long long i = global_index(); i < bc.size; i += grid_stride()) {
    long long off[2];
    broadcast_offsets<2>(bc, i, off);
    out[i] = binary_value(op, a[off[0]], b[off[1]]);
  }
}
__global__ void k_binary_i32(BinaryOp op, const int32_t* a, const int32_t* b, int32_t* out, Broadcast bc) {
  for (long long i = global_index(); i < bc.size; i += grid_stride()) {
    long long off[2];
    broadcast_offsets<2>(bc, i, off);
    out[i] = binary_value_i32(op, a[off[0]], b[off[1]]);
  }
}
template <typename T>
__global__ void k_compare(CompareOp op, const T* a, const T* b, uint8_t* out, Broadcast bc) {
  for (long long i = global_index(); i < bc.size; i += grid_stride()) {
    long long off[2];
    broadcast_offsets<2>(bc, i, off);
    out[i] = compare_value<T>(op, a[off[0]], b[off[1]]);
  }
}
__global__ void k_logical(LogicalOp op, const uint8_t* a, const uint8_t* b, uint8_t* out, Broadcast bc) {
  for (long long i = global_index(); i < bc.size; i += grid_stride()) {
    long long off[2];
    broadcast_offsets<2>(bc, i, off);
    const bool x = a[off[0]] != 0, y = b[off[1]] != 0;
    out[i] = (op == LogicalOp::And ? (x && y) : (x || y)) ? 1 : 0;
  }
}
__global__ void k_logical_not(const uint8_t* x, uint8_t* y, long long n) {
  for (long long i = global_index(); i < n; i += grid_stride()) y[i] = x[i] ? 0 : 1;
}
__global__ void k_select(const uint8_t* cond, const float* a, const float* b, float* out, Broadcast bc) {
  for (long long i = global_index(); i < bc.size; i += grid_stride()) {
    long long off[3];
    broadcast_offsets<3>(bc, i, off);
    out[i] = cond[off[0]] ? a[off[1]] : b[off[2]];
  }
}

// The same iteration with adjacent axes merged where every operand walks them
// as one (contiguous in both, or broadcast in both): a bias over channels,
// [N, H, W, C] + [C], becomes [N*H*W, C] + [1 -> stride 0, C]: fewer
// divisions per element. Same elements, same values: only the index arithmetic changes.
inline Broadcast coalesced(const Broadcast& bc) {
  if (bc.all_same || bc.rank <= 1) return bc;
  Broadcast c = bc;
  int r = 0;  // axes of c kept so far; c axis r - 1 is the one being extended
  for (int axis = 0; axis < bc.rank; ++axis) {
    bool merge = r > 0;
    for (int k = 0; k < bc.operands && merge; ++k) {
      const int64_t outer = c.strides[k][r - 1], inner = bc.strides[k][axis];
      merge = (outer == 0 && inner == 0) || (inner != 0 && outer == inner * bc.shape[axis]);
    }
    if (merge) {
      c.shape[r - 1] *= bc.shape[axis];
      for (int k = 0; k < bc.operands; ++k) c.strides[k][r - 1] = bc.strides[k][axis];
    } else {
      c.shape[r] = bc.shape[axis];
      for (int k = 0; k < bc.operands; ++k) c.strides[k][r] = bc.strides[k][axis];
      ++r;
    }
  }
  c.rank = r;
  return c;
}

inline void check_broadcast(const char* fn, const Broadcast& bc, int operands) {
  if (bc.operands != operands)
    bad_arg(fn, "the broadcast has " + std::to_string(bc.operands) + " operands, expected " +
                    std::to_string(operands));
  if (bc.rank < 1 || bc.rank > kMaxRank) bad_arg(fn, "broadcast rank " + std::to_string(bc.rank));
  int64_t n = 1;
  for (int a = 0; a < bc.rank; ++a) {
    check_nonneg(fn, "broadcast dimension", bc.shape[a]);
    n *= bc.shape[a];
  }
  if (n != bc.size) bad_arg(fn, "broadcast size does not match its shape");
}

void binary(Stream s, BinaryOp op, const float* a, const float* b, float* out, const Broadcast& bc) {
  check_broadcast("binary", bc, 2);
  if (static_cast<int>(op) < 0 || static_cast<int>(op) > static_cast<int>(BinaryOp::SquaredDifference))
    bad_arg("binary", "unknown op");
  if (bc.size == 0) return;
  launch(k_binary, grid_for(bc.size), dim3(kThreads), native_stream(s), op, a, b, out, coalesced(bc));
}
void binary_i32(Stream s, BinaryOp op, const int32_t* a, const int32_t* b, int32_t* out, const Broadcast& bc) {
  check_broadcast("binary_i32", bc, 2);
  if (op != BinaryOp::Add && op != BinaryOp::Sub && op != BinaryOp::Mul && op != BinaryOp::Maximum &&
      op != BinaryOp::Minimum)
    bad_arg("binary_i32", "only Add, Sub, Mul, Maximum, Minimum on int32");
  if (bc.size == 0) return;
  launch(k_binary_i32, grid_for(bc.size), dim3(kThreads), native_stream(s), op, a, b, out, coalesced(bc));
}
void compare(Stream s, CompareOp op, const float* a, const float* b, uint8_t* out, const Broadcast& bc) {
  check_broadcast("compare", bc, 2);
  if (static_cast<int>(op) < 0 || static_cast<int>(op) > static_cast<int>(CompareOp::LessEqual))
    bad_arg("compare", "unknown op");
  if (bc.size == 0) return;
  launch(k_compare<float>, grid_for(bc.size), dim3(kThreads), native_stream(s), op, a, b, out, coalesced(bc));
}
void compare_i32(Stream s, CompareOp op, const int32_t* a, const int32_t* b, uint8_t* out, const Broadcast& bc) {
  check_broadcast("compare_i32", bc, 2);
  if (static_cast<int>(op) < 0 || static_cast<int>(op) > static_cast<int>(CompareOp::LessEqual))
    bad_arg("compare_i32", "unknown op");
  if (bc.size == 0) return;
  launch(k_compare<int32_t>, grid_for(bc.size), dim3(kThreads), native_stream(s), op, a, b, out, coalesced(bc));
}
void logical(Stream s, LogicalOp op, const uint8_t* a, const uint8_t* b, uint8_t* out, const Broadcast& bc) {
  check_broadcast("logical", bc, 2);
  if (op != LogicalOp::And && op != LogicalOp::Or) bad_arg("logical", "unknown op");
  if (bc.size == 0) return;
  launch(k_logical, grid_for(bc.size), dim3(kThreads), native_stream(s), op, a, b, out, coalesced(bc));
}
void logical_not(Stream s, const uint8_t* x, uint8_t* y, int64_t n) {
  check_nonneg("logical_not", "n", n);
  if (n == 0) return;
  launch(k_logical_not, grid_for(n), dim3(kThreads), native_stream(s), x, y, static_cast<long long>(n));
}
void select(Stream s, const uint8_t* cond, const float* a, const float* b, float* out, const Broadcast& bc) {
  check_broadcast("select", bc, 3);
  if (bc.size == 0) return;
  launch(k_select, grid_for(bc.size), dim3(kThreads), native_stream(s), cond, a, b, out, coalesced(bc));
}

// ---------------------------------------------------------------------------
// Data movement
// ---------------------------------------------------------------------------

// out element i (row-major over `shape`, rank dims) = in[sum_axis c_axis * in_strides[axis] + base].
struct StridedCopy {
  int rank;
  long long size;
  long long base;
  long long shape[kMaxRank];
  long long in_strides[kMaxRank];
};

template <typename T>
__global__ void k_strided_copy(const T* in, T* out, StridedCopy c) {
  for (long long i = global_index(); i < c.size; i += grid_stride()) {
    long long rest = i, off = c.base;
    for (int axis = c.rank - 1; axis >= 0; --axis) {
      const long long d = c.shape[axis];
      off += (rest % d) * c.in_strides[axis];
      rest /= d;
    }
    out[i] = in[off];
  }
}

inline void run_strided_copy(const char* fn, Stream s, const void* in, void* out, int elem_bytes, const StridedCopy& c) {
  if (c.size == 0) return;
  const auto st = native_stream(s);
  if (elem_bytes == 4)
    launch(k_strided_copy<uint32_t>, grid_for(c.size), dim3(kThreads), st, static_cast<const uint32_t*>(in),
           static_cast<uint32_t*>(out), c);
  else if (elem_bytes == 1)
    launch(k_strided_copy<uint8_t>, grid_for(c.size), dim3(kThreads), st, static_cast<const uint8_t*>(in),
           static_cast<uint8_t*>(out), c);
  else
    bad_arg(fn, "elem_bytes must be 1 or 4, got " + std::to_string(elem_bytes));
}

inline void row_major_strides(const Shape& shape, long long (&strides)[kMaxRank]) {
  long long st = 1;
  for (int a = shape.rank - 1; a >= 0; --a) {
    strides[a] = st;
    st *= shape.dims[a];
  }
}

void slice(Stream s, const void* in, void* out, int elem_bytes, const SliceParams& p) {
  if (p.in.rank < 0 || p.in.rank > kMaxRank) bad_arg("slice", "rank " + std::to_string(p.in.rank));
  StridedCopy c{};
  long long strides[kMaxRank] = {};
  row_major_strides(p.in, strides);
  c.rank = p.in.rank > 0 ? p.in.rank : 1;
  c.size = 1;
  c.base = 0;
  if (p.in.rank == 0) {
    c.shape[0] = 1;
    c.in_strides[0] = 0;
  }
  for (int a = 0; a < p.in.rank; ++a) {
    if (p.begin[a] < 0 || p.size[a] < 0 || p.begin[a] + p.size[a] > p.in.dims[a])
      bad_arg("slice", "axis " + std::to_string(a) + ": [" + std::to_string(p.begin[a]) + ", " +
                           std::to_string(p.begin[a] + p.size[a]) + ") outside [0, " + std::to_string(p.in.dims[a]) + ")");
    c.shape[a] = p.size[a];
    c.in_strides[a] = strides[a];
    c.base += p.begin[a] * strides[a];
    c.size *= p.size[a];
  }
  run_strided_copy("slice", s, in, out, elem_bytes, c);
}

void transpose(Stream s, const void* in, void* out, int elem_bytes, const TransposeParams& p) {
  if (p.in.rank < 0 || p.in.rank > kMaxRank) bad_arg("transpose", "rank " + std::to_string(p.in.rank));
  long long strides[kMaxRank] = {};
  row_major_strides(p.in, strides);
  StridedCopy c{};
  c.rank = p.in.rank > 0 ? p.in.rank : 1;
  c.size = 1;
  c.base = 0;
  if (p.in.rank == 0) {
    c.shape[0] = 1;
    c.in_strides[0] = 0;
  }
  bool used[kMaxRank] = {};
  for (int a = 0; a < p.in.rank; ++a) {
    const int from = p.perm[a];
    if (from < 0 || from >= p.in.rank || used[from]) bad_arg("transpose", "perm is not a permutation");
    used[from] = true;
    c.shape[a] = p.in.dims[from];
    c.in_strides[a] = strides[from];
    c.size *= p.in.dims[from];
  }
  run_strided_copy("transpose", s, in, out, elem_bytes, c);
}

template <typename T>
__global__ void k_concat_piece(const T* in, T* out, long long outer, long long in_inner, long long out_inner,
                               long long offset) {
  const long long n = outer * in_inner;
  for (long long i = global_index(); i < n; i += grid_stride()) {
    const long long o = i / in_inner, j = i % in_inner;
    out[o * out_inner + offset + j] = in[i];
  }
}

void concat_piece(Stream s, const void* in, void* out, int elem_bytes, int64_t outer, int64_t in_inner,
                  int64_t out_inner, int64_t offset) {
  check_nonneg("concat_piece", "outer", outer);
  check_nonneg("concat_piece", "in_inner", in_inner);
  check_nonneg("concat_piece", "offset", offset);
  if (offset + in_inner > out_inner) bad_arg("concat_piece", "the piece does not fit in the output row");
  const long long n = static_cast<long long>(outer) * in_inner;
  if (n == 0) return;
  const auto st = native_stream(s);
  if (elem_bytes == 4)
    launch(k_concat_piece<uint32_t>, grid_for(n), dim3(kThreads), st, static_cast<const uint32_t*>(in),
           static_cast<uint32_t*>(out), (long long)outer, (long long)in_inner, (long long)out_inner, (long long)offset);
  else if (elem_bytes == 1)
    launch(k_concat_piece<uint8_t>, grid_for(n), dim3(kThreads), st, static_cast<const uint8_t*>(in),
           static_cast<uint8_t*>(out), (long long)outer, (long long)in_inner, (long long)out_inner, (long long)offset);
  else
    bad_arg("concat_piece", "elem_bytes must be 1 or 4");
}

}  // namespace HS_CUDA_NS::tfjs
