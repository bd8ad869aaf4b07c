#include "core/thread_pool.h"

#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HS_CPU_RELAX() _mm_pause()
#else
#define HS_CPU_RELAX() std::this_thread::yield()
#endif

namespace hs {

namespace {
// How long an idle worker spins before it sleeps on the condition variable.
// The MLP issues GEMMs a few microseconds apart; a short spin saves the futex
// wake-up latency on each of them without burning a core when the model idles.
constexpr auto kSpin = std::chrono::microseconds(200);
}  // namespace

ThreadPool::ThreadPool(int threads) : size_(threads < 1 ? 1 : threads) {
  workers_.reserve(size_ - 1);
  for (int tid = 1; tid < size_; ++tid) workers_.emplace_back([this, tid] { worker_loop(tid); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    quit_.store(true);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::run_impl(int n, void (*fn)(void*), void* ctx) {
  fn_ = fn;
  ctx_ = ctx;
  n_.store(n);
  open_.store(true);  // seq_cst: publishes fn_/ctx_ to any worker that sees it
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  fn(ctx);
  // Close the job, then wait for the workers inside it. A worker registers in
  // active_ before it checks open_ (both seq_cst), so either we see it here or
  // it sees the job closed and never touches fn_/ctx_.
  open_.store(false);
  // Usually a few microseconds (a worker finishing its last chunk). If that
  // worker lost its core, yield ours now and then so that it can finish.
  for (int spins = 1; active_.load() != 0; ++spins) {
    HS_CPU_RELAX();
    if (spins % 256 == 0) std::this_thread::yield();
  }
}

void ThreadPool::worker_loop(int tid) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t g = generation_.load(std::memory_order_acquire);
    if (g == seen) {
      const auto until = std::chrono::steady_clock::now() + kSpin;
      int spins = 0;
      while ((g = generation_.load(std::memory_order_acquire)) == seen) {
        HS_CPU_RELAX();
        if (++spins % 64 == 0 && std::chrono::steady_clock::now() > until) break;
      }
    }
    if (g == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      g = generation_.load(std::memory_order_acquire);
    }
    seen = g;
    if (quit_.load()) return;
    active_.fetch_add(1);
    if (open_.load() && tid < n_.load()) fn_(ctx_);
    active_.fetch_sub(1);
  }
}

}  // namespace hs
