// Matrix products, 2-D convolutions and max pooling of the tfjs CUDA backend
// (see tfjs_kernels.cuh). The products run on the MLP's tiled shared-memory
// SGEMM (mlp_kernels.cuh: 32 x 32 tiles, sliced K inside a block, split-K
// across blocks reduced in a fixed order); the convolutions are im2col + that
// GEMM:
//   forward        y (rows x out_c) = cols (rows x patch) . filter (patch x out_c)
//                  with the bias and relu/sigmoid in the GEMM's epilogue;
//   filter grad    dfilter (patch x out_c) = cols^T . dy, the batch inside K
//                  (split-K partials added in order, never atomics);
//   input grad     dcols = dy . filter^T, then col2im as a gather: each dx
//                  element adds its (fh, fw) contributions in that order.
// rows = batch * out_h * out_w, patch = filter_h * filter_w * in_c ((fh, fw, c)
// order, which is the HWIO filter read as a patch x out_c matrix).
#pragma once
#include "cuda/tfjs_common.cuh"

namespace HS_CUDA_NS::tfjs {

// The GEMM's grid has ceil(M / 32) rows of blocks, at most 65535: longer
// products run in row chunks of at most this many rows.
// Forward and input-gradient convolutions run over chunks of whole images with
// at most kMaxColsFloats im2col floats each (128 MiB), so the workspace stays
// bounded for large evaluation batches. Both are pure functions of the
// geometry. The test's emulated copy sets them small (HS_TFJS_MAX_GEMM_ROWS,
// HS_TFJS_MAX_COLS_FLOATS) so that the chunked paths run on small shapes.
#ifndef HS_TFJS_MAX_GEMM_ROWS
#define HS_TFJS_MAX_GEMM_ROWS (65535LL * tile::BM)
#endif
#ifndef HS_TFJS_MAX_COLS_FLOATS
#define HS_TFJS_MAX_COLS_FLOATS (32LL << 20)
#endif
constexpr long long kMaxGemmRows = HS_TFJS_MAX_GEMM_ROWS;
// The most rows one GEMM launch can take (a transposed A cannot be cut in row chunks).
constexpr long long kGemmRowLimit = 65535LL * tile::BM;
constexpr long long kMaxColsFloats = HS_TFJS_MAX_COLS_FLOATS;

// ---------------------------------------------------------------------------
// Matrix products
// ---------------------------------------------------------------------------

inline Epilogue epilogue_for(const float* bias, Activation act, bool& needs_pass) {
  needs_pass = false;
  if (bias != nullptr) {
    if (act == Activation::Relu) return Epilogue::BiasRelu;
    if (act == Activation::Sigmoid) return Epilogue::BiasSigmoid;
    needs_pass = act != Activation::Linear;
    return Epilogue::Bias;
  }
  needs_pass = act != Activation::Linear;
  return Epilogue::None;
}

// The activations the GEMM epilogue cannot fuse, as a pass over y.
inline void activation_pass(Stream s, Activation act, float leaky_alpha, float* y, int64_t n) {
  switch (act) {
    case Activation::Linear:
      return;
    case Activation::Relu:
      return unary(s, UnaryOp::Relu, y, y, n, 0.0f, 0.0f);
    case Activation::Relu6:
      return unary(s, UnaryOp::Relu6, y, y, n, 0.0f, 0.0f);
    case Activation::Elu:
      return unary(s, UnaryOp::Elu, y, y, n, 0.0f, 0.0f);
    case Activation::LeakyRelu:
      return unary(s, UnaryOp::LeakyRelu, y, y, n, leaky_alpha, 0.0f);
    case Activation::Sigmoid:
      return unary(s, UnaryOp::Sigmoid, y, y, n, 0.0f, 0.0f);
  }
}

inline void check_activation(const char* fn, Activation act) {
  if (static_cast<int>(act) < 0 || static_cast<int>(act) > static_cast<int>(Activation::Sigmoid))
    bad_arg(fn, "unknown activation");
}

// Floats of split-K workspace of an M x N x K product done in row chunks.
inline size_t chunked_gemm_ws_floats(long long M, int N, int K) {
  size_t most = 0;
  for (long long m0 = 0; m0 < M; m0 += kMaxGemmRows) {
    const long long m = M - m0 < kMaxGemmRows ? M - m0 : kMaxGemmRows;
    const size_t w = gemm_workspace_floats(static_cast<int>(m), N, K);
    if (w > most) most = w;
  }
  return most;
}

// C = op(A) op(B) (+ epilogue) with A not transposed, over chunks of rows.
inline void gemm_rows(Stream s, bool tb, long long M, int N, int K, const float* A, int lda, const float* B, int ldb,
                      float* C, int ldc, float* ws, size_t ws_floats, Epilogue epi, const float* bias) {
  for (long long m0 = 0; m0 < M; m0 += kMaxGemmRows) {
    const int m = static_cast<int>(M - m0 < kMaxGemmRows ? M - m0 : kMaxGemmRows);
    HS_CUDA_NS::gemm(native_stream(s), false, tb, m, N, K, A + m0 * lda, lda, B, ldb, C + m0 * ldc, ldc, ws,
                     ws_floats, epi, bias);
  }
}

inline void check_matmul(const MatMulParams& p) {
  check_nonneg("batch_matmul", "M", p.M);
  check_nonneg("batch_matmul", "N", p.N);
  check_nonneg("batch_matmul", "K", p.K);
  check_positive("batch_matmul", "batch_a", p.batch_a);
  check_positive("batch_matmul", "batch_b", p.batch_b);
  if (p.batch_a != p.batch_b && p.batch_a != 1 && p.batch_b != 1)
    bad_arg("batch_matmul", "batches " + std::to_string(p.batch_a) + " and " + std::to_string(p.batch_b) +
                                " do not broadcast");
  if (p.trans_a && p.M > kGemmRowLimit) bad_arg("batch_matmul", "M too large for a transposed A");
}

size_t matmul_workspace_bytes(const MatMulParams& p) {
  check_matmul(p);
  if (p.trans_a) return gemm_workspace_floats(p.M, p.N, p.K) * sizeof(float);
  return chunked_gemm_ws_floats(p.M, p.N, p.K) * sizeof(float);
}

void batch_matmul(Stream s, const float* a, const float* b, float* out, const MatMulParams& p, const float* bias,
                  Activation act, float leaky_alpha, void* workspace, size_t workspace_bytes) {
  check_matmul(p);
  check_activation("batch_matmul", act);
  if (workspace_bytes < matmul_workspace_bytes(p)) bad_arg("batch_matmul", "workspace too small");
  const int batch = p.batch_a > p.batch_b ? p.batch_a : p.batch_b;
  const long long mn = static_cast<long long>(p.M) * p.N;
  if (mn == 0) return;
  float* ws = static_cast<float*>(workspace);
  const size_t ws_floats = workspace_bytes / sizeof(float);
  bool pass = false;
  const Epilogue epi = epilogue_for(bias, act, pass);
  const long long a_size = static_cast<long long>(p.M) * p.K, b_size = static_cast<long long>(p.K) * p.N;
  const int lda = p.trans_a ? p.M : p.K, ldb = p.trans_b ? p.K : p.N;
  for (int i = 0; i < batch; ++i) {
    const float* ai = a + (p.batch_a == 1 ? 0 : i * a_size);
    const float* bi = b + (p.batch_b == 1 ? 0 : i * b_size);
    float* oi = out + i * mn;
    if (p.trans_a)
      HS_CUDA_NS::gemm(native_stream(s), true, p.trans_b, p.M, p.N, p.K, ai, lda, bi, ldb, oi, p.N, ws, ws_floats, epi,
                       bias);
    else
      gemm_rows(s, p.trans_b, p.M, p.N, p.K, ai, lda, bi, ldb, oi, p.N, ws, ws_floats, epi, bias);
  }
  if (pass) activation_pass(s, act, leaky_alpha, out, static_cast<int64_t>(batch) * mn);
}

// ---------------------------------------------------------------------------
// Convolutions
// ---------------------------------------------------------------------------

struct ConvGeom {
  Conv2DParams p;
  long long patch;  // filter_h * filter_w * in_c
};

inline void check_conv(const char* fn, const Conv2DParams& p) {
  check_positive(fn, "batch", p.batch);
  check_positive(fn, "in_h", p.in_h);
  check_positive(fn, "in_w", p.in_w);
  check_positive(fn, "in_c", p.in_c);
  check_positive(fn, "out_h", p.out_h);
  check_positive(fn, "out_w", p.out_w);
  check_positive(fn, "out_c", p.out_c);
  check_positive(fn, "filter_h", p.filter_h);
  check_positive(fn, "filter_w", p.filter_w);
  check_positive(fn, "stride_h", p.stride_h);
  check_positive(fn, "stride_w", p.stride_w);
  check_positive(fn, "dilation_h", p.dilation_h);
  check_positive(fn, "dilation_w", p.dilation_w);
  check_nonneg(fn, "pad_top", p.pad_top);
  check_nonneg(fn, "pad_left", p.pad_left);
  const long long patch = static_cast<long long>(p.filter_h) * p.filter_w * p.in_c;
  if (patch > 0x7fffffffLL) bad_arg(fn, "filter too large");
  const long long rows = static_cast<long long>(p.batch) * p.out_h * p.out_w;
  if (rows > 0x7fffffffLL) bad_arg(fn, "too many output pixels");
}

inline long long conv_patch(const Conv2DParams& p) { return static_cast<long long>(p.filter_h) * p.filter_w * p.in_c; }
inline long long conv_rows_per_image(const Conv2DParams& p) { return static_cast<long long>(p.out_h) * p.out_w; }

// x is its own im2col matrix: a 1 x 1 filter at stride 1 without padding.
inline bool conv_is_pointwise(const Conv2DParams& p) {
  return p.filter_h == 1 && p.filter_w == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 &&
         p.pad_left == 0 && p.out_h == p.in_h && p.out_w == p.in_w;
}

// Images per chunk of the forward / input-gradient passes.
inline int conv_chunk_images(const Conv2DParams& p) {
  const long long per_image = conv_rows_per_image(p) * conv_patch(p);
  long long n = per_image > 0 ? kMaxColsFloats / per_image : p.batch;
  if (n < 1) n = 1;
  const long long by_rows = kMaxGemmRows / (conv_rows_per_image(p) > 0 ? conv_rows_per_image(p) : 1);
  if (n > by_rows) n = by_rows > 0 ? by_rows : 1;
  return static_cast<int>(n < p.batch ? n : p.batch);
}

// cols[row][k] for rows [row0, row0 + rows) of the whole batch: row = (b, oh,
// ow), k = (fh, fw, c); zero where the window leaves the image.
__global__ void k_im2col(const float* x, float* cols, Conv2DParams p, long long row0, long long rows, long long patch) {
  const long long n = rows * patch;
  for (long long i = global_index(); i < n; i += grid_stride()) {
    const long long r = row0 + i / patch, k = i % patch;
    const int c = static_cast<int>(k % p.in_c);
    const int fw = static_cast<int>((k / p.in_c) % p.filter_w);
    const int fh = static_cast<int>(k / (static_cast<long long>(p.in_c) * p.filter_w));
    const int ow = static_cast<int>(r % p.out_w);
    const int oh = static_cast<int>((r / p.out_w) % p.out_h);
    const long long b = r / (static_cast<long long>(p.out_w) * p.out_h);
    const int ih = oh * p.stride_h - p.pad_top + fh * p.dilation_h;
    const int iw = ow * p.stride_w - p.pad_left + fw * p.dilation_w;
    float v = 0.0f;
    if (ih >= 0 && ih < p.in_h && iw >= 0 && iw < p.in_w)
      v = x[((b * p.in_h + ih) * p.in_w + iw) * p.in_c + c];
    cols[i] = v;
  }
}

// dx[b, ih, iw, c] for images [b0, b0 + images): the sum over (fh, fw), in
// that order, of dcols[(b, oh, ow)][(fh, fw, c)] for the output pixels whose
// window put (ih, iw) there. dcols holds the chunk's rows only.
__global__ void k_col2im(const float* dcols, float* dx, Conv2DParams p, long long b0, long long images, long long patch) {
  const long long n = images * p.in_h * p.in_w * p.in_c;
  for (long long i = global_index(); i < n; i += grid_stride()) {
    const int c = static_cast<int>(i % p.in_c);
    const int iw = static_cast<int>((i / p.in_c) % p.in_w);
    const int ih = static_cast<int>((i / (static_cast<long long>(p.in_c) * p.in_w)) % p.in_h);
    const long long b = i / (static_cast<long long>(p.in_c) * p.in_w * p.in_h);  // within the chunk
    float sum = 0.0f;
    for (int fh = 0; fh < p.filter_h; ++fh) {
      const int oh_num = ih + p.pad_top - fh * p.dilation_h;
      if (oh_num < 0 || oh_num % p.stride_h != 0) continue;
      const int oh = oh_num / p.stride_h;
      if (oh >= p.out_h) continue;
      for (int fw = 0; fw < p.filter_w; ++fw) {
        const int ow_num = iw + p.pad_left - fw * p.dilation_w;
        if (ow_num < 0 || ow_num % p.stride_w != 0) continue;
        const int ow = ow_num / p.stride_w;
        if (ow >= p.out_w) continue;
        const long long row = (b * p.out_h + oh) * p.out_w + ow;
        sum += dcols[row * patch + (static_cast<long long>(fh) * p.filter_w + fw) * p.in_c + c];
      }
    }
    dx[b0 * p.in_h * p.in_w * p.in_c + i] = sum;
  }
}

// Workspace layout of the chunked passes: [cols of one chunk][split-K partials].
inline size_t chunk_cols_floats(const Conv2DParams& p) {
  return static_cast<size_t>(conv_chunk_images(p)) * conv_rows_per_image(p) * conv_patch(p);
}

size_t conv2d_workspace_bytes(const Conv2DParams& p) {
  check_conv("conv2d", p);
  const int chunk = conv_chunk_images(p);
  const int patch = static_cast<int>(conv_patch(p));
  // Every chunk has `chunk` images but the last, which may have fewer (another split-K).
  size_t ws = chunked_gemm_ws_floats(chunk * conv_rows_per_image(p), p.out_c, patch);
  const long long last = (p.batch % chunk == 0 ? chunk : p.batch % chunk) * conv_rows_per_image(p);
  const size_t w = chunked_gemm_ws_floats(last, p.out_c, patch);
  if (w > ws) ws = w;
  const size_t cols = conv_is_pointwise(p) ? 0 : chunk_cols_floats(p);
  return align_up(cols * sizeof(float)) + ws * sizeof(float);
}

void conv2d(Stream s, const float* x, const float* filter, float* y, const Conv2DParams& p, const float* bias,
            Activation act, float leaky_alpha, void* workspace, size_t workspace_bytes) {
  check_activation("conv2d", act);
  const size_t need = conv2d_workspace_bytes(p);
  if (workspace_bytes < need) bad_arg("conv2d", "workspace too small");
  const int chunk = conv_chunk_images(p);
  const long long patch = conv_patch(p), per_image = conv_rows_per_image(p);
  const bool pointwise = conv_is_pointwise(p);
  const size_t cols_bytes = pointwise ? 0 : align_up(chunk_cols_floats(p) * sizeof(float));
  float* cols = static_cast<float*>(workspace);
  float* ws = reinterpret_cast<float*>(static_cast<char*>(workspace) + cols_bytes);
  const size_t ws_floats = (workspace_bytes - cols_bytes) / sizeof(float);
  bool pass = false;
  const Epilogue epi = epilogue_for(bias, act, pass);
  for (int b0 = 0; b0 < p.batch; b0 += chunk) {
    const int images = p.batch - b0 < chunk ? p.batch - b0 : chunk;
    const long long rows = images * per_image, row0 = static_cast<long long>(b0) * per_image;
    const float* A = x + row0 * p.in_c;  // pointwise: x rows are the output pixels
    if (!pointwise) {
      launch(k_im2col, grid_for(rows * patch), dim3(kThreads), native_stream(s), x, cols, p, row0, rows, patch);
      A = cols;
    }
    gemm_rows(s, false, rows, p.out_c, static_cast<int>(patch), A, static_cast<int>(patch), filter, p.out_c,
              y + row0 * p.out_c, p.out_c, ws, ws_floats, epi, bias);
  }
  if (pass) activation_pass(s, act, leaky_alpha, y, static_cast<int64_t>(p.batch) * per_image * p.out_c);
}

size_t conv2d_backprop_input_workspace_bytes(const Conv2DParams& p) {
  check_conv("conv2d_backprop_input", p);
  const int chunk = conv_chunk_images(p);
  const int patch = static_cast<int>(conv_patch(p));
  size_t ws = chunked_gemm_ws_floats(chunk * conv_rows_per_image(p), patch, p.out_c);
  const long long last = (p.batch % chunk == 0 ? chunk : p.batch % chunk) * conv_rows_per_image(p);
  const size_t w = chunked_gemm_ws_floats(last, patch, p.out_c);
  if (w > ws) ws = w;
  return align_up(chunk_cols_floats(p) * sizeof(float)) + ws * sizeof(float);
}

void conv2d_backprop_input(Stream s, const float* dy, const float* filter, float* dx, const Conv2DParams& p,
                           void* workspace, size_t workspace_bytes) {
  const size_t need = conv2d_backprop_input_workspace_bytes(p);
  if (workspace_bytes < need) bad_arg("conv2d_backprop_input", "workspace too small");
  const int chunk = conv_chunk_images(p);
  const long long patch = conv_patch(p), per_image = conv_rows_per_image(p);
  const size_t cols_bytes = align_up(chunk_cols_floats(p) * sizeof(float));
  float* dcols = static_cast<float*>(workspace);
  float* ws = reinterpret_cast<float*>(static_cast<char*>(workspace) + cols_bytes);
  const size_t ws_floats = (workspace_bytes - cols_bytes) / sizeof(float);
  for (int b0 = 0; b0 < p.batch; b0 += chunk) {
    const int images = p.batch - b0 < chunk ? p.batch - b0 : chunk;
    const long long rows = images * per_image, row0 = static_cast<long long>(b0) * per_image;
    // dcols (rows x patch) = dy (rows x out_c) . filter^T (filter stored patch x out_c).
    gemm_rows(s, true, rows, static_cast<int>(patch), p.out_c, dy + row0 * p.out_c, p.out_c, filter, p.out_c, dcols,
              static_cast<int>(patch), ws, ws_floats, Epilogue::None, nullptr);
    const long long n = static_cast<long long>(images) * p.in_h * p.in_w * p.in_c;
    launch(k_col2im, grid_for(n), dim3(kThreads), native_stream(s), dcols, dx, p, static_cast<long long>(b0),
           static_cast<long long>(images), patch);
  }
}

size_t conv2d_backprop_filter_workspace_bytes(const Conv2DParams& p) {
  check_conv("conv2d_backprop_filter", p);
  const long long rows = static_cast<long long>(p.batch) * conv_rows_per_image(p);
  const long long patch = conv_patch(p);
  if (patch > kGemmRowLimit) bad_arg("conv2d_backprop_filter", "filter too large");
  const size_t cols = conv_is_pointwise(p) ? 0 : static_cast<size_t>(rows * patch);
  return align_up(cols * sizeof(float)) +
         gemm_workspace_floats(static_cast<int>(patch), p.out_c, static_cast<int>(rows)) * sizeof(float);
}

void conv2d_backprop_filter(Stream s, const float* x, const float* dy, float* dfilter, const Conv2DParams& p,
                            void* workspace, size_t workspace_bytes) {
  const size_t need = conv2d_backprop_filter_workspace_bytes(p);
  if (workspace_bytes < need) bad_arg("conv2d_backprop_filter", "workspace too small");
  const long long rows = static_cast<long long>(p.batch) * conv_rows_per_image(p);
  const long long patch = conv_patch(p);
  const bool pointwise = conv_is_pointwise(p);
  const size_t cols_bytes = pointwise ? 0 : align_up(static_cast<size_t>(rows * patch) * sizeof(float));
  float* cols = static_cast<float*>(workspace);
  float* ws = reinterpret_cast<float*>(static_cast<char*>(workspace) + cols_bytes);
  const size_t ws_floats = (workspace_bytes - cols_bytes) / sizeof(float);
  const float* A = x;
  if (!pointwise) {
    launch(k_im2col, grid_for(rows * patch), dim3(kThreads), native_stream(s), x, cols, p, 0LL, rows, patch);
    A = cols;
  }
  // dfilter (patch x out_c) = cols^T . dy: A stored rows x patch (K x M), transposed.
  HS_CUDA_NS::gemm(native_stream(s), true, false, static_cast<int>(patch), p.out_c, static_cast<int>(rows), A,
                   static_cast<int>(patch), dy, p.out_c, dfilter, p.out_c, ws, ws_floats);
}

// ---------------------------------------------------------------------------
// Max pooling
// ---------------------------------------------------------------------------

inline void check_pool(const char* fn, const Pool2DParams& p) {
  check_positive(fn, "batch", p.batch);
  check_positive(fn, "in_h", p.in_h);
  check_positive(fn, "in_w", p.in_w);
  check_positive(fn, "channels", p.channels);
  check_positive(fn, "out_h", p.out_h);
  check_positive(fn, "out_w", p.out_w);
  check_positive(fn, "filter_h", p.filter_h);
  check_positive(fn, "filter_w", p.filter_w);
  check_positive(fn, "stride_h", p.stride_h);
  check_positive(fn, "stride_w", p.stride_w);
  check_nonneg(fn, "pad_top", p.pad_top);
  check_nonneg(fn, "pad_left", p.pad_left);
}

// The window (b, oh, ow, c)'s maximum and its input offset (-1: none), tfjs's rule.
__device__ __forceinline__ float window_max(const float* x, const Pool2DParams& p, long long b, int oh, int ow, int c,
                                            long long& where) {
  float best = -INFINITY;
  where = -1;
  for (int fh = 0; fh < p.filter_h; ++fh) {
    const int ih = oh * p.stride_h - p.pad_top + fh;
    if (ih < 0 || ih >= p.in_h) continue;
    for (int fw = 0; fw < p.filter_w; ++fw) {
      const int iw = ow * p.stride_w - p.pad_left + fw;
      if (iw < 0 || iw >= p.in_w) continue;
      const long long off = ((b * p.in_h + ih) * p.in_w + iw) * p.channels + c;
      const float v = x[off];
      if (v > best) {
        best = v;
        where = off;
      }
    }
  }
  return best;
}

__global__ void k_max_pool(const float* x, float* y, Pool2DParams p) {
  const long long n = static_cast<long long>(p.batch) * p.out_h * p.out_w * p.channels;
  for (long long i = global_index(); i < n; i += grid_stride()) {
    const int c = static_cast<int>(i % p.channels);
    const int ow = static_cast<int>((i / p.channels) % p.out_w);
    const int oh = static_cast<int>((i / (static_cast<long long>(p.channels) * p.out_w)) % p.out_h);
    const long long b = i / (static_cast<long long>(p.channels) * p.out_w * p.out_h);
    long long where;
    y[i] = window_max(x, p, b, oh, ow, c, where);
  }
}

// dx[b, ih, iw, c] = the sum, in double and in (oh, ow) order, of dy over the
// windows containing (ih, iw) whose maximum is this element.
__global__ void k_max_pool_grad(const float* dy, const float* x, float* dx, Pool2DParams p) {
  const long long n = static_cast<long long>(p.batch) * p.in_h * p.in_w * p.channels;
  for (long long i = global_index(); i < n; i += grid_stride()) {
    const int c = static_cast<int>(i % p.channels);
    const int iw = static_cast<int>((i / p.channels) % p.in_w);
    const int ih = static_cast<int>((i / (static_cast<long long>(p.channels) * p.in_w)) % p.in_h);
    const long long b = i / (static_cast<long long>(p.channels) * p.in_w * p.in_h);
    // Windows oh with oh*stride - pad <= ih <= oh*stride - pad + filter - 1.
    const int hi_num = ih + p.pad_top, wi_num = iw + p.pad_left;
    int oh_lo = hi_num - p.filter_h + 1 > 0 ? (hi_num - p.filter_h + 1 + p.stride_h - 1) / p.stride_h : 0;
    int oh_hi = hi_num / p.stride_h;
    if (oh_hi > p.out_h - 1) oh_hi = p.out_h - 1;
    int ow_lo = wi_num - p.filter_w + 1 > 0 ? (wi_num - p.filter_w + 1 + p.stride_w - 1) / p.stride_w : 0;
    int ow_hi = wi_num / p.stride_w;
    if (ow_hi > p.out_w - 1) ow_hi = p.out_w - 1;
    double sum = 0.0;
    for (int oh = oh_lo; oh <= oh_hi; ++oh)
      for (int ow = ow_lo; ow <= ow_hi; ++ow) {
        long long where;
        window_max(x, p, b, oh, ow, c, where);
        if (where == i) sum += static_cast<double>(dy[((b * p.out_h + oh) * p.out_w + ow) * p.channels + c]);
      }
    dx[i] = static_cast<float>(sum);
  }
}

void max_pool(Stream s, const float* x, float* y, const Pool2DParams& p) {
  check_pool("max_pool", p);
  const long long n = static_cast<long long>(p.batch) * p.out_h * p.out_w * p.channels;
  launch(k_max_pool, grid_for(n), dim3(kThreads), native_stream(s), x, y, p);
}

void max_pool_grad(Stream s, const float* dy, const float* x, float* dx, const Pool2DParams& p) {
  check_pool("max_pool_grad", p);
  const long long n = static_cast<long long>(p.batch) * p.in_h * p.in_w * p.channels;
  launch(k_max_pool_grad, grid_for(n), dim3(kThreads), native_stream(s), dy, x, dx, p);
}

}  // namespace HS_CUDA_NS::tfjs
