// 2-D max pooling for the TensorFlow.js kernels: NHWC, float32, dilation 1,
// explicit top/left padding (padding never wins: it is skipped, not -inf).
//
// Ties and NaN follow tfjs's cpu backend: a window's maximum is its first
// element (row-major window order) that is strictly greater than everything
// before it, starting from -inf — so NaN never wins, and a window with no such
// element (all NaN or -inf, or only padding) outputs -inf and passes no
// gradient. The gradient goes to that first maximum only.
#pragma once
#include <cstdint>

namespace hs {

class ThreadPool;

struct Pool2DGeometry {
  int batch = 0, in_h = 0, in_w = 0, channels = 0;
  int filter_h = 0, filter_w = 0;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0;
  int out_h = 0, out_w = 0;

  std::int64_t x_size() const { return static_cast<std::int64_t>(batch) * in_h * in_w * channels; }
  std::int64_t y_size() const { return static_cast<std::int64_t>(batch) * out_h * out_w * channels; }
};

// Throws std::invalid_argument naming the first bad field.
void validate(const Pool2DGeometry& g);

// y[b, oh, ow, c] = max over the window of x (see above for ties and NaN).
void max_pool(const Pool2DGeometry& g, const float* x, float* y, ThreadPool* pool);

// dx = 0, then dx[argmax of each window] += dy, windows in (oh, ow) order per
// image; where windows overlap, a dx element sums its dy's in that order in
// double and is rounded once, as tfjs does (so the result is tfjs's, bit for bit).
void max_pool_grad(const Pool2DGeometry& g, const float* dy, const float* x, float* dx,
                   ThreadPool* pool);

// Straightforward loops: the yardsticks of the tests.
void max_pool_reference(const Pool2DGeometry& g, const float* x, float* y);
void max_pool_grad_reference(const Pool2DGeometry& g, const float* dy, const float* x, float* dx);

}  // namespace hs
