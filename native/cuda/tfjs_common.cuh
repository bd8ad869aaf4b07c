// Shared helpers of the tfjs CUDA ops (see tfjs_kernels.cuh), and the device
// memory / stream functions of tfjs_ops.h.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "cuda/tfjs_types.h"
#include "cuda/cuda_compat.cuh"
#include "cuda/mlp_kernels.cuh"

namespace HS_CUDA_NS::tfjs {
#include "cuda/tfjs_ops_decl.h"
}  // namespace HS_CUDA_NS::tfjs

namespace HS_CUDA_NS::tfjs {

// The opaque Stream of the API as the runtime's stream type.
inline HS_CUDA_NS::Stream native_stream(Stream s) { return static_cast<HS_CUDA_NS::Stream>(s); }

// Threads of the element-wise kernels, and the most blocks one launch uses
// (grid-stride loops cover the rest). The grid depends on the size only.
constexpr int kThreads = 256;
constexpr long long kMaxBlocks = 8192;

inline dim3 grid_for(int64_t n) {
  long long blocks = (static_cast<long long>(n) + kThreads - 1) / kThreads;
  if (blocks > kMaxBlocks) blocks = kMaxBlocks;
  if (blocks < 1) blocks = 1;
  return dim3(static_cast<unsigned>(blocks));
}

__device__ __forceinline__ long long global_index() {
  return static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ long long grid_stride() { return static_cast<long long>(gridDim.x) * blockDim.x; }

__device__ __forceinline__ bool is_nan(float x) { return x != x; }

[[noreturn]] inline void bad_arg(const char* fn, const std::string& what) {
  throw std::invalid_argument(std::string("tfjs::") + fn + ": " + what);
}
inline void check_nonneg(const char* fn, const char* what, int64_t v) {
  if (v < 0) bad_arg(fn, std::string(what) + " is negative (" + std::to_string(v) + ")");
}
inline void check_positive(const char* fn, const char* what, int64_t v) {
  if (v <= 0) bad_arg(fn, std::string(what) + " must be positive, got " + std::to_string(v));
}

// Offsets of a workspace's parts, each aligned to 256 bytes.
inline size_t align_up(size_t bytes) { return (bytes + 255) / 256 * 256; }

// ---------------------------------------------------------------------------
// Device memory and streams
// ---------------------------------------------------------------------------

void* device_alloc(size_t bytes) { return HS_CUDA_NS::dev_alloc(bytes); }
void device_free(void* p) noexcept { HS_CUDA_NS::dev_free(p); }
void upload(Stream s, void* dst, const void* host_src, size_t bytes) {
  HS_CUDA_NS::copy_to_device(dst, host_src, bytes, native_stream(s));
}
void download(Stream s, void* host_dst, const void* src, size_t bytes) {
  HS_CUDA_NS::copy_to_host(host_dst, src, bytes, native_stream(s));
}
void copy_device(Stream s, void* dst, const void* src, size_t bytes) {
  if (bytes == 0 || dst == src) return;
#if defined(__CUDACC__)
  HS_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, native_stream(s)));
#else
  (void)s;
  std::memcpy(dst, src, bytes);
#endif
}
Stream create_stream() { return static_cast<Stream>(HS_CUDA_NS::stream_create()); }
void destroy_stream(Stream s) noexcept { HS_CUDA_NS::stream_destroy(native_stream(s)); }
void synchronize(Stream s) { HS_CUDA_NS::stream_sync(native_stream(s)); }

}  // namespace HS_CUDA_NS::tfjs
