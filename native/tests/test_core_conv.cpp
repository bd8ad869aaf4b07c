// The tfjs kernels of the native core (conv, pool, element-wise, batched
// matmul) against plain references, on random geometries (strides, paddings,
// odd sizes, 1×1 filters, one and many channels), and bit-identical results
// for pools of 1, 2 and 3 threads and no pool at all.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "core/conv.h"
#include "core/conv_matmul.h"
#include "core/elementwise.h"
#include "core/gemm.h"
#include "core/pool.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "test_util.h"

using hs::Conv2DGeometry;
using hs::Pool2DGeometry;
using hs::ThreadPool;

namespace {

constexpr double kU = 1.0 / (1 << 24);  // unit roundoff of float32

hs::Rng& rng() {
  static hs::Rng r(20240611, 7);
  return r;
}
int uniform_int(int lo, int hi) { return lo + static_cast<int>(rng().below(hi - lo + 1)); }

std::vector<float> random_vector(std::int64_t n, float lo = -1, float hi = 1) {
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = lo + static_cast<float>(rng().uniform()) * (hi - lo);
  return v;
}
std::vector<float> abs_of(const std::vector<float>& v) {
  std::vector<float> a(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) a[i] = std::fabs(v[i]);
  return a;
}
bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// The pools every kernel runs on: its results must not depend on which.
struct Pools {
  ThreadPool one{1}, two{2}, three{3};
  ThreadPool* at(int i) { return i == 0 ? nullptr : i == 1 ? &one : i == 2 ? &two : &three; }
};
Pools& pools() {
  static Pools p;
  return p;
}

// Output size along one axis for padding before/after, as tfjs computes it.
int out_size(int in, int filter, int stride, int before, int after) {
  return (in + before + after - filter) / stride + 1;
}

Conv2DGeometry random_conv(int max_batch, int max_hw) {
  for (;;) {
    Conv2DGeometry g;
    g.batch = uniform_int(1, max_batch);
    g.in_h = uniform_int(1, max_hw);
    g.in_w = uniform_int(1, max_hw);
    static const int channels[] = {1, 2, 3, 5, 8, 16, 17};
    g.in_c = channels[uniform_int(0, 6)];
    g.out_c = channels[uniform_int(0, 6)] + (uniform_int(0, 3) == 0 ? 16 : 0);
    g.filter_h = uniform_int(1, 5);
    g.filter_w = uniform_int(1, 5);
    g.stride_h = uniform_int(1, 3);
    g.stride_w = uniform_int(1, 3);
    g.pad_top = uniform_int(0, g.filter_h - 1);
    g.pad_left = uniform_int(0, g.filter_w - 1);
    const int pad_bottom = uniform_int(0, g.filter_h - 1), pad_right = uniform_int(0, g.filter_w - 1);
    g.out_h = out_size(g.in_h, g.filter_h, g.stride_h, g.pad_top, pad_bottom);
    g.out_w = out_size(g.in_w, g.filter_w, g.stride_w, g.pad_left, pad_right);
    if (g.in_h + g.pad_top + pad_bottom < g.filter_h || g.in_w + g.pad_left + pad_right < g.filter_w)
      continue;
    if (g.out_h >= 1 && g.out_w >= 1) return g;
  }
}

void describe(const Conv2DGeometry& g, char* buf, std::size_t n) {
  std::snprintf(buf, n, "b%d %dx%dx%d f%dx%d->%d s%d,%d p%d,%d out %dx%d", g.batch, g.in_h, g.in_w,
                g.in_c, g.filter_h, g.filter_w, g.out_c, g.stride_h, g.stride_w, g.pad_top,
                g.pad_left, g.out_h, g.out_w);
}

// |got - want| <= terms·u·scale + tiny, element by element: `scale` is the sum
// of absolute products (the reference run on |inputs|), `terms` the length of
// the sums, so the bound is that of a float32 sum in any order.
bool within(const std::vector<float>& got, const std::vector<float>& want,
            const std::vector<float>& scale, double terms, const char* what, const char* geom) {
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double tol = (terms + 2) * kU * scale[i] + 1e-30;
    if (!(std::fabs(static_cast<double>(got[i]) - want[i]) <= tol)) {
      std::fprintf(stderr, "  %s %s: element %zu: got %.9g want %.9g (tol %.3g)\n", what, geom, i,
                   got[i], want[i], tol);
      return false;
    }
  }
  return true;
}

