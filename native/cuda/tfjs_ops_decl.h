// The declarations of native/cuda/tfjs_ops.h (read its comment first), meant
// to be included INSIDE `namespace <ns>::tfjs { ... }`: by tfjs_ops.h for
// HS_CUDA_NS, and by tfjs_kernels.cuh for the namespace it defines them in.
// No include guard on purpose (so no default arguments either: a TU may see
// the declarations twice in one namespace); no #include here (tfjs_types.h first).

using Stream = void*;  // a cudaStream_t in the real build (cast inside the .cu); ignored by the emulator

using hs::tfjs::Activation;
using hs::tfjs::BinaryOp;
using hs::tfjs::Broadcast;
using hs::tfjs::CompareOp;
using hs::tfjs::Conv2DParams;
using hs::tfjs::DType;
using hs::tfjs::kMaxRank;
using hs::tfjs::LogicalOp;
using hs::tfjs::make_broadcast;
using hs::tfjs::MatMulParams;
using hs::tfjs::Pool2DParams;
using hs::tfjs::ReduceOp;
using hs::tfjs::Shape;
using hs::tfjs::SliceParams;
using hs::tfjs::TransposeParams;
using hs::tfjs::UnaryOp;

// Device memory and streams, for the binding (which cannot see cuda_compat).
void* device_alloc(size_t bytes);  // nullptr for 0 bytes; throws std::runtime_error on failure
void device_free(void* p) noexcept;
void upload(Stream s, void* dst, const void* host_src, size_t bytes);    // returns when copied
void download(Stream s, void* host_dst, const void* src, size_t bytes);  // returns when copied
void copy_device(Stream s, void* dst, const void* src, size_t bytes);    // enqueued (Identity)
Stream create_stream();
void destroy_stream(Stream s) noexcept;
void synchronize(Stream s);

// ---------------------------------------------------------------------------
// Element-wise
// ---------------------------------------------------------------------------

// Fill, ZerosLike, OnesLike: out[0..n) = value converted to dtype.
void fill(Stream s, void* out, DType dtype, int64_t n, double value);

// Cast: out[i] = in[i] converted as tfjs converts (float -> int32 truncates
// toward zero, NaN/inf -> 0, wrapping like Int32Array; anything -> bool is
// value != 0 (NaN -> true); bool -> number is 0/1). Same dtype: a copy.
void cast(Stream s, const void* in, DType from, void* out, DType to, int64_t n);

// y[i] = op(x[i]); alpha, beta: the op's attributes (LeakyRelu/Elu alpha, Step
// alpha, ClipByValue [alpha, beta]).
void unary(Stream s, UnaryOp op, const float* x, float* y, int64_t n, float alpha, float beta);

// out = a op b with broadcasting (bc = make_broadcast(shape of a, shape of b)).
void binary(Stream s, BinaryOp op, const float* a, const float* b, float* out, const Broadcast& bc);
// The same on int32: Add, Sub, Mul, Maximum, Minimum (wrapping as int32);
// the other ops throw std::invalid_argument.
void binary_i32(Stream s, BinaryOp op, const int32_t* a, const int32_t* b, int32_t* out, const Broadcast& bc);

void compare(Stream s, CompareOp op, const float* a, const float* b, uint8_t* out, const Broadcast& bc);
void compare_i32(Stream s, CompareOp op, const int32_t* a, const int32_t* b, uint8_t* out, const Broadcast& bc);

void logical(Stream s, LogicalOp op, const uint8_t* a, const uint8_t* b, uint8_t* out, const Broadcast& bc);
void logical_not(Stream s, const uint8_t* x, uint8_t* y, int64_t n);

// Select (tf.where): out = cond ? a : b, bc = make_broadcast(cond, a, b).
// tfjs's rank-1 condition over a higher-rank a (one flag per row) is the
// broadcast of cond reshaped to [n, 1, ..., 1].
void select(Stream s, const uint8_t* cond, const float* a, const float* b, float* out, const Broadcast& bc);

// ---------------------------------------------------------------------------
// Data movement (any dtype: elem_bytes 1 or 4)
// ---------------------------------------------------------------------------

void slice(Stream s, const void* in, void* out, int elem_bytes, const SliceParams& p);
void transpose(Stream s, const void* in, void* out, int elem_bytes, const TransposeParams& p);
// Concat, one launch per input: with the output viewed as [outer, out_inner]
// and this input as [outer, in_inner], out[o, offset + j] = in[o, j].
void concat_piece(Stream s, const void* in, void* out, int elem_bytes, int64_t outer, int64_t in_inner,
                  int64_t out_inner, int64_t offset);

