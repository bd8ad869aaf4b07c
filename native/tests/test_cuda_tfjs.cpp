// The CUDA kernels of the GPU-resident tfjs backend (native/cuda/tfjs_ops.h),
// checked twice, like test_cuda_mlp.cpp:
//  1. always, on the host: the very same kernel source compiled for the host
//     emulator (native/cuda/cuda_compat.cuh, HS_CUDA_EMULATE) into namespace
//     hs::cuda_emu, exactly as the emulated addon's .cc does (define
//     HS_CUDA_EMULATE and HS_CUDA_NS, include cuda/tfjs_kernels.cuh);
//  2. on a real GPU (hs::cuda::tfjs from tfjs_ops.cu) when the CUDA build found
//     one, otherwise a visible SKIPPED.
// The checks themselves are in test_cuda_tfjs_checks.h.
#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/conv.h"
#include "core/pool.h"
#include "core/tfjs_ref.h"
#include "cuda/device_allocator.h"
#include "test_util.h"

#ifdef HS_WITH_CUDA
#include "cuda/mlp_cuda.h"  // device_count
#include "cuda/tfjs_ops.h"  // hs::cuda::tfjs
#undef HS_CUDA_NS
#else
// Without CUDA, also check that a TU may declare the ops (tfjs_ops.h) and then
// define them (tfjs_kernels.cuh) in the same emulated namespace.
#define HS_CUDA_EMULATE 1
#define HS_CUDA_NS hs::cuda_emu
#include "cuda/tfjs_ops.h"
#undef HS_CUDA_NS
#endif

// The emulated copy. Included last: the emulator defines __global__, __shared__ and friends as macros.
#ifndef HS_CUDA_EMULATE
#define HS_CUDA_EMULATE 1
#endif
#define HS_CUDA_NS hs::cuda_emu
// Small chunks in the emulated copy, so that the row-chunked GEMMs (100 rows,
// not a multiple of the 32-row tile) and the image-chunked convolutions (4096
// im2col floats) run on the test's small shapes; the GPU copy keeps the defaults.
#define HS_TFJS_MAX_GEMM_ROWS 100LL
#define HS_TFJS_MAX_COLS_FLOATS 4096LL
#include "cuda/tfjs_kernels.cuh"

namespace emulated {
namespace T = hs::cuda_emu::tfjs;
const char* const kBackend = "emulated";
#include "test_cuda_tfjs_checks.h"
}  // namespace emulated

#ifdef HS_WITH_CUDA
namespace gpu {
namespace T = hs::cuda::tfjs;
const char* const kBackend = "gpu";
#include "test_cuda_tfjs_checks.h"
}  // namespace gpu
#endif

int main() {
  try {
    emulated::run_all();
    std::printf("emulated: %d checks so far, %d failures\n", hs_test::checks(), hs_test::failures());
#ifdef HS_WITH_CUDA
    if (hs::cuda::device_count() > 0) {
      gpu::g_stream = hs::cuda::tfjs::create_stream();
      gpu::run_all();
      hs::cuda::tfjs::destroy_stream(gpu::g_stream);
    } else {
      std::printf("SKIPPED: no CUDA device (test_cuda_tfjs, gpu checks)\n");
    }
#else
    std::printf("SKIPPED: built without CUDA (test_cuda_tfjs, gpu checks)\n");
#endif
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FAIL: exception: %s\n", e.what());
    return 1;
  }
  return hs_test::summary("test_cuda_tfjs");
}
