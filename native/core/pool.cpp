#include "core/pool.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/parallel.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace hs {

namespace {

using std::int64_t;
using std::ptrdiff_t;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// The window of output (oh, ow) clipped to the image: rows [h0, h1), columns [w0, w1).
struct Window {
  int h0, h1, w0, w1;
};
inline Window window(const Pool2DGeometry& g, int oh, int ow) {
  const int ih = oh * g.stride_h - g.pad_top, iw = ow * g.stride_w - g.pad_left;
  return {std::max(0, ih), std::min(g.in_h, ih + g.filter_h), std::max(0, iw),
          std::min(g.in_w, iw + g.filter_w)};
}

}  // namespace

void validate(const Pool2DGeometry& g) {
  const struct {
    const char* name;
    int v;
  } positive[] = {{"batch", g.batch},       {"in_h", g.in_h},         {"in_w", g.in_w},
                  {"channels", g.channels}, {"filter_h", g.filter_h}, {"filter_w", g.filter_w},
                  {"stride_h", g.stride_h}, {"stride_w", g.stride_w}, {"out_h", g.out_h},
                  {"out_w", g.out_w}};
  for (const auto& f : positive)
    if (f.v < 1)
      throw std::invalid_argument(std::string("pool2d geometry: ") + f.name + " = " +
                                  std::to_string(f.v) + " must be >= 1");
  if (g.pad_top < 0 || g.pad_left < 0)
    throw std::invalid_argument("pool2d geometry: pad_top and pad_left must be >= 0");
  constexpr int64_t kIntMax = std::numeric_limits<int>::max();
  // Offsets inside one image are computed in int.
  if (static_cast<int64_t>(g.in_h) * g.in_w * g.channels > kIntMax)
    throw std::invalid_argument("pool2d geometry: in_h*in_w*channels is too large");
  if (static_cast<int64_t>(g.out_h) * g.stride_h + g.filter_h > kIntMax ||
      static_cast<int64_t>(g.out_w) * g.stride_w + g.filter_w > kIntMax)
    throw std::invalid_argument("pool2d geometry: out_h*stride_h or out_w*stride_w is too large");
}

void max_pool(const Pool2DGeometry& g, const float* x, float* y, ThreadPool* pool) {
  const int C = g.channels;
  const ptrdiff_t image = static_cast<ptrdiff_t>(g.in_h) * g.in_w * C;
  // Unit: one output row of one image.
  detail::parallel_for(pool, static_cast<int64_t>(g.batch) * g.out_h, [&](int64_t u) {
    const int64_t b = u / g.out_h;
    const int oh = static_cast<int>(u % g.out_h);
    const float* xb = x + b * image;
    float* yr = y + u * g.out_w * C;
    for (int ow = 0; ow < g.out_w; ++ow) {
      float* m = yr + static_cast<ptrdiff_t>(ow) * C;
      for (int c = 0; c < C; ++c) m[c] = kNegInf;
      const Window w = window(g, oh, ow);
      for (int ih = w.h0; ih < w.h1; ++ih)
        for (int iw = w.w0; iw < w.w1; ++iw) {
          const float* v = xb + (static_cast<ptrdiff_t>(ih) * g.in_w + iw) * C;
          // v > m ? v : m — exactly maxps(v, m): NaN in v never wins.
          for (int c = 0; c < C; ++c) m[c] = v[c] > m[c] ? v[c] : m[c];
        }
    }
  });
}

