// The TensorFlow.js cpu-backend kernels (src/engine/tfjs): synchronous
// functions on Float32Arrays, as tfjs kernels are synchronous. The outputs are
// preallocated by the caller. src/engine/tfjs/native-ops.ts validates every
// argument first; the checks here are the cheap ones that keep a mistake from
// reading or writing out of bounds (every array length against the geometry).
#include <cstdint>
#include <memory>
#include <string>

#include "binding/binding.h"
#include "core/conv.h"
#include "core/conv_matmul.h"
#include "core/elementwise.h"
#include "core/pool.h"
#include "core/thread_pool.h"

namespace hs::binding {

namespace {

constexpr int kMaxThreads = 1024;

// One pool per JS thread (main thread or Node worker), resized on demand:
// every Piscina worker runs its own trial's kernels on its own threads.
hs::ThreadPool* PoolFor(int threads) {
  thread_local std::unique_ptr<hs::ThreadPool> pool;
  if (threads <= 1) return nullptr;
  if (!pool || pool->size() != threads) pool = std::make_unique<hs::ThreadPool>(threads);
  return pool.get();
}

int Threads(Napi::Env env, const Napi::Value& v, const char* fn) {
  return static_cast<int>(RequireInteger(env, v, fn, "threads", 1, kMaxThreads));
}

Napi::Float32Array F32(Napi::Env env, const Napi::Value& v, const char* fn, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(env, std::string(fn) + ": " + what + " must be a Float32Array");
  return v.As<Napi::Float32Array>();
}

Napi::Int32Array I32(Napi::Env env, const Napi::Value& v, const char* fn, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(env, std::string(fn) + ": " + what + " must be an Int32Array");
  return v.As<Napi::Int32Array>();
}

// An optional Float32Array (null or undefined: nullptr).
const float* OptionalF32(Napi::Env env, const Napi::Value& v, const char* fn, const char* what,
                         std::int64_t length) {
  if (v.IsNull() || v.IsUndefined()) return nullptr;
  Napi::Float32Array a = F32(env, v, fn, what);
  if (static_cast<std::int64_t>(a.ElementLength()) != length)
    throw Napi::RangeError::New(env, std::string(fn) + ": " + what + " has " +
                                         std::to_string(a.ElementLength()) + " elements, expected " +
                                         std::to_string(length));
  return a.Data();
}

void CheckLength(Napi::Env env, const char* fn, const char* what, std::size_t got,
                 std::int64_t want) {
  if (static_cast<std::int64_t>(got) != want)
    throw Napi::RangeError::New(env, std::string(fn) + ": " + what + " has " + std::to_string(got) +
                                         " elements, expected " + std::to_string(want));
}

void CheckArgs(Napi::Env env, const Napi::CallbackInfo& info, const char* fn, std::size_t count) {
  if (info.Length() < count)
    throw Napi::TypeError::New(env, std::string(fn) + " takes " + std::to_string(count) + " arguments");
}

// [batch, in_h, in_w, in_c, filter_h, filter_w, out_c, stride_h, stride_w,
//  pad_top, pad_left, out_h, out_w]
hs::Conv2DGeometry ConvGeometry(Napi::Env env, const Napi::Value& v, const char* fn) {
  Napi::Int32Array a = I32(env, v, fn, "geometry");
  CheckLength(env, fn, "geometry", a.ElementLength(), 13);
  const std::int32_t* p = a.Data();
  hs::Conv2DGeometry g{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12]};
  Guard(env, [&] {
    hs::validate(g);
    return 0;
  });
  return g;
}

// [batch, in_h, in_w, channels, filter_h, filter_w, stride_h, stride_w,
//  pad_top, pad_left, out_h, out_w]
hs::Pool2DGeometry PoolGeometry(Napi::Env env, const Napi::Value& v, const char* fn) {
  Napi::Int32Array a = I32(env, v, fn, "geometry");
  CheckLength(env, fn, "geometry", a.ElementLength(), 12);
  const std::int32_t* p = a.Data();
  hs::Pool2DGeometry g{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11]};
  Guard(env, [&] {
    hs::validate(g);
    return 0;
  });
  return g;
}

