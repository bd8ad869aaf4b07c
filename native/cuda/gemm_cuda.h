// Test and benchmark entries of the CUDA GEMM kernel (native/cuda/mlp_kernels.cuh),
// the one the MLP trainer uses. Plain C++ header; only linked when HS_WITH_CUDA.
#pragma once
#include <string>

namespace hs::cuda {

// C = op(A) * op(B) computed on the device by our tiled kernel, row-major with
// row strides lda/ldb/ldc; A, B, C are host arrays (copied in and out), so
// elements of C outside the M x N block (ldc > N) keep their values.
// op(A) is M x K (A stored K x M when transA), op(B) is K x N (B stored N x K
// when transB). Throws std::runtime_error on any CUDA error.
void sgemm_device_for_test(bool transA, bool transB, int M, int N, int K, const float* A, int lda, const float* B,
                           int ldb, float* C, int ldc);

// Mean milliseconds of one launch of the device GEMM on device-resident random
// operands of the given shape (dense, lda/ldb/ldc = row lengths), timed with
// CUDA events over `reps` back-to-back launches after a warm-up.
double sgemm_device_ms(bool transA, bool transB, int M, int N, int K, int reps);

// "NVIDIA H100 80GB HBM3, sm_90, 132 SMs, ..." for the current device (benchmark headers).
std::string device_description();

}  // namespace hs::cuda
