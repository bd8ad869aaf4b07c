// Plain CPU twins of the CUDA tfjs ops (native/cuda/tfjs_ops.h): naive loops,
// written from tfjs's cpu-backend semantics and independent of the CUDA
// index arithmetic (broadcasting here walks the shapes, not the Broadcast
// strides), for the tests. Where native/core already has a reference it is
// reused instead: max pooling (core/pool.h: max_pool_reference,
// max_pool_grad_reference) and the dilation-1 convolutions (core/conv.h's
// *_reference, cross-checked against the dilated ones here).
// Numbers are computed in double and rounded once, as tfjs's JS does.
#pragma once
#include <cstdint>
#include <vector>

#include "cuda/tfjs_types.h"

namespace hs::tfjs_ref {

using hs::tfjs::Activation;
using hs::tfjs::BinaryOp;
using hs::tfjs::CompareOp;
using hs::tfjs::Conv2DParams;
using hs::tfjs::LogicalOp;
using hs::tfjs::MatMulParams;
using hs::tfjs::ReduceOp;
using hs::tfjs::Shape;
using hs::tfjs::UnaryOp;

float unary(UnaryOp op, float x, float alpha, float beta);
float binary(BinaryOp op, float a, float b);
bool compare(CompareOp op, double a, double b);

// The shape two (or three) shapes broadcast to; throws std::invalid_argument when they do not.
Shape broadcast_shape(const Shape& a, const Shape& b);
// The flat index into a tensor of shape `s` of output element `i` of shape `out` (broadcasting).
int64_t broadcast_index(const Shape& out, const Shape& s, int64_t i);

void binary_op(BinaryOp op, const float* a, const Shape& sa, const float* b, const Shape& sb, float* out);
void compare_op(CompareOp op, const float* a, const Shape& sa, const float* b, const Shape& sb, uint8_t* out);
void select_op(const uint8_t* cond, const Shape& sc, const float* a, const Shape& sa, const float* b,
               const Shape& sb, float* out);

// Cast float -> int32 as Int32Array.from does (ToInt32).
int32_t to_int32(float v);

void slice(const float* in, const Shape& in_shape, const int64_t* begin, const int64_t* size, float* out);
void transpose(const float* in, const Shape& in_shape, const int* perm, float* out);

// x as [outer, reduce, inner].
void reduce(ReduceOp op, const float* x, float* y, int64_t outer, int64_t reduce, int64_t inner);
void arg_reduce(bool is_max, const float* x, int32_t* y, int64_t outer, int64_t reduce, int64_t inner);
// tfjs's composed softmax: e = float(exp(x - max)), s = float(sum e), y = e / s.
void softmax(const float* x, float* y, int64_t rows, int64_t cols);

// act(op(A_i) op(B_i) + bias) in double, rounded once.
void batch_matmul(const float* a, const float* b, float* out, const MatMulParams& p, const float* bias,
                  Activation act, float leaky_alpha);

// Convolutions with dilation, in double (the definition, loop by loop).
void conv2d(const float* x, const float* filter, float* y, const Conv2DParams& p, const float* bias, Activation act,
            float leaky_alpha);
void conv2d_backprop_input(const float* dy, const float* filter, float* dx, const Conv2DParams& p);
void conv2d_backprop_filter(const float* x, const float* dy, float* dfilter, const Conv2DParams& p);

float activate(Activation act, float v, float leaky_alpha);

}  // namespace hs::tfjs_ref