namespace {

// Channels handled together: short fixed-length loops the compiler vectorises.
constexpr int kLanes = 8;

// Window (oh, ow) of image xb: for channels [c0, c0 + n), the offset in xb
// (without the channel) of the first maximum, or -1. n <= kLanes.
inline void window_argmax(const Pool2DGeometry& g, const float* xb, const Window& w, int c0, int n,
                          int* arg) {
  const int C = g.channels;
#if defined(__SSE2__)
  if (n == kLanes) {
    // v > best picks v (and its offset): cmpgt is false for NaN, as in tfjs.
    __m128 b0 = _mm_set1_ps(kNegInf), b1 = b0;
    __m128i a0 = _mm_set1_epi32(-1), a1 = a0;
    for (int ih = w.h0; ih < w.h1; ++ih)
      for (int iw = w.w0; iw < w.w1; ++iw) {
        const int off = (ih * g.in_w + iw) * C;
        const __m128 v0 = _mm_loadu_ps(xb + off + c0), v1 = _mm_loadu_ps(xb + off + c0 + 4);
        const __m128 m0 = _mm_cmpgt_ps(v0, b0), m1 = _mm_cmpgt_ps(v1, b1);
        const __m128i o = _mm_set1_epi32(off);
        b0 = _mm_or_ps(_mm_and_ps(m0, v0), _mm_andnot_ps(m0, b0));
        b1 = _mm_or_ps(_mm_and_ps(m1, v1), _mm_andnot_ps(m1, b1));
        const __m128i i0 = _mm_castps_si128(m0), i1 = _mm_castps_si128(m1);
        a0 = _mm_or_si128(_mm_and_si128(i0, o), _mm_andnot_si128(i0, a0));
        a1 = _mm_or_si128(_mm_and_si128(i1, o), _mm_andnot_si128(i1, a1));
      }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(arg), a0);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(arg + 4), a1);
    return;
  }
#endif
  float best[kLanes];
  for (int k = 0; k < n; ++k) {
    best[k] = kNegInf;
    arg[k] = -1;
  }
  for (int ih = w.h0; ih < w.h1; ++ih)
    for (int iw = w.w0; iw < w.w1; ++iw) {
      const int off = (ih * g.in_w + iw) * C;
      const float* v = xb + off + c0;
      for (int k = 0; k < n; ++k) {
        if (v[k] > best[k]) {
          best[k] = v[k];
          arg[k] = off;
        }
      }
    }
}

}  // namespace

void max_pool_grad(const Pool2DGeometry& g, const float* dy, const float* x, float* dx,
                   ThreadPool* pool) {
  const int C = g.channels;
  const ptrdiff_t image = static_cast<ptrdiff_t>(g.in_h) * g.in_w * C;
  const ptrdiff_t out_image = static_cast<ptrdiff_t>(g.out_h) * g.out_w * C;
  // Windows that tile the image exactly (pool 2, stride 2 on even sizes):
  // every dx element belongs to one window, which writes it directly.
  const bool tiles = g.pad_top == 0 && g.pad_left == 0 && g.stride_h == g.filter_h &&
                     g.stride_w == g.filter_w && g.out_h * g.stride_h == g.in_h &&
                     g.out_w * g.stride_w == g.in_w;
  // Unit: one image (windows of different images never share a dx element).
  detail::parallel_for(pool, g.batch, [&](int64_t b) {
    const float* xb = x + b * image;
    const float* dyb = dy + b * out_image;
    float* dxb = dx + b * image;
    // Overlapping or partial windows: sums in double, in window order, as
    // tfjs accumulates each dx element (then one rounding to float).
    double* acc = tiles ? nullptr : detail::scratch<double, 2>(static_cast<std::size_t>(image));
    if (!tiles) std::fill(acc, acc + image, 0.0);
    int arg[kLanes];
    for (int oh = 0; oh < g.out_h; ++oh)
      for (int ow = 0; ow < g.out_w; ++ow) {
        const Window w = window(g, oh, ow);
        const float* d = dyb + (static_cast<ptrdiff_t>(oh) * g.out_w + ow) * C;
        for (int c0 = 0; c0 < C; c0 += kLanes) {
          const int n = std::min(kLanes, C - c0);
#if defined(__SSE2__)
          if (tiles && n == kLanes) {
            // The window's maximum m (maxps(v, m) keeps m when v is NaN, as
            // tfjs's strict > does), then the first element equal to m gets
            // 0 + dy, every other 0; no element when m is -inf.
            const __m128 ninf = _mm_set1_ps(kNegInf);
            __m128 m0 = ninf, m1 = ninf;
            for (int ih = w.h0; ih < w.h1; ++ih)
              for (int iw = w.w0; iw < w.w1; ++iw) {
                const float* v = xb + (ih * g.in_w + iw) * C + c0;
                m0 = _mm_max_ps(_mm_loadu_ps(v), m0);
                m1 = _mm_max_ps(_mm_loadu_ps(v + 4), m1);
              }
            // "found" starts true where m is -inf: nothing gets the gradient.
            __m128 f0 = _mm_cmpeq_ps(m0, ninf), f1 = _mm_cmpeq_ps(m1, ninf);
            const __m128 zero = _mm_setzero_ps();
            const __m128 d0 = _mm_add_ps(zero, _mm_loadu_ps(d + c0));
            const __m128 d1 = _mm_add_ps(zero, _mm_loadu_ps(d + c0 + 4));
            for (int ih = w.h0; ih < w.h1; ++ih)
              for (int iw = w.w0; iw < w.w1; ++iw) {
                const int off = (ih * g.in_w + iw) * C + c0;
                const __m128 e0 = _mm_andnot_ps(f0, _mm_cmpeq_ps(_mm_loadu_ps(xb + off), m0));
                const __m128 e1 = _mm_andnot_ps(f1, _mm_cmpeq_ps(_mm_loadu_ps(xb + off + 4), m1));
                f0 = _mm_or_ps(f0, e0);
                f1 = _mm_or_ps(f1, e1);
                _mm_storeu_ps(dxb + off, _mm_and_ps(e0, d0));
                _mm_storeu_ps(dxb + off + 4, _mm_and_ps(e1, d1));
              }
            continue;
          }
#endif
          window_argmax(g, xb, w, c0, n, arg);
          if (tiles) {
            // 0 + dy, not dy: the same value as the sum below (-0 becomes +0).
            for (int ih = w.h0; ih < w.h1; ++ih)
              for (int iw = w.w0; iw < w.w1; ++iw) {
                const int off = (ih * g.in_w + iw) * C;
                float* o = dxb + off + c0;
                for (int k = 0; k < n; ++k) o[k] = arg[k] == off ? 0.0f + d[c0 + k] : 0.0f;
              }
          } else {
            for (int k = 0; k < n; ++k)
              if (arg[k] >= 0) acc[arg[k] + c0 + k] += d[c0 + k];
          }
        }
      }
    if (!tiles)
      for (ptrdiff_t i = 0; i < image; ++i) dxb[i] = static_cast<float>(acc[i]);
  });
}

