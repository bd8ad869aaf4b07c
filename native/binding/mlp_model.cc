// MlpModel: one MLP (float32 or float64 on the CPU, float32 on CUDA) with its
// own thread pool. trainEpoch and evaluate run off the event loop in an
// AsyncWorker and return Promises; a model runs one such call at a time.
#include <algorithm>
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "binding/binding.h"
#include "core/mlp.h"
#include "core/mlp_cpu.h"
#ifdef HS_WITH_CUDA
#include "cuda/mlp_cuda.h"
#endif

namespace hs::binding {

namespace {

hs::Activation ParseActivation(Napi::Env env, const std::string& s) {
  if (s == "sigmoid") return hs::Activation::Sigmoid;
  if (s == "relu") return hs::Activation::Relu;
  if (s == "tanh") return hs::Activation::Tanh;
  throw Napi::RangeError::New(env, "MlpModel: activation must be 'sigmoid', 'relu' or 'tanh', got '" + s + "'");
}

hs::Init ParseInit(Napi::Env env, const std::string& s) {
  if (s == "zero") return hs::Init::Zero;
  if (s == "normal") return hs::Init::Normal;
  if (s == "glorot") return hs::Init::Glorot;
  throw Napi::RangeError::New(env, "MlpModel: init must be 'zero', 'normal' or 'glorot', got '" + s + "'");
}

// Largest layer width accepted: far above any sensible MLP, far below int overflow.
constexpr int64_t kMaxWidth = 1 << 20;
constexpr int64_t kMaxThreads = 256;

template <typename T>
using TypedArrayOf = Napi::TypedArrayOf<T>;

template <typename T>
Napi::Value ToTypedArray(Napi::Env env, const std::vector<T>& v) {
  TypedArrayOf<T> a = TypedArrayOf<T>::New(env, v.size());
  std::copy(v.begin(), v.end(), a.Data());
  return a;
}

template <typename T>
Napi::Object ParamsToJs(Napi::Env env, const hs::MlpParams<T>& p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("W1", ToTypedArray(env, p.W1));
  o.Set("b1", ToTypedArray(env, p.b1));
  o.Set("W2", ToTypedArray(env, p.W2));
  o.Set("b2", ToTypedArray(env, p.b2));
  o.Set("W3", ToTypedArray(env, p.W3));
  o.Set("b3", ToTypedArray(env, p.b3));
  return o;
}

template <typename T>
void ReadArray(Napi::Env env, const Napi::Object& o, const char* key, size_t expected,
               std::vector<T>* out) {
  constexpr napi_typedarray_type want =
      std::is_same_v<T, float> ? napi_float32_array : napi_float64_array;
  const char* type_name = std::is_same_v<T, float> ? "Float32Array" : "Float64Array";
  Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != want)
    throw Napi::TypeError::New(env, std::string("setParams: ") + key + " must be a " + type_name +
                                        " (the model's dtype)");
  TypedArrayOf<T> a = v.As<TypedArrayOf<T>>();
  if (a.ElementLength() != expected)
    throw Napi::RangeError::New(env, std::string("setParams: ") + key + " has " +
                                         std::to_string(a.ElementLength()) + " values, expected " +
                                         std::to_string(expected));
  out->assign(a.Data(), a.Data() + expected);
}

template <typename T>
hs::MlpParams<T> ParamsFromJs(Napi::Env env, const Napi::Value& value, const hs::MlpShape& s) {
  Napi::Object o = RequireObject(env, value, "setParams", "params");
  hs::MlpParams<T> p;
  ReadArray(env, o, "W1", static_cast<size_t>(s.inputs) * s.h1, &p.W1);
  ReadArray(env, o, "b1", static_cast<size_t>(s.h1), &p.b1);
  ReadArray(env, o, "W2", static_cast<size_t>(s.h1) * s.h2, &p.W2);
  ReadArray(env, o, "b2", static_cast<size_t>(s.h2), &p.b2);
  ReadArray(env, o, "W3", static_cast<size_t>(s.h2) * s.outputs, &p.W3);
  ReadArray(env, o, "b3", static_cast<size_t>(s.outputs), &p.b3);
  return p;
}

Napi::Object EpochResultToJs(Napi::Env env, const hs::EpochResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("steps", Napi::Number::New(env, static_cast<double>(r.steps)));
  o.Set("tEnd", Napi::Number::New(env, static_cast<double>(r.t_end)));
  o.Set("nonfinite", Napi::Boolean::New(env, r.nonfinite));
  o.Set("failedStep", Napi::Number::New(env, static_cast<double>(r.failed_step)));
  o.Set("stopped", Napi::Boolean::New(env, r.stopped));
  return o;
}

// The CUDA trainer does not validate labels itself; the CPU trainer does.
void CheckLabels(const hs::DatasetView& d, const hs::MlpShape& s) {
  if (d.features != s.inputs)
    throw std::invalid_argument("dataset has " + std::to_string(d.features) +
                                " features per row, the model expects " + std::to_string(s.inputs));
  for (int64_t r = 0; r < d.rows; ++r)
    if (d.y[r] >= s.outputs)
      throw std::invalid_argument("label " + std::to_string(d.y[r]) + " at row " + std::to_string(r) +
                                  " is out of range [0, " + std::to_string(s.outputs) + ")");
}

class MlpModel : public Napi::ObjectWrap<MlpModel> {
 public:
  explicit MlpModel(const Napi::CallbackInfo& info);

  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "MlpModel",
        {InstanceMethod<&MlpModel::TrainEpoch>("trainEpoch"),
         InstanceMethod<&MlpModel::Evaluate>("evaluate"),
         InstanceMethod<&MlpModel::WeightSquaredNorm>("weightSquaredNorm"),
         InstanceMethod<&MlpModel::GetParams>("getParams"),
         InstanceMethod<&MlpModel::SetParams>("setParams"),
         InstanceMethod<&MlpModel::SampleObjective>("sampleObjective"),
         InstanceMethod<&MlpModel::RequestStop>("requestStop"),
         InstanceAccessor<&MlpModel::Device>("device", napi_enumerable),
         InstanceAccessor<&MlpModel::DType>("dtype", napi_enumerable),
         InstanceAccessor<&MlpModel::Threads>("threads", napi_enumerable)});
  }

  // --- called from AsyncWorker::Execute (a libuv thread) ---
  hs::EpochResult RunTrain(const hs::DatasetView& d, const hs::SgdSettings& sgd, int64_t t_start,
                           uint64_t seed, int epoch) {
    if (f32_) return f32_->train_epoch(d, sgd, t_start, seed, epoch, &stop_);
    if (f64_) return f64_->train_epoch(d, sgd, t_start, seed, epoch, &stop_);
#ifdef HS_WITH_CUDA
    CheckLabels(d, shape_);
    return cuda_->train_epoch(d, sgd, t_start, seed, epoch, &stop_);
#else
    throw std::logic_error("no backend");
#endif
  }
  hs::EvalResult RunEvaluate(const hs::DatasetView& d) {
    if (f32_) return f32_->evaluate(d);
    if (f64_) return f64_->evaluate(d);
#ifdef HS_WITH_CUDA
    CheckLabels(d, shape_);
    return cuda_->evaluate(d);
#else
    throw std::logic_error("no backend");
#endif
  }
  void Release() { busy_.store(false); }

 private:
  Napi::Value TrainEpoch(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value WeightSquaredNorm(const Napi::CallbackInfo& info);
  Napi::Value GetParams(const Napi::CallbackInfo& info);
  Napi::Value SetParams(const Napi::CallbackInfo& info);
  Napi::Value SampleObjective(const Napi::CallbackInfo& info);
  Napi::Value RequestStop(const Napi::CallbackInfo& info) {
    stop_.store(true);
    return info.Env().Undefined();
  }
  Napi::Value Device(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), device_); }
  Napi::Value DType(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), dtype_); }
  Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), threads_); }

  // Refuses a call while trainEpoch/evaluate runs (the native side owns the weights then).
  void CheckIdle(Napi::Env env, const char* method) const {
    if (busy_.load())
      throw Napi::Error::New(env, std::string("MlpModel.") + method +
                                      ": the model is busy with a trainEpoch or evaluate call; await "
                                      "it before calling another method");
  }

  hs::MlpShape shape_;
  std::string device_, dtype_;
  int threads_ = 1;
  std::unique_ptr<hs::CpuMlp<float>> f32_;
  std::unique_ptr<hs::CpuMlp<double>> f64_;
