// hs::cuda::tfjs: the CUDA kernels of the GPU-resident tfjs backend (issue 15),
// declared in native/cuda/tfjs_ops.h. Everything is defined in
// tfjs_kernels.cuh, shared with the tests' host emulation of the same source.
#include "cuda/tfjs_ops.h"
#include "cuda/tfjs_kernels.cuh"
