// hypersweep_cuda_emu.node only (HS_CUDA_EMULATE, HS_CUDA_NS=hs::cuda_emu):
// the definitions of the CUDA tfjs ops (native/cuda/tfjs_kernels.cuh)
// compiled for the host emulator, so that the cuda engine's tests run the very
// same kernel source without a GPU. Empty in the real addon, whose ops come
// from nvcc (native/cuda/tfjs_ops.cu in hs_cuda).
#if defined(HS_CUDA_EMULATE)
#include "cuda/tfjs_kernels.cuh"
#endif