#ifdef HS_WITH_CUDA
  std::unique_ptr<hs::cuda::MlpTrainer> cuda_;
#endif
  std::atomic<bool> busy_{false};
  std::atomic<bool> stop_{false};
};

// Runs one trainEpoch or evaluate on a libuv thread; settles the Promise on the JS thread.
class ModelWorker : public Napi::AsyncWorker {
 public:
  enum class Kind { Train, Evaluate };
  ModelWorker(Napi::Env env, Kind kind, MlpModel* model, Napi::Object model_obj,
              const DatasetHandle& data)
      : Napi::AsyncWorker(env, kind == Kind::Train ? "hypersweep.trainEpoch" : "hypersweep.evaluate"),
        kind_(kind),
        model_(model),
        data_(data.view),
        deferred_(Napi::Promise::Deferred::New(env)) {
    // Keep the model and the dataset (and so its typed arrays) alive while we run.
    model_ref_ = Napi::Persistent(model_obj);
    data_ref_ = Napi::Persistent(data.object);
  }
  void SetTrain(const hs::SgdSettings& sgd, int64_t t_start, uint64_t seed, int epoch) {
    sgd_ = sgd;
    t_start_ = t_start;
    seed_ = seed;
    epoch_ = epoch;
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      if (kind_ == Kind::Train) {
        epoch_result_ = model_->RunTrain(data_, sgd_, t_start_, seed_, epoch_);
      } else {
        eval_result_ = model_->RunEvaluate(data_);
      }
    } catch (const std::bad_alloc&) {
      SetError("hypersweep: out of memory");
    } catch (const std::exception& e) {
      SetError(std::string("hypersweep: ") + e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    model_->Release();
    if (kind_ == Kind::Train) {
      deferred_.Resolve(EpochResultToJs(env, epoch_result_));
    } else {
      Napi::Object o = Napi::Object::New(env);
      o.Set("loss", Napi::Number::New(env, eval_result_.loss));
      o.Set("accuracy", Napi::Number::New(env, eval_result_.accuracy));
      deferred_.Resolve(o);
    }
  }
  void OnError(const Napi::Error& e) override {
    model_->Release();
    deferred_.Reject(e.Value());
  }

 private:
  Kind kind_;
  MlpModel* model_;
  hs::DatasetView data_;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference model_ref_, data_ref_;
  hs::SgdSettings sgd_;
  int64_t t_start_ = 0;
  uint64_t seed_ = 0;
  int epoch_ = 0;
  hs::EpochResult epoch_result_;
  hs::EvalResult eval_result_;
};

MlpModel::MlpModel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MlpModel>(info) {
  Napi::Env env = info.Env();
  Napi::Object o = RequireObject(env, info.Length() > 0 ? info[0] : env.Undefined(), "MlpModel", "options");
  shape_.inputs = static_cast<int>(RequireInteger(env, o.Get("inputs"), "MlpModel", "inputs", 1, kMaxWidth));
  shape_.h1 = static_cast<int>(RequireInteger(env, o.Get("h1"), "MlpModel", "h1", 1, kMaxWidth));
  shape_.h2 = static_cast<int>(RequireInteger(env, o.Get("h2"), "MlpModel", "h2", 1, kMaxWidth));
  shape_.outputs = static_cast<int>(RequireInteger(env, o.Get("outputs"), "MlpModel", "outputs", 1, 256));
  shape_.activation = ParseActivation(env, RequireString(env, o.Get("activation"), "MlpModel", "activation"));
  const hs::Init init = ParseInit(env, RequireString(env, o.Get("init"), "MlpModel", "init"));
  const uint64_t seed =
      static_cast<uint64_t>(RequireInteger(env, o.Get("seed"), "MlpModel", "seed", 0, kMaxSafeInteger));
  dtype_ = RequireString(env, o.Get("dtype"), "MlpModel", "dtype");
  device_ = RequireString(env, o.Get("device"), "MlpModel", "device");
  threads_ = static_cast<int>(RequireInteger(env, o.Get("threads"), "MlpModel", "threads", 1, kMaxThreads));
  if (dtype_ != "float32" && dtype_ != "float64")
    throw Napi::RangeError::New(env, "MlpModel: dtype must be 'float32' or 'float64', got '" + dtype_ + "'");
  if (device_ != "cpu" && device_ != "cuda")
    throw Napi::RangeError::New(env, "MlpModel: device must be 'cpu' or 'cuda', got '" + device_ + "'");
  // Weight matrices must stay addressable by int indices in the GEMM.
  const double biggest = std::max({static_cast<double>(shape_.inputs) * shape_.h1,
                                   static_cast<double>(shape_.h1) * shape_.h2,
                                   static_cast<double>(shape_.h2) * shape_.outputs});
  if (biggest > 2147483647.0)
    throw Napi::RangeError::New(env, "MlpModel: a weight matrix would exceed 2^31 - 1 values");

  Guard(env, [&] {
    if (device_ == "cuda") {
      if (dtype_ == "float64")
        throw Napi::RangeError::New(env, "MlpModel: float64 models run on the CPU only (device 'cpu')");
#ifdef HS_WITH_CUDA
      // Same initial weights as a CPU model with the same seed.
      cuda_ = std::make_unique<hs::cuda::MlpTrainer>(shape_, hs::init_params<float>(shape_, init, seed));
#else
      throw Napi::Error::New(env, "MlpModel: hypersweep was built without CUDA (device 'cuda' unavailable)");
#endif
    } else if (dtype_ == "float32") {
      f32_ = std::make_unique<hs::CpuMlp<float>>(shape_, hs::init_params<float>(shape_, init, seed), threads_);
    } else {
      f64_ = std::make_unique<hs::CpuMlp<double>>(shape_, hs::init_params<double>(shape_, init, seed), threads_);
    }
    return 0;
  });
}

Napi::Value MlpModel::TrainEpoch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckIdle(env, "trainEpoch");
  DatasetHandle data = UnwrapDataset(env, info.Length() > 0 ? info[0] : env.Undefined(), "trainEpoch: data");
  Napi::Object o = RequireObject(env, info.Length() > 1 ? info[1] : env.Undefined(), "trainEpoch", "options");
  hs::SgdSettings sgd;
  sgd.alpha0 = RequireNumber(env, o.Get("alpha0"), "trainEpoch", "alpha0");
  sgd.delta = RequireNumber(env, o.Get("delta"), "trainEpoch", "delta");
  sgd.lambda = RequireNumber(env, o.Get("lambda"), "trainEpoch", "lambda");
  sgd.batch_size = static_cast<int>(RequireInteger(env, o.Get("batchSize"), "trainEpoch", "batchSize", 1, 1 << 24));
  const int64_t t_start = RequireInteger(env, o.Get("tStart"), "trainEpoch", "tStart", 0, kMaxSafeInteger);
  const uint64_t seed =
      static_cast<uint64_t>(RequireInteger(env, o.Get("shuffleSeed"), "trainEpoch", "shuffleSeed", 0, kMaxSafeInteger));
  const int epoch = static_cast<int>(RequireInteger(env, o.Get("epoch"), "trainEpoch", "epoch", 0, 2147483647));
  if (data.view.features != shape_.inputs)
    throw Napi::RangeError::New(env, "trainEpoch: the dataset has " + std::to_string(data.view.features) +
                                         " features per row, the model expects " + std::to_string(shape_.inputs));