// tfjsConv2d(x, filter, bias | null, relu, y, geometry, threads)
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "tfjsConv2d";
  CheckArgs(env, info, fn, 7);
  const hs::Conv2DGeometry g = ConvGeometry(env, info[5], fn);
  Napi::Float32Array x = F32(env, info[0], fn, "x"), w = F32(env, info[1], fn, "filter");
  const float* bias = OptionalF32(env, info[2], fn, "bias", g.out_c);
  const bool relu = RequireBoolean(env, info[3], fn, "relu");
  Napi::Float32Array y = F32(env, info[4], fn, "y");
  const int threads = Threads(env, info[6], fn);
  CheckLength(env, fn, "x", x.ElementLength(), g.x_size());
  CheckLength(env, fn, "filter", w.ElementLength(), g.filter_size());
  CheckLength(env, fn, "y", y.ElementLength(), g.y_size());
  Guard(env, [&] {
    hs::conv2d_forward(g, x.Data(), w.Data(), bias, relu, y.Data(), PoolFor(threads));
    return 0;
  });
  return env.Undefined();
}

// tfjsConv2dBackpropFilter(x, dy, dfilter, geometry, threads)
Napi::Value Conv2dBackpropFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "tfjsConv2dBackpropFilter";
  CheckArgs(env, info, fn, 5);
  const hs::Conv2DGeometry g = ConvGeometry(env, info[3], fn);
  Napi::Float32Array x = F32(env, info[0], fn, "x"), dy = F32(env, info[1], fn, "dy");
  Napi::Float32Array dw = F32(env, info[2], fn, "dfilter");
  const int threads = Threads(env, info[4], fn);
  CheckLength(env, fn, "x", x.ElementLength(), g.x_size());
  CheckLength(env, fn, "dy", dy.ElementLength(), g.y_size());
  CheckLength(env, fn, "dfilter", dw.ElementLength(), g.filter_size());
  Guard(env, [&] {
    hs::conv2d_backprop_filter(g, x.Data(), dy.Data(), dw.Data(), PoolFor(threads));
    return 0;
  });
  return env.Undefined();
}

// tfjsConv2dBackpropInput(dy, filter, dx, geometry, threads)
Napi::Value Conv2dBackpropInput(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "tfjsConv2dBackpropInput";
  CheckArgs(env, info, fn, 5);
  const hs::Conv2DGeometry g = ConvGeometry(env, info[3], fn);
  Napi::Float32Array dy = F32(env, info[0], fn, "dy"), w = F32(env, info[1], fn, "filter");
  Napi::Float32Array dx = F32(env, info[2], fn, "dx");
  const int threads = Threads(env, info[4], fn);
  CheckLength(env, fn, "dy", dy.ElementLength(), g.y_size());
  CheckLength(env, fn, "filter", w.ElementLength(), g.filter_size());
  CheckLength(env, fn, "dx", dx.ElementLength(), g.x_size());
  Guard(env, [&] {
    hs::conv2d_backprop_input(g, dy.Data(), w.Data(), dx.Data(), PoolFor(threads));
    return 0;
  });
  return env.Undefined();
}

// tfjsMaxPool(x, y, geometry, threads)
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "tfjsMaxPool";
  CheckArgs(env, info, fn, 4);
  const hs::Pool2DGeometry g = PoolGeometry(env, info[2], fn);
  Napi::Float32Array x = F32(env, info[0], fn, "x"), y = F32(env, info[1], fn, "y");
  const int threads = Threads(env, info[3], fn);
  CheckLength(env, fn, "x", x.ElementLength(), g.x_size());
  CheckLength(env, fn, "y", y.ElementLength(), g.y_size());
  Guard(env, [&] {
    hs::max_pool(g, x.Data(), y.Data(), PoolFor(threads));
    return 0;
  });
  return env.Undefined();
}

// tfjsMaxPoolGrad(dy, x, dx, geometry, threads)
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "tfjsMaxPoolGrad";
  CheckArgs(env, info, fn, 5);
  const hs::Pool2DGeometry g = PoolGeometry(env, info[3], fn);
  Napi::Float32Array dy = F32(env, info[0], fn, "dy"), x = F32(env, info[1], fn, "x");
  Napi::Float32Array dx = F32(env, info[2], fn, "dx");
  const int threads = Threads(env, info[4], fn);
  CheckLength(env, fn, "dy", dy.ElementLength(), g.y_size());
  CheckLength(env, fn, "x", x.ElementLength(), g.x_size());
  CheckLength(env, fn, "dx", dx.ElementLength(), g.x_size());
  Guard(env, [&] {
    hs::max_pool_grad(g, dy.Data(), x.Data(), dx.Data(), PoolFor(threads));
    return 0;
  });
  return env.Undefined();
}

