#include "core/conv.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/parallel.h"
#include "core/gemm.h"
#include "core/thread_pool.h"

namespace hs {

namespace {

using std::int64_t;
using std::ptrdiff_t;

constexpr int64_t kIntMax = std::numeric_limits<int>::max();

// About 128 KiB (forward) and 256 KiB (filter gradient) of im2col rows per
// chunk: the chunk stays in L2 between its packing and the GEMM that reads it.
// The chunk sizes depend on the patch length only (never on the threads).
int forward_chunk_rows(int64_t patch) {
  return static_cast<int>(std::clamp<int64_t>(32768 / patch, 8, 1024));
}
int filter_chunk_rows(int64_t patch) {
  return static_cast<int>(std::clamp<int64_t>(65536 / patch, 32, 2048));
}
// The filter gradient's chunks are summed in at most this many groups (the
// units of parallelism); each group's partial sum costs patch·out_c floats.
constexpr int64_t kFilterGroups = 16;

// A 1×1 filter with stride 1 and no padding over the whole input: x itself is
// the im2col matrix.
bool is_pointwise(const Conv2DGeometry& g) {
  return g.filter_h == 1 && g.filter_w == 1 && g.stride_h == 1 && g.stride_w == 1 &&
         g.pad_top == 0 && g.pad_left == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
}

// im2col of rows [r0, r0 + count) for short filter rows (KW·C < 16 floats):
// column by column within each stretch of rows that share (b, oh), so that
// the inner loops are long and branch-free (the row-wise copy below would copy
// runs of KW·C floats: 3 for the first layer of an MNIST model).
void im2col_rows_by_column(const Conv2DGeometry& g, const float* x, int64_t r0, int count,
                           float* out) {
  const int C = g.in_c, KW = g.filter_w;
  const ptrdiff_t K = g.patch();
  const ptrdiff_t image = static_cast<ptrdiff_t>(g.in_h) * g.in_w * C;
  int64_t r = r0;
  const int64_t r_end = r0 + count;
  while (r < r_end) {
    const int ow0 = static_cast<int>(r % g.out_w);
    const int64_t t = r / g.out_w;
    const int oh = static_cast<int>(t % g.out_h);
    const int64_t b = t / g.out_h;
    const int n = static_cast<int>(std::min<int64_t>(g.out_w - ow0, r_end - r));
    float* base = out + (r - r0) * K;
    const float* xb = x + b * image;
    for (int kh = 0; kh < g.filter_h; ++kh) {
      const int ih = oh * g.stride_h - g.pad_top + kh;
      const bool row_in = ih >= 0 && ih < g.in_h;
      const float* xrow = xb + static_cast<ptrdiff_t>(row_in ? ih : 0) * g.in_w * C;
      for (int kw = 0; kw < KW; ++kw) {
        // Output columns ow in [lo, hi) read inside the image: iw = ow·sw - pl + kw.
        int lo = ow0 + n, hi = ow0 + n;
        if (row_in) {
          const int off = kw - g.pad_left;  // iw = ow·sw + off
          const int first = off >= 0 ? 0 : (-off + g.stride_w - 1) / g.stride_w;
          const int last = g.in_w - 1 - off < 0 ? -1 : (g.in_w - 1 - off) / g.stride_w;
          lo = std::clamp(first, ow0, ow0 + n);
          hi = std::clamp(last + 1, lo, ow0 + n);
        }
        for (int c = 0; c < C; ++c) {
          float* d = base + (static_cast<ptrdiff_t>(kh) * KW + kw) * C + c;
          int ow = ow0;
          for (; ow < lo; ++ow) d[(ow - ow0) * K] = 0.0f;
          const float* s = xrow + (static_cast<ptrdiff_t>(lo) * g.stride_w - g.pad_left + kw) * C + c;
          const ptrdiff_t step = static_cast<ptrdiff_t>(g.stride_w) * C;
          for (; ow < hi; ++ow, s += step) d[(ow - ow0) * K] = *s;
          for (; ow < ow0 + n; ++ow) d[(ow - ow0) * K] = 0.0f;
        }
      }
    }
    r += n;
  }
}

// Writes rows [r0, r0 + count) of the im2col matrix into out (row stride
// patch): row (b, oh, ow) holds x[b, oh·sh - pt + kh, ow·sw - pl + kw, c] in
// (kh, kw, c) order, the filter's HWI order, zero outside the image.
void im2col_rows(const Conv2DGeometry& g, const float* x, int64_t r0, int count, float* out) {
  if (static_cast<int64_t>(g.filter_w) * g.in_c < 16) {
    im2col_rows_by_column(g, x, r0, count, out);
    return;
  }
  const int C = g.in_c, KW = g.filter_w;
  const ptrdiff_t run = static_cast<ptrdiff_t>(KW) * C;  // one filter row of a patch
  const ptrdiff_t image = static_cast<ptrdiff_t>(g.in_h) * g.in_w * C;
  int ow = static_cast<int>(r0 % g.out_w);
  int64_t t = r0 / g.out_w;
  int oh = static_cast<int>(t % g.out_h);
  int64_t b = t / g.out_h;
  for (int i = 0; i < count; ++i) {
    float* dst = out + static_cast<ptrdiff_t>(i) * g.filter_h * run;
    const float* xb = x + b * image;
    const int ih0 = oh * g.stride_h - g.pad_top;
    const int iw0 = ow * g.stride_w - g.pad_left;
    // Columns kw in [lo, hi) fall inside the image (the same for every kh).
    const int lo = std::max(0, -iw0);
    const int hi = std::min(KW, g.in_w - iw0);
    for (int kh = 0; kh < g.filter_h; ++kh, dst += run) {
      const int ih = ih0 + kh;
      if (ih < 0 || ih >= g.in_h || hi <= lo) {
        std::memset(dst, 0, sizeof(float) * run);
        continue;
      }
      const float* src = xb + (static_cast<ptrdiff_t>(ih) * g.in_w + iw0) * C;
      if (lo > 0) std::memset(dst, 0, sizeof(float) * lo * C);
      std::memcpy(dst + lo * C, src + lo * C, sizeof(float) * (hi - lo) * C);
      if (hi < KW) std::memset(dst + hi * C, 0, sizeof(float) * (KW - hi) * C);
    }
    if (++ow == g.out_w) {
      ow = 0;
      if (++oh == g.out_h) {
        oh = 0;
        ++b;
      }
    }
  }
}

// dx_image[ih, iw, :] += cols[row, (kh, kw), :] for the output rows
// [oh0, oh0 + nrows) of one image, in row order, then (kh, kw) order.
void col2im_add_rows(const Conv2DGeometry& g, const float* cols, int oh0, int nrows,
                     float* dx_image) {
  const int C = g.in_c;
  const ptrdiff_t patch = g.patch();
  for (int r = 0; r < nrows; ++r) {
    const int oh = oh0 + r;
    for (int ow = 0; ow < g.out_w; ++ow) {
      const float* src = cols + (static_cast<ptrdiff_t>(r) * g.out_w + ow) * patch;
      const int ih0 = oh * g.stride_h - g.pad_top;
      const int iw0 = ow * g.stride_w - g.pad_left;
      for (int kh = 0; kh < g.filter_h; ++kh) {
        const int ih = ih0 + kh;
        if (ih < 0 || ih >= g.in_h) continue;
        for (int kw = 0; kw < g.filter_w; ++kw) {
          const int iw = iw0 + kw;
          if (iw < 0 || iw >= g.in_w) continue;
          const float* s = src + (static_cast<ptrdiff_t>(kh) * g.filter_w + kw) * C;
          float* d = dx_image + (static_cast<ptrdiff_t>(ih) * g.in_w + iw) * C;
          for (int c = 0; c < C; ++c) d[c] += s[c];
        }
      }
    }
  }
}

std::string field(const char* name, int64_t v, const char* rule) {
  return std::string("conv2d geometry: ") + name + " = " + std::to_string(v) + " " + rule;
}

}  // namespace

void validate(const Conv2DGeometry& g) {
  const struct {
    const char* name;
    int v;
  } positive[] = {{"batch", g.batch},       {"in_h", g.in_h},         {"in_w", g.in_w},
                  {"in_c", g.in_c},         {"filter_h", g.filter_h}, {"filter_w", g.filter_w},
                  {"out_c", g.out_c},       {"stride_h", g.stride_h}, {"stride_w", g.stride_w},
                  {"out_h", g.out_h},       {"out_w", g.out_w}};
  for (const auto& f : positive)
    if (f.v < 1) throw std::invalid_argument(field(f.name, f.v, "must be >= 1"));
  if (g.pad_top < 0) throw std::invalid_argument(field("pad_top", g.pad_top, "must be >= 0"));
  if (g.pad_left < 0) throw std::invalid_argument(field("pad_left", g.pad_left, "must be >= 0"));
  // The GEMM takes int sizes and strides; offsets are computed in ptrdiff_t.
  if (g.filter_size() > kIntMax)
    throw std::invalid_argument(field("filter_h*filter_w*in_c*out_c", g.filter_size(), "is too large"));
  if (g.x_size() > kIntMax)
    throw std::invalid_argument(field("batch*in_h*in_w*in_c", g.x_size(), "is too large"));
  if (g.y_size() > kIntMax)
    throw std::invalid_argument(field("batch*out_h*out_w*out_c", g.y_size(), "is too large"));
  // Window positions are computed in int.
  if (static_cast<int64_t>(g.out_h) * g.stride_h + g.filter_h > kIntMax ||
      static_cast<int64_t>(g.out_w) * g.stride_w + g.filter_w > kIntMax)
    throw std::invalid_argument("conv2d geometry: out_h*stride_h or out_w*stride_w is too large");
}

void conv2d_forward(const Conv2DGeometry& g, const float* x, const float* filter, const float* bias,
                    bool relu, float* y, ThreadPool* pool) {
  const int K = static_cast<int>(g.patch()), N = g.out_c;
  const int64_t M = g.rows();
  GemmEpilogue<float> ep;
  ep.bias = bias;
  ep.activate = relu;
  ep.activation = Activation::Relu;
  const GemmEpilogue<float>* epp = bias || relu ? &ep : nullptr;
  if (is_pointwise(g)) {
    sgemm(false, false, static_cast<int>(M), N, K, 1.0f, x, K, filter, N, 0.0f, y, N, pool, epp);
    return;
  }
  const int R = forward_chunk_rows(K);
  const int64_t chunks = (M + R - 1) / R;
  detail::parallel_for(pool, chunks, [&](int64_t c) {
    const int64_t r0 = c * R;
    const int rows = static_cast<int>(std::min<int64_t>(R, M - r0));
    float* cols = detail::scratch<float, 0>(static_cast<std::size_t>(R) * K);
    im2col_rows(g, x, r0, rows, cols);
    // Single-threaded GEMM: the chunks are the parallel units here.
    float* yc = y + r0 * N;
    sgemm(false, false, rows, N, K, 1.0f, cols, K, filter, N, 0.0f, yc, N, nullptr);
    // Bias and relu on the chunk while it is in cache: the GEMM epilogue's
    // arithmetic (c + bias, then c < 0 ? 0 : c) in one loop instead of a
    // call per tile row (which costs more than the conv of a 1-channel input).
    if (bias || relu) {
      for (int i = 0; i < rows; ++i) {
        float* row = yc + static_cast<ptrdiff_t>(i) * N;
        if (bias)
          for (int j = 0; j < N; ++j) row[j] += bias[j];
        if (relu)
          for (int j = 0; j < N; ++j) row[j] = row[j] < 0.0f ? 0.0f : row[j];
      }
    }
  });
}

void conv2d_backprop_filter(const Conv2DGeometry& g, const float* x, const float* dy,
                            float* dfilter, ThreadPool* pool) {
  const int K = static_cast<int>(g.patch()), N = g.out_c;
  const int64_t M = g.rows();
  const bool pointwise = is_pointwise(g);
  const int R = filter_chunk_rows(K);
  const int64_t chunks = (M + R - 1) / R;
  const int64_t groups = std::min(chunks, kFilterGroups);
  const std::size_t part = static_cast<std::size_t>(K) * N;
  // Group 0 sums straight into dfilter, the others into partial buffers (the
  // calling thread's scratch, written by whichever thread runs the group).
  float* partial = detail::scratch<float, 2>(static_cast<std::size_t>(groups - 1) * part + 1);
  detail::parallel_for(pool, groups, [&](int64_t gi) {
    float* dst = gi == 0 ? dfilter : partial + static_cast<std::size_t>(gi - 1) * part;
    const int64_t c0 = gi * chunks / groups, c1 = (gi + 1) * chunks / groups;
    float* cols = pointwise ? nullptr : detail::scratch<float, 0>(static_cast<std::size_t>(R) * K);
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t r0 = c * R;
      const int rows = static_cast<int>(std::min<int64_t>(R, M - r0));
      const float* a = x + r0 * K;
      if (!pointwise) {
        im2col_rows(g, x, r0, rows, cols);
        a = cols;
      }
      // dst (K × N) (+)= colsᵀ · dy[r0 .. r0 + rows).
      sgemm(true, false, K, N, rows, 1.0f, a, K, dy + r0 * N, N, c == c0 ? 0.0f : 1.0f, dst, N,
            nullptr);
    }
  });
  if (groups == 1) return;
  // dfilter += partial[1] + partial[2] + … in group order, element by element.
  const int64_t total = static_cast<int64_t>(part);
  const int64_t grain = 16384;
  detail::parallel_for(pool, detail::pieces(total, grain), [&](int64_t p) {
    const int64_t e0 = p * grain, e1 = std::min(total, e0 + grain);
    for (int64_t gi = 1; gi < groups; ++gi) {
      const float* src = partial + static_cast<std::size_t>(gi - 1) * part;
      for (int64_t e = e0; e < e1; ++e) dfilter[e] += src[e];
    }
  });
}