  auto* worker = new ModelWorker(env, ModelWorker::Kind::Train, this, Value(), data);
  worker->SetTrain(sgd, t_start, seed, epoch);
  Napi::Promise promise = worker->Promise();
  busy_.store(true);
  stop_.store(false);  // a requestStop() from now on stops this epoch
  worker->Queue();
  return promise;
}

Napi::Value MlpModel::Evaluate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckIdle(env, "evaluate");
  DatasetHandle data = UnwrapDataset(env, info.Length() > 0 ? info[0] : env.Undefined(), "evaluate: data");
  if (data.view.features != shape_.inputs)
    throw Napi::RangeError::New(env, "evaluate: the dataset has " + std::to_string(data.view.features) +
                                         " features per row, the model expects " + std::to_string(shape_.inputs));
  auto* worker = new ModelWorker(env, ModelWorker::Kind::Evaluate, this, Value(), data);
  Napi::Promise promise = worker->Promise();
  busy_.store(true);
  worker->Queue();
  return promise;
}

Napi::Value MlpModel::WeightSquaredNorm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckIdle(env, "weightSquaredNorm");
  return Guard(env, [&] {
    double v = 0;
    if (f32_) v = f32_->weight_squared_norm();
    else if (f64_) v = f64_->weight_squared_norm();
#ifdef HS_WITH_CUDA
    else v = cuda_->weight_squared_norm();
#endif
    return Napi::Number::New(env, v);
  });
}

