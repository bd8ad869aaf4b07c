// A small persistent pool of worker threads, one per model (no OpenMP: the
// caller sets the thread count, and trials in different Node worker threads
// must not share or oversubscribe a global runtime pool).
//
// Jobs are cooperative: the calling thread always takes part, and workers
// join while the job is open. The job shares out its own work (an atomic
// chunk counter), so it completes even when no worker gets a core in time —
// on a busy machine a late worker costs nothing instead of stalling the call.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace hs {

class ThreadPool {
 public:
  // `threads` counts the calling thread: ThreadPool(2) starts one worker.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return size_; }

  // Calls f() on the calling thread and on up to n - 1 workers that arrive
  // before the caller's own f() returns; a worker may call f() more than once.
  // f must claim its work itself and be safe to run concurrently. Returns when
  // every call of f has returned.
  template <class F>
  void run(int n, F&& f) {
    if (n <= 1 || size_ <= 1) {
      f();
      return;
    }
    using Fn = std::remove_reference_t<F>;
    run_impl(n, [](void* ctx) { (*static_cast<Fn*>(ctx))(); },
             const_cast<void*>(static_cast<const void*>(&f)));
  }

 private:
  void run_impl(int n, void (*fn)(void*), void* ctx);
  void worker_loop(int tid);

  int size_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  // The current job. fn_/ctx_/n_ are written before open_ is set and are only
  // read by a worker that has registered in active_ and then seen open_.
  void (*fn_)(void*) = nullptr;
  void* ctx_ = nullptr;
  std::atomic<int> n_{0};
  std::atomic<bool> open_{false};
  std::atomic<int> active_{0};
  std::atomic<bool> quit_{false};
};

}  // namespace hs
