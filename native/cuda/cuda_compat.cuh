// The few CUDA runtime services the MLP kernels and trainer use, behind small
// checked wrappers, in one of two modes:
//  - compiled by nvcc (__CUDACC__): the real CUDA runtime; every call's return
//    code is checked and turned into std::runtime_error with CUDA's message,
//    and the last error is checked after every launch;
//  - compiled by a plain C++ compiler with HS_CUDA_EMULATE defined (tests only):
//    a host emulator that runs each kernel's blocks one after another and the
//    threads of a block as cooperative fibers (ucontext), so that __syncthreads
//    keeps its meaning. Device memory is host memory that ends on a guard page,
//    so reading past the end of a buffer crashes instead of passing silently.
//    This lets the index arithmetic of the very same kernel source be checked
//    on a machine without a GPU; it says nothing about speed or about races
//    the sequential schedule happens to hide.
//
// Everything lives in namespace HS_CUDA_NS (hs::cuda for the real build) so the
// emulated copy, compiled into a test under another namespace, can never be
// mixed up with the real one at link time.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#ifndef HS_CUDA_NS
#define HS_CUDA_NS hs::cuda
#endif

#if defined(__CUDACC__)
// ---------------------------------------------------------------------------
// Real CUDA
// ---------------------------------------------------------------------------
#include <cuda_runtime.h>

#include <utility>

namespace HS_CUDA_NS {

using Stream = cudaStream_t;

// `#pragma unroll` for nvcc, nothing for the host emulator.
#define HS_UNROLL _Pragma("unroll")

[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* what, const char* file,
                                          int line) {
  throw std::runtime_error(std::string("CUDA error: ") + cudaGetErrorString(err) + " (" +
                           cudaGetErrorName(err) + ") in " + what + " at " + file + ":" +
                           std::to_string(line));
}

#define HS_CUDA_CHECK(expr)                                                  \
  do {                                                                       \
    cudaError_t hs_err_ = (expr);                                            \
    if (hs_err_ != cudaSuccess) throw_cuda_error(hs_err_, #expr, __FILE__, __LINE__); \
  } while (0)

inline void* dev_alloc(size_t bytes) {
  void* p = nullptr;
  if (bytes == 0) return nullptr;
  HS_CUDA_CHECK(cudaMalloc(&p, bytes));
  return p;
}
inline void dev_free(void* p) noexcept {
  if (p) cudaFree(p);  // errors ignored: called from destructors
}
// Copies are ordered on the trainer's stream and waited for, so the host buffer
// may be released on return and no kernel of ours can still be using `dst`.
inline void copy_to_device(void* dst, const void* src, size_t bytes, Stream s) {
  if (bytes == 0) return;
  HS_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, s));
  HS_CUDA_CHECK(cudaStreamSynchronize(s));
}
inline void copy_to_host(void* dst, const void* src, size_t bytes, Stream s) {
  if (bytes == 0) return;
  HS_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, s));
  HS_CUDA_CHECK(cudaStreamSynchronize(s));
}
inline void memset_async(void* dst, int value, size_t bytes, Stream s) {
  if (bytes == 0) return;
  HS_CUDA_CHECK(cudaMemsetAsync(dst, value, bytes, s));
}
inline void stream_sync(Stream s) { HS_CUDA_CHECK(cudaStreamSynchronize(s)); }
inline Stream stream_create() {
  Stream s = nullptr;
  // Non-blocking: never implicitly serialised with the legacy default stream,
  // so trainers in different host threads don't wait on each other.
  HS_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  return s;
}
inline void stream_destroy(Stream s) noexcept {
  if (s) cudaStreamDestroy(s);
}
inline int current_device() {
  int d = 0;
  HS_CUDA_CHECK(cudaGetDevice(&d));
  return d;
}
inline void set_device(int d) { HS_CUDA_CHECK(cudaSetDevice(d)); }

