// The CUDA kernels of the GPU-resident TensorFlow.js backend (issue 15): one
// free function per TensorFlow.js kernel (or family of kernels) that a CNN
// trial dispatches, on device buffers, enqueued on a stream.
//
// The kernels a trial dispatches, recorded by bench/cuda-tfjs-ops.ts (3 nets x
// sgd/momentum/rmsprop/adam, 2 train steps + 1 predict each, l2 and dropout
// on; tfjs 4.22.0): 39 kernels.
//   Abs Add ArgMax BatchMatMul Cast ClipByValue Conv2D Conv2DBackpropFilter
//   Conv2DBackpropInput Equal Exp FusedConv2D Greater GreaterEqual Identity
//   LessEqual Log Log1p LogicalAnd MaxPool MaxPoolGrad Mean Multiply Neg
//   OnesLike RealDiv Relu Reshape Select Sigmoid Slice Softmax Sqrt Square
//   Step Sub Sum ZerosLike _FusedMatMul
// Attributes seen: Conv2D/FusedConv2D strides 1 'same' and strides 2 'valid'
// (catsdogs' 8x8), NHWC, dilations 1, fused activation relu; MaxPool 2x2/2
// 'valid'; BatchMatMul every transpose pair; _FusedMatMul linear/relu with a
// bias; Step alpha 0 and -1; ClipByValue [1e-7, 1 - 1e-7]; Softmax dim -1;
// Sum/Mean over the last axis or all; ArgMax axis -1; Cast bool/float32 ->
// float32; Equal on int32 and float32; Select/LogicalAnd on bool. Reshape is
// free (no data moves). The optimizers' updates are these element-wise kernels
// (tfjs composes them), so they need no kernels of their own.
//
// Where each tfjs kernel maps (details above each declaration in tfjs_ops_decl.h):
//   Conv2D, FusedConv2D          conv2d (bias, Activation)
//   Conv2DBackpropInput/Filter   conv2d_backprop_input / conv2d_backprop_filter
//   MaxPool, MaxPoolGrad         max_pool, max_pool_grad (from dy and the pool's input x)
//   BatchMatMul, _FusedMatMul    batch_matmul (bias, Activation)
//   Softmax                      softmax
//   Sum, Mean (Max, Min, Prod, Any, All)  reduce; ArgMax (ArgMin)  arg_reduce
//   Add Sub Multiply RealDiv (Maximum Minimum Pow SquaredDifference)  binary / binary_i32
//   Equal Greater GreaterEqual LessEqual (NotEqual Less)  compare / compare_i32
//   LogicalAnd (LogicalOr, LogicalNot)  logical, logical_not;  Select  select
//   Abs Exp Log Log1p Neg Relu Sigmoid Sqrt Square Step ClipByValue (and more)  unary
//   Cast  cast;  ZerosLike OnesLike (Fill)  fill;  Identity  copy_device;  Reshape: no data moves
//   Slice  slice;  (Transpose  transpose;  Concat  concat_piece per input)
//
// Conventions
//  - Namespace HS_CUDA_NS::tfjs: hs::cuda::tfjs in the real build (nvcc,
//    native/cuda/tfjs_ops.cu), another namespace (e.g. hs::cuda_emu::tfjs) in a
//    translation unit that defines HS_CUDA_EMULATE and HS_CUDA_NS and includes
//    "cuda/tfjs_kernels.cuh", which defines every function declared here for
//    the host emulator (native/cuda/cuda_compat.cuh). Exactly one TU per
//    binary may do that for a given namespace (the definitions are not inline).
//    The types (Shape, Broadcast, the enums, the *Params structs,
//    make_broadcast) live in hs::tfjs (native/cuda/tfjs_types.h) and are
//    brought into HS_CUDA_NS::tfjs by using-declarations, so the real and the
//    emulated ops take the very same structs.
//  - The declarations are in tfjs_ops_decl.h, included inside the namespace:
//    a TU that needs both the real and an emulated namespace (the tests)
//    includes this header for hs::cuda and tfjs_kernels.cuh for the other.
//  - This header is plain C++ (g++ can include it): Stream is an opaque
//    `void*`. In the real build it is a cudaStream_t (a pointer type) cast
//    inside the .cu; nullptr is the legacy default stream. The emulator
//    ignores it.
//  - Pointers are device pointers (from device_alloc or a DeviceAllocator on
//    it), except where a comment says host. Layouts are TensorFlow.js's:
//    row-major, NHWC activations, HWIO conv filters.
//  - dtypes on the device: float32 as float, int32 as int32_t, bool as uint8_t
//    0/1 (tfjs's cpu backend stores bool as a Uint8Array too).
//  - Every op only enqueues work on `s`: no synchronisation, no host
//    allocation beyond small POD, no device allocation (ops that need scratch
//    memory take a workspace and say how large with a *_workspace_bytes()).
//    A shape or parameter error throws std::invalid_argument before anything
//    is enqueued; a CUDA error throws std::runtime_error.
//  - Sizes of zero elements are valid and enqueue nothing.
//
// Determinism: every op here is bit-reproducible run to run on the same GPU
// (and in the emulator): no atomics anywhere; every reduction (Sum, Mean,
// Max, ArgMax, softmax's sums, the GEMM's split-K, the conv filter gradient
// over the batch, col2im of the input gradient, max-pool's gradient where
// windows overlap) adds in an order fixed by the shapes alone. Results differ
// from tfjs's cpu backend only by float32 rounding (expf/logf vs Math.exp,
// FMA in the GEMM); the tests state the tolerances.
#pragma once
#include "cuda/tfjs_types.h"

#ifndef HS_CUDA_NS
#define HS_CUDA_NS hs::cuda
#endif

namespace HS_CUDA_NS::tfjs {
#include "cuda/tfjs_ops_decl.h"
}  // namespace HS_CUDA_NS::tfjs