void conv2d_backprop_input(const Conv2DGeometry& g, const float* dy, const float* filter,
                           float* dx, ThreadPool* pool) {
  const int K = static_cast<int>(g.patch()), N = g.out_c;
  if (g.stride_h == 1 && g.stride_w == 1 && g.pad_top < g.filter_h && g.pad_left < g.filter_w &&
      !is_pointwise(g)) {
    // Stride 1: dx is the forward convolution of dy (zero outside) with the
    // filter turned by 180° and its channels swapped (HWOI -> HWIO), padded
    // by filter - 1 - pad: the fast forward path, and no col2im.
    Conv2DGeometry t = g;
    t.in_h = g.out_h;
    t.in_w = g.out_w;
    t.in_c = g.out_c;
    t.out_c = g.in_c;
    t.out_h = g.in_h;
    t.out_w = g.in_w;
    t.pad_top = g.filter_h - 1 - g.pad_top;
    t.pad_left = g.filter_w - 1 - g.pad_left;
    float* turned = detail::scratch<float, 3>(static_cast<std::size_t>(g.filter_size()));
    for (int kh = 0; kh < g.filter_h; ++kh)
      for (int kw = 0; kw < g.filter_w; ++kw) {
        const float* src = filter + (static_cast<ptrdiff_t>(kh) * g.filter_w + kw) * g.in_c * N;
        float* dst = turned + (static_cast<ptrdiff_t>(g.filter_h - 1 - kh) * g.filter_w +
                               (g.filter_w - 1 - kw)) * N * g.in_c;
        for (int ci = 0; ci < g.in_c; ++ci)
          for (int co = 0; co < N; ++co)
            dst[static_cast<ptrdiff_t>(co) * g.in_c + ci] = src[static_cast<ptrdiff_t>(ci) * N + co];
      }
    conv2d_forward(t, dy, turned, nullptr, false, dx, pool);
    return;
  }
  if (is_pointwise(g)) {
    // dx = dy · filterᵀ (filter is stored K × N).
    sgemm(false, true, static_cast<int>(g.rows()), K, N, 1.0f, dy, N, filter, N, 0.0f, dx, K, pool);
    return;
  }
  const ptrdiff_t x_image = static_cast<ptrdiff_t>(g.in_h) * g.in_w * g.in_c;
  const ptrdiff_t y_image = static_cast<ptrdiff_t>(g.out_h) * g.out_w * N;
  // Output rows per chunk: about 128 KiB of patch gradients, at least one row.
  const int rows_per_chunk = static_cast<int>(
      std::clamp<int64_t>(32768 / (static_cast<int64_t>(g.out_w) * K), 1, g.out_h));
  const int threads = pool ? pool->size() : 1;
  // Images are the units when there are enough of them; otherwise the images
  // go one after the other and each GEMM uses the pool (same results: the
  // GEMM's do not depend on its thread count).
  const bool by_image = g.batch >= threads;
  auto image = [&](int64_t b, ThreadPool* gemm_pool) {
    float* dxb = dx + b * x_image;
    std::memset(dxb, 0, sizeof(float) * x_image);
    float* cols = detail::scratch<float, 1>(static_cast<std::size_t>(rows_per_chunk) * g.out_w * K);
    for (int oh0 = 0; oh0 < g.out_h; oh0 += rows_per_chunk) {
      const int nrows = std::min(rows_per_chunk, g.out_h - oh0);
      const int m = nrows * g.out_w;
      sgemm(false, true, m, K, N, 1.0f, dy + b * y_image + static_cast<ptrdiff_t>(oh0) * g.out_w * N,
            N, filter, N, 0.0f, cols, K, gemm_pool);
      col2im_add_rows(g, cols, oh0, nrows, dxb);
    }
  };
  if (by_image) {
    detail::parallel_for(pool, g.batch, [&](int64_t b) { image(b, nullptr); });
  } else {
    for (int64_t b = 0; b < g.batch; ++b) image(b, pool);
  }
}

