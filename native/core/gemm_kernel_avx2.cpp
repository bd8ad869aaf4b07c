// AVX2/FMA micro-kernels of the GEMM: up to 6 rows × 2 vectors of columns
// (6×16 floats, 6×8 doubles) held in 12 ymm accumulators; for float also a
// vectorised epilogue and a transposing packer for B. Only this file is
// compiled with -mavx2 -mfma; the driver calls it only after checking the CPU
// (gemm.cpp).
//
// Every element is one accumulator updated by one FMA per k, in k order, and
// then one alpha/beta step; the lanes of a tile, the rows of a smaller kernel
// and the columns of an edge tile all see exactly that sequence.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "core/gemm_kernels.h"

namespace hs::detail {
namespace {

alignas(32) const int kMaskTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

// 32-bit lanes [0, n) set, n in [0, 8].
inline __m256i lane_mask(int n) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskTable + 8 - n));
}

// The few vector operations the micro-kernel needs, for float and double.
template <typename T>
struct Vec;

template <>
struct Vec<float> {
  using V = __m256;
  static constexpr int kLanes = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static V bcast(const float* p) { return _mm256_broadcast_ss(p); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static void store_aligned(float* p, V v) { _mm256_store_ps(p, v); }
  static V load_aligned(const float* p) { return _mm256_load_ps(p); }
  // Loads lanes [0, n), zeros elsewhere (a masked load, which is fast; only
  // masked stores are slow on AMD).
  static V load_first(const float* p, int n) { return _mm256_maskload_ps(p, lane_mask(n)); }
};

template <>
struct Vec<double> {
  using V = __m256d;
  static constexpr int kLanes = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static V load(const double* p) { return _mm256_loadu_pd(p); }
  static V bcast(const double* p) { return _mm256_broadcast_sd(p); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
  static void store(double* p, V v) { _mm256_storeu_pd(p, v); }
  static void store_aligned(double* p, V v) { _mm256_store_pd(p, v); }
  static V load_aligned(const double* p) { return _mm256_load_pd(p); }
  static V load_first(const double* p, int n) {
    // 64-bit lanes [0, n): pairs of 32-bit mask entries.
    const __m256i m = _mm256_cvtepi32_epi64(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(kMaskTable + 8 - (n < 4 ? n : 4))));
    return _mm256_maskload_pd(p, m);
  }
};

// Stores one row of the tile: c = alpha·acc (overwrite) or alpha·acc + beta·c.
// An edge row computes all lanes alike, then copies its valid columns out
// through a small buffer: masked stores (vmaskmov) are microcoded and slow on AMD.
template <typename T>
inline void store_row(T* ci, typename Vec<T>::V acc0, typename Vec<T>::V acc1,
                      typename Vec<T>::V va, typename Vec<T>::V vb, bool overwrite, int n_valid) {
  using X = Vec<T>;
  constexpr int W = X::kLanes;
  typename X::V r0, r1;
  if (n_valid == 2 * W) {
    if (overwrite) {
      r0 = X::mul(va, acc0);
      r1 = X::mul(va, acc1);
    } else {
      r0 = X::fmadd(va, acc0, X::mul(vb, X::load(ci)));
      r1 = X::fmadd(va, acc1, X::mul(vb, X::load(ci + W)));
    }
    X::store(ci, r0);
    X::store(ci + W, r1);
    return;
  }
  if (overwrite) {
    r0 = X::mul(va, acc0);
    r1 = X::mul(va, acc1);
  } else {
    const int n0 = n_valid < W ? n_valid : W;
    const int n1 = n_valid > W ? n_valid - W : 0;
    r0 = X::fmadd(va, acc0, X::mul(vb, X::load_first(ci, n0)));
    r1 = X::fmadd(va, acc1, X::mul(vb, X::load_first(ci + W, n1)));
  }
  alignas(32) T tmp[2 * W];
  X::store_aligned(tmp, r0);
  X::store_aligned(tmp + W, r1);
  for (int j = 0; j < n_valid; ++j) ci[j] = tmp[j];
}

// The 6-row k loop in assembly, for float (BCAST = vbroadcastss, FMA =
// vfmadd231ps) and double (vbroadcastsd, vfmadd231pd): with intrinsics GCC 12
// spills an accumulator to the stack every k step (12 accumulators + 2 B
// vectors + 2 broadcasts need all 16 ymm registers). Each accumulator gets
// one FMA per k, in k order — the same arithmetic as the intrinsic loop.
// Unrolled by two k steps: k at a / a3, k+1 at a1 / a31, B rows at b and
// b + ldb; an odd last step runs alone. Rows 0..2 sit at a + {0, rs, 2rs},
// rows 3..5 at a3 + {0, rs, 2rs}. The accumulators ymm4..ymm15 are handed
// back through `out` (12 vectors) or, when `direct` (a full tile that
// overwrites C), multiplied by alpha (MUL) and stored to C right here.
#define HS_KLOOP6(BCAST, FMA, MUL)                                      \
  asm volatile(                                                   \
    "vxorpd %%ymm4, %%ymm4, %%ymm4\n\t"                 \
    "vxorpd %%ymm5, %%ymm5, %%ymm5\n\t"                 \
    "vxorpd %%ymm6, %%ymm6, %%ymm6\n\t"                 \
    "vxorpd %%ymm7, %%ymm7, %%ymm7\n\t"                 \
    "vxorpd %%ymm8, %%ymm8, %%ymm8\n\t"                 \
    "vxorpd %%ymm9, %%ymm9, %%ymm9\n\t"                 \
    "vxorpd %%ymm10, %%ymm10, %%ymm10\n\t"                 \
    "vxorpd %%ymm11, %%ymm11, %%ymm11\n\t"                 \
    "vxorpd %%ymm12, %%ymm12, %%ymm12\n\t"                 \
    "vxorpd %%ymm13, %%ymm13, %%ymm13\n\t"                 \
    "vxorpd %%ymm14, %%ymm14, %%ymm14\n\t"                 \
    "vxorpd %%ymm15, %%ymm15, %%ymm15\n\t"                 \
    "test %[pairs], %[pairs]\n\t"                                \
    "jle 2f\n\t"                                                  \
    ".p2align 5\n"                                                \
    "1:\n\t"                                                      \
    "vmovupd (%[b]), %%ymm0\n\t"                        \
    "vmovupd 32(%[b]), %%ymm1\n\t"                     \
    BCAST " (%[a]), %%ymm2\n\t"                          \
    BCAST " (%[a],%[rs],1), %%ymm3\n\t"                  \
    FMA " %%ymm0, %%ymm2, %%ymm4\n\t"                    \
    FMA " %%ymm1, %%ymm2, %%ymm5\n\t"                    \
    FMA " %%ymm0, %%ymm3, %%ymm6\n\t"                    \
    FMA " %%ymm1, %%ymm3, %%ymm7\n\t"                    \
    BCAST " (%[a],%[rs],2), %%ymm2\n\t"                  \
    BCAST " (%[a3]), %%ymm3\n\t"                         \
    FMA " %%ymm0, %%ymm2, %%ymm8\n\t"                    \
    FMA " %%ymm1, %%ymm2, %%ymm9\n\t"                    \
    FMA " %%ymm0, %%ymm3, %%ymm10\n\t"                   \
    FMA " %%ymm1, %%ymm3, %%ymm11\n\t"                   \
    BCAST " (%[a3],%[rs],1), %%ymm2\n\t"                 \
    BCAST " (%[a3],%[rs],2), %%ymm3\n\t"                 \
    FMA " %%ymm0, %%ymm2, %%ymm12\n\t"                   \
    FMA " %%ymm1, %%ymm2, %%ymm13\n\t"                   \
    FMA " %%ymm0, %%ymm3, %%ymm14\n\t"                   \
    FMA " %%ymm1, %%ymm3, %%ymm15\n\t"                   \
    "vmovupd (%[b],%[ldb],1), %%ymm0\n\t"                        \
    "vmovupd 32(%[b],%[ldb],1), %%ymm1\n\t"                     \
    BCAST " (%[a1]), %%ymm2\n\t"                          \
    BCAST " (%[a1],%[rs],1), %%ymm3\n\t"                  \
    FMA " %%ymm0, %%ymm2, %%ymm4\n\t"                    \
    FMA " %%ymm1, %%ymm2, %%ymm5\n\t"                    \
    FMA " %%ymm0, %%ymm3, %%ymm6\n\t"                    \
    FMA " %%ymm1, %%ymm3, %%ymm7\n\t"                    \
    BCAST " (%[a1],%[rs],2), %%ymm2\n\t"                  \
    BCAST " (%[a31]), %%ymm3\n\t"                         \
    FMA " %%ymm0, %%ymm2, %%ymm8\n\t"                    \
    FMA " %%ymm1, %%ymm2, %%ymm9\n\t"                    \
    FMA " %%ymm0, %%ymm3, %%ymm10\n\t"                   \
    FMA " %%ymm1, %%ymm3, %%ymm11\n\t"                   \
    BCAST " (%[a31],%[rs],1), %%ymm2\n\t"                 \
    BCAST " (%[a31],%[rs],2), %%ymm3\n\t"                 \
    FMA " %%ymm0, %%ymm2, %%ymm12\n\t"                   \
    FMA " %%ymm1, %%ymm2, %%ymm13\n\t"                   \
    FMA " %%ymm0, %%ymm3, %%ymm14\n\t"                   \
    FMA " %%ymm1, %%ymm3, %%ymm15\n\t"                   \
    "add %[ks2], %[a]\n\t"                                        \
    "add %[ks2], %[a3]\n\t"                                       \
    "add %[ks2], %[a1]\n\t"                                       \
    "add %[ks2], %[a31]\n\t"                                      \
    "add %[ldb2], %[b]\n\t"                                       \
    "dec %[pairs]\n\t"                                            \
    "jnz 1b\n"                                                    \
    "2:\n\t"                                                      \
    "test %[odd], %[odd]\n\t"                                     \
    "jz 3f\n\t"                                                   \
    "vmovupd (%[b]), %%ymm0\n\t"                        \
    "vmovupd 32(%[b]), %%ymm1\n\t"                     \
    BCAST " (%[a]), %%ymm2\n\t"                          \
    BCAST " (%[a],%[rs],1), %%ymm3\n\t"                  \
    FMA " %%ymm0, %%ymm2, %%ymm4\n\t"                    \
    FMA " %%ymm1, %%ymm2, %%ymm5\n\t"                    \
    FMA " %%ymm0, %%ymm3, %%ymm6\n\t"                    \
    FMA " %%ymm1, %%ymm3, %%ymm7\n\t"                    \
    BCAST " (%[a],%[rs],2), %%ymm2\n\t"                  \
    BCAST " (%[a3]), %%ymm3\n\t"                         \
    FMA " %%ymm0, %%ymm2, %%ymm8\n\t"                    \
    FMA " %%ymm1, %%ymm2, %%ymm9\n\t"                    \
    FMA " %%ymm0, %%ymm3, %%ymm10\n\t"                   \
    FMA " %%ymm1, %%ymm3, %%ymm11\n\t"                   \
    BCAST " (%[a3],%[rs],1), %%ymm2\n\t"                 \
    BCAST " (%[a3],%[rs],2), %%ymm3\n\t"                 \
    FMA " %%ymm0, %%ymm2, %%ymm12\n\t"                   \
    FMA " %%ymm1, %%ymm2, %%ymm13\n\t"                   \
    FMA " %%ymm0, %%ymm3, %%ymm14\n\t"                   \
    FMA " %%ymm1, %%ymm3, %%ymm15\n\t"                   \
    "3:\n\t"                                                      \
    "cmpq $0, %[direct]\n\t"                                     \
    "je 4f\n\t"                                                   \
    "mov %[alp], %[b]\n\t"                                        \
    BCAST " (%[b]), %%ymm0\n\t"                                  \
    "mov %[cp], %[a]\n\t"                                         \
    "mov %[ldcb], %[a1]\n\t"                                      \
    "lea (%[a],%[a1],2), %[a3]\n\t"                               \
    "add %[a1], %[a3]\n\t"                                        \
    MUL " %%ymm4, %%ymm0, %%ymm4\n\t"                            \
    MUL " %%ymm5, %%ymm0, %%ymm5\n\t"                            \
    MUL " %%ymm6, %%ymm0, %%ymm6\n\t"                            \
    MUL " %%ymm7, %%ymm0, %%ymm7\n\t"                            \
    "vmovups %%ymm4, (%[a])\n\t"                                  \
    "vmovups %%ymm5, 32(%[a])\n\t"                                \
    "vmovups %%ymm6, (%[a],%[a1],1)\n\t"                          \
    "vmovups %%ymm7, 32(%[a],%[a1],1)\n\t"                        \
    MUL " %%ymm8, %%ymm0, %%ymm8\n\t"                            \
    MUL " %%ymm9, %%ymm0, %%ymm9\n\t"                            \
    MUL " %%ymm10, %%ymm0, %%ymm10\n\t"                          \
    MUL " %%ymm11, %%ymm0, %%ymm11\n\t"                          \
    "vmovups %%ymm8, (%[a],%[a1],2)\n\t"                          \
    "vmovups %%ymm9, 32(%[a],%[a1],2)\n\t"                        \
    "vmovups %%ymm10, (%[a3])\n\t"                                \
    "vmovups %%ymm11, 32(%[a3])\n\t"                              \
    MUL " %%ymm12, %%ymm0, %%ymm12\n\t"                          \
    MUL " %%ymm13, %%ymm0, %%ymm13\n\t"                          \
    MUL " %%ymm14, %%ymm0, %%ymm14\n\t"                          \
    MUL " %%ymm15, %%ymm0, %%ymm15\n\t"                          \
    "vmovups %%ymm12, (%[a3],%[a1],1)\n\t"                        \
    "vmovups %%ymm13, 32(%[a3],%[a1],1)\n\t"                      \
    "vmovups %%ymm14, (%[a3],%[a1],2)\n\t"                        \
    "vmovups %%ymm15, 32(%[a3],%[a1],2)\n\t"                      \
    "jmp 5f\n"                                                     \
    "4:\n\t"                                                      \
    "vmovapd %%ymm4, 0(%[out])\n\t"                \
    "vmovapd %%ymm5, 32(%[out])\n\t"                \
    "vmovapd %%ymm6, 64(%[out])\n\t"                \
    "vmovapd %%ymm7, 96(%[out])\n\t"                \
    "vmovapd %%ymm8, 128(%[out])\n\t"                \
    "vmovapd %%ymm9, 160(%[out])\n\t"                \
    "vmovapd %%ymm10, 192(%[out])\n\t"                \
    "vmovapd %%ymm11, 224(%[out])\n\t"                \
    "vmovapd %%ymm12, 256(%[out])\n\t"                \
    "vmovapd %%ymm13, 288(%[out])\n\t"                \
    "vmovapd %%ymm14, 320(%[out])\n\t"                \
    "vmovapd %%ymm15, 352(%[out])\n"                \
    "5:\n\t"                                                      \
    : [a] "+r"(a), [a3] "+r"(a3), [a1] "+r"(a1), [a31] "+r"(a31), [b] "+r"(b), \
      [pairs] "+r"(pairs)                                         \
    : [rs] "r"(rs_bytes), [ks2] "r"(ks2_bytes), [ldb] "r"(ldb_bytes), \
      [ldb2] "r"(ldb2_bytes), [odd] "r"(odd), [out] "r"(out),     \
      [direct] "m"(direct), [alp] "m"(alpha_beta), [cp] "m"(c), [ldcb] "m"(ldc_bytes) \
    : "cc", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", \
      "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15")

// The micro-kernel (contract in gemm_kernels.h). The accumulators are named
// variables rather than an array: GCC keeps an array of vectors in memory.
template <typename T, int MR, bool AT>
void kernel(int k, const T* a, std::ptrdiff_t lda, const T* b, std::ptrdiff_t ldb, T* c,
            std::ptrdiff_t ldc, int n_valid, const T* alpha_beta, bool overwrite) {
  using X = Vec<T>;
  using V = typename X::V;
  constexpr int W = X::kLanes;
  V c00 = X::zero(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  V c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  // Row and k steps of op(A) (transposed: rows are consecutive elements).
  const std::ptrdiff_t rs = AT ? 1 : lda;
  const std::ptrdiff_t ks = AT ? lda : 1;
  if constexpr (MR == 6) {
    alignas(32) T out[12 * W];
    const T* a3 = a + 3 * rs;
    const T* a1 = a + ks;
    const T* a31 = a3 + ks;
    std::int64_t pairs = k / 2;
    const std::int64_t odd = k & 1;
    constexpr std::int64_t sz = sizeof(T);
    const std::int64_t rs_bytes = rs * sz, ks2_bytes = ks * 2 * sz;
    const std::int64_t ldb_bytes = ldb * sz, ldb2_bytes = ldb * 2 * sz;
    // A full tile that overwrites C is stored by the assembly itself:
    // c = alpha·acc, the same multiplication as store_row's, without the
    // round trip of the accumulators through `out` (it matters when k is small).
    const std::int64_t direct = overwrite && n_valid == 2 * W;
    const std::int64_t ldc_bytes = ldc * sz;
    if constexpr (sizeof(T) == 4) {
      HS_KLOOP6("vbroadcastss", "vfmadd231ps", "vmulps");
    } else {
      HS_KLOOP6("vbroadcastsd", "vfmadd231pd", "vmulpd");
    }
    if (direct) return;
    c00 = X::load_aligned(out + 0 * W);
    c01 = X::load_aligned(out + 1 * W);
    c10 = X::load_aligned(out + 2 * W);
    c11 = X::load_aligned(out + 3 * W);
    c20 = X::load_aligned(out + 4 * W);
    c21 = X::load_aligned(out + 5 * W);
    c30 = X::load_aligned(out + 6 * W);
    c31 = X::load_aligned(out + 7 * W);
    c40 = X::load_aligned(out + 8 * W);
    c41 = X::load_aligned(out + 9 * W);
    c50 = X::load_aligned(out + 10 * W);
    c51 = X::load_aligned(out + 11 * W);
  } else {
#define HS_ROW(i)                           \
  if constexpr (MR > i) {                   \
    const V ai = X::bcast(a + i * rs);      \
    c##i##0 = X::fmadd(ai, b0, c##i##0);    \
    c##i##1 = X::fmadd(ai, b1, c##i##1);    \
  }
#pragma GCC unroll 4
    for (int kk = 0; kk < k; ++kk) {
      const V b0 = X::load(b);
      const V b1 = X::load(b + W);
      HS_ROW(0)
      HS_ROW(1)
      HS_ROW(2)
      HS_ROW(3)
      HS_ROW(4)
      HS_ROW(5)
      a += ks;
      b += ldb;
    }
#undef HS_ROW
  }

  // alpha and beta come from memory only now: as register arguments they would
  // stay live across the k loop and push an accumulator out to the stack.
  const V va = X::bcast(alpha_beta);
  const V vb = X::bcast(alpha_beta + 1);
  store_row<T>(c, c00, c01, va, vb, overwrite, n_valid);
  if constexpr (MR > 1) store_row<T>(c + ldc, c10, c11, va, vb, overwrite, n_valid);
  if constexpr (MR > 2) store_row<T>(c + 2 * ldc, c20, c21, va, vb, overwrite, n_valid);
  if constexpr (MR > 3) store_row<T>(c + 3 * ldc, c30, c31, va, vb, overwrite, n_valid);
  if constexpr (MR > 4) store_row<T>(c + 4 * ldc, c40, c41, va, vb, overwrite, n_valid);
  if constexpr (MR > 5) store_row<T>(c + 5 * ldc, c50, c51, va, vb, overwrite, n_valid);
}

// exp(x) for a vector (Cephes' expf: Cody–Waite reduction, degree-5 polynomial;
// about 1 ulp). NaN propagates: min/max return their second operand on NaN.
inline __m256 exp256(__m256 x) {
  x = _mm256_min_ps(_mm256_set1_ps(88.3762626647949f), x);
  x = _mm256_max_ps(_mm256_set1_ps(-87.3365447504f), x);  // keeps 2^n a normal float
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(r, r), r);
  y = _mm256_add_ps(y, _mm256_set1_ps(1.0f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

// activation: 0 sigmoid, 1 relu, 2 tanh (hs::Activation's order).
inline __m256 activate8(__m256 z, int activation) {
  if (activation == 0) {
    const __m256 t = exp256(_mm256_xor_ps(z, _mm256_set1_ps(-0.0f)));  // exp(-z)
    return _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), t));
  }
  // relu: z < 0 ? 0 : z, which lets NaN through like the scalar relu.
  return _mm256_blendv_ps(z, _mm256_setzero_ps(), _mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_LT_OQ));
}

void epilogue(float* c, int n, const float* bias, bool activate, int activation) {
  // tanh keeps the scalar library function (no vector tanh of ours).
  const bool vector_act = activate && activation != 2;
  for (int j0 = 0; j0 < n; j0 += 8) {
    const int m = n - j0 < 8 ? n - j0 : 8;
    if (m == 8) {
      __m256 v = _mm256_loadu_ps(c + j0);
      if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + j0));
      if (vector_act) v = activate8(v, activation);
      _mm256_storeu_ps(c + j0, v);
    } else {
      // The last few columns: the same lanes' arithmetic on a masked load
      // (no masked store: slow on AMD).
      const __m256i mask = lane_mask(m);
      __m256 v = _mm256_maskload_ps(c + j0, mask);
      if (bias) v = _mm256_add_ps(v, _mm256_maskload_ps(bias + j0, mask));
      if (vector_act) v = activate8(v, activation);
      alignas(32) float tmp[8];
      _mm256_store_ps(tmp, v);
      for (int j = 0; j < m; ++j) c[j0 + j] = tmp[j];
    }
  }
  if (activate && activation == 2)
    for (int j = 0; j < n; ++j) c[j] = std::tanh(c[j]);
}

