// Batched matrix products for the TensorFlow.js BatchMatMul and _FusedMatMul
// kernels, on our GEMM (core/gemm.h).
#pragma once

namespace hs {

class ThreadPool;

// For i < batch = max(batch_a, batch_b): out[i] (M × N) = op(A_i) · op(B_i),
// then out = act(out + bias[j]) when bias (length N) is given and/or relu is
// set. A_i is a[i] when batch_a == batch, a[0] when batch_a == 1 (likewise B);
// a[i] is stored K × M when trans_a, else M × K (row-major); b[i] is N × K
// when trans_b, else K × N. Throws std::invalid_argument on other batch pairs.
// Each product is computed as the GEMM computes it, whoever runs it: the
// result does not depend on the pool's size.
void batch_matmul(int batch_a, int batch_b, int M, int N, int K, bool trans_a, bool trans_b,
                  const float* a, const float* b, const float* bias, bool relu, float* out,
                  ThreadPool* pool);

}  // namespace hs
