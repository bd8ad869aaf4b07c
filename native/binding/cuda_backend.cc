// The cuda engine's device side (issue 15): CudaContext, one CUDA device's
// stream, caching allocator and table of buffers, and the ops of
// native/cuda/tfjs_ops.h behind one entry, run(op, buffers, ints, floats).
//
// JS (src/engine/cuda/) never sees a device pointer: a buffer is an integer
// handle into this table, and every op checks each handle and the bytes each
// buffer must hold for the op's geometry before it launches, so a mistake in
// JS is a JS exception, never an out-of-bounds kernel.
//
// Built three ways from this one file:
//  - nvcc present (HS_WITH_CUDA): the ops of hs::cuda::tfjs on the GPU;
//  - hypersweep_cuda_emu.node (HS_CUDA_EMULATE, HS_CUDA_NS=hs::cuda_emu): the
//    same kernel source on the host emulator (cuda_backend_emu.cc compiles it);
//  - neither: cudaInfo() says so, cudaOps() is empty and CudaContext throws.
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "binding/binding.h"

#if defined(HS_WITH_CUDA) || defined(HS_CUDA_EMULATE)
#define HS_CUDA_BACKEND 1
#include "binding/cuda_backend_ops.h"
#endif

namespace hs::binding {

namespace {

Napi::Value CudaInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
#if defined(HS_CUDA_EMULATE)
  o.Set("compiled", true);
  o.Set("emulated", true);
  o.Set("devices", 1);
  o.Set("deviceName", "host emulator");
#elif defined(HS_WITH_CUDA)
  const int n = cuda_ops::device_count();
  o.Set("compiled", true);
  o.Set("emulated", false);
  o.Set("devices", n);
  o.Set("deviceName", n > 0 ? Napi::Value(Napi::String::New(env, cuda_ops::device_name(0))) : env.Null());
#else
  o.Set("compiled", false);
  o.Set("emulated", false);
  o.Set("devices", 0);
  o.Set("deviceName", env.Null());
#endif
  return o;
}

Napi::Value CudaOps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#ifdef HS_CUDA_BACKEND
  const auto& table = cuda_ops::op_table();
  Napi::Array a = Napi::Array::New(env, table.size());
  for (uint32_t i = 0; i < table.size(); ++i) a.Set(i, Napi::String::New(env, table[i].name));
  return a;
#else
  return Napi::Array::New(env, 0);
#endif
}

Napi::TypedArray AnyTyped(Napi::Env env, const Napi::Value& v, const char* fn, const char* what) {
  if (!v.IsTypedArray()) throw Napi::TypeError::New(env, std::string(fn) + ": " + what + " must be a typed array");
  return v.As<Napi::TypedArray>();
}

template <typename T, napi_typedarray_type kType>
const T* TypedData(Napi::Env env, const Napi::Value& v, const char* fn, const char* what, size_t* length) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != kType)
    throw Napi::TypeError::New(env, std::string(fn) + ": " + what + " has the wrong typed-array type");
  Napi::TypedArrayOf<T> a = v.As<Napi::TypedArrayOf<T>>();
  *length = a.ElementLength();
  return a.Data();
}