// 8×8 transpose of rows r[0..7] in registers (the classic unpack/shuffle/permute sequence).
inline void transpose8(__m256* r) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// Packs a transposed B panel NR wide (16 here, 32 for the AVX-512 kernels;
// contract in gemm_kernels.h) with 8×8 register transposes; a pure copy, so it
// cannot change any result.
template <int NR>
void pack_bt(const float* b, std::ptrdiff_t ldb, int kl, int nv, float* out) {
  int k = 0;
  if (nv == NR) {
    for (; k + 8 <= kl; k += 8) {
      for (int h = 0; h < NR / 8; ++h) {
        __m256 r[8];
        for (int j = 0; j < 8; ++j) r[j] = _mm256_loadu_ps(b + (h * 8 + j) * ldb + k);
        transpose8(r);
        for (int kk = 0; kk < 8; ++kk) _mm256_store_ps(out + (k + kk) * NR + h * 8, r[kk]);
      }
    }
    if (k < kl) {
      // The last kl - k < 8 steps (all of them when K is small, e.g. 10):
      // masked loads (fast; lanes past kl are not read), the same transposes.
      const int kt = kl - k;
      const __m256i m = lane_mask(kt);
      for (int h = 0; h < NR / 8; ++h) {
        __m256 r[8];
        for (int j = 0; j < 8; ++j) r[j] = _mm256_maskload_ps(b + (h * 8 + j) * ldb + k, m);
        transpose8(r);
        for (int kk = 0; kk < kt; ++kk) _mm256_store_ps(out + (k + kk) * NR + h * 8, r[kk]);
      }
      return;
    }
  }
  for (; k < kl; ++k) {
    for (int j = 0; j < nv; ++j) out[k * NR + j] = b[j * ldb + k];
    for (int j = nv; j < NR; ++j) out[k * NR + j] = 0.0f;
  }
}

