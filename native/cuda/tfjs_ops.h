// The CUDA kernels of the GPU-resident TensorFlow.js backend (issue 15): one
// free function per TensorFlow.js kernel (or family of kernels) that a CNN
// trial dispatches, on device buffers, enqueued on a stream.
//
// The kernels a trial dispatches, recorded by bench/cuda-tfjs-ops.ts (3 nets x
// sgd/momentum/rmsprop/adam, 2 train steps + 1 predict each, l2 and dropout
// on; tfjs 4.22.0): 39 kernels.
//   Abs Add ArgMax BatchMatMul Cast ClipByValue Conv2D Conv2DBackpropFilter
//   Conv2DBackpropInput Equal Exp FusedConv2D Greater GreaterEqual Identity
//   LessEqual Log Log1p LogicalAnd MaxPool MaxPoolGrad Mean Multiply Neg
//   OnesLike RealDiv Relu Reshape Select Sigmoid Slice Softmax Sqrt Square
//   Step Sub Sum ZerosLike _FusedMatMul
// Attributes seen: Conv2D/FusedConv2D strides 1 'same' and strides 2 'valid'
// (catsdogs' 8x8), NHWC, dilations 1, fused activation relu; MaxPool 2x2/2
// 'valid'; BatchMatMul every transpose pair; _FusedMatMul linear/relu with a
// bias; Step alpha 0 and -1; ClipByValue [1e-7, 1 - 1e-7]; Softmax dim -1;
// Sum/Mean over the last axis or all; ArgMax axis -1; Cast bool/float32 ->
// float32; Equal on int32 and float32; Select/LogicalAnd on bool. Reshape is
// free (no data moves). The optimizers' updates are these element-wise kernels
// (tfjs composes them), so they need no kernels of their own.
//
// Where each op maps (H15B's backend): see the comment above each function.
//
// Conventions
//  - Namespace HS_CUDA_NS::tfjs: hs::cuda::tfjs in the real build (nvcc,
//    native/cuda/tfjs_ops.cu), another namespace (e.g. hs::cuda_emu::tfjs) in a
//    translation unit that defines HS_CUDA_EMULATE and HS_CUDA_NS and includes
//    "cuda/tfjs_kernels.cuh", which defines every function declared here for
//    the host emulator (native/cuda/cuda_compat.cuh). Exactly one TU per
//    binary may do that for a given namespace (the definitions are not inline).
//  - This header is plain C++ (g++ can include it): Stream is an opaque
//    `void*`. In the real build it is a cudaStream_t (a pointer type) cast
//    inside the .cu; nullptr is the legacy default stream. The emulator
//    ignores it.
//  - Pointers are device pointers (from device_alloc or a DeviceAllocator on
//    it), except where a comment says host. Layouts are TensorFlow.js's:
//    row-major, NHWC activations, HWIO conv filters.
//  - dtypes on the device: float32 as float, int32 as int32_t, bool as uint8_t
//    0/1 (tfjs's cpu backend stores bool as a Uint8Array too).
//  - Every op only enqueues work on `s`: no synchronisation, no host
//    allocation beyond small POD, no device allocation (ops that need scratch
//    memory take a workspace and say how large with a *_workspace_bytes()).
//    A shape or parameter error throws std::invalid_argument before anything
//    is enqueued; a CUDA error throws std::runtime_error.
//  - Sizes of zero elements are valid and enqueue nothing.
//
// Determinism: every op here is bit-reproducible run to run on the same GPU
// (and in the emulator): no atomics anywhere; every reduction (Sum, Mean,
// Max, ArgMax, softmax's sums, the GEMM's split-K, the conv filter gradient
// over the batch, col2im of the input gradient, max-pool's gradient where
// windows overlap) adds in an order fixed by the shapes alone. Results differ
// from tfjs's cpu backend only by float32 rounding (expf/logf vs Math.exp,
// FMA in the GEMM); the tests state the tolerances.
#pragma once
#include <cstddef>
#include <cstdint>