// kernel<<<grid, block, 0, stream>>>(args...), then the launch error checked.
template <typename... KArgs, typename... Args>
inline void launch(void (*kernel)(KArgs...), dim3 grid, dim3 block, Stream s, Args&&... args) {
  kernel<<<grid, block, 0, s>>>(std::forward<Args>(args)...);
  HS_CUDA_CHECK(cudaGetLastError());
}

__device__ __forceinline__ bool is_finite(double x) { return isfinite(x); }

// Four consecutive floats from 16-byte aligned shared memory in one access.
__device__ __forceinline__ void load4(const float* p, float (&v)[4]) {
  const float4 t = *reinterpret_cast<const float4*>(p);
  v[0] = t.x;
  v[1] = t.y;
  v[2] = t.z;
  v[3] = t.w;
}

}  // namespace HS_CUDA_NS

#elif defined(HS_CUDA_EMULATE)
// ---------------------------------------------------------------------------
// Host emulation (tests only)
// ---------------------------------------------------------------------------
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <vector>

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
inline dim3 threadIdx, blockIdx, blockDim, gridDim;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
#define HS_UNROLL
// One block runs at a time, so a function-local static is exactly "shared by
// the threads of this block".
#define __shared__ static

namespace hs_emu {

// The fibers of the block being run. A fiber that waits at a barrier switches
// straight to the next unfinished fiber (round-robin), so a barrier costs one
// context switch per thread; the last fiber to finish returns to run_grid.
struct Scheduler {
  ucontext_t main_ctx;
  std::vector<ucontext_t> ctx;
  std::vector<std::unique_ptr<char[]>> stacks;
  std::vector<char> done;
  std::vector<dim3> tid;
  const std::function<void()>* body = nullptr;
  int n = 0;
  int current = 0;
  int live = 0;
  int arrived = 0;
  unsigned generation = 0;
  bool used_barrier = false;  // some thread of this launch reached __syncthreads
  bool direct = false;        // threads run as plain calls, one after another
};
inline Scheduler& sched() {
  static Scheduler s;
  return s;
}
constexpr size_t kFiberStack = 256 * 1024;

// The unfinished fiber after `from` in round-robin order (`from` itself if it is the only one).
inline int next_fiber(const Scheduler& s, int from) {
  for (int i = 1; i <= s.n; ++i) {
    const int t = (from + i) % s.n;
    if (!s.done[t]) return t;
  }
  return from;
}
inline void yield() {
  Scheduler& s = sched();
  const int from = s.current;
  const int to = next_fiber(s, from);
  if (to == from) return;
  s.current = to;
  threadIdx = s.tid[to];
  swapcontext(&s.ctx[from], &s.ctx[to]);
  // Resumed: whoever switched here set current and threadIdx back to ours.
}
inline void fiber_main() {
  Scheduler& s = sched();
  (*s.body)();
  s.done[s.current] = 1;
  --s.live;
  // Threads that returned no longer take part in barriers.
  if (s.arrived > 0 && s.arrived == s.live) {
    s.arrived = 0;
    ++s.generation;
  }
  if (s.live > 0) {
    const int to = next_fiber(s, s.current);
    s.current = to;
    threadIdx = s.tid[to];
    setcontext(&s.ctx[to]);
  }
  // The last one returns to uc_link: run_grid.
}
inline void syncthreads() {
  Scheduler& s = sched();
  if (s.direct) {
    std::fprintf(stderr, "hs_emu: a kernel reached __syncthreads after its first block ran without one\n");
    std::abort();
  }
  s.used_barrier = true;
  const unsigned gen = s.generation;
  if (++s.arrived == s.live) {
    s.arrived = 0;
    ++s.generation;
    return;
  }
  while (s.generation == gen) yield();
}

inline void run_grid(dim3 grid, dim3 block, const std::function<void()>& body) {
  Scheduler& s = sched();
  const int n = static_cast<int>(block.x * block.y * block.z);
  while (static_cast<int>(s.stacks.size()) < n) s.stacks.emplace_back(new char[kFiberStack]);
  s.n = n;
  s.ctx.resize(n);
  s.done.assign(n, 0);
  s.tid.resize(n);
  s.body = &body;
  gridDim = grid;
  blockDim = block;
  s.used_barrier = false;
  s.direct = false;
  bool first_block = true;
  for (unsigned bz = 0; bz < grid.z; ++bz)
    for (unsigned by = 0; by < grid.y; ++by)
      for (unsigned bx = 0; bx < grid.x; ++bx) {
        blockIdx = dim3(bx, by, bz);
        // A kernel whose first block never reached a barrier runs its other
        // blocks' threads as plain calls (and aborts should one reach a barrier after all).
        if (!first_block && !s.used_barrier) {
          s.direct = true;
          for (int t = 0; t < n; ++t) {
            threadIdx = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
            body();
          }
          continue;
        }
        first_block = false;
        s.live = n;
        s.arrived = 0;
        for (int t = 0; t < n; ++t) {
          s.done[t] = 0;
          s.tid[t] = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
          getcontext(&s.ctx[t]);
          s.ctx[t].uc_stack.ss_sp = s.stacks[t].get();
          s.ctx[t].uc_stack.ss_size = kFiberStack;
          s.ctx[t].uc_link = &s.main_ctx;
          makecontext(&s.ctx[t], fiber_main, 0);
        }
        s.current = 0;
        threadIdx = s.tid[0];
        swapcontext(&s.main_ctx, &s.ctx[0]);  // returns when every fiber has finished
      }
  s.direct = false;
}

}  // namespace hs_emu