void max_pool_reference(const Pool2DGeometry& g, const float* x, float* y) {
  const int C = g.channels;
  for (int b = 0; b < g.batch; ++b)
    for (int oh = 0; oh < g.out_h; ++oh)
      for (int ow = 0; ow < g.out_w; ++ow)
        for (int c = 0; c < C; ++c) {
          float m = kNegInf;
          for (int kh = 0; kh < g.filter_h; ++kh)
            for (int kw = 0; kw < g.filter_w; ++kw) {
              const int ih = oh * g.stride_h - g.pad_top + kh, iw = ow * g.stride_w - g.pad_left + kw;
              if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) continue;
              const float v = x[((static_cast<ptrdiff_t>(b) * g.in_h + ih) * g.in_w + iw) * C + c];
              if (v > m) m = v;
            }
          y[((static_cast<ptrdiff_t>(b) * g.out_h + oh) * g.out_w + ow) * C + c] = m;
        }
}

void max_pool_grad_reference(const Pool2DGeometry& g, const float* dy, const float* x, float* dx) {
  const int C = g.channels;
  std::vector<double> acc(static_cast<std::size_t>(g.x_size()), 0.0);
  for (int b = 0; b < g.batch; ++b)
    for (int oh = 0; oh < g.out_h; ++oh)
      for (int ow = 0; ow < g.out_w; ++ow)
        for (int c = 0; c < C; ++c) {
          float m = kNegInf;
          ptrdiff_t at = -1;
          for (int kh = 0; kh < g.filter_h; ++kh)
            for (int kw = 0; kw < g.filter_w; ++kw) {
              const int ih = oh * g.stride_h - g.pad_top + kh, iw = ow * g.stride_w - g.pad_left + kw;
              if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) continue;
              const ptrdiff_t i = ((static_cast<ptrdiff_t>(b) * g.in_h + ih) * g.in_w + iw) * C + c;
              if (x[i] > m) {
                m = x[i];
                at = i;
              }
            }
          if (at >= 0) acc[at] += dy[((static_cast<ptrdiff_t>(b) * g.out_h + oh) * g.out_w + ow) * C + c];
        }
  for (std::size_t i = 0; i < acc.size(); ++i) dx[i] = static_cast<float>(acc[i]);
}

}  // namespace hs