// ---------------------------------------------------------------------------
// Reductions: x viewed as [outer, reduce, inner] (the reduced axes one
// contiguous block; tfjs's cpu backend transposes them last, which is
// inner = 1). One thread block per output, fixed-order tree.
// ---------------------------------------------------------------------------

// Sum and Mean accumulate in double and round once (Mean: the sum of
// float(x / float(reduce)), as tfjs's Mean divides, then sums); Prod in double; Max/Min:
// NaN wins (tfjs); Any/All read x as 0/1 floats (nonzero: true).
// reduce == 0: Sum 0, Mean NaN, Max -inf, Min inf, Prod 1, Any 0, All 1.
// Mean of a bool tensor (Keras's accuracy) is cast(..., Float32) first. The bias
// gradients are Sum over the leading axes: outer 1, reduce N*H*W, inner C.
void reduce(Stream s, ReduceOp op, const float* x, float* y, int64_t outer, int64_t reduce, int64_t inner);

// ArgMax/ArgMin -> int32: the first index whose value is strictly greater
// (less) than all before it, starting from index 0 (tfjs's cpu backend; a
// NaN at index 0 gives 0, NaN elsewhere never wins). reduce must be >= 1.
void arg_reduce(Stream s, bool is_max, const float* x, int32_t* y, int64_t outer, int64_t reduce, int64_t inner);

// Softmax over the last axis of x [rows, cols] (tfjs's Softmax, dim -1), as
// tfjs composes it: e = exp(x - max) in float, s = float(sum e in double),
// y = e / s.
void softmax(Stream s, const float* x, float* y, int64_t rows, int64_t cols);

// ---------------------------------------------------------------------------
// Matrix products, convolutions, pooling (the GEMM is native/cuda/mlp_kernels.cuh's)
// ---------------------------------------------------------------------------

// BatchMatMul / _FusedMatMul: for i < max(batch_a, batch_b), out[i] (M x N) =
// act(op(A_i) op(B_i) + bias), A_i = a[batch_a == 1 ? 0 : i] stored K x M when
// trans_a else M x K (likewise B: N x K when trans_b else K x N). bias: nullptr
// or N floats (one per output column). leaky_alpha: LeakyRelu's slope (Elu
// uses none). batch_a and batch_b are equal or one of them is 1.
size_t matmul_workspace_bytes(const MatMulParams& p);
void batch_matmul(Stream s, const float* a, const float* b, float* out, const MatMulParams& p, const float* bias,
                  Activation act, float leaky_alpha, void* workspace, size_t workspace_bytes);

// Scratch of each conv op (im2col columns + the GEMM's split-K partials).
size_t conv2d_workspace_bytes(const Conv2DParams& p);
size_t conv2d_backprop_input_workspace_bytes(const Conv2DParams& p);
size_t conv2d_backprop_filter_workspace_bytes(const Conv2DParams& p);

// Conv2D / FusedConv2D: y = act(conv(x, filter) + bias); bias: nullptr or out_c floats.
void conv2d(Stream s, const float* x, const float* filter, float* y, const Conv2DParams& p, const float* bias,
            Activation act, float leaky_alpha, void* workspace, size_t workspace_bytes);
// Conv2DBackpropInput: dx [batch, in_h, in_w, in_c] from dy and the filter.
void conv2d_backprop_input(Stream s, const float* dy, const float* filter, float* dx, const Conv2DParams& p,
                           void* workspace, size_t workspace_bytes);
// Conv2DBackpropFilter: dfilter [filter_h, filter_w, in_c, out_c] from x and dy.
void conv2d_backprop_filter(Stream s, const float* x, const float* dy, float* dfilter, const Conv2DParams& p,
                            void* workspace, size_t workspace_bytes);

// MaxPool / MaxPoolGrad, NHWC, windows skip padding. Ties and NaN as tfjs's
// cpu backend (native/core/pool.h): a window's max is its first element
// strictly greater than all before it, from -inf (a window of NaN/-inf/padding
// only gives -inf and passes no gradient); the gradient goes to that element
// only, summed in double over the windows that chose it in (oh, ow) order.
void max_pool(Stream s, const float* x, float* y, const Pool2DParams& p);
// dx from dy [batch, out_h, out_w, channels] and the pool's input x.
void max_pool_grad(Stream s, const float* dy, const float* x, float* dx, const Pool2DParams& p);