inline void __syncthreads() { hs_emu::syncthreads(); }

namespace HS_CUDA_NS {

using Stream = void*;

#define HS_CUDA_CHECK(expr) (void)(expr)

// Buffers end exactly at a PROT_NONE page: an out-of-bounds read crashes.
struct Mapping {
  void* base;
  size_t total;
};
inline std::map<void*, Mapping>& mappings() {
  static std::map<void*, Mapping> m;
  return m;
}
inline void* dev_alloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t rounded = (bytes + 15) / 16 * 16;
  const size_t data_pages = (rounded + page - 1) / page;
  const size_t total = (data_pages + 1) * page;
  void* base = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) throw std::runtime_error("emulated dev_alloc failed");
  char* guard = static_cast<char*>(base) + data_pages * page;
  if (mprotect(guard, page, PROT_NONE) != 0) throw std::runtime_error("emulated mprotect failed");
  char* p = guard - rounded;
  // Poison: a float nobody wrote reads as NaN.
  std::memset(p, 0xff, rounded);
  mappings()[p] = Mapping{base, total};
  return p;
}
inline void dev_free(void* p) noexcept {
  if (!p) return;
  auto it = mappings().find(p);
  if (it == mappings().end()) return;
  munmap(it->second.base, it->second.total);
  mappings().erase(it);
}
inline void copy_to_device(void* dst, const void* src, size_t bytes, Stream) {
  if (bytes) std::memcpy(dst, src, bytes);
}
inline void copy_to_host(void* dst, const void* src, size_t bytes, Stream) {
  if (bytes) std::memcpy(dst, src, bytes);
}
inline void memset_async(void* dst, int value, size_t bytes, Stream) {
  if (bytes) std::memset(dst, value, bytes);
}
inline void stream_sync(Stream) {}
inline Stream stream_create() { return nullptr; }
inline void stream_destroy(Stream) noexcept {}
inline int current_device() { return 0; }
inline void set_device(int) {}

template <typename... KArgs, typename... Args>
inline void launch(void (*kernel)(KArgs...), dim3 grid, dim3 block, Stream, Args&&... args) {
  const std::function<void()> body = [&] { kernel(args...); };
  hs_emu::run_grid(grid, block, body);
}

inline bool is_finite(double x) { return std::isfinite(x); }
inline void load4(const float* p, float (&v)[4]) {
  v[0] = p[0];
  v[1] = p[1];
  v[2] = p[2];
  v[3] = p[3];
}

}  // namespace HS_CUDA_NS

#else
#error "cuda_compat.cuh: compile with nvcc, or define HS_CUDA_EMULATE for the host emulator"
#endif
