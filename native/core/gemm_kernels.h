// Internal interface between the GEMM driver (gemm.cpp) and its micro-kernels
// (generic ones in gemm.cpp, AVX2/FMA ones in gemm_kernel_avx2.cpp, AVX-512
// ones in gemm_kernel_avx512.cpp).
#pragma once
#include <cstddef>

namespace hs::detail {

constexpr int kMaxMR = 8;

// Computes an mr×NR tile: acc(i, j) = Σ_k op(A)(i, k)·Bp(k, j), then
//   c = alpha·acc            when overwrite,
//   c = alpha·acc + beta·c   otherwise,
// for columns j < n_valid (the others are computed on padding and dropped).
// A is read in place: op(A)(i, k) = a[i*lda + k], or a[k*lda + i] for the
// transposed variant. Bp(k, j) = b[k*ldb + j] (a packed panel has ldb = NR).
// alpha_beta points to {alpha, beta}.
template <typename T>
using MicroKernel = void (*)(int k, const T* a, std::ptrdiff_t lda, const T* b, std::ptrdiff_t ldb,
                             T* c, std::ptrdiff_t ldc, int n_valid, const T* alpha_beta,
                             bool overwrite);

// Fused epilogue on n <= NR consecutive elements of one row of C:
// c = act(c + bias[j]) (bias may be null; act only when `activate`).
// Every element of C goes through the same function, so a vectorised
// activation treats all units alike (the last few lanes through masks).
template <typename T>
using EpilogueFn = void (*)(T* c, int n, const T* bias, bool activate, int activation);

template <typename T>
struct KernelSet {
  int mr_max = 0;  // rows of the largest kernel
  int nr = 0;      // columns of every kernel (the width of a packed B panel)
  MicroKernel<T> kernel[2][kMaxMR + 1] = {};  // [A transposed][rows 1..mr_max]
  EpilogueFn<T> epilogue = nullptr;           // null: the scalar one of gemm.cpp
  // The kernels load only the n_valid first columns of B (masked loads), so an
  // edge panel of a row-major B is read in place instead of packed with zeros.
  bool edge_in_place = false;
  // Optional fast packing of a transposed B: out[k*nr + j] = b[j*ldb + k] for
  // k < kl, j < nv (<= nr), zeros for j >= nv. Null: the scalar loop of gemm.cpp.
  void (*pack_bt)(const T* b, std::ptrdiff_t ldb, int kl, int nv, T* out) = nullptr;
  // Optional fast transposed copy: dst[c*ldd + r] = src[r*lds + c] for
  // r < rows, c < cols. Null: the scalar loop of gemm.cpp.
  void (*transpose)(const T* src, std::ptrdiff_t lds, int rows, int cols, T* dst,
                    std::ptrdiff_t ldd) = nullptr;
};

#ifdef HS_HAVE_AVX2_KERNELS
const KernelSet<float>& avx2_float_kernels();
const KernelSet<double>& avx2_double_kernels();
// The AVX2 transposing packer for panels 32 floats wide (the AVX-512 kernels').
void avx2_pack_bt32(const float* b, std::ptrdiff_t ldb, int kl, int nv, float* out);
#endif

#ifdef HS_HAVE_AVX512_KERNELS
// Float only: the float64 paths (gradient check) keep the AVX2 kernels.
const KernelSet<float>& avx512_float_kernels();
#endif

}  // namespace hs::detail