// ---------------------------------------------------------------------------
// References: the definitions, in double.
// ---------------------------------------------------------------------------

namespace {
// x[b, ih, iw, c] or nullptr when (ih, iw) is in the padding.
inline const float* x_at(const Conv2DGeometry& g, const float* x, int b, int ih, int iw) {
  if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) return nullptr;
  return x + ((static_cast<ptrdiff_t>(b) * g.in_h + ih) * g.in_w + iw) * g.in_c;
}
inline ptrdiff_t w_index(const Conv2DGeometry& g, int kh, int kw, int ci, int co) {
  return ((static_cast<ptrdiff_t>(kh) * g.filter_w + kw) * g.in_c + ci) * g.out_c + co;
}
inline ptrdiff_t y_index(const Conv2DGeometry& g, int b, int oh, int ow, int co) {
  return ((static_cast<ptrdiff_t>(b) * g.out_h + oh) * g.out_w + ow) * g.out_c + co;
}
}  // namespace

void conv2d_forward_reference(const Conv2DGeometry& g, const float* x, const float* filter,
                              const float* bias, bool relu, float* y) {
  for (int b = 0; b < g.batch; ++b)
    for (int oh = 0; oh < g.out_h; ++oh)
      for (int ow = 0; ow < g.out_w; ++ow)
        for (int co = 0; co < g.out_c; ++co) {
          double s = 0;
          for (int kh = 0; kh < g.filter_h; ++kh)
            for (int kw = 0; kw < g.filter_w; ++kw) {
              const float* px = x_at(g, x, b, oh * g.stride_h - g.pad_top + kh,
                                     ow * g.stride_w - g.pad_left + kw);
              if (!px) continue;
              for (int ci = 0; ci < g.in_c; ++ci)
                s += static_cast<double>(px[ci]) * filter[w_index(g, kh, kw, ci, co)];
            }
          float v = static_cast<float>(s);
          if (bias) v += bias[co];
          if (relu && v < 0) v = 0;
          y[y_index(g, b, oh, ow, co)] = v;
        }
}