void check_conv(const Conv2DGeometry& g) {
  char geom[160];
  describe(g, geom, sizeof geom);
  hs::validate(g);
  const auto x = random_vector(g.x_size());
  const auto w = random_vector(g.filter_size());
  const auto bias = random_vector(g.out_c);
  const auto dy = random_vector(g.y_size());
  const auto ax = abs_of(x), aw = abs_of(w), ab = abs_of(bias), ady = abs_of(dy);
  const double K = static_cast<double>(g.patch());

  // Forward, plain and fused (bias + relu), every pool.
  for (int fused = 0; fused < 2; ++fused) {
    const float* b = fused ? bias.data() : nullptr;
    std::vector<float> want(g.y_size()), scale(g.y_size());
    hs::conv2d_forward_reference(g, x.data(), w.data(), b, fused, want.data());
    hs::conv2d_forward_reference(g, ax.data(), aw.data(), fused ? ab.data() : nullptr, false,
                                 scale.data());
    std::vector<float> first;
    for (int p = 0; p < 4; ++p) {
      std::vector<float> y(g.y_size(), std::numeric_limits<float>::quiet_NaN());
      hs::conv2d_forward(g, x.data(), w.data(), b, fused, y.data(), pools().at(p));
      if (p == 0) {
        HS_CHECK(within(y, want, scale, K, fused ? "forward+bias+relu" : "forward", geom), "%s", geom);
        first = y;
      } else {
        HS_CHECK(same_bits(y, first), "forward differs with pool %d: %s", p, geom);
      }
    }
  }
  // Filter gradient: sums over batch·out_h·out_w pixels.
  {
    std::vector<float> want(g.filter_size()), scale(g.filter_size());
    hs::conv2d_backprop_filter_reference(g, x.data(), dy.data(), want.data());
    hs::conv2d_backprop_filter_reference(g, ax.data(), ady.data(), scale.data());
    std::vector<float> first;
    for (int p = 0; p < 4; ++p) {
      std::vector<float> dw(g.filter_size(), std::numeric_limits<float>::quiet_NaN());
      hs::conv2d_backprop_filter(g, x.data(), dy.data(), dw.data(), pools().at(p));
      if (p == 0) {
        HS_CHECK(within(dw, want, scale, static_cast<double>(g.rows()), "backprop filter", geom), "%s",
                 geom);
        first = dw;
      } else {
        HS_CHECK(same_bits(dw, first), "backprop filter differs with pool %d: %s", p, geom);
      }
    }
  }
  // Input gradient: sums of out_c products per patch entry, then up to
  // filter_h·filter_w of those per input pixel.
  {
    std::vector<float> want(g.x_size()), scale(g.x_size());
    hs::conv2d_backprop_input_reference(g, dy.data(), w.data(), want.data());
    hs::conv2d_backprop_input_reference(g, ady.data(), aw.data(), scale.data());
    std::vector<float> first;
    for (int p = 0; p < 4; ++p) {
      std::vector<float> dx(g.x_size(), std::numeric_limits<float>::quiet_NaN());
      hs::conv2d_backprop_input(g, dy.data(), w.data(), dx.data(), pools().at(p));
      if (p == 0) {
        HS_CHECK(within(dx, want, scale, g.out_c + g.filter_h * g.filter_w, "backprop input", geom),
                 "%s", geom);
        first = dx;
      } else {
        HS_CHECK(same_bits(dx, first), "backprop input differs with pool %d: %s", p, geom);
      }
    }
  }
}