#ifndef HS_CUDA_NS
#define HS_CUDA_NS hs::cuda
#endif

namespace HS_CUDA_NS::tfjs {

using Stream = void*;

constexpr int kMaxRank = 6;

enum class DType : int { Float32 = 0, Int32 = 1, Bool = 2 };

// A tensor shape, rank 0..kMaxRank (rank 0: a scalar, one element).
struct Shape {
  int rank = 0;
  int64_t dims[kMaxRank] = {};
};

// Up to three operands broadcast to one output shape (numpy / tfjs rules,
// aligned at the trailing axes). strides[k][axis] is operand k's element
// stride along the output axis (0 where it is broadcast). Made by
// make_broadcast(); `rank` >= 1 (a scalar output is rank 1, size 1).
struct Broadcast {
  int rank = 1;
  int operands = 2;
  int64_t size = 1;  // elements of the output
  int64_t shape[kMaxRank] = {1};
  int64_t strides[3][kMaxRank] = {};
  // Every operand has the output's shape: the kernels index them directly.
  bool all_same = false;
};

// The broadcast of a and b (and c for Select). Throws std::invalid_argument
// when the shapes are incompatible or a rank exceeds kMaxRank.
Broadcast make_broadcast(const Shape& a, const Shape& b);
Broadcast make_broadcast(const Shape& a, const Shape& b, const Shape& c);

// Device memory and streams, for the binding (which cannot see cuda_compat).
void* device_alloc(size_t bytes);  // nullptr for 0 bytes; throws on failure
void device_free(void* p) noexcept;
void upload(Stream s, void* dst, const void* host_src, size_t bytes);      // returns when copied
void download(Stream s, void* host_dst, const void* src, size_t bytes);    // returns when copied
void copy_device(Stream s, void* dst, const void* src, size_t bytes);      // enqueued (Identity)
Stream create_stream();
void destroy_stream(Stream s) noexcept;
void synchronize(Stream s);

// ---------------------------------------------------------------------------
// Element-wise
// ---------------------------------------------------------------------------

// Fill, ZerosLike, OnesLike: out[0..n) = value converted to dtype.
void fill(Stream s, void* out, DType dtype, int64_t n, double value);

// Cast: out[i] = in[i] converted as tfjs converts (float -> int32 truncates
// toward zero; anything -> bool is value != 0; bool -> number is 0/1). Same
// dtype on both sides is a copy.
void cast(Stream s, const void* in, DType from, void* out, DType to, int64_t n);

enum class UnaryOp : int {
  Identity = 0,
  Neg,
  Abs,
  Exp,
  Log,
  Log1p,
  Sqrt,
  Rsqrt,
  Square,
  Reciprocal,
  Sigmoid,
  Tanh,
  Relu,        // NaN stays NaN, -0 -> +0 (tfjs's Math.max(0, x))
  Relu6,
  LeakyRelu,   // x < 0 ? alpha x : x
  Elu,
  Step,        // NaN stays NaN, x > 0 -> 1, else alpha (tfjs's Step)
  ClipByValue, // min(max(x, alpha), beta); NaN stays NaN
  Sign,
  Floor,
  Ceil,
  Round,       // half to even, as tfjs's Round
  Softplus,
};

// y[i] = op(x[i]) (alpha, beta: the op's attributes, see UnaryOp).
void unary(Stream s, UnaryOp op, const float* x, float* y, int64_t n, float alpha = 0.0f, float beta = 0.0f);

// Add, Sub, Multiply, RealDiv, Maximum, Minimum, Pow, SquaredDifference.
enum class BinaryOp : int { Add = 0, Sub, Mul, Div, Maximum, Minimum, Pow, SquaredDifference };

// out = a op b with broadcasting (bc from make_broadcast(shape a, shape b)).
void binary(Stream s, BinaryOp op, const float* a, const float* b, float* out, const Broadcast& bc);
// The same on int32: Add, Sub, Mul, Maximum, Minimum (wrapping as int32);
// the other ops throw std::invalid_argument.
void binary_i32(Stream s, BinaryOp op, const int32_t* a, const int32_t* b, int32_t* out, const Broadcast& bc);

// Equal, NotEqual, Greater, GreaterEqual, Less, LessEqual -> bool.
enum class CompareOp : int { Equal = 0, NotEqual, Greater, GreaterEqual, Less, LessEqual };
void compare(Stream s, CompareOp op, const float* a, const float* b, uint8_t* out, const Broadcast& bc);
void compare_i32(Stream s, CompareOp op, const int32_t* a, const int32_t* b, uint8_t* out, const Broadcast& bc);

// LogicalAnd, LogicalOr on bool; LogicalNot is logical_not.
enum class LogicalOp : int { And = 0, Or };
void logical(Stream s, LogicalOp op, const uint8_t* a, const uint8_t* b, uint8_t* out, const Broadcast& bc);
void logical_not(Stream s, const uint8_t* x, uint8_t* y, int64_t n);

// Select (tf.where): out = cond ? a : b, bc = make_broadcast(cond, a, b).
// tfjs's rank-1 condition over a higher-rank a (one flag per row) is the
// broadcast of cond reshaped to [n, 1, ..., 1].
void select(Stream s, const uint8_t* cond, const float* a, const float* b, float* out, const Broadcast& bc);

// ---------------------------------------------------------------------------
// Data movement (any dtype: elem_bytes 1 or 4)
// ---------------------------------------------------------------------------

// Slice: out = in[begin .. begin + size) per axis (out has shape `size`).
struct SliceParams {
  Shape in;
  int64_t begin[kMaxRank] = {};
  int64_t size[kMaxRank] = {};
};
void slice(Stream s, const void* in, void* out, int elem_bytes, const SliceParams& p);

// Transpose: out axis i is in axis perm[i].
struct TransposeParams {
  Shape in;
  int perm[kMaxRank] = {};
};
void transpose(Stream s, const void* in, void* out, int elem_bytes, const TransposeParams& p);

// Concat (one launch per input): with the output viewed as [outer, out_inner]
// and this input as [outer, in_inner], out[o, offset + j] = in[o, j].
void concat_piece(Stream s, const void* in, void* out, int elem_bytes, int64_t outer, int64_t in_inner,
                  int64_t out_inner, int64_t offset);

// ---------------------------------------------------------------------------
// Reductions: x viewed as [outer, reduce, inner] (the reduced axes one
// contiguous block; tfjs's cpu backend transposes them last, which is
// inner = 1). One thread block per output, fixed-order tree.
// ---------------------------------------------------------------------------

enum class ReduceOp : int { Sum = 0, Mean, Max, Min, Prod, Any, All };
// Sum and Mean accumulate in double and round once (Mean: float(sum) /
// float(reduce), as tfjs divides the float32 sum); Max/Min: NaN wins (tfjs);
// Any/All read x as 0/1 floats. reduce == 0: Sum 0, Mean NaN, Max -inf, Min inf.
// Mean of a bool tensor (Keras's accuracy) is cast(..., Float32) first. The bias
// gradients are Sum over the leading axes: outer 1, reduce N*H*W, inner C.
void reduce(Stream s, ReduceOp op, const float* x, float* y, int64_t outer, int64_t reduce, int64_t inner);

// ArgMax/ArgMin -> int32: the first index whose value is strictly greater
// (less) than all before it, starting from index 0 (tfjs's cpu backend).
void arg_reduce(Stream s, bool is_max, const float* x, int32_t* y, int64_t outer, int64_t reduce, int64_t inner);

// Softmax over the last axis of x [rows, cols] (tfjs's Softmax, dim -1):
// y = exp(x - max) / sum exp(x - max), the sum in double, fixed order.
void softmax(Stream s, const float* x, float* y, int64_t rows, int64_t cols);

// ---------------------------------------------------------------------------
// Matrix products and convolutions (our tiled SGEMM, native/cuda/mlp_kernels.cuh)
// ---------------------------------------------------------------------------

// tfjs's fused activations (FusedConv2D, _FusedMatMul); Prelu is not supported.
enum class Activation : int { Linear = 0, Relu, Relu6, Elu, LeakyRelu, Sigmoid };

// BatchMatMul / _FusedMatMul: for i < max(batch_a, batch_b), out[i] (M x N) =
// act(op(A_i) op(B_i) + bias), A_i = a[batch_a == 1 ? 0 : i] stored K x M when
// trans_a else M x K (likewise B: N x K when trans_b else K x N). bias: nullptr
// or N floats (one per output column). leaky_alpha: LeakyRelu's slope.
struct MatMulParams {
  int batch_a = 1, batch_b = 1;
  int M = 0, N = 0, K = 0;
  bool trans_a = false, trans_b = false;
};
size_t matmul_workspace_bytes(const MatMulParams& p);
void batch_matmul(Stream s, const float* a, const float* b, float* out, const MatMulParams& p, const float* bias,
                  Activation act, float leaky_alpha, void* workspace, size_t workspace_bytes);

// One geometry for Conv2D, FusedConv2D and both backprops (tfjs's conv info):
// x [batch, in_h, in_w, in_c], filter [filter_h, filter_w, in_c, out_c],
// y [batch, out_h, out_w, out_c]; pad_top/pad_left from tfjs's padInfo (the
// bottom/right padding follows from out_h/out_w). Dilations must be 1 when a
// stride is > 1 (tfjs's own rule); otherwise any dilation works.
struct Conv2DParams {
  int batch = 0, in_h = 0, in_w = 0, in_c = 0;
  int out_h = 0, out_w = 0, out_c = 0;
  int filter_h = 0, filter_w = 0;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0;
  int dilation_h = 1, dilation_w = 1;
};
// Scratch of each conv op (im2col columns + the GEMM's split-K partials).
size_t conv2d_workspace_bytes(const Conv2DParams& p);
size_t conv2d_backprop_input_workspace_bytes(const Conv2DParams& p);
size_t conv2d_backprop_filter_workspace_bytes(const Conv2DParams& p);

// Conv2D / FusedConv2D: y = act(conv(x, filter) + bias); bias: nullptr or out_c floats.
void conv2d(Stream s, const float* x, const float* filter, float* y, const Conv2DParams& p, const float* bias,
            Activation act, float leaky_alpha, void* workspace, size_t workspace_bytes);
// Conv2DBackpropInput: dx [batch, in_h, in_w, in_c] from dy and the filter.
void conv2d_backprop_input(Stream s, const float* dy, const float* filter, float* dx, const Conv2DParams& p,
                           void* workspace, size_t workspace_bytes);
// Conv2DBackpropFilter: dfilter [filter_h, filter_w, in_c, out_c] from x and dy.
void conv2d_backprop_filter(Stream s, const float* x, const float* dy, float* dfilter, const Conv2DParams& p,
                            void* workspace, size_t workspace_bytes);

// MaxPool / MaxPoolGrad, NHWC, windows skip padding. Ties and NaN as tfjs's
// cpu backend (native/core/pool.h): a window's max is its first element
// strictly greater than all before it, from -inf; the gradient goes to that
// element only, summed over the windows that chose it in (oh, ow) order.
struct Pool2DParams {
  int batch = 0, in_h = 0, in_w = 0, channels = 0;
  int out_h = 0, out_w = 0;
  int filter_h = 0, filter_w = 0;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0;
};
void max_pool(Stream s, const float* x, float* y, const Pool2DParams& p);
// dx from dy [batch, out_h, out_w, channels] and the pool's input x.
void max_pool_grad(Stream s, const float* dy, const float* x, float* dx, const Pool2DParams& p);

}  // namespace HS_CUDA_NS::tfjs
