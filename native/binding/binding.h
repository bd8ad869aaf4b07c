// Shared pieces of the thin N-API binding (one .cc file per exposed object):
// per-environment data, argument readers that throw clear JS errors, and the
// bridge from C++ exceptions to JS errors.
#pragma once
#include <napi.h>

#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include "core/mlp.h"

namespace hs::binding {

// Per-environment state (a Node worker thread has its own).
struct AddonData {
  Napi::FunctionReference dataset_ctor;
  Napi::FunctionReference model_ctor;
};

void InitDataset(Napi::Env env, Napi::Object exports);
void InitMlpModel(Napi::Env env, Napi::Object exports);
void InitGemm(Napi::Env env, Napi::Object exports);
void InitTfjsKernels(Napi::Env env, Napi::Object exports);
void InitCudaBackend(Napi::Env env, Napi::Object exports);

// The Dataset object behind a JS value, or a TypeError naming `what`.
struct DatasetHandle {
  hs::DatasetView view;
  Napi::Object object;  // to keep it alive while native code reads it
};
DatasetHandle UnwrapDataset(Napi::Env env, const Napi::Value& value, const char* what);

// Readers: a TypeError when missing or of the wrong type, a RangeError when out
// of range; the message names "<where>: <what>". Cheap when the value is fine
// (no string is built), since sgemm runs them on every call.
Napi::Object RequireObject(Napi::Env env, const Napi::Value& v, const char* where, const char* what);
double RequireNumber(Napi::Env env, const Napi::Value& v, const char* where, const char* what);
int64_t RequireInteger(Napi::Env env, const Napi::Value& v, const char* where, const char* what,
                       int64_t min, int64_t max);
bool RequireBoolean(Napi::Env env, const Napi::Value& v, const char* where, const char* what);
std::string RequireString(Napi::Env env, const Napi::Value& v, const char* where, const char* what);
inline Napi::Value Field(const Napi::Object& o, const char* key) { return o.Get(key); }

// Largest integer a JS number holds exactly: seeds and step counters stay below it.
constexpr int64_t kMaxSafeInteger = 9007199254740991LL;

// Runs f(), turning a C++ exception into a thrown JS Error with its message
// (node-addon-api only converts Napi::Error itself).
template <class F>
auto Guard(Napi::Env env, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "hypersweep: out of memory");
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("hypersweep: ") + e.what());
  }
}

}  // namespace hs::binding
