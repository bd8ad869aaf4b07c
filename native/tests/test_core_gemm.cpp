// GEMM against the naive reference on odd shapes, all transposes, alpha/beta,
// padded leading dimensions; bit-identity across runs and thread counts; the
// position-independence (symmetry) that the MLP's zero-init test relies on;
// the transposed computation of narrow C gives the direct computation's bits;
// the AVX-512 kernels give the AVX2 kernels' bits.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "core/activation.h"
#include "core/gemm.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "test_util.h"

using hs::ThreadPool;

namespace {

struct Case {
  int M, N, K;
};

template <typename T>
struct Problem {
  bool ta, tb;
  int M, N, K, lda, ldb, ldc;
  std::vector<T> A, B, C0;
  std::vector<double> prod;     // Σ_k op(A)_ik·op(B)_kj in double (the reference's sum)
  std::vector<double> absprod;  // Σ_k |op(A)_ik·op(B)_kj|, for the error bound
};

template <typename T>
Problem<T> make_problem(bool ta, bool tb, int M, int N, int K, int pad, uint64_t seed) {
  Problem<T> p;
  p.ta = ta;
  p.tb = tb;
  p.M = M;
  p.N = N;
  p.K = K;
  const int a_rows = ta ? K : M, a_cols = ta ? M : K;
  const int b_rows = tb ? N : K, b_cols = tb ? K : N;
  p.lda = a_cols + pad;
  p.ldb = b_cols + pad;
  p.ldc = N + pad;
  hs::Rng rng(seed, 1);
  p.A.resize(static_cast<size_t>(a_rows) * p.lda);
  p.B.resize(static_cast<size_t>(b_rows) * p.ldb);
  p.C0.resize(static_cast<size_t>(M) * p.ldc);
  for (auto& v : p.A) v = static_cast<T>(rng.uniform() * 2 - 1);
  for (auto& v : p.B) v = static_cast<T>(rng.uniform() * 2 - 1);
  for (auto& v : p.C0) v = static_cast<T>(rng.uniform() * 2 - 1);
  std::vector<double> absA(p.A.size()), absB(p.B.size()), dA(p.A.size()), dB(p.B.size());
  for (size_t i = 0; i < p.A.size(); ++i) absA[i] = std::fabs(dA[i] = static_cast<double>(p.A[i]));
  for (size_t i = 0; i < p.B.size(); ++i) absB[i] = std::fabs(dB[i] = static_cast<double>(p.B[i]));
  p.prod.assign(static_cast<size_t>(M) * p.ldc, 0.0);
  p.absprod.assign(static_cast<size_t>(M) * p.ldc, 0.0);
  hs::gemm_reference<double>(ta, tb, M, N, K, 1.0, dA.data(), p.lda, dB.data(), p.ldb, 0.0,
                             p.prod.data(), p.ldc);
  hs::gemm_reference<double>(ta, tb, M, N, K, 1.0, absA.data(), p.lda, absB.data(), p.ldb, 0.0,
                             p.absprod.data(), p.ldc);
  return p;
}

// |alpha|·Σ_k |a_ik b_kj| + |beta c_ij|: the scale of the rounding error bound.
template <typename T>
double magnitude(const Problem<T>& p, int i, int j, double alpha, double beta) {
  const size_t at = static_cast<size_t>(i) * p.ldc + j;
  return std::fabs(alpha) * p.absprod[at] + std::fabs(beta * p.C0[at]);
}

template <typename T>
bool check_against_reference(const Problem<T>& p, T alpha, T beta, ThreadPool* pool,
                             const char* what) {
  std::vector<T> C = p.C0, R = p.C0;
  // beta == 0 must not read C: poison it.
  if (beta == T(0)) {
    for (int i = 0; i < p.M; ++i)
      for (int j = 0; j < p.N; ++j) C[static_cast<size_t>(i) * p.ldc + j] = std::numeric_limits<T>::quiet_NaN();
  }
  hs::gemm<T>(p.ta, p.tb, p.M, p.N, p.K, alpha, p.A.data(), p.lda, p.B.data(), p.ldb, beta, C.data(),
              p.ldc, pool);
  // The reference, alpha·Σ + beta·c in double, from the sums computed once per problem.
  for (int i = 0; i < p.M; ++i)
    for (int j = 0; j < p.N; ++j) {
      const size_t at = static_cast<size_t>(i) * p.ldc + j;
      const double prior = beta == T(0) ? 0.0 : static_cast<double>(beta) * p.C0[at];
      R[at] = static_cast<T>(static_cast<double>(alpha) * p.prod[at] + prior);
    }
  const double eps = std::numeric_limits<T>::epsilon();
  int bad = 0;
  double worst = 0;
  for (int i = 0; i < p.M; ++i) {
    for (int j = 0; j < p.ldc; ++j) {
      const size_t at = static_cast<size_t>(i) * p.ldc + j;
      if (j >= p.N) {
        // Padding beyond N columns must be untouched.
        if (std::memcmp(&C[at], &p.C0[at], sizeof(T)) != 0) ++bad;
        continue;
      }
      const double err = std::fabs(static_cast<double>(C[at]) - static_cast<double>(R[at]));
      const double tol = (p.K + 3) * eps * magnitude(p, i, j, alpha, beta) + 4 * eps * std::fabs(R[at]) + 1e-30;
      if (!(err <= tol)) ++bad;
      if (err / tol > worst) worst = err / tol;
    }
  }
  HS_CHECK(bad == 0, "%s %s M=%d N=%d K=%d ta=%d tb=%d alpha=%g beta=%g: %d bad elements (worst err/tol %.2f)",
           hs::gemm_simd(), what, p.M, p.N, p.K, p.ta, p.tb, static_cast<double>(alpha),
           static_cast<double>(beta), bad, worst);
  return bad == 0;
}

const std::vector<Case> kShapes = {
    {1, 1, 1},    {1, 1, 7},    {2, 3, 5},     {7, 13, 31},   {5, 17, 1},     {13, 1, 9},
    {6, 16, 16},  {7, 16, 16},  {8, 15, 33},   {32, 10, 700}, {33, 47, 401},  {97, 101, 103},
    {64, 400, 784}, {784, 400, 32}, {700, 10, 64}, {31, 700, 10}, {19, 23, 1601},
    {200, 3, 256},  {65, 15, 257}, {8, 32, 5},   {9, 33, 17},   {16, 31, 40},   {17, 48, 300},
};

template <typename T>
void reference_suite(ThreadPool* pool2) {
  const std::pair<T, T> coeffs[] = {{T(1), T(0)}, {T(0.5), T(0)}, {T(1), T(1)}, {T(-0.7), T(0.3)}, {T(0), T(0.5)}};
  uint64_t seed = 10;
  for (const auto& s : kShapes) {
    for (int t = 0; t < 4; ++t) {
      const bool ta = t & 1, tb = t & 2;
      for (int pad : {0, 3}) {
        const auto p = make_problem<T>(ta, tb, s.M, s.N, s.K, pad, ++seed);
        for (const auto& ab : coeffs) {
          check_against_reference(p, ab.first, ab.second, nullptr, "1 thread");
        }
        if (pad == 0) {
          // gemm_reference (exposed to JS as the yardstick) is that same formula.
          std::vector<T> R = p.C0;
          hs::gemm_reference<T>(ta, tb, s.M, s.N, s.K, T(-0.7), p.A.data(), p.lda, p.B.data(), p.ldb,
                                T(0.3), R.data(), p.ldc);
          int diff = 0;
          for (size_t at = 0; at < R.size(); ++at)
            diff += R[at] != static_cast<T>(static_cast<double>(T(-0.7)) * p.prod[at] +
                                            static_cast<double>(T(0.3)) * p.C0[at]);
          HS_CHECK(diff == 0, "gemm_reference M=%d N=%d K=%d: %d elements off", s.M, s.N, s.K, diff);
        }
        check_against_reference(p, T(1), T(0), pool2, "2 threads");
        check_against_reference(p, T(-0.7), T(0.3), pool2, "2 threads");
      }
    }
  }
}

// Same inputs, any thread count, repeated: identical bytes.
template <typename T>
void determinism_suite(std::vector<ThreadPool*> pools) {
  const Case shapes[] = {{97, 101, 103}, {64, 400, 784}, {784, 400, 64}, {128, 700, 400}, {33, 47, 1601}};
  for (const auto& s : shapes) {
    for (int t = 0; t < 4; ++t) {
      const bool ta = t & 1, tb = t & 2;
      const auto p = make_problem<T>(ta, tb, s.M, s.N, s.K, 1, 77);
      std::vector<T> first;
      bool same = true;
      for (int rep = 0; rep < 2; ++rep) {
        for (ThreadPool* pool : pools) {
          std::vector<T> C = p.C0;
          hs::gemm<T>(ta, tb, s.M, s.N, s.K, T(0.9), p.A.data(), p.lda, p.B.data(), p.ldb, T(0.2), C.data(),
                      p.ldc, pool);
          if (first.empty()) first = C;
          else if (std::memcmp(first.data(), C.data(), C.size() * sizeof(T)) != 0) same = false;
        }
      }
      HS_CHECK(same, "%s M=%d N=%d K=%d ta=%d tb=%d: results differ across runs/thread counts", hs::gemm_simd(),
               s.M, s.N, s.K, ta, tb);
    }
  }
}

// Identical columns of op(B) must give bit-identical columns of C, identical
// rows of op(A) bit-identical rows, wherever they fall (interior, edge tiles,
// other thread) — with and without the fused bias + activation epilogue.
template <typename T>
void symmetry_suite(ThreadPool* pool) {
  const Case shapes[] = {{13, 37, 300}, {64, 400, 784}, {97, 45, 1601}, {784, 23, 64}, {7, 700, 10},
                        {300, 11, 77}};
  hs::Rng rng(5, 5);
  for (const auto& s : shapes) {
    for (int t = 0; t < 4; ++t) {
      const bool ta = t & 1, tb = t & 2;
      auto p = make_problem<T>(ta, tb, s.M, s.N, s.K, 2, 99);
      // op(B)(k, j) = v[k] for every j; op(A)(i, k) = u[k] for every i.
      std::vector<T> u(s.K), v(s.K);
      for (int k = 0; k < s.K; ++k) {
        u[k] = static_cast<T>(rng.uniform() - 0.5);
        v[k] = static_cast<T>(rng.uniform() - 0.5);
      }
      for (int k = 0; k < s.K; ++k) {
        for (int j = 0; j < s.N; ++j) (tb ? p.B[static_cast<size_t>(j) * p.ldb + k] : p.B[static_cast<size_t>(k) * p.ldb + j]) = v[k];
        for (int i = 0; i < s.M; ++i) (ta ? p.A[static_cast<size_t>(k) * p.lda + i] : p.A[static_cast<size_t>(i) * p.lda + k]) = u[k];
      }
      std::vector<T> bias(s.N, T(0.125));
      for (int variant = 0; variant < 3; ++variant) {
        hs::GemmEpilogue<T> ep;
        ep.bias = bias.data();
        ep.activate = true;
        ep.activation = variant == 1 ? hs::Activation::Sigmoid : hs::Activation::Tanh;
        std::vector<T> C(p.C0.size(), T(0.25));  // identical C entries too (beta != 0)
        hs::gemm<T>(ta, tb, s.M, s.N, s.K, T(0.75), p.A.data(), p.lda, p.B.data(), p.ldb,
                    variant == 0 ? T(0) : T(0.5), C.data(), p.ldc, pool, variant == 0 ? nullptr : &ep);
        int diff = 0;
        for (int i = 0; i < s.M; ++i)
          for (int j = 0; j < s.N; ++j)
            if (std::memcmp(&C[static_cast<size_t>(i) * p.ldc + j], &C[0], sizeof(T)) != 0) ++diff;
        HS_CHECK(diff == 0, "%s M=%d N=%d K=%d ta=%d tb=%d variant=%d: %d elements differ from C[0][0]",
                 hs::gemm_simd(), s.M, s.N, s.K, ta, tb, variant, diff);
      }
    }
  }
}

// A C with fewer columns than a register tile and many rows is computed
// transposed (Cᵀ = op(B)ᵀ·op(A)ᵀ), with several K blocks too when beta == 0.
// Each element must still get the bits of the direct computation: compare
// with the same product done one row at a time (M = 1 takes the direct path),
// with and without the fused bias + activation, at 1 and 2 threads.
template <typename T>
void transposed_path_suite(std::vector<ThreadPool*> pools) {
  const Case shapes[] = {{32, 10, 700}, {128, 10, 700}, {700, 10, 64}, {48, 7, 300}, {33, 15, 257}, {40, 1, 600}};
  for (const auto& s : shapes) {
    for (int t = 0; t < 4; ++t) {
      const bool ta = t & 1, tb = t & 2;
      const auto p = make_problem<T>(ta, tb, s.M, s.N, s.K, 1, 4242);
      std::vector<T> bias(s.N);
      for (int j = 0; j < s.N; ++j) bias[j] = static_cast<T>(0.03 * j - 0.1);
      for (int variant = 0; variant < 2; ++variant) {
        hs::GemmEpilogue<T> ep;
        ep.bias = bias.data();
        ep.activate = true;
        ep.activation = hs::Activation::Sigmoid;
        const hs::GemmEpilogue<T>* epp = variant == 1 ? &ep : nullptr;
        std::vector<T> R = p.C0;
        for (int i = 0; i < s.M; ++i) {
          const T* ai = ta ? p.A.data() + i : p.A.data() + static_cast<size_t>(i) * p.lda;
          hs::gemm<T>(ta, tb, 1, s.N, s.K, T(0.75), ai, p.lda, p.B.data(), p.ldb, T(0),
                      R.data() + static_cast<size_t>(i) * p.ldc, p.ldc, nullptr, epp);
        }
        for (ThreadPool* pool : pools) {
          std::vector<T> C = p.C0;
          hs::gemm<T>(ta, tb, s.M, s.N, s.K, T(0.75), p.A.data(), p.lda, p.B.data(), p.ldb, T(0), C.data(),
                      p.ldc, pool, epp);
          int diff = 0;
          for (int i = 0; i < s.M; ++i)
            for (int j = 0; j < s.N; ++j) {
              const size_t at = static_cast<size_t>(i) * p.ldc + j;
              if (std::memcmp(&C[at], &R[at], sizeof(T)) != 0) ++diff;
            }
          HS_CHECK(diff == 0, "%s M=%d N=%d K=%d ta=%d tb=%d variant=%d threads=%d: %d elements differ from "
                   "the row-by-row product", hs::gemm_simd(), s.M, s.N, s.K, ta, tb, variant,
                   pool ? pool->size() : 1, diff);
        }
      }
    }
  }
}

// The fused epilogue is act(gemm + bias): relu and tanh exactly the scalar
// functions, sigmoid within a few ulp of the exact value (the AVX2 path uses
// its own vectorised exp).
template <typename T>
void epilogue_suite(ThreadPool* pool) {
  for (auto act : {hs::Activation::Sigmoid, hs::Activation::Relu, hs::Activation::Tanh}) {
    const auto p = make_problem<T>(false, false, 37, 45, 129, 1, 3);
    std::vector<T> bias(p.N);
    for (int j = 0; j < p.N; ++j) bias[j] = static_cast<T>(0.01 * j - 0.2);
    hs::GemmEpilogue<T> ep;
    ep.bias = bias.data();
    ep.activate = true;
    ep.activation = act;
    std::vector<T> C = p.C0, R = p.C0;
    hs::gemm<T>(false, false, p.M, p.N, p.K, T(1), p.A.data(), p.lda, p.B.data(), p.ldb, T(0), C.data(), p.ldc,
                pool, &ep);
    hs::gemm<T>(false, false, p.M, p.N, p.K, T(1), p.A.data(), p.lda, p.B.data(), p.ldb, T(0), R.data(), p.ldc,
                pool, nullptr);
    int bad = 0;
    for (int i = 0; i < p.M; ++i)
      for (int j = 0; j < p.N; ++j) {
        const size_t at = static_cast<size_t>(i) * p.ldc + j;
        const T z = static_cast<T>(R[at] + bias[j]);
        if (act == hs::Activation::Sigmoid) {
          const double want = 1.0 / (1.0 + std::exp(-static_cast<double>(z)));
          if (!(std::fabs(C[at] - want) <= 4 * std::numeric_limits<T>::epsilon() * want)) ++bad;
        } else {
          const T want = hs::activate(act, z);
          if (std::memcmp(&want, &C[at], sizeof(T)) != 0) ++bad;
        }
      }
    HS_CHECK(bad == 0, "%s epilogue act=%d: %d elements differ from gemm + activation", hs::gemm_simd(),
             static_cast<int>(act), bad);
  }
}

// Sigmoid over its whole range and at special values, through a K = 1 GEMM
// (C = 1·z, then the epilogue).
void sigmoid_range_suite() {
  std::vector<float> z;
  for (double v = -100; v <= 100; v += 0.01) z.push_back(static_cast<float>(v));
  const float specials[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 87.0f, 89.0f, -87.0f, -89.0f, 1e30f, -1e30f,
                            std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN()};
  for (float v : specials) z.push_back(v);
  const int N = static_cast<int>(z.size());
  std::vector<float> C(N);
  const float one = 1.0f;
  hs::GemmEpilogue<float> ep;
  ep.activate = true;
  ep.activation = hs::Activation::Sigmoid;
  hs::sgemm(false, false, 1, N, 1, 1.0f, &one, 1, z.data(), N, 0.0f, C.data(), N, nullptr, &ep);
  double worst_ulps = 0;
  int bad = 0;
  for (int j = 0; j < N; ++j) {
    if (std::isnan(z[j])) {
      if (!std::isnan(C[j])) ++bad;
      continue;
    }
    const double want = 1.0 / (1.0 + std::exp(-static_cast<double>(z[j])));
    const double ulp = std::max(std::ldexp(1.0, std::ilogb(want) - 23), 1e-45);
    const double err = std::fabs(C[j] - want);
    // Below ~1e-38 the result is denormal or clamped: an absolute bound is what counts.
    if (want < 1e-37) {
      if (!(err < 1e-37)) ++bad;
      continue;
    }
    worst_ulps = std::max(worst_ulps, err / ulp);
    if (!(err <= 3 * ulp) || C[j] < 0 || C[j] > 1) ++bad;
  }
  std::printf("sigmoid (%s): worst error %.2f ulp\n", hs::gemm_simd(), worst_ulps);
  HS_CHECK(bad == 0, "%s sigmoid: %d values out of tolerance (worst %.2f ulp)", hs::gemm_simd(), bad, worst_ulps);
}

// The AVX-512 and AVX2 kernels must give the same bits (same FMA chain per
// element, same K blocks): a trial's result must not depend on which of the
// two the CPU runs. Random shapes around the tile edges, every transpose,
// beta zero or not, with and without each fused epilogue, 1 and 2 threads.
void isa_equivalence_suite(std::vector<ThreadPool*> pools) {
  if (!hs::gemm_limit_simd("avx512") || std::strcmp(hs::gemm_simd(), "avx512") != 0) {
    std::printf("SKIP avx512 == avx2 bit-identity: this CPU (or build) has no AVX-512 kernels\n");
    return;
  }
  hs::Rng rng(31, 7);
  int cases = 0;
  for (int n = 0; n < 160; ++n) {
    const int pick = static_cast<int>(rng.uniform() * 4);
    const int M = pick == 0 ? 1 + static_cast<int>(rng.uniform() * 20) : 1 + static_cast<int>(rng.uniform() * 140);
    const int N = 1 + static_cast<int>(rng.uniform() * (pick == 1 ? 40 : 130));
    const int K = 1 + static_cast<int>(rng.uniform() * (pick == 2 ? 900 : 300));
    const bool ta = rng.uniform() < 0.5, tb = rng.uniform() < 0.5;
    const auto p = make_problem<float>(ta, tb, M, N, K, static_cast<int>(rng.uniform() * 3), 1000 + n);
    std::vector<float> bias(N), y(static_cast<size_t>(M) * N);
    for (auto& v : bias) v = static_cast<float>(rng.uniform() - 0.5);
    for (auto& v : y) v = static_cast<float>(rng.uniform());
    const float beta = n % 3 == 0 ? 0.0f : 0.5f;
    for (int variant = 0; variant < 3; ++variant) {
      hs::GemmEpilogue<float> ep;
      if (variant == 1) {
        ep.bias = bias.data();
        ep.activate = true;
        ep.activation = hs::Activation::Sigmoid;
      } else if (variant == 2) {
        ep.derivative_of = y.data();
        ep.ldy = N;
        ep.activation = hs::Activation::Sigmoid;
      }
      for (ThreadPool* pool : pools) {
        std::vector<float> C[2] = {p.C0, p.C0};
        for (int isa = 0; isa < 2; ++isa) {
          hs::gemm_limit_simd(isa == 0 ? "avx512" : "avx2");
          hs::gemm<float>(ta, tb, M, N, K, 0.75f, p.A.data(), p.lda, p.B.data(), p.ldb, beta, C[isa].data(),
                          p.ldc, pool, variant == 0 ? nullptr : &ep);
        }
        hs::gemm_limit_simd("avx512");
        const bool same = std::memcmp(C[0].data(), C[1].data(), C[0].size() * sizeof(float)) == 0;
        HS_CHECK(same, "avx512 != avx2: M=%d N=%d K=%d ta=%d tb=%d beta=%g variant=%d threads=%d", M, N, K, ta,
                 tb, static_cast<double>(beta), variant, pool ? pool->size() : 1);
        ++cases;
      }
    }
  }
  std::printf("avx512 == avx2 bit for bit: %d cases\n", cases);
}

}  // namespace

int main() {
  ThreadPool pool1(1), pool2(2), pool3(3), pool4(4);
  for (const char* level : {"avx512", "avx2", "generic"}) {
    hs::gemm_limit_simd(level);
    if (std::strcmp(hs::gemm_simd(), level) != 0) {
      std::printf("SKIP %s kernels: not supported by this CPU or build\n", level);
      continue;
    }
    std::printf("float kernels: %s\n", hs::gemm_simd());
    reference_suite<float>(&pool2);
    determinism_suite<float>({nullptr, &pool1, &pool2, &pool3, &pool4});
    symmetry_suite<float>(&pool2);
    symmetry_suite<float>(&pool3);
    transposed_path_suite<float>({nullptr, &pool2});
    epilogue_suite<float>(&pool2);
    sigmoid_range_suite();
    reference_suite<double>(&pool2);
    determinism_suite<double>({nullptr, &pool2, &pool3});
    symmetry_suite<double>(&pool2);
    transposed_path_suite<double>({nullptr, &pool2});
    epilogue_suite<double>(&pool2);
  }
  hs::gemm_limit_simd("avx512");
  isa_equivalence_suite({nullptr, &pool2, &pool3});
  return hs_test::summary("test_core_gemm");
}
