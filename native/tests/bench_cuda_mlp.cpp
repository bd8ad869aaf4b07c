// Benchmark of the CUDA MLP (not a test): GFLOP/s of our device GEMM on the
// MLP's shapes, then seconds per epoch and samples/s of the 784-400-700-10
// sigmoid MLP on 50,000 random rows at batch 32, 64 and 128 (one warm-up epoch
// first; train_epoch returns only when the GPU is done, so host clocks time it).
// Usage: bench_cuda_mlp [epochs=3] [rows=50000]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <vector>

#include "core/mlp.h"
#include "core/rng.h"

#ifdef HS_WITH_CUDA
#include "cuda/gemm_cuda.h"
#include "cuda/mlp_cuda.h"
#endif

namespace {

#ifdef HS_WITH_CUDA
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct GemmShape {
  const char* what;
  bool ta, tb;
  int M, N, K;
};

void bench_gemm() {
  std::printf("\nDevice GEMM (our tiled FP32 FMA kernel), mean of 200 back-to-back launches (CUDA events)\n");
  std::printf("%-26s %5s %5s %5s %10s %10s\n", "shape", "M", "N", "K", "us/call", "GFLOP/s");
  for (int B : {32, 64, 128}) {
    const GemmShape shapes[] = {
        {"fwd  X*W1", false, false, B, 400, 784},  {"fwd  A1*W2", false, false, B, 700, 400},
        {"fwd  A2*W3", false, false, B, 10, 700},  {"bwd  dW1 = X^T*dZ1", true, false, 784, 400, B},
        {"bwd  dW2 = A1^T*dZ2", true, false, 400, 700, B}, {"bwd  dW3 = A2^T*dZ3", true, false, 700, 10, B},
        {"bwd  dA2 = dZ3*W3^T", false, true, B, 700, 10},  {"bwd  dA1 = dZ2*W2^T", false, true, B, 400, 700},
    };
    for (const auto& s : shapes) {
      const double ms = hs::cuda::sgemm_device_ms(s.ta, s.tb, s.M, s.N, s.K, 200);
      const double gflops = 2.0 * s.M * s.N * s.K / (ms * 1e-3) / 1e9;
      std::printf("%-26s %5d %5d %5d %10.2f %10.1f\n", s.what, s.M, s.N, s.K, ms * 1e3, gflops);
    }
  }
  // One large square product: what the kernel does when the GPU is full.
  const double ms = hs::cuda::sgemm_device_ms(false, false, 4096, 4096, 4096, 5);
  std::printf("%-26s %5d %5d %5d %10.2f %10.1f\n", "square (fills the GPU)", 4096, 4096, 4096, ms * 1e3,
              2.0 * 4096.0 * 4096.0 * 4096.0 / (ms * 1e-3) / 1e9);
}

void bench_mlp(int epochs, int64_t rows) {
  hs::MlpShape shape;  // 784-400-700-10 sigmoid
  const int F = shape.inputs;
  hs::Rng rng(2024, 1);
  std::vector<float> x(static_cast<size_t>(rows) * F);
  std::vector<uint8_t> y(static_cast<size_t>(rows));
  for (auto& v : x) v = static_cast<float>(rng.uniform());
  for (auto& v : y) v = static_cast<uint8_t>(rng.below(10));
  hs::DatasetView data;
  data.x = x.data();
  data.y = y.data();
  data.rows = rows;
  data.features = F;

  const hs::MlpParams<float> init = hs::init_params<float>(shape, hs::Init::Glorot, 1);

  // Floating-point work of an epoch: forward + weight gradients of all three
  // layers, input gradients of layers 2 and 3.
  const double per_row = 2.0 * (3.0 * (784.0 * 400 + 400.0 * 700 + 700.0 * 10) - 784.0 * 400);
  const double epoch_flop = per_row * static_cast<double>(rows);

  std::printf("\nMLP 784-400-700-10 sigmoid, %lld random rows, SGD alpha0=0.1 delta=1e-4 lambda=1e-4; "
              "median of %d epochs after a warm-up epoch (%.0f GFLOP per epoch)\n",
              static_cast<long long>(rows), epochs, epoch_flop / 1e9);
  std::printf("%6s %12s %12s %12s %10s %10s %12s\n", "batch", "s/epoch", "best s", "samples/s", "GFLOP/s",
              "steps", "eval s");
  for (int B : {32, 64, 128}) {
    hs::cuda::MlpTrainer tr(shape, init);
    hs::SgdSettings sgd;
    sgd.alpha0 = 0.1;
    sgd.delta = 1e-4;
    sgd.lambda = 1e-4;
    sgd.batch_size = B;
    int64_t t = 0;
    hs::EpochResult r = tr.train_epoch(data, sgd, t, 7, 0, nullptr);  // warm-up (and the upload)
    t = r.t_end;
    std::vector<double> secs;
    for (int e = 1; e <= epochs; ++e) {
      const auto t0 = std::chrono::steady_clock::now();
      r = tr.train_epoch(data, sgd, t, 7, e, nullptr);
      const auto t1 = std::chrono::steady_clock::now();
      secs.push_back(std::chrono::duration<double>(t1 - t0).count());
      t = r.t_end;
      if (r.nonfinite) std::printf("  (batch %d: non-finite loss at step %lld)\n", B, static_cast<long long>(r.failed_step));
    }
    const auto e0 = std::chrono::steady_clock::now();
    const hs::EvalResult ev = tr.evaluate(data);
    const auto e1 = std::chrono::steady_clock::now();
    const double s = median(secs);
    std::printf("%6d %12.4f %12.4f %12.0f %10.1f %10lld %12.4f   (train loss %.4f, acc %.4f)\n", B, s,
                *std::min_element(secs.begin(), secs.end()), static_cast<double>(rows) / s, epoch_flop / s / 1e9,
                static_cast<long long>(r.steps), std::chrono::duration<double>(e1 - e0).count(), ev.loss,
                ev.accuracy);
  }
}
#endif

}  // namespace

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  const int64_t rows = argc > 2 ? std::max(1LL, std::atoll(argv[2])) : 50000;
#ifdef HS_WITH_CUDA
  if (hs::cuda::device_count() == 0) {
    std::printf("SKIPPED: no CUDA device (bench_cuda_mlp)\n");
    return 0;
  }
  try {
    std::printf("bench_cuda_mlp on %s\n", hs::cuda::device_description().c_str());
    bench_gemm();
    bench_mlp(epochs, rows);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_cuda_mlp: %s\n", e.what());
    return 1;
  }
  return 0;
#else
  (void)epochs;
  (void)rows;
  std::printf("SKIPPED: built without CUDA (bench_cuda_mlp)\n");
  return 0;
#endif
}
