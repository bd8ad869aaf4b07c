// cuda_ops::Device (cuda_backend_ops.h): the stream and the caching
// allocator of the cuda engine. cudaMalloc and cudaFree synchronise the whole
// device and cost tens of microseconds; a training step allocates and frees
// the same sizes every step, so freed blocks are kept per size class and
// handed out again (hs::DeviceAllocator, native/cuda/device_allocator.h).
// Reuse is per size class and LIFO with one stream, so the sequence of
// addresses, and with it everything the kernels compute, is the same run to run.
//
// In the host emulation a block ends at the emulator's guard page, but a
// tensor smaller than its size class does not: a kernel reading a little past
// its tensor is caught only by the kernels' own tests (exact allocations).
#if defined(HS_WITH_CUDA) || defined(HS_CUDA_EMULATE)

#include <stdexcept>
#include <string>

#include "binding/cuda_backend_ops.h"
#include "cuda/device_allocator.h"

#if defined(HS_CUDA_EMULATE)
#include "cuda/cuda_compat.cuh"
#else
#include <cuda_runtime.h>
#endif

namespace hs::binding::cuda_ops {

namespace {

#if defined(HS_CUDA_EMULATE)
namespace emu = HS_CUDA_NS;
void* raw_alloc(size_t bytes) { return emu::dev_alloc(bytes); }
void raw_free(void* p) noexcept { emu::dev_free(p); }
#else
void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess)
    throw std::runtime_error(std::string("CUDA error: ") + cudaGetErrorString(err) + " in " + what);
}
void* raw_alloc(size_t bytes) {
  void* p = nullptr;
  check(cudaMalloc(&p, bytes), "cudaMalloc");
  return p;
}
void raw_free(void* p) noexcept { cudaFree(p); }
#endif

}  // namespace

struct Device::Impl {
  int ordinal = 0;
  void* stream = nullptr;
  hs::DeviceAllocator allocator{raw_alloc, raw_free};
};

Device::Device(int ordinal) : impl_(std::make_unique<Impl>()) {
  impl_->ordinal = ordinal;
#if !defined(HS_CUDA_EMULATE)
  check(cudaSetDevice(ordinal), "cudaSetDevice");
  cudaStream_t s = nullptr;
  check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  impl_->stream = s;
#endif
}

Device::~Device() {
#if !defined(HS_CUDA_EMULATE)
  cudaSetDevice(impl_->ordinal);
  if (impl_->stream) {
    cudaStreamSynchronize(static_cast<cudaStream_t>(impl_->stream));
    cudaStreamDestroy(static_cast<cudaStream_t>(impl_->stream));
  }
#endif
  // impl_'s allocator frees every block it holds.
}

void* Device::alloc(size_t bytes) { return impl_->allocator.allocate(bytes); }

void Device::free(void* p, size_t) noexcept {
  // Kernels already queued on our one stream may still read p; a later kernel
  // that gets it is queued behind them on the same stream, so reuse is safe.
  try {
    impl_->allocator.release(p);
  } catch (...) {
    // Not ours: nothing to give back.
  }
}
void Device::upload(void* dst, const void* src, size_t bytes) {
#if defined(HS_CUDA_EMULATE)
  emu::copy_to_device(dst, src, bytes, nullptr);
#else
  auto s = static_cast<cudaStream_t>(impl_->stream);
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, s), "cudaMemcpyAsync (upload)");
  // The host array belongs to JS and may change or go once we return.
  check(cudaStreamSynchronize(s), "cudaStreamSynchronize");
#endif
}

void Device::download(void* dst, const void* src, size_t bytes) {
#if defined(HS_CUDA_EMULATE)
  emu::copy_to_host(dst, src, bytes, nullptr);
#else
  auto s = static_cast<cudaStream_t>(impl_->stream);
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, s), "cudaMemcpyAsync (download)");
  check(cudaStreamSynchronize(s), "cudaStreamSynchronize");
#endif
}

void Device::memset(void* dst, int byte, size_t bytes) {
#if defined(HS_CUDA_EMULATE)
  emu::memset_async(dst, byte, bytes, nullptr);
#else
  check(cudaMemsetAsync(dst, byte, bytes, static_cast<cudaStream_t>(impl_->stream)), "cudaMemsetAsync");
#endif
}

void Device::synchronize() {
#if !defined(HS_CUDA_EMULATE)
  check(cudaStreamSynchronize(static_cast<cudaStream_t>(impl_->stream)), "cudaStreamSynchronize");
#endif
}

void* Device::stream() const { return impl_->stream; }

size_t Device::reserved_bytes() const {
  const DeviceAllocatorStats st = impl_->allocator.stats();
  return st.bytes_in_use + st.bytes_cached;
}

#if !defined(HS_CUDA_EMULATE)
int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return n;
}

std::string device_name(int ordinal) {
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, ordinal) != cudaSuccess) {
    cudaGetLastError();
    return "unknown CUDA device";
  }
  return prop.name;
}
#endif

}  // namespace hs::binding::cuda_ops

#endif  // HS_WITH_CUDA || HS_CUDA_EMULATE
