// Element-wise kernels, reductions and gathers for the TensorFlow.js kernels
// (float32). Each is written to give exactly what tfjs's cpu backend gives:
// tfjs computes in double and rounds to float32 once, which for one +, - or ×
// of two float32 values is the float32 operation itself; its sums accumulate
// in double in index order, as reduce_sum does. So these are bit-identical to
// the stock kernels (and, being element-wise, to any thread count).
#pragma once
#include <cstdint>

namespace hs {

class ThreadPool;

enum class BinaryOp { Add = 0, Sub = 1, Mul = 2 };

// out[i] = a[i % a_len] op b[i % b_len] for i < n, where one of a_len, b_len
// is n and the other n, 1 (a scalar) or any divisor of n (an operand that
// repeats: a trailing-axes broadcast such as a bias over channels), or both
// are 1. Throws std::invalid_argument otherwise.
void binary_op(BinaryOp op, const float* a, std::int64_t a_len, const float* b, std::int64_t b_len,
               float* out, std::int64_t n, ThreadPool* pool);

// tfjs's Relu: max(0, x) as Math.max computes it (NaN stays NaN, -0 gives +0).
void relu(const float* x, float* y, std::int64_t n, ThreadPool* pool);

// tfjs's Step: NaN stays NaN, x > 0 gives 1, anything else alpha.
void step(const float* x, float alpha, float* y, std::int64_t n, ThreadPool* pool);

// x viewed as [outer, reduce, inner]: y[o, i] = Σ_r x[o, r, i], summed in
// double in r order from 0, then rounded to float (tfjs's Sum over a block of
// consecutive axes).
void reduce_sum(const float* x, float* y, std::int64_t outer, std::int64_t reduce,
                std::int64_t inner, ThreadPool* pool);

// x viewed as [outer, dim, slice]: out[o, i, :] = x[o, indices[i], :] for
// i < count. Returns false, writing nothing, when an index is outside
// [0, dim). Elements are copied as bits (any 4-byte dtype).
bool gather(const float* x, std::int64_t outer, std::int64_t dim, std::int64_t slice,
            const std::int32_t* indices, std::int64_t count, float* out, ThreadPool* pool);

}  // namespace hs