Napi::Value MlpModel::GetParams(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckIdle(env, "getParams");
  return Guard(env, [&]() -> Napi::Value {
    if (f32_) return ParamsToJs(env, f32_->params());
    if (f64_) return ParamsToJs(env, f64_->params());
#ifdef HS_WITH_CUDA
    return ParamsToJs(env, cuda_->params());
#else
    return env.Undefined();
#endif
  });
}

Napi::Value MlpModel::SetParams(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckIdle(env, "setParams");
  Napi::Value arg = info.Length() > 0 ? info[0] : env.Undefined();
  Guard(env, [&] {
    if (f64_) {
      f64_->set_params(ParamsFromJs<double>(env, arg, shape_));
    } else {
      hs::MlpParams<float> p = ParamsFromJs<float>(env, arg, shape_);
      if (f32_) f32_->set_params(p);
#ifdef HS_WITH_CUDA
      else cuda_->set_params(p);
#endif
    }
    return 0;
  });
  return env.Undefined();
}

Napi::Value MlpModel::SampleObjective(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckIdle(env, "sampleObjective");
  DatasetHandle data = UnwrapDataset(env, info.Length() > 0 ? info[0] : env.Undefined(), "sampleObjective: data");
  const int64_t row = RequireInteger(env, info.Length() > 1 ? info[1] : env.Undefined(), "sampleObjective", "row", 0,
                                     kMaxSafeInteger);
  const double lambda = RequireNumber(env, info.Length() > 2 ? info[2] : env.Undefined(), "sampleObjective", "lambda");
  const bool with_gradient =
      RequireBoolean(env, info.Length() > 3 ? info[3] : env.Undefined(), "sampleObjective", "withGradient");
  if (row >= data.view.rows)
    throw Napi::RangeError::New(env, "sampleObjective: row " + std::to_string(row) + " is outside the dataset's " +
                                         std::to_string(data.view.rows) + " rows");
  return Guard(env, [&] {
    Napi::Object out = Napi::Object::New(env);
    auto run = [&](auto& model) {
      using T = typename std::remove_reference_t<decltype(*model)>::value_type;
      hs::MlpParams<T> grad;
      const double loss = model->sample_objective(data.view, row, lambda, with_gradient ? &grad : nullptr);
      out.Set("loss", Napi::Number::New(env, loss));
      out.Set("gradient", with_gradient ? Napi::Value(ParamsToJs(env, grad)) : env.Null());
    };
    if (f32_) {
      run(f32_);
    } else if (f64_) {
      run(f64_);
    } else {
#ifdef HS_WITH_CUDA
      // The gradient check is a CPU job: a float32 CPU twin with the GPU's current weights.
      auto twin = std::make_unique<hs::CpuMlp<float>>(shape_, cuda_->params(), threads_);
      run(twin);
#endif
    }
    return out;
  });
}

}  // namespace

void InitMlpModel(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = MlpModel::Define(env);
  env.GetInstanceData<AddonData>()->model_ctor = Napi::Persistent(ctor);
  exports.Set("MlpModel", ctor);
}

}  // namespace hs::binding