// Stores lanes [0, n) of v (n in 1..8) with plain 128-bit stores: masked
// stores (vmaskmov) are slow on AMD.
inline void store_first(float* p, __m256 v, int n) {
  __m128 lo = _mm256_castps256_ps128(v);
  if (n >= 4) {
    _mm_storeu_ps(p, lo);
    if (n == 4) return;
    p += 4;
    n -= 4;
    lo = _mm256_extractf128_ps(v, 1);
    if (n == 4) {
      _mm_storeu_ps(p, lo);
      return;
    }
  }
  if (n >= 2) {
    _mm_storel_pi(reinterpret_cast<__m64*>(p), lo);
    if (n == 2) return;
    p += 2;
    lo = _mm_movehl_ps(lo, lo);
  }
  _mm_store_ss(p, lo);
}

// dst[c*ldd + r] = src[r*lds + c] for r < rows, c < cols, by 8×8 register
// transposes (a short last group of rows is padded with zeros and stored in
// part). A pure copy, so it cannot change any result.
void transpose_copy(const float* src, std::ptrdiff_t lds, int rows, int cols, float* dst,
                    std::ptrdiff_t ldd) {
  for (int r = 0; r < rows; r += 8) {
    const int rr = rows - r < 8 ? rows - r : 8;
    int c = 0;
    for (; c + 8 <= cols; c += 8) {
      __m256 v[8];
      for (int i = 0; i < 8; ++i)
        v[i] = i < rr ? _mm256_loadu_ps(src + (r + i) * lds + c) : _mm256_setzero_ps();
      transpose8(v);
      if (rr == 8) {
        for (int i = 0; i < 8; ++i) _mm256_storeu_ps(dst + (c + i) * ldd + r, v[i]);
      } else {
        for (int i = 0; i < 8; ++i) store_first(dst + (c + i) * ldd + r, v[i], rr);
      }
    }
    for (; c < cols; ++c)
      for (int i = 0; i < rr; ++i) dst[c * ldd + r + i] = src[(r + i) * lds + c];
  }
}

