// Seconds per training epoch of CpuMlp<float> (784-400-700-10 sigmoid by
// default) on random data, for the given thread counts (default 1 and 2).
//   bench_mlp_epoch [--rows N] [--batch B] [--epochs E] [threads...]
// Prints one line per thread count, plus an FNV hash of the final weights so
// that runs with different thread counts or builds can be compared bit for bit.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/mlp.h"
#include "core/mlp_cpu.h"

namespace {

uint64_t hash_params(const hs::MlpParams<float>& p) {
  uint64_t h = 1469598103934665603ull;
  for (const std::vector<float>* v : {&p.W1, &p.b1, &p.W2, &p.b2, &p.W3, &p.b3}) {
    for (float f : *v) {
      uint32_t u;
      std::memcpy(&u, &f, 4);
      h = (h ^ u) * 1099511628211ull;
    }
  }
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 50000;
  int batch = 64, epochs = 2;
  std::vector<int> threads;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--rows") && i + 1 < argc) rows = std::atoll(argv[++i]);
    else if (!std::strcmp(argv[i], "--batch") && i + 1 < argc) batch = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--epochs") && i + 1 < argc) epochs = std::atoi(argv[++i]);
    else threads.push_back(std::atoi(argv[i]));
  }
  if (threads.empty()) threads = {1, 2};
  hs::MlpShape shape;
  const int F = shape.inputs;
  std::vector<float> x(static_cast<size_t>(rows) * F);
  std::vector<uint8_t> y(rows);
  uint64_t s = 12345;
  for (auto& v : x) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    v = static_cast<float>((s >> 40) & 0xff) / 255.0f;
  }
  for (auto& v : y) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    v = static_cast<uint8_t>((s >> 33) % 10);
  }
  hs::DatasetView data{x.data(), y.data(), rows, F};
  hs::SgdSettings sgd;
  sgd.alpha0 = 0.05;
  sgd.batch_size = batch;
  const auto init = hs::init_params<float>(shape, hs::Init::Glorot, 7);
  for (int t : threads) {
    hs::CpuMlp<float> mlp(shape, init, t);
    double best = 1e30;
    int64_t step = 0;
    for (int e = 0; e < epochs; ++e) {
      const auto t0 = std::chrono::steady_clock::now();
      const auto r = mlp.train_epoch(data, sgd, step, 99, e, nullptr);
      const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      step = r.t_end;
      if (sec < best) best = sec;
    }
    std::printf("threads=%d batch=%d rows=%lld best_s_per_epoch=%.3f hash=%016llx\n", t, batch,
                static_cast<long long>(rows), best, static_cast<unsigned long long>(hash_params(mlp.params())));
  }
  return 0;
}
