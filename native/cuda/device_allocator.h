// A caching allocator of device memory for the tfjs CUDA backend (issue 15):
// tfjs creates and disposes a tensor per op output, thousands per training
// step, and cudaMalloc/cudaFree synchronise the device and cost tens of
// microseconds each. Released blocks go to a free list per size class and are
// handed out again; the device sees a handful of allocations per trial.
//
// Plain C++ (the binding's .cc files include it): the raw allocator is a pair
// of functions, tfjs::device_alloc/device_free of native/cuda/tfjs_ops.h for
// the real or the emulated device.
//
// Stream ordering: a block released while kernels enqueued on a stream may
// still read it can be reused at once by work enqueued later on the SAME
// stream (the stream orders them). With several streams, synchronise before
// release. Thread-safe (one mutex).
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace hs {

struct DeviceAllocatorStats {
  size_t bytes_in_use = 0;    // size classes of the blocks handed out and not released
  size_t bytes_cached = 0;    // size classes of the blocks held in the free lists
  size_t peak_bytes_in_use = 0;
  size_t live_blocks = 0;     // blocks handed out and not released
  uint64_t allocations = 0;   // blocks taken from the device (raw allocations)
  uint64_t reuses = 0;        // requests served from a free list
  uint64_t device_frees = 0;  // blocks given back to the device (trim, limit, destructor)
};

class DeviceAllocator {
 public:
  using RawAlloc = void* (*)(size_t);
  using RawFree = void (*)(void*) noexcept;

  // max_cached_bytes: above this much idle memory, released blocks go back to the device.
  DeviceAllocator(RawAlloc raw_alloc, RawFree raw_free, size_t max_cached_bytes = size_t(1) << 32)
      : raw_alloc_(raw_alloc), raw_free_(raw_free), max_cached_(max_cached_bytes) {}
  DeviceAllocator(const DeviceAllocator&) = delete;
  DeviceAllocator& operator=(const DeviceAllocator&) = delete;
  ~DeviceAllocator() {
    trim();
    for (auto& [p, bytes] : live_) raw_free_(p);  // leaked by the owner: returned anyway
  }

  // The size class of a request: at least 256 bytes, then four classes per
  // power of two (a block wastes under 25%). 0 stays 0.
  static size_t size_class(size_t bytes) {
    if (bytes == 0) return 0;
    if (bytes <= 256) return 256;
    int top = 63;
    while (((bytes - 1) >> top) == 0) --top;  // bit index of the highest set bit of bytes - 1
    const size_t quarter = size_t(1) << (top - 2);  // a quarter of the power of two below (>= 64)
    return (bytes + quarter - 1) / quarter * quarter;
  }

  // A block of at least `bytes` (nullptr for 0). On a failed device
  // allocation the cache is emptied and the allocation tried once more.
  void* allocate(size_t bytes) {
    const size_t cls = size_class(bytes);
    if (cls == 0) return nullptr;
    std::lock_guard<std::mutex> lock(mu_);
    void* p = nullptr;
    auto it = free_.find(cls);
    if (it != free_.end() && !it->second.empty()) {
      p = it->second.back();
      it->second.pop_back();
      stats_.bytes_cached -= cls;
      ++stats_.reuses;
    } else {
      try {
        p = raw_alloc_(cls);
      } catch (const std::exception&) {
        trim_locked();
        p = raw_alloc_(cls);  // throws again when the device really is full
      }
      ++stats_.allocations;
    }
    live_[p] = cls;
    stats_.bytes_in_use += cls;
    ++stats_.live_blocks;
    if (stats_.bytes_in_use > stats_.peak_bytes_in_use) stats_.peak_bytes_in_use = stats_.bytes_in_use;
    return p;
  }

  // Gives a block back to the cache. nullptr is ignored; a pointer this
  // allocator did not hand out throws std::invalid_argument.
  void release(void* p) {
    if (p == nullptr) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(p);
    if (it == live_.end()) throw std::invalid_argument("DeviceAllocator::release: not a live block of this allocator");
    const size_t cls = it->second;
    live_.erase(it);
    stats_.bytes_in_use -= cls;
    --stats_.live_blocks;
    if (stats_.bytes_cached + cls > max_cached_) {
      raw_free_(p);
      ++stats_.device_frees;
      return;
    }
    free_[cls].push_back(p);
    stats_.bytes_cached += cls;
  }

  // Returns every cached block to the device.
  void trim() {
    std::lock_guard<std::mutex> lock(mu_);
    trim_locked();
  }

  DeviceAllocatorStats stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

 private:
  void trim_locked() {
    for (auto& [cls, blocks] : free_) {
      for (void* p : blocks) {
        raw_free_(p);
        ++stats_.device_frees;
      }
      stats_.bytes_cached -= cls * blocks.size();
      blocks.clear();
    }
    free_.clear();
  }

  RawAlloc raw_alloc_;
  RawFree raw_free_;
  size_t max_cached_;
  mutable std::mutex mu_;
  std::map<size_t, std::vector<void*>> free_;
  std::unordered_map<void*, size_t> live_;
  DeviceAllocatorStats stats_;
};

}  // namespace hs
