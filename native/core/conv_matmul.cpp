#include "core/conv_matmul.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "core/parallel.h"
#include "core/gemm.h"

namespace hs {

void batch_matmul(int batch_a, int batch_b, int M, int N, int K, bool trans_a, bool trans_b,
                  const float* a, const float* b, const float* bias, bool relu, float* out,
                  ThreadPool* pool) {
  const int batch = std::max(batch_a, batch_b);
  if ((batch_a != 1 && batch_a != batch) || (batch_b != 1 && batch_b != batch) || batch < 1)
    throw std::invalid_argument("batch_matmul: batch sizes must be equal or 1");
  if (M <= 0 || N <= 0) return;
  GemmEpilogue<float> ep;
  ep.bias = bias;
  ep.activate = relu;
  ep.activation = Activation::Relu;
  const GemmEpilogue<float>* epp = bias || relu ? &ep : nullptr;
  const std::ptrdiff_t a_step = batch_a == 1 ? 0 : static_cast<std::ptrdiff_t>(M) * K;
  const std::ptrdiff_t b_step = batch_b == 1 ? 0 : static_cast<std::ptrdiff_t>(K) * N;
  const std::ptrdiff_t c_step = static_cast<std::ptrdiff_t>(M) * N;
  const int lda = trans_a ? M : K, ldb = trans_b ? K : N;
  auto one = [&](std::int64_t i, ThreadPool* p) {
    sgemm(trans_a, trans_b, M, N, K, 1.0f, a + i * a_step, std::max(1, lda), b + i * b_step,
          std::max(1, ldb), 0.0f, out + i * c_step, N, p, epp);
  };
  const int threads = pool ? pool->size() : 1;
  if (batch >= 2 * threads) {
    detail::parallel_for(pool, batch, [&](std::int64_t i) { one(i, nullptr); });
  } else {
    for (int i = 0; i < batch; ++i) one(i, pool);
  }
}

}  // namespace hs