// tfjsBatchMatMul(a, b, bias | null, relu, out, dims, threads) with dims =
// [batchA, batchB, M, N, K, transposeA (0/1), transposeB (0/1)].
Napi::Value BatchMatMul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "tfjsBatchMatMul";
  CheckArgs(env, info, fn, 7);
  Napi::Int32Array d = I32(env, info[5], fn, "dims");
  CheckLength(env, fn, "dims", d.ElementLength(), 7);
  const std::int32_t* p = d.Data();
  const int ba = p[0], bb = p[1], M = p[2], N = p[3], K = p[4];
  if (ba < 1 || bb < 1 || M < 0 || N < 0 || K < 0 || (p[5] != 0 && p[5] != 1) || (p[6] != 0 && p[6] != 1))
    throw Napi::RangeError::New(env, std::string(fn) + ": dims must be [batchA >= 1, batchB >= 1, "
                                                       "M >= 0, N >= 0, K >= 0, 0|1, 0|1]");
  const int batch = ba > bb ? ba : bb;
  if ((ba != 1 && ba != batch) || (bb != 1 && bb != batch))
    throw Napi::RangeError::New(env, std::string(fn) + ": batchA and batchB must be equal or 1");
  Napi::Float32Array a = F32(env, info[0], fn, "a"), b = F32(env, info[1], fn, "b");
  const float* bias = OptionalF32(env, info[2], fn, "bias", N);
  const bool relu = RequireBoolean(env, info[3], fn, "relu");
  Napi::Float32Array out = F32(env, info[4], fn, "out");
  const int threads = Threads(env, info[6], fn);
  CheckLength(env, fn, "a", a.ElementLength(), static_cast<std::int64_t>(ba) * M * K);
  CheckLength(env, fn, "b", b.ElementLength(), static_cast<std::int64_t>(bb) * K * N);
  CheckLength(env, fn, "out", out.ElementLength(), static_cast<std::int64_t>(batch) * M * N);
  Guard(env, [&] {
    hs::batch_matmul(ba, bb, M, N, K, p[5] != 0, p[6] != 0, a.Data(), b.Data(), bias, relu,
                     out.Data(), PoolFor(threads));
    return 0;
  });
  return env.Undefined();
}

// tfjsBinary(op, a, b, out, threads): op 0 add, 1 sub, 2 mul; out[i] =
// a[i % a.length] op b[i % b.length] (the lengths rules of hs::binary_op).
Napi::Value Binary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "tfjsBinary";
  CheckArgs(env, info, fn, 5);
  const int op = static_cast<int>(RequireInteger(env, info[0], fn, "op", 0, 2));
  Napi::Float32Array a = F32(env, info[1], fn, "a"), b = F32(env, info[2], fn, "b");
  Napi::Float32Array out = F32(env, info[3], fn, "out");
  const int threads = Threads(env, info[4], fn);
  Guard(env, [&] {
    hs::binary_op(static_cast<hs::BinaryOp>(op), a.Data(), a.ElementLength(), b.Data(),
                  b.ElementLength(), out.Data(), out.ElementLength(), PoolFor(threads));
    return 0;
  });
  return env.Undefined();
}

// tfjsRelu(x, y, threads)
Napi::Value Relu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "tfjsRelu";
  CheckArgs(env, info, fn, 3);
  Napi::Float32Array x = F32(env, info[0], fn, "x"), y = F32(env, info[1], fn, "y");
  const int threads = Threads(env, info[2], fn);
  CheckLength(env, fn, "y", y.ElementLength(), x.ElementLength());
  hs::relu(x.Data(), y.Data(), x.ElementLength(), PoolFor(threads));
  return env.Undefined();
}

// tfjsStep(x, alpha, y, threads)
Napi::Value Step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "tfjsStep";
  CheckArgs(env, info, fn, 4);
  Napi::Float32Array x = F32(env, info[0], fn, "x");
  if (!info[1].IsNumber()) throw Napi::TypeError::New(env, std::string(fn) + ": alpha must be a number");
  const float alpha = static_cast<float>(info[1].As<Napi::Number>().DoubleValue());
  Napi::Float32Array y = F32(env, info[2], fn, "y");
  const int threads = Threads(env, info[3], fn);
  CheckLength(env, fn, "y", y.ElementLength(), x.ElementLength());
  hs::step(x.Data(), alpha, y.Data(), x.ElementLength(), PoolFor(threads));
  return env.Undefined();
}

