// The ops table of the cuda engine (cuda_backend_ops.h): for each op of
// native/cuda/tfjs_ops.h, its parameters as CudaContext.run receives them
// (src/engine/cuda/device-ops.ts writes them in this order), the check of every
// buffer's size against them, and the launch.
//
// Encodings: a shape is 1 + kMaxRank ints (rank, then the dims, unused ones
// 0); dtype codes are tfjs::DType's (0 float32, 1 int32, 2 bool); every enum
// is passed as its integer value and checked against its range.
//
// The table is empty (every tfjs kernel then runs through the host fallback)
// in a CUDA build whose hs_cuda has no tfjs ops (HS_CUDA_TFJS_OPS unset: no
// native/cuda/tfjs_ops.cu), so that the addon still loads.
#if defined(HS_WITH_CUDA) || defined(HS_CUDA_EMULATE)
#if defined(HS_CUDA_EMULATE) || defined(HS_CUDA_TFJS_OPS)
#define HS_CUDA_OPS_TABLE 1
#endif

#include <stdexcept>
#include <string>

#include "binding/cuda_backend_ops.h"

#ifdef HS_CUDA_OPS_TABLE
#include "cuda/tfjs_ops.h"
#endif

namespace hs::binding::cuda_ops {

#ifdef HS_CUDA_OPS_TABLE
namespace {

namespace t = HS_CUDA_NS::tfjs;
constexpr int kShapeInts = 1 + t::kMaxRank;

[[noreturn]] void fail(const char* op, const std::string& what) {
  throw std::invalid_argument(std::string(op) + ": " + what);
}

// A buffer the op reads or writes: present, and at least `bytes` long.
void need(const char* op, const Call& c, size_t k, size_t bytes, const char* what) {
  if (bytes == 0) return;
  if (c.ptr[k] == nullptr) fail(op, std::string(what) + " is missing");
  if (c.bytes[k] < bytes)
    fail(op, std::string(what) + " has " + std::to_string(c.bytes[k]) + " bytes, needs " + std::to_string(bytes));
}

int in_range(const char* op, int32_t v, int lo, int hi, const char* what) {
  if (v < lo || v > hi) fail(op, std::string(what) + " = " + std::to_string(v) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v;
}

int64_t count(const char* op, int32_t v, const char* what) { return in_range(op, v, 0, 2147483647, what); }

t::Shape shape_at(const char* op, const int32_t* p) {
  t::Shape s;
  s.rank = in_range(op, p[0], 0, t::kMaxRank, "rank");
  for (int i = 0; i < s.rank; ++i) s.dims[i] = count(op, p[1 + i], "dimension");
  return s;
}

int64_t elements(const t::Shape& s) {
  int64_t n = 1;
  for (int i = 0; i < s.rank; ++i) n *= s.dims[i];
  return n;
}

size_t dtype_bytes(t::DType d) { return d == t::DType::Bool ? 1 : 4; }

t::DType dtype_at(const char* op, int32_t v) { return static_cast<t::DType>(in_range(op, v, 0, 2, "dtype")); }

size_t f32(int64_t n) { return static_cast<size_t>(n) * 4; }

// Scratch memory for one launch, back to the allocator when the launch is enqueued.
struct Workspace {
  Device& dev;
  void* ptr = nullptr;
  size_t bytes = 0;
  Workspace(Device& d, size_t b) : dev(d), bytes(b) {
    if (b) ptr = d.alloc(b);
  }
  ~Workspace() { dev.free(ptr, bytes); }
};

// --- element-wise -------------------------------------------------------------

// fill: [out]; [dtype, n]; [value]
void run_fill(Device& dev, const Call& c) {
  const char* op = "fill";
  const t::DType d = dtype_at(op, c.ints[0]);
  const int64_t n = count(op, c.ints[1], "n");
  need(op, c, 0, n * dtype_bytes(d), "out");
  t::fill(dev.stream(), c.ptr[0], d, n, c.floats[0]);
}

// cast: [out, in]; [from, to, n]
void run_cast(Device& dev, const Call& c) {
  const char* op = "cast";
  const t::DType from = dtype_at(op, c.ints[0]), to = dtype_at(op, c.ints[1]);
  const int64_t n = count(op, c.ints[2], "n");
  need(op, c, 0, n * dtype_bytes(to), "out");
  need(op, c, 1, n * dtype_bytes(from), "in");
  t::cast(dev.stream(), c.ptr[1], from, c.ptr[0], to, n);
}

// unary: [y, x]; [op, n]; [alpha, beta]
void run_unary(Device& dev, const Call& c) {
  const char* op = "unary";
  const auto u = static_cast<t::UnaryOp>(in_range(op, c.ints[0], 0, static_cast<int>(t::UnaryOp::Softplus), "op"));
  const int64_t n = count(op, c.ints[1], "n");
  need(op, c, 0, f32(n), "y");
  need(op, c, 1, f32(n), "x");
  t::unary(dev.stream(), u, static_cast<const float*>(c.ptr[1]), static_cast<float*>(c.ptr[0]), n,
           static_cast<float>(c.floats[0]), static_cast<float>(c.floats[1]));
}

// binary: [out, a, b]; [op, dtype (0 float32, 1 int32), shape a, shape b]
void run_binary(Device& dev, const Call& c) {
  const char* op = "binary";
  const auto b = static_cast<t::BinaryOp>(in_range(op, c.ints[0], 0, static_cast<int>(t::BinaryOp::SquaredDifference), "op"));
  const int dtype = in_range(op, c.ints[1], 0, 1, "dtype");
  const t::Shape sa = shape_at(op, c.ints + 2), sb = shape_at(op, c.ints + 2 + kShapeInts);
  const t::Broadcast bc = t::make_broadcast(sa, sb);
  need(op, c, 0, f32(bc.size), "out");
  need(op, c, 1, f32(elements(sa)), "a");
  need(op, c, 2, f32(elements(sb)), "b");
  if (dtype == 0)
    t::binary(dev.stream(), b, static_cast<const float*>(c.ptr[1]), static_cast<const float*>(c.ptr[2]),
              static_cast<float*>(c.ptr[0]), bc);
  else
    t::binary_i32(dev.stream(), b, static_cast<const int32_t*>(c.ptr[1]), static_cast<const int32_t*>(c.ptr[2]),
                  static_cast<int32_t*>(c.ptr[0]), bc);
}

// compare: [out (bool), a, b]; [op, dtype (0 float32, 1 int32), shape a, shape b]
void run_compare(Device& dev, const Call& c) {
  const char* op = "compare";
  const auto k = static_cast<t::CompareOp>(in_range(op, c.ints[0], 0, static_cast<int>(t::CompareOp::LessEqual), "op"));
  const int dtype = in_range(op, c.ints[1], 0, 1, "dtype");
  const t::Shape sa = shape_at(op, c.ints + 2), sb = shape_at(op, c.ints + 2 + kShapeInts);
  const t::Broadcast bc = t::make_broadcast(sa, sb);
  need(op, c, 0, static_cast<size_t>(bc.size), "out");
  need(op, c, 1, f32(elements(sa)), "a");
  need(op, c, 2, f32(elements(sb)), "b");
  auto* out = static_cast<uint8_t*>(c.ptr[0]);
  if (dtype == 0)
    t::compare(dev.stream(), k, static_cast<const float*>(c.ptr[1]), static_cast<const float*>(c.ptr[2]), out, bc);
  else
    t::compare_i32(dev.stream(), k, static_cast<const int32_t*>(c.ptr[1]), static_cast<const int32_t*>(c.ptr[2]), out, bc);
}

// logical: [out, a, b] (bool); [op, shape a, shape b]
void run_logical(Device& dev, const Call& c) {
  const char* op = "logical";
  const auto k = static_cast<t::LogicalOp>(in_range(op, c.ints[0], 0, 1, "op"));
  const t::Shape sa = shape_at(op, c.ints + 1), sb = shape_at(op, c.ints + 1 + kShapeInts);
  const t::Broadcast bc = t::make_broadcast(sa, sb);
  need(op, c, 0, static_cast<size_t>(bc.size), "out");
  need(op, c, 1, static_cast<size_t>(elements(sa)), "a");
  need(op, c, 2, static_cast<size_t>(elements(sb)), "b");
  t::logical(dev.stream(), k, static_cast<const uint8_t*>(c.ptr[1]), static_cast<const uint8_t*>(c.ptr[2]),
             static_cast<uint8_t*>(c.ptr[0]), bc);
}

// logical_not: [y, x] (bool); [n]
void run_logical_not(Device& dev, const Call& c) {
  const char* op = "logical_not";
  const int64_t n = count(op, c.ints[0], "n");
  need(op, c, 0, static_cast<size_t>(n), "y");
  need(op, c, 1, static_cast<size_t>(n), "x");
  t::logical_not(dev.stream(), static_cast<const uint8_t*>(c.ptr[1]), static_cast<uint8_t*>(c.ptr[0]), n);
}

// select: [out, cond (bool), a, b]; [shape cond, shape a, shape b]
void run_select(Device& dev, const Call& c) {
  const char* op = "select";
  const t::Shape sc = shape_at(op, c.ints), sa = shape_at(op, c.ints + kShapeInts), sb = shape_at(op, c.ints + 2 * kShapeInts);
  const t::Broadcast bc = t::make_broadcast(sc, sa, sb);
  need(op, c, 0, f32(bc.size), "out");
  need(op, c, 1, static_cast<size_t>(elements(sc)), "condition");
  need(op, c, 2, f32(elements(sa)), "a");
  need(op, c, 3, f32(elements(sb)), "b");
  t::select(dev.stream(), static_cast<const uint8_t*>(c.ptr[1]), static_cast<const float*>(c.ptr[2]),
            static_cast<const float*>(c.ptr[3]), static_cast<float*>(c.ptr[0]), bc);
}

// --- data movement ----------------------------------------------------------

// slice: [out, in]; [elem_bytes, shape in, begin[kMaxRank], size[kMaxRank]]
void run_slice(Device& dev, const Call& c) {
  const char* op = "slice";
  const int eb = c.ints[0];
  if (eb != 1 && eb != 4) fail(op, "elem_bytes must be 1 or 4");
  t::SliceParams p;
  p.in = shape_at(op, c.ints + 1);
  int64_t out = 1;
  for (int i = 0; i < p.in.rank; ++i) {
    p.begin[i] = count(op, c.ints[1 + kShapeInts + i], "begin");
    p.size[i] = count(op, c.ints[1 + kShapeInts + t::kMaxRank + i], "size");
    if (p.begin[i] + p.size[i] > p.in.dims[i]) fail(op, "begin + size exceeds the input along axis " + std::to_string(i));
    out *= p.size[i];
  }
  need(op, c, 0, static_cast<size_t>(out) * eb, "out");
  need(op, c, 1, static_cast<size_t>(elements(p.in)) * eb, "in");
  t::slice(dev.stream(), c.ptr[1], c.ptr[0], eb, p);
}

// transpose: [out, in]; [elem_bytes, shape in, perm[kMaxRank]]
void run_transpose(Device& dev, const Call& c) {
  const char* op = "transpose";
  const int eb = c.ints[0];
  if (eb != 1 && eb != 4) fail(op, "elem_bytes must be 1 or 4");
  t::TransposeParams p;
  p.in = shape_at(op, c.ints + 1);
  bool seen[t::kMaxRank] = {};
  for (int i = 0; i < p.in.rank; ++i) {
    p.perm[i] = in_range(op, c.ints[1 + kShapeInts + i], 0, p.in.rank - 1, "perm");
    if (seen[p.perm[i]]) fail(op, "perm repeats an axis");
    seen[p.perm[i]] = true;
  }
  const size_t bytes = static_cast<size_t>(elements(p.in)) * eb;
  need(op, c, 0, bytes, "out");
  need(op, c, 1, bytes, "in");
  t::transpose(dev.stream(), c.ptr[1], c.ptr[0], eb, p);
}

// --- reductions ---------------------------------------------------------------

// reduce: [y, x]; [op, outer, reduce, inner]
void run_reduce(Device& dev, const Call& c) {
  const char* op = "reduce";
  const auto k = static_cast<t::ReduceOp>(in_range(op, c.ints[0], 0, static_cast<int>(t::ReduceOp::All), "op"));
  const int64_t outer = count(op, c.ints[1], "outer"), red = count(op, c.ints[2], "reduce"), inner = count(op, c.ints[3], "inner");
  need(op, c, 0, f32(outer * inner), "y");
  need(op, c, 1, f32(outer * red * inner), "x");
  t::reduce(dev.stream(), k, static_cast<const float*>(c.ptr[1]), static_cast<float*>(c.ptr[0]), outer, red, inner);
}

// arg_reduce: [y (int32), x]; [is_max, outer, reduce, inner]
void run_arg_reduce(Device& dev, const Call& c) {
  const char* op = "arg_reduce";
  const bool is_max = in_range(op, c.ints[0], 0, 1, "is_max") == 1;
  const int64_t outer = count(op, c.ints[1], "outer"), red = count(op, c.ints[2], "reduce"), inner = count(op, c.ints[3], "inner");
  need(op, c, 0, f32(outer * inner), "y");
  need(op, c, 1, f32(outer * red * inner), "x");
  t::arg_reduce(dev.stream(), is_max, static_cast<const float*>(c.ptr[1]), static_cast<int32_t*>(c.ptr[0]), outer, red, inner);
}

// softmax: [y, x]; [rows, cols]
void run_softmax(Device& dev, const Call& c) {
  const char* op = "softmax";
  const int64_t rows = count(op, c.ints[0], "rows"), cols = count(op, c.ints[1], "cols");
  need(op, c, 0, f32(rows * cols), "y");
  need(op, c, 1, f32(rows * cols), "x");
  t::softmax(dev.stream(), static_cast<const float*>(c.ptr[1]), static_cast<float*>(c.ptr[0]), rows, cols);
}

// --- products and convolutions ------------------------------------------------

t::Activation activation_at(const char* op, int32_t v) {
  return static_cast<t::Activation>(in_range(op, v, 0, static_cast<int>(t::Activation::Sigmoid), "activation"));
}

// batch_matmul: [out, a, b, bias (or -1)]; [batch_a, batch_b, M, N, K, trans_a, trans_b, activation]; [leaky_alpha]
void run_batch_matmul(Device& dev, const Call& c) {
  const char* op = "batch_matmul";
  t::MatMulParams p;
  p.batch_a = in_range(op, c.ints[0], 1, 2147483647, "batch_a");
  p.batch_b = in_range(op, c.ints[1], 1, 2147483647, "batch_b");
  if (p.batch_a != p.batch_b && p.batch_a != 1 && p.batch_b != 1) fail(op, "batches must match or be 1");
  p.M = static_cast<int>(count(op, c.ints[2], "M"));
  p.N = static_cast<int>(count(op, c.ints[3], "N"));
  p.K = static_cast<int>(count(op, c.ints[4], "K"));
  p.trans_a = in_range(op, c.ints[5], 0, 1, "trans_a") == 1;
  p.trans_b = in_range(op, c.ints[6], 0, 1, "trans_b") == 1;
  const t::Activation act = activation_at(op, c.ints[7]);
  const int64_t batch = p.batch_a > p.batch_b ? p.batch_a : p.batch_b;
  need(op, c, 0, f32(batch * p.M * p.N), "out");
  need(op, c, 1, f32(int64_t{p.batch_a} * p.M * p.K), "a");
  need(op, c, 2, f32(int64_t{p.batch_b} * p.K * p.N), "b");
  if (c.ptr[3]) need(op, c, 3, f32(p.N), "bias");
  Workspace ws(dev, t::matmul_workspace_bytes(p));
  t::batch_matmul(dev.stream(), static_cast<const float*>(c.ptr[1]), static_cast<const float*>(c.ptr[2]),
                  static_cast<float*>(c.ptr[0]), p, static_cast<const float*>(c.ptr[3]), act,
                  static_cast<float>(c.floats[0]), ws.ptr, ws.bytes);
}

// Conv geometry, 15 ints: batch, in_h, in_w, in_c, out_h, out_w, out_c,
// filter_h, filter_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w.
constexpr size_t kConvInts = 15;
t::Conv2DParams conv_at(const char* op, const int32_t* g) {
  t::Conv2DParams p;
  int* fields[] = {&p.batch, &p.in_h, &p.in_w, &p.in_c, &p.out_h, &p.out_w, &p.out_c, &p.filter_h,
                   &p.filter_w, &p.stride_h, &p.stride_w, &p.pad_top, &p.pad_left, &p.dilation_h, &p.dilation_w};
  for (size_t i = 0; i < kConvInts; ++i) *fields[i] = static_cast<int>(count(op, g[i], "conv geometry"));
  if (p.stride_h < 1 || p.stride_w < 1 || p.dilation_h < 1 || p.dilation_w < 1) fail(op, "strides and dilations must be >= 1");
  return p;
}
int64_t conv_x(const t::Conv2DParams& p) { return int64_t{p.batch} * p.in_h * p.in_w * p.in_c; }
int64_t conv_y(const t::Conv2DParams& p) { return int64_t{p.batch} * p.out_h * p.out_w * p.out_c; }
int64_t conv_f(const t::Conv2DParams& p) { return int64_t{p.filter_h} * p.filter_w * p.in_c * p.out_c; }

// conv2d: [y, x, filter, bias (or -1)]; [geometry(15), activation]; [leaky_alpha]
void run_conv2d(Device& dev, const Call& c) {
  const char* op = "conv2d";
  const t::Conv2DParams p = conv_at(op, c.ints);
  const t::Activation act = activation_at(op, c.ints[kConvInts]);
  need(op, c, 0, f32(conv_y(p)), "y");
  need(op, c, 1, f32(conv_x(p)), "x");
  need(op, c, 2, f32(conv_f(p)), "filter");
  if (c.ptr[3]) need(op, c, 3, f32(p.out_c), "bias");
  Workspace ws(dev, t::conv2d_workspace_bytes(p));
  t::conv2d(dev.stream(), static_cast<const float*>(c.ptr[1]), static_cast<const float*>(c.ptr[2]),
            static_cast<float*>(c.ptr[0]), p, static_cast<const float*>(c.ptr[3]), act, static_cast<float>(c.floats[0]),
            ws.ptr, ws.bytes);
}

// conv2d_backprop_input: [dx, dy, filter]; [geometry(15)]
void run_conv2d_backprop_input(Device& dev, const Call& c) {
  const char* op = "conv2d_backprop_input";
  const t::Conv2DParams p = conv_at(op, c.ints);
  need(op, c, 0, f32(conv_x(p)), "dx");
  need(op, c, 1, f32(conv_y(p)), "dy");
  need(op, c, 2, f32(conv_f(p)), "filter");
  Workspace ws(dev, t::conv2d_backprop_input_workspace_bytes(p));
  t::conv2d_backprop_input(dev.stream(), static_cast<const float*>(c.ptr[1]), static_cast<const float*>(c.ptr[2]),
                           static_cast<float*>(c.ptr[0]), p, ws.ptr, ws.bytes);
}

// conv2d_backprop_filter: [dfilter, x, dy]; [geometry(15)]
void run_conv2d_backprop_filter(Device& dev, const Call& c) {
  const char* op = "conv2d_backprop_filter";
  const t::Conv2DParams p = conv_at(op, c.ints);
  need(op, c, 0, f32(conv_f(p)), "dfilter");
  need(op, c, 1, f32(conv_x(p)), "x");
  need(op, c, 2, f32(conv_y(p)), "dy");
  Workspace ws(dev, t::conv2d_backprop_filter_workspace_bytes(p));
  t::conv2d_backprop_filter(dev.stream(), static_cast<const float*>(c.ptr[1]), static_cast<const float*>(c.ptr[2]),
                            static_cast<float*>(c.ptr[0]), p, ws.ptr, ws.bytes);
}

// Pool geometry, 12 ints: batch, in_h, in_w, channels, out_h, out_w, filter_h,
// filter_w, stride_h, stride_w, pad_top, pad_left.
constexpr size_t kPoolInts = 12;
t::Pool2DParams pool_at(const char* op, const int32_t* g) {
  t::Pool2DParams p;
  int* fields[] = {&p.batch, &p.in_h, &p.in_w, &p.channels, &p.out_h, &p.out_w,
                   &p.filter_h, &p.filter_w, &p.stride_h, &p.stride_w, &p.pad_top, &p.pad_left};
  for (size_t i = 0; i < kPoolInts; ++i) *fields[i] = static_cast<int>(count(op, g[i], "pool geometry"));
  if (p.stride_h < 1 || p.stride_w < 1) fail(op, "strides must be >= 1");
  return p;
}

// max_pool: [y, x]; [geometry(12)]
void run_max_pool(Device& dev, const Call& c) {
  const char* op = "max_pool";
  const t::Pool2DParams p = pool_at(op, c.ints);
  need(op, c, 0, f32(int64_t{p.batch} * p.out_h * p.out_w * p.channels), "y");
  need(op, c, 1, f32(int64_t{p.batch} * p.in_h * p.in_w * p.channels), "x");
  t::max_pool(dev.stream(), static_cast<const float*>(c.ptr[1]), static_cast<float*>(c.ptr[0]), p);
}

// max_pool_grad: [dx, dy, x]; [geometry(12)]
void run_max_pool_grad(Device& dev, const Call& c) {
  const char* op = "max_pool_grad";
  const t::Pool2DParams p = pool_at(op, c.ints);
  need(op, c, 0, f32(int64_t{p.batch} * p.in_h * p.in_w * p.channels), "dx");
  need(op, c, 1, f32(int64_t{p.batch} * p.out_h * p.out_w * p.channels), "dy");
  need(op, c, 2, f32(int64_t{p.batch} * p.in_h * p.in_w * p.channels), "x");
  t::max_pool_grad(dev.stream(), static_cast<const float*>(c.ptr[1]), static_cast<const float*>(c.ptr[2]),
                   static_cast<float*>(c.ptr[0]), p);
}

}  // namespace

const std::vector<OpSpec>& op_table() {
  static const std::vector<OpSpec> table = {
      {"fill", 1, 2, 1, run_fill},
      {"cast", 2, 3, 0, run_cast},
      {"unary", 2, 2, 2, run_unary},
      {"binary", 3, 2 + 2 * kShapeInts, 0, run_binary},
      {"compare", 3, 2 + 2 * kShapeInts, 0, run_compare},
      {"logical", 3, 1 + 2 * kShapeInts, 0, run_logical},
      {"logical_not", 2, 1, 0, run_logical_not},
      {"select", 4, 3 * kShapeInts, 0, run_select},
      {"slice", 2, 1 + kShapeInts + 2 * t::kMaxRank, 0, run_slice},
      {"transpose", 2, 1 + kShapeInts + t::kMaxRank, 0, run_transpose},
      {"reduce", 2, 4, 0, run_reduce},
      {"arg_reduce", 2, 4, 0, run_arg_reduce},
      {"softmax", 2, 2, 0, run_softmax},
      {"batch_matmul", 4, 8, 1, run_batch_matmul},
      {"conv2d", 4, kConvInts + 1, 1, run_conv2d},
      {"conv2d_backprop_input", 3, kConvInts, 0, run_conv2d_backprop_input},
      {"conv2d_backprop_filter", 3, kConvInts, 0, run_conv2d_backprop_filter},
      {"max_pool", 2, kPoolInts, 0, run_max_pool},
      {"max_pool_grad", 3, kPoolInts, 0, run_max_pool_grad},
  };
  return table;
}
#else
const std::vector<OpSpec>& op_table() {
  static const std::vector<OpSpec> table;
  return table;
}
#endif

}  // namespace hs::binding::cuda_ops

#endif
