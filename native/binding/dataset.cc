// Dataset: immutable training data held by reference. The Float32Array of
// pixels and the Uint8Array of labels are not copied (they may live in a
// SharedArrayBuffer shared by many worker threads); the object keeps them alive.
#include <cmath>
#include <string>

#include "binding/binding.h"

namespace hs::binding {

namespace {

class Dataset : public Napi::ObjectWrap<Dataset> {
 public:
  explicit Dataset(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Dataset>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 4)
      throw Napi::TypeError::New(env, "Dataset(x, y, rows, features) takes 4 arguments");
    if (!info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw Napi::TypeError::New(env, "Dataset: x must be a Float32Array");
    if (!info[1].IsTypedArray() ||
        info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      throw Napi::TypeError::New(env, "Dataset: y must be a Uint8Array");
    const int64_t rows = RequireInteger(env, info[2], "Dataset", "rows", 0, kMaxSafeInteger);
    const int64_t features = RequireInteger(env, info[3], "Dataset", "features", 1, 1 << 24);
    Napi::Float32Array x = info[0].As<Napi::Float32Array>();
    Napi::Uint8Array y = info[1].As<Napi::Uint8Array>();
    if (static_cast<double>(x.ElementLength()) != static_cast<double>(rows) * features)
      throw Napi::RangeError::New(
          env, "Dataset: x has " + std::to_string(x.ElementLength()) + " floats, expected rows × features = " +
                   std::to_string(rows) + " × " + std::to_string(features));
    if (static_cast<int64_t>(y.ElementLength()) != rows)
      throw Napi::RangeError::New(env, "Dataset: y has " + std::to_string(y.ElementLength()) +
                                           " labels, expected rows = " + std::to_string(rows));
    x_ref_ = Napi::Persistent(x.As<Napi::Object>());
    y_ref_ = Napi::Persistent(y.As<Napi::Object>());
    view_.x = x.Data();
    view_.y = y.Data();
    view_.rows = rows;
    view_.features = static_cast<int>(features);
  }

  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Dataset",
                       {InstanceAccessor<&Dataset::Rows>("rows", napi_enumerable),
                        InstanceAccessor<&Dataset::Features>("features", napi_enumerable)});
  }

  const hs::DatasetView& view() const { return view_; }

 private:
  Napi::Value Rows(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(view_.rows));
  }
  Napi::Value Features(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), view_.features);
  }

  Napi::ObjectReference x_ref_, y_ref_;
  hs::DatasetView view_;
};

}  // namespace

void InitDataset(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = Dataset::Define(env);
  env.GetInstanceData<AddonData>()->dataset_ctor = Napi::Persistent(ctor);
  exports.Set("Dataset", ctor);
}

DatasetHandle UnwrapDataset(Napi::Env env, const Napi::Value& value, const char* what) {
  AddonData* data = env.GetInstanceData<AddonData>();
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(data->dataset_ctor.Value()))
    throw Napi::TypeError::New(env, std::string(what) + " must be a Dataset");
  Napi::Object obj = value.As<Napi::Object>();
  return DatasetHandle{Dataset::Unwrap(obj)->view(), obj};
}

}  // namespace hs::binding
