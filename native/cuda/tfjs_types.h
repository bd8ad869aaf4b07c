// The plain data of the CUDA tfjs ops' API (native/cuda/tfjs_ops.h): dtypes,
// shapes, broadcasts, op enums and the POD parameter structs, in namespace
// hs::tfjs so that the real ops (hs::cuda::tfjs), their emulated copy
// (hs::cuda_emu::tfjs, tests) and the CPU twins (native/core/tfjs_ref.h) share
// one set of types. tfjs_ops.h brings every name here into HS_CUDA_NS::tfjs.
// Plain C++, no CUDA.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace hs::tfjs {

constexpr int kMaxRank = 6;

// dtypes on the device: float32 as float, int32 as int32_t, bool as uint8_t
// 0/1 (tfjs's cpu backend stores bool as a Uint8Array too).
enum class DType : int { Float32 = 0, Int32 = 1, Bool = 2 };

// A tensor shape, rank 0..kMaxRank (rank 0: a scalar, one element).
struct Shape {
  int rank = 0;
  int64_t dims[kMaxRank] = {};
  int64_t size() const {
    int64_t n = 1;
    for (int i = 0; i < rank; ++i) n *= dims[i];
    return n;
  }
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

// The broadcast of 1..3 shapes. Throws std::invalid_argument when the shapes
// are incompatible, a rank exceeds kMaxRank or a dimension is negative.
inline Broadcast make_broadcast_n(const Shape* const* shapes, int n) {
  Broadcast bc;
  bc.operands = n;
  int rank = 1;
  for (int k = 0; k < n; ++k) {
    if (shapes[k]->rank < 0 || shapes[k]->rank > kMaxRank)
      throw std::invalid_argument("make_broadcast: rank " + std::to_string(shapes[k]->rank) + " outside 0.." +
                                  std::to_string(kMaxRank));
    if (shapes[k]->rank > rank) rank = shapes[k]->rank;
  }
  bc.rank = rank;
  bc.size = 1;
  for (int axis = 0; axis < rank; ++axis) {
    int64_t out = 1;
    for (int k = 0; k < n; ++k) {
      const Shape& s = *shapes[k];
      const int a = axis - (rank - s.rank);  // the operand's own axis, aligned at the end
      const int64_t d = a >= 0 ? s.dims[a] : 1;
      if (d < 0) throw std::invalid_argument("make_broadcast: negative dimension");
      if (d == 1) continue;
      if (out != 1 && out != d)
        throw std::invalid_argument("make_broadcast: dimensions " + std::to_string(out) + " and " +
                                    std::to_string(d) + " do not broadcast");
      out = d;
    }
    // A zero-size axis against 1s stays zero.
    for (int k = 0; k < n; ++k) {
      const Shape& s = *shapes[k];
      const int a = axis - (rank - s.rank);
      if (a >= 0 && s.dims[a] == 0) out = 0;
    }
    bc.shape[axis] = out;
    bc.size *= out;
  }
  bc.all_same = true;
  for (int k = 0; k < n; ++k) {
    const Shape& s = *shapes[k];
    int64_t stride = 1;
    for (int axis = rank - 1; axis >= 0; --axis) {
      const int a = axis - (rank - s.rank);
      const int64_t d = a >= 0 ? s.dims[a] : 1;
      bc.strides[k][axis] = (d == 1 && bc.shape[axis] != 1) ? 0 : stride;
      if (d != bc.shape[axis]) bc.all_same = false;
      stride *= d;
    }
  }
  return bc;
}
inline Broadcast make_broadcast(const Shape& a, const Shape& b) {
  const Shape* s[2] = {&a, &b};
  return make_broadcast_n(s, 2);
}
inline Broadcast make_broadcast(const Shape& a, const Shape& b, const Shape& c) {
  const Shape* s[3] = {&a, &b, &c};
  return make_broadcast_n(s, 3);
}

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
  Relu,         // NaN stays NaN, -0 -> +0 (tfjs's Math.max(0, x))
  Relu6,
  LeakyRelu,    // x < 0 ? alpha x : x
  Elu,          // x >= 0 ? x : exp(x) - 1
  Step,         // NaN stays NaN, x > 0 -> 1, else alpha (tfjs's Step)
  ClipByValue,  // x > beta ? beta : x < alpha ? alpha : x; NaN stays NaN
  Sign,         // -1, 0, 1; NaN stays NaN
  Floor,
  Ceil,
  Round,        // half to even, as tfjs's Round
  Softplus,     // tfjs's thresholds: exp(x) far below 0, x far above
};

// Add, Sub, Multiply, RealDiv, Maximum, Minimum, Pow, SquaredDifference.
// Maximum/Minimum: NaN wins (tfjs's Math.max/min).
enum class BinaryOp : int { Add = 0, Sub, Mul, Div, Maximum, Minimum, Pow, SquaredDifference };

// Equal, NotEqual, Greater, GreaterEqual, Less, LessEqual -> bool (NaN: false, NotEqual true).
enum class CompareOp : int { Equal = 0, NotEqual, Greater, GreaterEqual, Less, LessEqual };

enum class LogicalOp : int { And = 0, Or };

// Slice: out = in[begin .. begin + size) per axis (out has shape `size`).
struct SliceParams {
  Shape in;
  int64_t begin[kMaxRank] = {};
  int64_t size[kMaxRank] = {};
};

// Transpose: out axis i is in axis perm[i].
struct TransposeParams {
  Shape in;
  int perm[kMaxRank] = {};
};

enum class ReduceOp : int { Sum = 0, Mean, Max, Min, Prod, Any, All };

// tfjs's fused activations (FusedConv2D, _FusedMatMul); Prelu is not supported.
enum class Activation : int { Linear = 0, Relu, Relu6, Elu, LeakyRelu, Sigmoid };

// BatchMatMul / _FusedMatMul: see batch_matmul.
struct MatMulParams {
  int batch_a = 1, batch_b = 1;
  int M = 0, N = 0, K = 0;
  bool trans_a = false, trans_b = false;
};

// One geometry for Conv2D, FusedConv2D and both backprops (tfjs's conv info):
// x [batch, in_h, in_w, in_c], filter [filter_h, filter_w, in_c, out_c],
// y [batch, out_h, out_w, out_c]; pad_top/pad_left from tfjs's padInfo (the
// bottom/right padding follows from out_h/out_w). Any dilation works (tfjs
// itself forbids dilation > 1 with stride > 1).
struct Conv2DParams {
  int batch = 0, in_h = 0, in_w = 0, in_c = 0;
  int out_h = 0, out_w = 0, out_c = 0;
  int filter_h = 0, filter_w = 0;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0;
  int dilation_h = 1, dilation_w = 1;
};

// MaxPool / MaxPoolGrad geometry, NHWC (dilations 1).
struct Pool2DParams {
  int batch = 0, in_h = 0, in_w = 0, channels = 0;
  int out_h = 0, out_w = 0;
  int filter_h = 0, filter_w = 0;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0;
};

}  // namespace hs::tfjs