// tfjsSum(x, y, outer, reduce, inner, threads)
Napi::Value Sum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "tfjsSum";
  CheckArgs(env, info, fn, 6);
  Napi::Float32Array x = F32(env, info[0], fn, "x"), y = F32(env, info[1], fn, "y");
  const std::int64_t outer = RequireInteger(env, info[2], fn, "outer", 0, kMaxSafeInteger);
  const std::int64_t reduce = RequireInteger(env, info[3], fn, "reduce", 0, kMaxSafeInteger);
  const std::int64_t inner = RequireInteger(env, info[4], fn, "inner", 0, kMaxSafeInteger);
  const int threads = Threads(env, info[5], fn);
  if (static_cast<double>(outer) * reduce * inner != static_cast<double>(x.ElementLength()))
    throw Napi::RangeError::New(env, std::string(fn) + ": outer*reduce*inner must be x.length");
  CheckLength(env, fn, "y", y.ElementLength(), outer * inner);
  hs::reduce_sum(x.Data(), y.Data(), outer, reduce, inner, PoolFor(threads));
  return env.Undefined();
}

// tfjsGather(x, indices, out, outer, dim, slice, threads) -> false when an
// index is outside [0, dim) (nothing written).
Napi::Value Gather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "tfjsGather";
  CheckArgs(env, info, fn, 7);
  Napi::Float32Array x = F32(env, info[0], fn, "x");
  Napi::Int32Array idx = I32(env, info[1], fn, "indices");
  Napi::Float32Array out = F32(env, info[2], fn, "out");
  const std::int64_t outer = RequireInteger(env, info[3], fn, "outer", 0, kMaxSafeInteger);
  const std::int64_t dim = RequireInteger(env, info[4], fn, "dim", 0, kMaxSafeInteger);
  const std::int64_t slice = RequireInteger(env, info[5], fn, "slice", 0, kMaxSafeInteger);
  const int threads = Threads(env, info[6], fn);
  if (static_cast<double>(outer) * dim * slice != static_cast<double>(x.ElementLength()))
    throw Napi::RangeError::New(env, std::string(fn) + ": outer*dim*slice must be x.length");
  const std::int64_t count = static_cast<std::int64_t>(idx.ElementLength());
  CheckLength(env, fn, "out", out.ElementLength(), outer * count * slice);
  const bool ok = hs::gather(x.Data(), outer, dim, slice, idx.Data(), count, out.Data(), PoolFor(threads));
  return Napi::Boolean::New(env, ok);
}

}  // namespace

void InitTfjsKernels(Napi::Env env, Napi::Object exports) {
  exports.Set("tfjsConv2d", Napi::Function::New(env, Conv2d, "tfjsConv2d"));
  exports.Set("tfjsConv2dBackpropFilter",
              Napi::Function::New(env, Conv2dBackpropFilter, "tfjsConv2dBackpropFilter"));
  exports.Set("tfjsConv2dBackpropInput",
              Napi::Function::New(env, Conv2dBackpropInput, "tfjsConv2dBackpropInput"));
  exports.Set("tfjsMaxPool", Napi::Function::New(env, MaxPool, "tfjsMaxPool"));
  exports.Set("tfjsMaxPoolGrad", Napi::Function::New(env, MaxPoolGrad, "tfjsMaxPoolGrad"));
  exports.Set("tfjsBatchMatMul", Napi::Function::New(env, BatchMatMul, "tfjsBatchMatMul"));
  exports.Set("tfjsBinary", Napi::Function::New(env, Binary, "tfjsBinary"));
  exports.Set("tfjsRelu", Napi::Function::New(env, Relu, "tfjsRelu"));
  exports.Set("tfjsStep", Napi::Function::New(env, Step, "tfjsStep"));
  exports.Set("tfjsSum", Napi::Function::New(env, Sum, "tfjsSum"));
  exports.Set("tfjsGather", Napi::Function::New(env, Gather, "tfjsGather"));
}

}  // namespace hs::binding
