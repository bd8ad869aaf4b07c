// AVX-512 micro-kernels of the float GEMM: up to 8 rows × 2 zmm vectors of
// columns (8×32 floats) in 16 accumulators. On cores with full-width 512-bit
// FMA units (Zen 5, Intel server cores) they do twice the work per
// instruction of the AVX2 ones. Only this file is compiled with -mavx512f; the
// driver calls it only after checking the CPU (gemm.cpp).
//
// Same arithmetic as the AVX2 kernels, lane for lane: every element is one
// accumulator updated by one FMA per k, in k order, then one alpha/beta step
// (c = alpha·acc, or alpha·acc + beta·c as one FMA onto beta·c). The driver
// cuts K into the same blocks whatever the kernel width, so these kernels give
// the AVX2 kernels' results bit for bit (test_core_gemm checks it), and a
// trial's weights do not depend on which of the two the CPU could run.
#include <immintrin.h>

#include <cstdint>

#include "core/gemm_kernels.h"

namespace hs::detail {
namespace {

constexpr int kLanes = 16;
constexpr int kNR = 2 * kLanes;

// Lanes [0, n) set, n in [0, 16].
inline __mmask16 first_lanes(int n) {
  return n >= kLanes ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1u);
}

// One row of the tile: c = alpha·acc (overwrite) or alpha·acc + beta·c, for
// the first n_valid columns. AVX-512 masked loads and stores are cheap, unlike
// AVX2's vmaskmov, so an edge row needs no bounce buffer.
inline void store_vec(float* ci, __m512 acc, __m512 va, __m512 vb, bool overwrite, int n) {
  if (n <= 0) return;
  if (n >= kLanes) {
    const __m512 r = overwrite ? _mm512_mul_ps(va, acc)
                               : _mm512_fmadd_ps(va, acc, _mm512_mul_ps(vb, _mm512_loadu_ps(ci)));
    _mm512_storeu_ps(ci, r);
    return;
  }
  const __mmask16 m = first_lanes(n);
  const __m512 r = overwrite
                       ? _mm512_mul_ps(va, acc)
                       : _mm512_fmadd_ps(va, acc, _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m, ci)));
  _mm512_mask_storeu_ps(ci, m, r);
}

// The k loop and the stores of an MR×(NV·16) tile. NV = 1 serves edge tiles
// of at most 16 valid columns. An EDGE tile loads only the valid columns of B
// (zero-masked loads): B may be read in place, its last columns unpadded.
// Accumulators are named variables, not an array, so that they stay in
// registers (32 zmm: 16 accumulators, 2 B vectors, the broadcasts).
template <int MR, int NV, bool AT, bool EDGE>
void tile(int k, const float* a, std::ptrdiff_t lda, const float* b, std::ptrdiff_t ldb, float* c,
          std::ptrdiff_t ldc, int n_valid, const float* alpha_beta, bool overwrite) {
  const __m512 z = _mm512_setzero_ps();
  __m512 c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
  __m512 c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
  // Row and k steps of op(A) (transposed: rows are consecutive elements).
  const std::ptrdiff_t rs = AT ? 1 : lda;
  const std::ptrdiff_t ks = AT ? lda : 1;
#define HS_ROW(i)                                                \
  if constexpr (MR > i) {                                        \
    const __m512 ai = _mm512_set1_ps(a[i * rs]);                 \
    c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0);                  \
    if constexpr (NV == 2) c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1); \
  }
  const int n0 = n_valid < kLanes ? n_valid : kLanes;
  const int n1 = n_valid - kLanes;
  const __mmask16 m0 = first_lanes(n0), m1 = first_lanes(n1 > 0 ? n1 : 0);
#pragma GCC unroll 2
  for (int kk = 0; kk < k; ++kk) {
    const __m512 b0 = EDGE && NV == 1 ? _mm512_maskz_loadu_ps(m0, b) : _mm512_loadu_ps(b);
    const __m512 b1 = NV == 1 ? z : EDGE ? _mm512_maskz_loadu_ps(m1, b + kLanes) : _mm512_loadu_ps(b + kLanes);
    HS_ROW(0)
    HS_ROW(1)
    HS_ROW(2)
    HS_ROW(3)
    HS_ROW(4)
    HS_ROW(5)
    HS_ROW(6)
    HS_ROW(7)
    a += ks;
    b += ldb;
  }
#undef HS_ROW
  const __m512 va = _mm512_set1_ps(alpha_beta[0]);
  const __m512 vb = _mm512_set1_ps(alpha_beta[1]);
#define HS_STORE(i)                                                            \
  if constexpr (MR > i) {                                                      \
    store_vec(c + i * ldc, c##i##0, va, vb, overwrite, n0);                    \
    if constexpr (NV == 2) store_vec(c + i * ldc + kLanes, c##i##1, va, vb, overwrite, n1); \
  }
  HS_STORE(0)
  HS_STORE(1)
  HS_STORE(2)
  HS_STORE(3)
  HS_STORE(4)
  HS_STORE(5)
  HS_STORE(6)
  HS_STORE(7)
#undef HS_STORE
}

// The micro-kernel (contract in gemm_kernels.h): a panel's last few columns
// take the one-vector tile when they fit in it, and masked B loads.
template <int MR, bool AT>
void kernel(int k, const float* a, std::ptrdiff_t lda, const float* b, std::ptrdiff_t ldb,
            float* c, std::ptrdiff_t ldc, int n_valid, const float* alpha_beta, bool overwrite) {
  if (n_valid == kNR) {
    tile<MR, 2, AT, false>(k, a, lda, b, ldb, c, ldc, n_valid, alpha_beta, overwrite);
  } else if (n_valid == kLanes) {
    tile<MR, 1, AT, false>(k, a, lda, b, ldb, c, ldc, n_valid, alpha_beta, overwrite);
  } else if (n_valid < kLanes) {
    tile<MR, 1, AT, true>(k, a, lda, b, ldb, c, ldc, n_valid, alpha_beta, overwrite);
  } else {
    tile<MR, 2, AT, true>(k, a, lda, b, ldb, c, ldc, n_valid, alpha_beta, overwrite);
  }
}

template <bool AT>
void fill_row_kernels(KernelSet<float>* s) {
  s->kernel[AT][1] = kernel<1, AT>;
  s->kernel[AT][2] = kernel<2, AT>;
  s->kernel[AT][3] = kernel<3, AT>;
  s->kernel[AT][4] = kernel<4, AT>;
  s->kernel[AT][5] = kernel<5, AT>;
  s->kernel[AT][6] = kernel<6, AT>;
  s->kernel[AT][7] = kernel<7, AT>;
  s->kernel[AT][8] = kernel<8, AT>;
}

KernelSet<float> make_set() {
  // The epilogue and the transposed copy are the AVX2 ones (the same
  // functions, so the same bits); the B packer is the AVX2 one at our width.
  KernelSet<float> s = avx2_float_kernels();
  s.mr_max = 8;
  s.nr = kNR;
  fill_row_kernels<false>(&s);
  fill_row_kernels<true>(&s);
  s.pack_bt = avx2_pack_bt32;
  s.edge_in_place = true;
  return s;
}

}  // namespace

const KernelSet<float>& avx512_float_kernels() {
  static const KernelSet<float> set = make_set();
  return set;
}

}  // namespace hs::detail