class CudaContext : public Napi::ObjectWrap<CudaContext> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    Napi::Function ctor = DefineClass(
        env, "CudaContext",
        {InstanceMethod<&CudaContext::Alloc>("alloc"), InstanceMethod<&CudaContext::Free>("free"),
         InstanceMethod<&CudaContext::Upload>("upload"), InstanceMethod<&CudaContext::Download>("download"),
         InstanceMethod<&CudaContext::Memset>("memset"), InstanceMethod<&CudaContext::Run>("run"),
         InstanceMethod<&CudaContext::Memory>("memory"), InstanceMethod<&CudaContext::Synchronize>("synchronize"),
         InstanceMethod<&CudaContext::Dispose>("dispose")});
    exports.Set("CudaContext", ctor);
  }

  explicit CudaContext(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CudaContext>(info) {
    Napi::Env env = info.Env();
#ifdef HS_CUDA_BACKEND
    const int device = static_cast<int>(RequireInteger(env, info[0], "CudaContext", "device", 0, 1023));
    Guard(env, [&] {
      device_ = std::make_unique<cuda_ops::Device>(device);
      return 0;
    });
#else
    throw Napi::Error::New(env, "hypersweep: this build of the native addon has no CUDA kernels");
#endif
  }

#ifdef HS_CUDA_BACKEND
  ~CudaContext() override { Release(); }
#endif

 private:
#ifdef HS_CUDA_BACKEND
  struct Buffer {
    void* ptr;
    size_t bytes;
  };
  std::unique_ptr<cuda_ops::Device> device_;
  std::unordered_map<int32_t, Buffer> buffers_;
  int32_t next_ = 0;
  size_t in_use_ = 0;

  void Release() noexcept {
    if (!device_) return;
    for (auto& [id, b] : buffers_) device_->free(b.ptr, b.bytes);
    buffers_.clear();
    in_use_ = 0;
    device_.reset();
  }

  cuda_ops::Device& Dev(Napi::Env env, const char* fn) {
    if (!device_) throw Napi::Error::New(env, std::string("CudaContext.") + fn + ": the context is disposed");
    return *device_;
  }

  Buffer& Find(Napi::Env env, const Napi::Value& v, const char* fn) {
    const int32_t id = static_cast<int32_t>(RequireInteger(env, v, fn, "buffer", 0, 2147483647));
    auto it = buffers_.find(id);
    if (it == buffers_.end()) throw Napi::RangeError::New(env, std::string(fn) + ": no buffer " + std::to_string(id));
    return it->second;
  }
#endif

  Napi::Value Alloc(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
#ifdef HS_CUDA_BACKEND
    auto& dev = Dev(env, "alloc");
    const size_t bytes = static_cast<size_t>(RequireInteger(env, info[0], "CudaContext.alloc", "bytes", 1, int64_t{1} << 40));
    void* p = Guard(env, [&] { return dev.alloc(bytes); });
    // Handles wrap after 2^31 allocations; skip any still live.
    do {
      next_ = next_ == 2147483647 ? 0 : next_ + 1;
    } while (buffers_.count(next_));
    buffers_[next_] = Buffer{p, bytes};
    in_use_ += bytes;
    return Napi::Number::New(env, next_);
#else
    return env.Undefined();
#endif
  }

  Napi::Value Free(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
#ifdef HS_CUDA_BACKEND
    auto& dev = Dev(env, "free");
    const int32_t id = static_cast<int32_t>(RequireInteger(env, info[0], "CudaContext.free", "buffer", 0, 2147483647));
    auto it = buffers_.find(id);
    if (it == buffers_.end()) throw Napi::RangeError::New(env, "CudaContext.free: no buffer " + std::to_string(id));
    dev.free(it->second.ptr, it->second.bytes);
    in_use_ -= it->second.bytes;
    buffers_.erase(it);
#endif
    return env.Undefined();
  }

  Napi::Value Upload(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
#ifdef HS_CUDA_BACKEND
    auto& dev = Dev(env, "upload");
    Buffer& b = Find(env, info[0], "CudaContext.upload");
    Napi::TypedArray a = AnyTyped(env, info[1], "CudaContext.upload", "values");
    if (a.ByteLength() != b.bytes)
      throw Napi::RangeError::New(env, "CudaContext.upload: " + std::to_string(a.ByteLength()) +
                                           " bytes for a buffer of " + std::to_string(b.bytes));
    const char* src = static_cast<const char*>(a.ArrayBuffer().Data()) + a.ByteOffset();
    Guard(env, [&] {
      dev.upload(b.ptr, src, b.bytes);
      return 0;
    });
#endif
    return env.Undefined();
  }

  Napi::Value Download(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
#ifdef HS_CUDA_BACKEND
    auto& dev = Dev(env, "download");
    Buffer& b = Find(env, info[0], "CudaContext.download");
    Napi::TypedArray a = AnyTyped(env, info[1], "CudaContext.download", "out");
    if (a.ByteLength() != b.bytes)
      throw Napi::RangeError::New(env, "CudaContext.download: " + std::to_string(a.ByteLength()) +
                                           " bytes for a buffer of " + std::to_string(b.bytes));
    char* dst = static_cast<char*>(a.ArrayBuffer().Data()) + a.ByteOffset();
    Guard(env, [&] {
      dev.download(dst, b.ptr, b.bytes);
      return 0;
    });
#endif
    return env.Undefined();
  }

  Napi::Value Memset(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
#ifdef HS_CUDA_BACKEND
    auto& dev = Dev(env, "memset");
    Buffer& b = Find(env, info[0], "CudaContext.memset");
    const int byte = static_cast<int>(RequireInteger(env, info[1], "CudaContext.memset", "byte", 0, 255));
    Guard(env, [&] {
      dev.memset(b.ptr, byte, b.bytes);
      return 0;
    });
#endif
    return env.Undefined();
  }

  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
#ifdef HS_CUDA_BACKEND
    const char* fn = "CudaContext.run";
    auto& dev = Dev(env, "run");
    const auto& table = cuda_ops::op_table();
    const size_t op = static_cast<size_t>(RequireInteger(env, info[0], fn, "op", 0, static_cast<int64_t>(table.size()) - 1));
    const cuda_ops::OpSpec& spec = table[op];
    size_t nb = 0, ni = 0, nf = 0;
    const int32_t* ids = TypedData<int32_t, napi_int32_array>(env, info[1], fn, "buffers (Int32Array)", &nb);
    const int32_t* ints = TypedData<int32_t, napi_int32_array>(env, info[2], fn, "ints (Int32Array)", &ni);
    const double* floats = TypedData<double, napi_float64_array>(env, info[3], fn, "floats (Float64Array)", &nf);
    if (nb != spec.buffers || ni != spec.ints || nf != spec.floats)
      throw Napi::RangeError::New(env, std::string(fn) + " " + spec.name + ": takes " + std::to_string(spec.buffers) +
                                           " buffers, " + std::to_string(spec.ints) + " ints, " +
                                           std::to_string(spec.floats) + " floats; got " + std::to_string(nb) + ", " +
                                           std::to_string(ni) + ", " + std::to_string(nf));
    cuda_ops::Call call;
    call.ints = ints;
    call.floats = floats;
    for (size_t k = 0; k < nb; ++k) {
      if (ids[k] < 0) {
        call.ptr[k] = nullptr;
        call.bytes[k] = 0;
        continue;
      }
      auto it = buffers_.find(ids[k]);
      if (it == buffers_.end())
        throw Napi::RangeError::New(env, std::string(fn) + " " + spec.name + ": no buffer " + std::to_string(ids[k]));
      call.ptr[k] = it->second.ptr;
      call.bytes[k] = it->second.bytes;
    }
    Guard(env, [&] {
      spec.run(dev, call);
      return 0;
    });
#endif
    return env.Undefined();
  }

  Napi::Value Memory(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
#ifdef HS_CUDA_BACKEND
    o.Set("bytesInUse", static_cast<double>(in_use_));
    o.Set("bytesReserved", static_cast<double>(device_ ? device_->reserved_bytes() : 0));
    o.Set("buffers", static_cast<double>(buffers_.size()));
#endif
    return o;
  }

  Napi::Value Synchronize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
#ifdef HS_CUDA_BACKEND
    auto& dev = Dev(env, "synchronize");
    Guard(env, [&] {
      dev.synchronize();
      return 0;
    });
#endif
    return env.Undefined();
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
#ifdef HS_CUDA_BACKEND
    Release();
#endif
    return info.Env().Undefined();
  }
};

}  // namespace

void InitCudaBackend(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaInfo", Napi::Function::New(env, CudaInfo, "cudaInfo"));
  exports.Set("cudaOps", Napi::Function::New(env, CudaOps, "cudaOps"));
  CudaContext::Init(env, exports);
}

}  // namespace hs::binding