template <typename T>
void fill_kernels(KernelSet<T>* s) {
  s->mr_max = 6;
  s->nr = 2 * Vec<T>::kLanes;
  s->kernel[0][1] = kernel<T, 1, false>;
  s->kernel[0][2] = kernel<T, 2, false>;
  s->kernel[0][3] = kernel<T, 3, false>;
  s->kernel[0][4] = kernel<T, 4, false>;
  s->kernel[0][5] = kernel<T, 5, false>;
  s->kernel[0][6] = kernel<T, 6, false>;
  s->kernel[1][1] = kernel<T, 1, true>;
  s->kernel[1][2] = kernel<T, 2, true>;
  s->kernel[1][3] = kernel<T, 3, true>;
  s->kernel[1][4] = kernel<T, 4, true>;
  s->kernel[1][5] = kernel<T, 5, true>;
  s->kernel[1][6] = kernel<T, 6, true>;
}

KernelSet<float> make_float_set() {
  KernelSet<float> s;
  fill_kernels(&s);
  s.epilogue = epilogue;
  s.pack_bt = pack_bt<16>;
  s.transpose = transpose_copy;
  return s;
}

// Double: the float64 gradient check and float64 models. The epilogue stays
// the scalar one of gemm.cpp (std::exp in double); B transposed is packed.
KernelSet<double> make_double_set() {
  KernelSet<double> s;
  fill_kernels(&s);
  return s;
}

}  // namespace

const KernelSet<float>& avx2_float_kernels() {
  static const KernelSet<float> set = make_float_set();
  return set;
}

const KernelSet<double>& avx2_double_kernels() {
  static const KernelSet<double> set = make_double_set();
  return set;
}

void avx2_pack_bt32(const float* b, std::ptrdiff_t ldb, int kl, int nv, float* out) {
  pack_bt<32>(b, ldb, kl, nv, out);
}

}  // namespace hs::detail
