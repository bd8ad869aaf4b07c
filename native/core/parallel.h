// Shared helpers of the kernels (conv*, pool*, elementwise*, the MLP trainer): a parallel
// loop over independent units and per-thread scratch space.
//
// A unit is the smallest piece of work whose result never depends on who
// computes it; the callers choose units from the problem's sizes only, so the
// thread count decides who computes a unit, never what it computes.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "core/aligned_buffer.h"
#include "core/thread_pool.h"

namespace hs::detail {

// Calls fn(u) once for every u in [0, units), on the pool's threads (the
// calling thread included) when there is more than one unit. fn must not use
// the pool itself (the pool runs one job at a time).
template <class F>
void parallel_for(ThreadPool* pool, std::int64_t units, F&& fn) {
  if (units <= 0) return;
  if (!pool || pool->size() <= 1 || units == 1) {
    for (std::int64_t u = 0; u < units; ++u) fn(u);
    return;
  }
  std::atomic<std::int64_t> next{0};
  const int threads = static_cast<int>(std::min<std::int64_t>(pool->size(), units));
  pool->run(threads, [&] {
    for (std::int64_t u = next.fetch_add(1, std::memory_order_relaxed); u < units;
         u = next.fetch_add(1, std::memory_order_relaxed))
      fn(u);
  });
}

// Per-thread scratch (Slot tells apart buffers that are alive at once), grown
// once and reused by every later call on that thread.
template <typename T, int Slot>
T* scratch(std::size_t n) {
  thread_local AlignedBuffer<T> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

// Splits [0, n) into pieces of about `grain` elements: the unit of the
// memory-bound element-wise loops (enough work per unit to be worth a thread,
// few enough units to keep the claiming cheap).
inline std::int64_t pieces(std::int64_t n, std::int64_t grain) {
  return n <= grain ? 1 : (n + grain - 1) / grain;
}

}  // namespace hs::detail