void conv2d_backprop_filter_reference(const Conv2DGeometry& g, const float* x, const float* dy,
                                      float* dfilter) {
  for (int kh = 0; kh < g.filter_h; ++kh)
    for (int kw = 0; kw < g.filter_w; ++kw)
      for (int ci = 0; ci < g.in_c; ++ci)
        for (int co = 0; co < g.out_c; ++co) {
          double s = 0;
          for (int b = 0; b < g.batch; ++b)
            for (int oh = 0; oh < g.out_h; ++oh)
              for (int ow = 0; ow < g.out_w; ++ow) {
                const float* px = x_at(g, x, b, oh * g.stride_h - g.pad_top + kh,
                                       ow * g.stride_w - g.pad_left + kw);
                if (px) s += static_cast<double>(px[ci]) * dy[y_index(g, b, oh, ow, co)];
              }
          dfilter[w_index(g, kh, kw, ci, co)] = static_cast<float>(s);
        }
}

void conv2d_backprop_input_reference(const Conv2DGeometry& g, const float* dy, const float* filter,
                                     float* dx) {
  std::vector<double> acc(static_cast<std::size_t>(g.x_size()), 0.0);
  for (int b = 0; b < g.batch; ++b)
    for (int oh = 0; oh < g.out_h; ++oh)
      for (int ow = 0; ow < g.out_w; ++ow)
        for (int kh = 0; kh < g.filter_h; ++kh)
          for (int kw = 0; kw < g.filter_w; ++kw) {
            const int ih = oh * g.stride_h - g.pad_top + kh, iw = ow * g.stride_w - g.pad_left + kw;
            if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) continue;
            const ptrdiff_t xo = ((static_cast<ptrdiff_t>(b) * g.in_h + ih) * g.in_w + iw) * g.in_c;
            for (int ci = 0; ci < g.in_c; ++ci)
              for (int co = 0; co < g.out_c; ++co)
                acc[xo + ci] += static_cast<double>(dy[y_index(g, b, oh, ow, co)]) *
                                filter[w_index(g, kh, kw, ci, co)];
          }
  for (std::size_t i = 0; i < acc.size(); ++i) dx[i] = static_cast<float>(acc[i]);
}

}  // namespace hs
