// Module initialisation, buildInfo(), and the argument readers shared by the
// other binding files.
#include <cmath>
#include <string>

#include "binding/binding.h"
#include "core/gemm.h"
#ifdef HS_WITH_CUDA
#include "cuda/mlp_cuda.h"
#endif

#ifndef HS_BUILD_ID
#define HS_BUILD_ID "dev"
#endif

namespace hs::binding {

namespace {
std::string Name(const char* where, const char* what) { return std::string(where) + ": " + what; }
}  // namespace

Napi::Object RequireObject(Napi::Env env, const Napi::Value& v, const char* where, const char* what) {
  if (!v.IsObject()) throw Napi::TypeError::New(env, Name(where, what) + " must be an object");
  return v.As<Napi::Object>();
}

double RequireNumber(Napi::Env env, const Napi::Value& v, const char* where, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, Name(where, what) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) throw Napi::RangeError::New(env, Name(where, what) + " must be finite");
  return d;
}

int64_t RequireInteger(Napi::Env env, const Napi::Value& v, const char* where, const char* what,
                       int64_t min, int64_t max) {
  const double d = RequireNumber(env, v, where, what);
  if (d != std::floor(d)) throw Napi::RangeError::New(env, Name(where, what) + " must be an integer");
  if (d < static_cast<double>(min) || d > static_cast<double>(max))
    throw Napi::RangeError::New(env, Name(where, what) + " must be in [" + std::to_string(min) +
                                         ", " + std::to_string(max) + "]");
  return static_cast<int64_t>(d);
}

bool RequireBoolean(Napi::Env env, const Napi::Value& v, const char* where, const char* what) {
  if (!v.IsBoolean()) throw Napi::TypeError::New(env, Name(where, what) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string RequireString(Napi::Env env, const Napi::Value& v, const char* where, const char* what) {
  if (!v.IsString()) throw Napi::TypeError::New(env, Name(where, what) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

namespace {

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("buildId", Napi::String::New(env, HS_BUILD_ID));
  o.Set("simd", Napi::String::New(env, hs::gemm_simd()));
#ifdef HS_WITH_CUDA
  o.Set("cudaCompiled", Napi::Boolean::New(env, true));
  o.Set("cudaDevices", Napi::Number::New(env, hs::cuda::device_count()));
#else
  o.Set("cudaCompiled", Napi::Boolean::New(env, false));
  o.Set("cudaDevices", Napi::Number::New(env, 0));
#endif
#if defined(__GNUC__) && !defined(__clang__)
  o.Set("compiler", Napi::String::New(env, std::string("gcc ") + __VERSION__));
#elif defined(__VERSION__)
  o.Set("compiler", Napi::String::New(env, __VERSION__));
#else
  o.Set("compiler", Napi::String::New(env, "unknown"));
#endif
  return o;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData<AddonData>(new AddonData());
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo, "buildInfo"));
  InitDataset(env, exports);
  InitMlpModel(env, exports);
  InitGemm(env, exports);
  InitTfjsKernels(env, exports);
  InitCudaBackend(env, exports);
  return exports;
}

}  // namespace hs::binding

// NODE_API_MODULE pastes the init function's name into an identifier: no "::".
static Napi::Object InitHypersweep(Napi::Env env, Napi::Object exports) {
  return hs::binding::Init(env, exports);
}

NODE_API_MODULE(hypersweep, InitHypersweep)