void test_conv() {
  for (int i = 0; i < 150; ++i) check_conv(random_conv(3, 11));
  // 1×1, stride 1, no padding: the path without im2col.
  for (int i = 0; i < 10; ++i) {
    Conv2DGeometry g = random_conv(3, 9);
    g.filter_h = g.filter_w = g.stride_h = g.stride_w = 1;
    g.pad_top = g.pad_left = 0;
    g.out_h = g.in_h;
    g.out_w = g.in_w;
    check_conv(g);
  }
  // The light CNN's layers at a batch large enough for many chunks and all
  // 16 filter-gradient groups, and an 8×8 stride-2 layer on 3 channels.
  Conv2DGeometry conv1{24, 28, 28, 1, 3, 3, 32, 1, 1, 1, 1, 28, 28};
  Conv2DGeometry conv2{32, 14, 14, 32, 3, 3, 32, 1, 1, 1, 1, 14, 14};
  Conv2DGeometry big{2, 64, 64, 3, 8, 8, 16, 2, 2, 3, 3, 32, 32};
  check_conv(conv1);
  check_conv(conv2);
  check_conv(big);
  // Padding wider than the filter (explicit pads allow it): whole windows in
  // the padding, and the input gradient's col2im path at stride 1.
  check_conv(Conv2DGeometry{2, 5, 6, 3, 2, 3, 4, 1, 1, 3, 4, 8, 9});
  check_conv(Conv2DGeometry{1, 4, 4, 2, 3, 3, 5, 2, 1, 4, 3, 5, 8});
}

