// Our own GEMM (no BLAS): row-major C = alpha·op(A)·op(B) + beta·C.
//
// Determinism contract, on which the MLP's zero-init symmetry test relies:
// every element of C is computed by the same sequence of floating-point
// operations — one accumulator, k = 0, 1, …, K-1 in order, split into the same
// K blocks for every element, then alpha/beta, then the epilogue — whatever its
// position in a register tile, an edge tile or a thread's share. K is never
// split across threads; threads split M or N only. So the result does not
// depend on the thread count either.
#pragma once
#include <cstddef>

#include "core/mlp.h"

namespace hs {

class ThreadPool;

// Applied to each element once its full K sum (with alpha/beta) is done:
// c = act(c + bias[j]).
template <typename T>
struct GemmEpilogue {
  const T* bias = nullptr;  // length N, or nullptr
  bool activate = false;
  Activation activation = Activation::Sigmoid;
  // Backward pass instead: c = c·f'(z) where f' is taken from the layer's
  // output y = f(z) (row stride ldy), as activation_derivative_from_output
  // does. Bias and activate must then be unset. Fused here so that the
  // element-wise pass runs on the GEMM's threads while the tile is in cache.
  const T* derivative_of = nullptr;
  int ldy = 0;
};

// op(A) is M×K, op(B) is K×N; lda/ldb/ldc are the row strides of the stored
// matrices. beta == 0 means C is write-only (it may hold NaN on entry).
// pool == nullptr runs on the calling thread only.
template <typename T>
void gemm(bool transA, bool transB, int M, int N, int K, T alpha, const T* A, int lda,
          const T* B, int ldb, T beta, T* C, int ldc, ThreadPool* pool = nullptr,
          const GemmEpilogue<T>* epilogue = nullptr);

inline void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A,
                  int lda, const float* B, int ldb, float beta, float* C, int ldc,
                  ThreadPool* pool = nullptr, const GemmEpilogue<float>* epilogue = nullptr) {
  gemm<float>(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, pool, epilogue);
}

// Naive triple loop with double accumulation: the yardstick of the tests.
template <typename T>
void gemm_reference(bool transA, bool transB, int M, int N, int K, T alpha, const T* A, int lda,
                    const T* B, int ldb, T beta, T* C, int ldc);

// The widest micro-kernels the float GEMM runs now: "avx512", "avx2" or
// "generic" (float64 runs AVX2 at most). The AVX2 and AVX-512 kernels give the
// same bits; the generic ones (no FMA) do not.
const char* gemm_simd();

// Caps the kernels at a level ("avx512", "avx2" or "generic"; the CPU may
// allow less): the tests and benchmarks that compare them use it. The
// environment variable HS_GEMM_SIMD sets the cap a process starts with.
// Returns false, changing nothing, for an unknown name.
bool gemm_limit_simd(const char* level);

}  // namespace hs
