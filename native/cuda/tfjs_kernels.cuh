// Definitions of every op of native/cuda/tfjs_ops.h, in namespace
// HS_CUDA_NS::tfjs, for nvcc (native/cuda/tfjs_ops.cu: hs::cuda::tfjs) or for
// the host emulator (a TU that first defines HS_CUDA_EMULATE and HS_CUDA_NS,
// e.g. hs::cuda_emu, then includes this file; exactly one TU per binary and
// namespace, the definitions are not inline). By family:
//   tfjs_common.cuh       helpers, device memory and streams
//   tfjs_elementwise.cuh  fill, cast, unary, binary/compare/logical/select with
//                         broadcasting, slice, transpose, concat
//   tfjs_reduce.cuh       reduce (Sum, Mean, Max, ...), arg_reduce, softmax
//   tfjs_conv.cuh         batch_matmul, conv2d and its backprops, max pool
#pragma once
#include "cuda/tfjs_common.cuh"
#include "cuda/tfjs_elementwise.cuh"
#include "cuda/tfjs_reduce.cuh"
#include "cuda/tfjs_conv.cuh"
