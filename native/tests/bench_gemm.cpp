// GFLOP/s of our sgemm on the MLP's shapes (forward, and the backward
// transposes), B = 32, 64, 128, for 1 and 2 threads (or those given as
// arguments). One line per shape:
//   shape=MxNxK transA=0 transB=0 threads=T gflops=X
// The benchmark harness compares these lines with OpenBLAS on the same shapes.
// --cputime measures process CPU time instead of wall time (for tuning on a
// busy machine; meaningful with 1 thread only).
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/gemm.h"
#include "core/rng.h"
#include "core/thread_pool.h"

namespace {

struct Shape {
  int M, N, K;
  bool ta, tb;
};

std::vector<Shape> mlp_shapes() {
  std::vector<Shape> v;
  for (int B : {32, 64, 128}) {
    v.push_back({B, 400, 784, false, false});  // X·W1
    v.push_back({B, 700, 400, false, false});  // A1·W2
    v.push_back({B, 10, 700, false, false});   // A2·W3
    v.push_back({784, 400, B, true, false});   // Xᵀ·dZ1
    v.push_back({400, 700, B, true, false});   // A1ᵀ·dZ2
    v.push_back({700, 10, B, true, false});    // A2ᵀ·dZ3
    v.push_back({B, 400, 700, false, true});   // dZ2·W2ᵀ
    v.push_back({B, 700, 10, false, true});    // dZ3·W3ᵀ
    v.push_back({B, 784, 400, false, true});   // dZ1·W1ᵀ (not needed by training)
  }
  return v;
}

bool g_cputime = false;

double now_seconds() {
  if (g_cputime) {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double seconds_per_call(const Shape& s, hs::ThreadPool* pool, std::vector<float>& A,
                        std::vector<float>& B, std::vector<float>& C) {
  const int lda = s.ta ? s.M : s.K, ldb = s.tb ? s.K : s.N;
  double best = 1e30;
  for (int rep = 0; rep < 7; ++rep) {
    int iters = 0;
    const double t0 = now_seconds();
    double elapsed = 0;
    do {
      hs::sgemm(s.ta, s.tb, s.M, s.N, s.K, 1.0f, A.data(), lda, B.data(), ldb, 0.0f, C.data(), s.N,
                pool);
      ++iters;
      elapsed = now_seconds() - t0;
    } while (elapsed < 0.03);
    best = std::min(best, elapsed / iters);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> thread_counts;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--cputime") == 0) g_cputime = true;
    else thread_counts.push_back(std::atoi(argv[i]));
  }
  if (thread_counts.empty()) thread_counts = {1, 2};
  std::fprintf(stderr, "hypersweep sgemm, kernels=%s, %s\n", hs::gemm_simd(),
               g_cputime ? "process CPU time" : "wall time");
  hs::Rng rng(1, 1);
  for (int threads : thread_counts) {
    hs::ThreadPool pool(threads);
    for (const Shape& s : mlp_shapes()) {
      std::vector<float> A(static_cast<size_t>(s.M) * s.K), B(static_cast<size_t>(s.K) * s.N),
          C(static_cast<size_t>(s.M) * s.N);
      for (auto& v : A) v = static_cast<float>(rng.uniform());
      for (auto& v : B) v = static_cast<float>(rng.uniform());
      const double t = seconds_per_call(s, &pool, A, B, C);
      std::printf("shape=%dx%dx%d transA=%d transB=%d threads=%d gflops=%.2f\n", s.M, s.N, s.K, s.ta,
                  s.tb, threads, 2.0 * s.M * s.N * s.K / t / 1e9);
      std::fflush(stdout);
    }
  }
  return 0;
}
