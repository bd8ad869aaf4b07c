// 2-D convolutions for the TensorFlow.js kernels: NHWC activations, HWIO
// filters (TensorFlow's layouts), float32, dilation 1, explicit top/left
// padding (any bottom/right padding follows from the output size).
//
// All three run as im2col + our GEMM (core/gemm.h) on row chunks small enough
// to stay in L2. Determinism: how a product is cut into chunks depends on the
// geometry only, never on the thread count, and every element of a result is
// computed by one thread with a fixed sequence of operations, so results are
// bit-identical for any ThreadPool size (see each function for its order).
#pragma once
#include <cstddef>
#include <cstdint>

namespace hs {

class ThreadPool;

struct Conv2DGeometry {
  int batch = 0, in_h = 0, in_w = 0, in_c = 0;
  int filter_h = 0, filter_w = 0, out_c = 0;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0;
  int out_h = 0, out_w = 0;

  // Rows of the im2col matrix (output pixels) and its columns (patch length).
  std::int64_t rows() const { return static_cast<std::int64_t>(batch) * out_h * out_w; }
  std::int64_t patch() const { return static_cast<std::int64_t>(filter_h) * filter_w * in_c; }
  std::int64_t x_size() const { return static_cast<std::int64_t>(batch) * in_h * in_w * in_c; }
  std::int64_t y_size() const { return rows() * out_c; }
  std::int64_t filter_size() const { return patch() * out_c; }
};

// Throws std::invalid_argument naming the first bad field: sizes must be
// positive, pads non-negative, and the tensors small enough for the int
// arithmetic of the GEMM (at most 2^31 - 1 elements each). Any output size is
// valid: windows reaching beyond the input read zeros there.
void validate(const Conv2DGeometry& g);

// y (rows × out_c) = im2col(x) · filter, then y = act(y + bias[c]) when bias
// is given (nullptr: none) and relu is set. bias is applied after the full
// sum, as tfjs's FusedConv2D does (conv, then add, then activation).
void conv2d_forward(const Conv2DGeometry& g, const float* x, const float* filter, const float* bias,
                    bool relu, float* y, ThreadPool* pool);

// dfilter (patch × out_c) = Σ over output pixels of im2col(x)ᵀ · dy: one GEMM
// with the batch inside its K. The pixels are cut into fixed chunks and the
// chunks into a fixed number of groups; each group is summed in chunk order by
// one thread, then the groups are added in group order.
void conv2d_backprop_filter(const Conv2DGeometry& g, const float* x, const float* dy,
                            float* dfilter, ThreadPool* pool);

// dx = the gradient of conv2d_forward with respect to x. At stride 1 (and
// pads below the filter size) it is the forward convolution of dy with the
// filter turned by 180° and its channels swapped; otherwise col2im(dy ·
// filterᵀ): images are independent, and within an image the patch gradients
// are added into dx in output-pixel order.
void conv2d_backprop_input(const Conv2DGeometry& g, const float* dy, const float* filter,
                           float* dx, ThreadPool* pool);

// Plain loops with double accumulation: the yardsticks of the tests.
void conv2d_forward_reference(const Conv2DGeometry& g, const float* x, const float* filter,
                              const float* bias, bool relu, float* y);
void conv2d_backprop_filter_reference(const Conv2DGeometry& g, const float* x, const float* dy,
                                      float* dfilter);
void conv2d_backprop_input_reference(const Conv2DGeometry& g, const float* dy, const float* filter,
                                     float* dx);

}  // namespace hs