void test_conv_validate() {
  Conv2DGeometry g{1, 4, 4, 1, 3, 3, 2, 1, 1, 1, 1, 4, 4};
  bool threw = false;
  try {
    hs::validate(g);
  } catch (...) {
    threw = true;
  }
  HS_CHECK(!threw, "a valid geometry was rejected");
  g.stride_w = 0;
  threw = false;
  try {
    hs::validate(g);
  } catch (const std::invalid_argument& e) {
    threw = std::strstr(e.what(), "stride_w") != nullptr;
  }
  HS_CHECK(threw, "stride_w = 0 was not rejected by name");
  g.stride_w = 1;
  g.pad_top = -1;
  threw = false;
  try {
    hs::validate(g);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  HS_CHECK(threw, "a negative pad was not rejected");
}

// ---------------------------------------------------------------------------

void check_pool(const Pool2DGeometry& g, bool ties) {
  char geom[160];
  std::snprintf(geom, sizeof geom, "b%d %dx%dx%d f%dx%d s%d,%d p%d,%d out %dx%d", g.batch, g.in_h,
                g.in_w, g.channels, g.filter_h, g.filter_w, g.stride_h, g.stride_w, g.pad_top,
                g.pad_left, g.out_h, g.out_w);
  hs::validate(g);
  auto x = random_vector(g.x_size());
  if (ties) {
    // Few distinct values: many windows hold their maximum twice or more;
    // some NaN and -inf, which never win.
    for (auto& v : x) {
      const int k = uniform_int(0, 9);
      v = k == 0   ? std::numeric_limits<float>::quiet_NaN()
          : k == 1 ? -std::numeric_limits<float>::infinity()
          : k == 2 ? -0.0f
                   : static_cast<float>(uniform_int(-2, 2));
    }
  }
  const auto dy = random_vector(g.y_size());
  std::vector<float> want_y(g.y_size()), want_dx(g.x_size());
  hs::max_pool_reference(g, x.data(), want_y.data());
  hs::max_pool_grad_reference(g, dy.data(), x.data(), want_dx.data());
  for (int p = 0; p < 4; ++p) {
    std::vector<float> y(g.y_size(), 12345.0f), dx(g.x_size(), 12345.0f);
    hs::max_pool(g, x.data(), y.data(), pools().at(p));
    hs::max_pool_grad(g, dy.data(), x.data(), dx.data(), pools().at(p));
    // Same window order and the same float additions as the references: exact.
    HS_CHECK(same_bits(y, want_y), "max_pool (pool %d, ties %d): %s", p, ties, geom);
    HS_CHECK(same_bits(dx, want_dx), "max_pool_grad (pool %d, ties %d): %s", p, ties, geom);
  }
}

void test_pool() {
  for (int i = 0; i < 200; ++i) {
    Pool2DGeometry g;
    g.batch = uniform_int(1, 3);
    g.in_h = uniform_int(1, 13);
    g.in_w = uniform_int(1, 13);
    g.channels = uniform_int(0, 2) == 0 ? uniform_int(1, 3) : uniform_int(4, 40);
    g.filter_h = uniform_int(1, 4);
    g.filter_w = uniform_int(1, 4);
    g.stride_h = uniform_int(1, 3);
    g.stride_w = uniform_int(1, 3);
    g.pad_top = uniform_int(0, g.filter_h - 1);
    g.pad_left = uniform_int(0, g.filter_w - 1);
    const int pb = uniform_int(0, g.filter_h - 1), pr = uniform_int(0, g.filter_w - 1);
    if (g.in_h + g.pad_top + pb < g.filter_h || g.in_w + g.pad_left + pr < g.filter_w) continue;
    g.out_h = out_size(g.in_h, g.filter_h, g.stride_h, g.pad_top, pb);
    g.out_w = out_size(g.in_w, g.filter_w, g.stride_w, g.pad_left, pr);
    check_pool(g, i % 2 == 0);
  }
  // The light CNN's pools.
  check_pool(Pool2DGeometry{8, 28, 28, 32, 2, 2, 2, 2, 0, 0, 14, 14}, true);
  check_pool(Pool2DGeometry{8, 14, 14, 32, 2, 2, 2, 2, 0, 0, 7, 7}, false);

  // tfjs's rule on a hand-made window: the first of equal maxima gets the
  // gradient; NaN never wins; an all -inf window passes nothing.
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Pool2DGeometry g{1, 2, 6, 1, 2, 2, 2, 2, 0, 0, 1, 3};
  // windows: [1 3 / 3 0] -> first 3 (index 1); [nan 2 / 2 nan] -> index 3; [-inf -inf / -inf -inf]
  const std::vector<float> x = {1, 3, nan, 2, -inf, -inf, 3, 0, 2, nan, -inf, -inf};
  const std::vector<float> dyv = {10, 20, 30};
  std::vector<float> y(3), dx(12);
  hs::max_pool(g, x.data(), y.data(), nullptr);
  hs::max_pool_grad(g, dyv.data(), x.data(), dx.data(), nullptr);
  HS_CHECK(y[0] == 3 && y[1] == 2 && y[2] == -inf, "max_pool ties/NaN: %g %g %g", y[0], y[1], y[2]);
  const std::vector<float> want = {0, 10, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0};
  HS_CHECK(dx == want, "max_pool_grad: gradient not at the first maximum");
}

// ---------------------------------------------------------------------------

void test_elementwise() {
  const std::int64_t n = 3 * 70001;  // several units, odd length
  const auto a = random_vector(n), b = random_vector(n);
  // Lengths: full, scalar, repeating blocks (bias over channels), both ways.
  const std::int64_t lens[] = {n, 1, 3, 70001, 7};
  for (int op = 0; op < 3; ++op)
    for (std::int64_t al : lens)
      for (std::int64_t bl : lens) {
        if (n % al != 0 || n % bl != 0) continue;
        if (al != n && bl != n && !(al == 1 && bl == 1)) {
          bool threw = false;
          std::vector<float> out(n);
          try {
            hs::binary_op(static_cast<hs::BinaryOp>(op), a.data(), al, b.data(), bl, out.data(), n,
                          nullptr);
          } catch (const std::invalid_argument&) {
            threw = true;
          }
          HS_CHECK(threw, "binary_op accepted lengths %lld and %lld", (long long)al, (long long)bl);
          continue;
        }
        std::vector<float> want(n);
        for (std::int64_t i = 0; i < n; ++i) {
          const float u = a[i % al], v = b[i % bl];
          want[i] = op == 0 ? u + v : op == 1 ? u - v : u * v;
        }
        for (int p = 0; p < 4; ++p) {
          std::vector<float> out(n, -1.0f);
          hs::binary_op(static_cast<hs::BinaryOp>(op), a.data(), al, b.data(), bl, out.data(), n,
                        pools().at(p));
          HS_CHECK(same_bits(out, want), "binary_op %d lengths %lld/%lld pool %d", op, (long long)al,
                   (long long)bl, p);
        }
      }

  // relu and step on specials: NaN stays NaN, -0 gives +0 from relu.
  std::vector<float> x = random_vector(n);
  x[0] = std::numeric_limits<float>::quiet_NaN();
  x[1] = -0.0f;
  x[2] = 0.0f;
  x[3] = std::numeric_limits<float>::infinity();
  x[4] = -std::numeric_limits<float>::infinity();
  for (int p = 0; p < 4; ++p) {
    std::vector<float> r(n), s(n);
    hs::relu(x.data(), r.data(), n, pools().at(p));
    hs::step(x.data(), 0.25f, s.data(), n, pools().at(p));
    bool ok = std::isnan(r[0]) && std::isnan(s[0]) && !std::signbit(r[1]) && r[1] == 0 &&
              s[1] == 0.25f && s[2] == 0.25f && r[3] == x[3] && s[3] == 1 && r[4] == 0 && s[4] == 0.25f;
    for (std::int64_t i = 5; i < n; ++i) {
      ok = ok && r[i] == (x[i] > 0 ? x[i] : 0.0f) && s[i] == (x[i] > 0 ? 1.0f : 0.25f);
    }
    HS_CHECK(ok, "relu/step (pool %d)", p);
  }

  // reduce_sum: the double sum in order, rounded once.
  const std::int64_t shapes[][3] = {{1, 5000, 32}, {3, 7, 1}, {1, 200003, 1}, {4, 9, 37}, {2, 1, 5}, {5, 300, 16}, {2, 50, 300}, {1, 3000, 1000}};
  for (const auto& s : shapes) {
    const std::int64_t outer = s[0], reduce = s[1], inner = s[2];
    const auto v = random_vector(outer * reduce * inner);
    std::vector<float> want(outer * inner);
    for (std::int64_t o = 0; o < outer; ++o)
      for (std::int64_t i = 0; i < inner; ++i) {
        double acc = 0;
        for (std::int64_t r = 0; r < reduce; ++r) acc += v[(o * reduce + r) * inner + i];
        want[o * inner + i] = static_cast<float>(acc);
      }
    for (int p = 0; p < 4; ++p) {
      std::vector<float> y(outer * inner, -1.0f);
      hs::reduce_sum(v.data(), y.data(), outer, reduce, inner, pools().at(p));
      HS_CHECK(same_bits(y, want), "reduce_sum %lldx%lldx%lld pool %d", (long long)outer,
               (long long)reduce, (long long)inner, p);
    }
  }

  // gather, and its refusal of an index out of range (nothing written).
  {
    const std::int64_t outer = 3, dim = 11, slice = 29, count = 17;
    const auto v = random_vector(outer * dim * slice);
    std::vector<std::int32_t> idx(count);
    for (auto& i : idx) i = uniform_int(0, dim - 1);
    std::vector<float> want(outer * count * slice);
    for (std::int64_t o = 0; o < outer; ++o)
      for (std::int64_t i = 0; i < count; ++i)
        for (std::int64_t k = 0; k < slice; ++k)
          want[(o * count + i) * slice + k] = v[(o * dim + idx[i]) * slice + k];
    for (int p = 0; p < 4; ++p) {
      std::vector<float> out(want.size(), -1.0f);
      const bool ok = hs::gather(v.data(), outer, dim, slice, idx.data(), count, out.data(), pools().at(p));
      HS_CHECK(ok && same_bits(out, want), "gather pool %d", p);
    }
    for (std::int32_t bad : {-1, static_cast<std::int32_t>(dim)}) {
      idx[5] = bad;
      std::vector<float> out(want.size(), -1.0f);
      const bool ok = hs::gather(v.data(), outer, dim, slice, idx.data(), count, out.data(), nullptr);
      bool untouched = true;
      for (float f : out) untouched = untouched && f == -1.0f;
      HS_CHECK(!ok && untouched, "gather accepted index %d", bad);
    }
  }
}

// ---------------------------------------------------------------------------

void test_batch_matmul() {
  for (int t = 0; t < 40; ++t) {
    const int batch = uniform_int(1, 5);
    const int ba = uniform_int(0, 2) == 0 ? 1 : batch, bb = uniform_int(0, 2) == 0 ? 1 : batch;
    const int M = uniform_int(1, 40), N = uniform_int(1, 40), K = uniform_int(1, 70);
    const bool ta = uniform_int(0, 1), tb = uniform_int(0, 1), fused = uniform_int(0, 1);
    const int out_batch = std::max(ba, bb);
    const auto a = random_vector(static_cast<std::int64_t>(ba) * M * K);
    const auto b = random_vector(static_cast<std::int64_t>(bb) * K * N);
    const auto bias = random_vector(N);
    const auto aa = abs_of(a), abb = abs_of(b);
    std::vector<float> want(static_cast<std::size_t>(out_batch) * M * N), scale(want.size());
    for (int i = 0; i < out_batch; ++i) {
      const float* ai = a.data() + (ba == 1 ? 0 : static_cast<std::size_t>(i) * M * K);
      const float* bi = b.data() + (bb == 1 ? 0 : static_cast<std::size_t>(i) * K * N);
      float* wi = want.data() + static_cast<std::size_t>(i) * M * N;
      hs::gemm_reference<float>(ta, tb, M, N, K, 1.0f, ai, ta ? M : K, bi, tb ? K : N, 0.0f, wi, N);
      hs::gemm_reference<float>(ta, tb, M, N, K, 1.0f,
                                aa.data() + (ai - a.data()), ta ? M : K,
                                abb.data() + (bi - b.data()), tb ? K : N, 0.0f,
                                scale.data() + static_cast<std::size_t>(i) * M * N, N);
      if (fused)
        for (int r = 0; r < M; ++r)
          for (int j = 0; j < N; ++j) {
            float& v = wi[static_cast<std::size_t>(r) * N + j];
            v += bias[j];
            if (v < 0) v = 0;
            scale[static_cast<std::size_t>(i) * M * N + static_cast<std::size_t>(r) * N + j] +=
                std::fabs(bias[j]);
          }
    }
    std::vector<float> first;
    for (int p = 0; p < 4; ++p) {
      std::vector<float> out(want.size(), std::numeric_limits<float>::quiet_NaN());
      hs::batch_matmul(ba, bb, M, N, K, ta, tb, a.data(), b.data(), fused ? bias.data() : nullptr,
                       fused, out.data(), pools().at(p));
      char what[96];
      std::snprintf(what, sizeof what, "batch %d/%d %dx%dx%d ta%d tb%d fused%d", ba, bb, M, N, K, ta,
                    tb, fused);
      if (p == 0) {
        HS_CHECK(within(out, want, scale, K, "batch_matmul", what), "%s", what);
        first = out;
      } else {
        HS_CHECK(same_bits(out, first), "batch_matmul differs with pool %d: %s", p, what);
      }
    }
  }
  bool threw = false;
  float dummy[8] = {};
  try {
    hs::batch_matmul(2, 3, 1, 1, 1, false, false, dummy, dummy, nullptr, false, dummy, nullptr);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  HS_CHECK(threw, "batch_matmul accepted batch sizes 2 and 3");
}

}  // namespace

int main() {
  std::printf("gemm: %s\n", hs::gemm_simd());
  test_conv_validate();
  test_conv();
  test_pool();
  test_elementwise();
  test_batch_matmul();
  return hs_test::summary("test_core_conv");
}
