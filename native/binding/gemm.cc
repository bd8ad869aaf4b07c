// sgemm and sgemmReference: the GEMM exposed synchronously for tests and
// benchmarks. Every size is checked against the typed arrays before any read.
#include <memory>
#include <string>

#include "binding/binding.h"
#include "core/gemm.h"
#include "core/thread_pool.h"

namespace hs::binding {

namespace {

struct GemmArgs {
  bool ta, tb;
  int M, N, K;
  float alpha, beta;
  Napi::Float32Array A, B, C;
  int lda, ldb, ldc;
};

Napi::Float32Array RequireFloat32(Napi::Env env, const Napi::Value& v, const char* fn, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(env, std::string(fn) + ": " + what + " must be a Float32Array");
  return v.As<Napi::Float32Array>();
}

// A stored rows×cols matrix with row stride ld must fit in `array`.
void CheckMatrix(Napi::Env env, const char* fn, const char* name, const char* ld_name,
                 const Napi::Float32Array& array, int rows, int cols, int ld) {
  if (ld < (cols > 1 ? cols : 1))
    throw Napi::RangeError::New(env, std::string(fn) + ": " + ld_name + " = " + std::to_string(ld) +
                                         " is smaller than the " + std::to_string(cols) +
                                         " columns of the stored " + name);
  const double needed = rows == 0 || cols == 0 ? 0.0 : (static_cast<double>(rows) - 1) * ld + cols;
  if (static_cast<double>(array.ElementLength()) < needed)
    throw Napi::RangeError::New(env, std::string(fn) + ": " + name + " has " +
                                         std::to_string(array.ElementLength()) + " elements, needs " +
                                         std::to_string(static_cast<long long>(needed)));
}

GemmArgs ParseArgs(const Napi::CallbackInfo& info, const char* fn, size_t count) {
  Napi::Env env = info.Env();
  if (info.Length() < count)
    throw Napi::TypeError::New(env, std::string(fn) + " takes " + std::to_string(count) + " arguments");
  GemmArgs a{RequireBoolean(env, info[0], fn, "transA"),
             RequireBoolean(env, info[1], fn, "transB"),
             static_cast<int>(RequireInteger(env, info[2], fn, "M", 0, 2147483647)),
             static_cast<int>(RequireInteger(env, info[3], fn, "N", 0, 2147483647)),
             static_cast<int>(RequireInteger(env, info[4], fn, "K", 0, 2147483647)),
             static_cast<float>(RequireNumber(env, info[5], fn, "alpha")),
             static_cast<float>(RequireNumber(env, info[10], fn, "beta")),
             RequireFloat32(env, info[6], fn, "A"),
             RequireFloat32(env, info[8], fn, "B"),
             RequireFloat32(env, info[11], fn, "C"),
             static_cast<int>(RequireInteger(env, info[7], fn, "lda", 1, 2147483647)),
             static_cast<int>(RequireInteger(env, info[9], fn, "ldb", 1, 2147483647)),
             static_cast<int>(RequireInteger(env, info[12], fn, "ldc", 1, 2147483647))};
  CheckMatrix(env, fn, "A", "lda", a.A, a.ta ? a.K : a.M, a.ta ? a.M : a.K, a.lda);
  CheckMatrix(env, fn, "B", "ldb", a.B, a.tb ? a.N : a.K, a.tb ? a.K : a.N, a.ldb);
  CheckMatrix(env, fn, "C", "ldc", a.C, a.M, a.N, a.ldc);
  return a;
}

// One pool per JS thread (main thread or Node worker), resized on demand.
hs::ThreadPool* PoolFor(int threads) {
  thread_local std::unique_ptr<hs::ThreadPool> pool;
  if (!pool || pool->size() != threads) pool = std::make_unique<hs::ThreadPool>(threads);
  return pool.get();
}

Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GemmArgs a = ParseArgs(info, "sgemm", 14);
  const int threads = static_cast<int>(RequireInteger(env, info[13], "sgemm", "threads", 1, 256));
  Guard(env, [&] {
    hs::sgemm(a.ta, a.tb, a.M, a.N, a.K, a.alpha, a.A.Data(), a.lda, a.B.Data(), a.ldb, a.beta,
              a.C.Data(), a.ldc, PoolFor(threads));
    return 0;
  });
  return env.Undefined();
}

Napi::Value SgemmReference(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GemmArgs a = ParseArgs(info, "sgemmReference", 13);
  hs::gemm_reference<float>(a.ta, a.tb, a.M, a.N, a.K, a.alpha, a.A.Data(), a.lda, a.B.Data(),
                            a.ldb, a.beta, a.C.Data(), a.ldc);
  return env.Undefined();
}

}  // namespace

void InitGemm(Napi::Env env, Napi::Object exports) {
  exports.Set("sgemm", Napi::Function::New(env, Sgemm, "sgemm"));
  exports.Set("sgemmReference", Napi::Function::New(env, SgemmReference, "sgemmReference"));
}

}  // namespace hs::binding
