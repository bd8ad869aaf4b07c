// The device side of native/binding/cuda_backend.cc, kept apart from N-API:
// the ops table (one entry per op of native/cuda/tfjs_ops.h, with the check
// of its buffers' sizes) and the Device (stream + allocator) it runs on.
// Compiled only with HS_WITH_CUDA (the real kernels) or HS_CUDA_EMULATE (the
// host emulator's copy in hypersweep_cuda_emu.node).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hs::binding::cuda_ops {

constexpr size_t kMaxBuffers = 8;

/** One op call: buffers as resolved from their handles (nullptr / 0 bytes: absent), and the parameters. */
struct Call {
  void* ptr[kMaxBuffers] = {};
  size_t bytes[kMaxBuffers] = {};
  const int32_t* ints = nullptr;
  const double* floats = nullptr;
};

class Device;

struct OpSpec {
  const char* name;
  size_t buffers;
  size_t ints;
  size_t floats;
  /**
   * Checks the call (parameters in range, every buffer present and large
   * enough: std::invalid_argument saying what is wrong, before anything is
   * enqueued), then launches on the device's stream; no wait. Scratch memory
   * comes from the device's allocator and goes back to it after the launch
   * (safe: one stream orders the reuse).
   */
  void (*run)(Device&, const Call&);
};

/** Every op, in the index order CudaContext.run takes. */
const std::vector<OpSpec>& op_table();

/** One device: its stream and a caching allocator of device memory. Not thread-safe (one per JS context). */
class Device {
 public:
  explicit Device(int ordinal);
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  void* alloc(size_t bytes);
  /** Back to the cache (bytes: as allocated); the memory may be reused by the next alloc of that size class. */
  void free(void* p, size_t bytes) noexcept;
  void upload(void* dst, const void* src, size_t bytes);
  void download(void* dst, const void* src, size_t bytes);
  void memset(void* dst, int byte, size_t bytes);
  void synchronize();
  void* stream() const;
  /** Device memory held from the driver: live buffers and cached free blocks. */
  size_t reserved_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/** CUDA devices usable now (real build). */
int device_count();
/** "NVIDIA H200" (real build). */
std::string device_name(int ordinal);

}  // namespace hs::binding::cuda_ops
