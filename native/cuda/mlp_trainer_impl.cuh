// The CUDA MLP trainer's logic: device buffers, the dataset cache, the epoch
// loop and the order of the kernels of one SGD step. Included by mlp_cuda.cu
// (namespace hs::cuda, real GPU) and by the tests under HS_CUDA_EMULATE
// (another namespace, host emulation), so both run exactly this code.
#pragma once
#include <algorithm>
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/mlp.h"
#include "cuda/mlp_kernels.cuh"

namespace HS_CUDA_NS {

// An owning device array. reserve() only grows and does not keep contents.
template <typename T>
class DeviceArray {
 public:
  DeviceArray() = default;
  ~DeviceArray() { dev_free(p_); }
  DeviceArray(DeviceArray&& o) noexcept : p_(o.p_), n_(o.n_) {
    o.p_ = nullptr;
    o.n_ = 0;
  }
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    if (this != &o) {
      dev_free(p_);
      p_ = o.p_;
      n_ = o.n_;
      o.p_ = nullptr;
      o.n_ = 0;
    }
    return *this;
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  void reserve(size_t n) {
    if (n <= n_) return;
    dev_free(p_);
    p_ = nullptr;
    n_ = 0;
    p_ = static_cast<T*>(dev_alloc(n * sizeof(T)));
    n_ = n;
  }
  T* get() const { return p_; }
  size_t size() const { return n_; }

 private:
  T* p_ = nullptr;
  size_t n_ = 0;
};

class Trainer {
 public:
  // Steps between two looks of the host at the device's failure flag: the
  // only host-device synchronisations inside an epoch.
  static constexpr int64_t kCheckEvery = 32;
  // Rows per forward pass in evaluate().
  static constexpr int kEvalChunk = 4096;
  // Datasets kept on the device (train, validation, test, one spare).
  static constexpr size_t kMaxCachedDatasets = 4;

  Trainer(const MlpShape& shape, const MlpParams<float>& initial) : shape_(shape) {
    if (shape.inputs <= 0 || shape.h1 <= 0 || shape.h2 <= 0 || shape.outputs <= 0)
      throw std::invalid_argument("cuda MlpTrainer: layer sizes must be positive");
    const size_t in = shape.inputs, h1 = shape.h1, h2 = shape.h2, out = shape.outputs;
    oW1_ = 0;
    oW2_ = oW1_ + in * h1;
    oW3_ = oW2_ + h1 * h2;
    n_weights_ = oW3_ + h2 * out;
    ob1_ = n_weights_;
    ob2_ = ob1_ + h1;
    ob3_ = ob2_ + h2;
    n_params_ = ob3_ + out;
    switch (shape.activation) {
      case Activation::Sigmoid:
        act_fwd_ = Epilogue::BiasSigmoid;
        act_bwd_ = Epilogue::DSigmoid;
        break;
      case Activation::Relu:
        act_fwd_ = Epilogue::BiasRelu;
        act_bwd_ = Epilogue::DRelu;
        break;
      case Activation::Tanh:
        act_fwd_ = Epilogue::BiasTanh;
        act_bwd_ = Epilogue::DTanh;
        break;
    }
    device_ = current_device();
    stream_ = stream_create();
    try {
      params_.reserve(n_params_);
      grads_.reserve(n_params_);
      status_.reserve(1);
      eval_sums_.reserve(2);
      set_params(initial);
    } catch (...) {
      stream_destroy(stream_);
      throw;
    }
  }
  ~Trainer() {
    // Let queued work finish before the buffers it uses are freed.
    try {
      set_device(device_);
      stream_sync(stream_);
    } catch (...) {
    }
    stream_destroy(stream_);
  }
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  EpochResult train_epoch(const DatasetView& data, const SgdSettings& sgd, int64_t t_start, uint64_t shuffle_seed,
                          int epoch, const std::atomic<bool>* stop) {
    set_device(device_);
    if (sgd.batch_size < 1) throw std::invalid_argument("cuda MlpTrainer: batch_size must be >= 1");
    const CachedDataset& d = dataset(data);
    const int64_t n = data.rows;
    const int64_t batch = sgd.batch_size;
    const int64_t nsteps = (n + batch - 1) / batch;
    EpochResult result;
    if (nsteps == 0) {
      result.t_end = t_start;
      return result;
    }
    ensure_rows(static_cast<int>(std::min<int64_t>(batch, n)));
    const std::vector<int64_t> perm = epoch_permutation(shuffle_seed, epoch, n);
    perm_.reserve(static_cast<size_t>(n));
    copy_to_device(perm_.get(), perm.data(), perm.size() * sizeof(int64_t), stream_);
    memset_async(status_.get(), 0, sizeof(StepStatus), stream_);

    const float two_lambda = static_cast<float>(2.0 * sgd.lambda);
    int64_t launched = 0;
    for (int64_t k = 0; k < nsteps; ++k) {
      if (stop != nullptr && stop->load(std::memory_order_relaxed)) {
        result.stopped = true;
        break;
      }
      if (k > 0 && k % kCheckEvery == 0 && read_status().failed) break;
      const int64_t t = t_start + k;
      const float alpha = static_cast<float>(sgd.alpha0 / (1.0 + sgd.delta * static_cast<double>(t)));
      const int64_t first = k * batch;
      const int rows = static_cast<int>(std::min<int64_t>(batch, n - first));
      step(d, first, rows, t, alpha, two_lambda);
      ++launched;
    }
    const StepStatus st = read_status();
    if (st.failed) {
      // The failing step and those launched after it changed nothing.
      result.nonfinite = true;
      result.failed_step = st.failed_step;
      result.steps = st.failed_step - t_start;
      result.stopped = false;
    } else {
      result.steps = launched;
    }
    result.t_end = t_start + result.steps;
    return result;
  }

  EvalResult evaluate(const DatasetView& data) {
    set_device(device_);
    const CachedDataset& d = dataset(data);
    EvalResult result;
    const int64_t n = data.rows;
    if (n == 0) return result;
    ensure_rows(static_cast<int>(std::min<int64_t>(kEvalChunk, n)));
    row_loss_.reserve(static_cast<size_t>(n));
    row_correct_.reserve(static_cast<size_t>(n));
    const int in = shape_.inputs, out = shape_.outputs;
    for (int64_t c0 = 0; c0 < n; c0 += kEvalChunk) {
      const int rows = static_cast<int>(std::min<int64_t>(kEvalChunk, n - c0));
      forward(d.x.get() + static_cast<size_t>(c0) * in, rows);
      launch(eval_rows_kernel, dim3(static_cast<unsigned>((rows + 255) / 256)), dim3(256), stream_, z3_.get(), rows,
             out, d.y.get() + c0, row_loss_.get() + c0, row_correct_.get() + c0);
    }
    launch(eval_reduce_kernel, dim3(1), dim3(kReduceThreads), stream_, row_loss_.get(), row_correct_.get(),
           static_cast<long long>(n), eval_sums_.get());
    double sums[2] = {0.0, 0.0};
    copy_to_host(sums, eval_sums_.get(), sizeof(sums), stream_);
    result.loss = sums[0] / static_cast<double>(n);
    result.accuracy = sums[1] / static_cast<double>(n);
    return result;
  }

  MlpParams<float> params() const {
    set_device(device_);
    std::vector<float> all(n_params_);
    copy_to_host(all.data(), params_.get(), n_params_ * sizeof(float), stream_);
    MlpParams<float> p;
    auto slice = [&](size_t off, size_t count) {
      return std::vector<float>(all.begin() + static_cast<std::ptrdiff_t>(off),
                                all.begin() + static_cast<std::ptrdiff_t>(off + count));
    };
    p.W1 = slice(oW1_, oW2_ - oW1_);
    p.W2 = slice(oW2_, oW3_ - oW2_);
    p.W3 = slice(oW3_, n_weights_ - oW3_);
    p.b1 = slice(ob1_, ob2_ - ob1_);
    p.b2 = slice(ob2_, ob3_ - ob2_);
    p.b3 = slice(ob3_, n_params_ - ob3_);
    return p;
  }

  void set_params(const MlpParams<float>& p) {
    set_device(device_);
    auto check = [](const std::vector<float>& v, size_t want, const char* name) {
      if (v.size() != want)
        throw std::invalid_argument(std::string("cuda MlpTrainer: ") + name + " has " + std::to_string(v.size()) +
                                    " values, expected " + std::to_string(want));
    };
    check(p.W1, oW2_ - oW1_, "W1");
    check(p.W2, oW3_ - oW2_, "W2");
    check(p.W3, n_weights_ - oW3_, "W3");
    check(p.b1, ob2_ - ob1_, "b1");
    check(p.b2, ob3_ - ob2_, "b2");
    check(p.b3, n_params_ - ob3_, "b3");
    std::vector<float> all;
    all.reserve(n_params_);
    for (const auto* v : {&p.W1, &p.W2, &p.W3, &p.b1, &p.b2, &p.b3}) all.insert(all.end(), v->begin(), v->end());
    copy_to_device(params_.get(), all.data(), n_params_ * sizeof(float), stream_);
  }

  // Sum of squares of the three weight matrices, in double, matrix by matrix.
  double weight_squared_norm() const {
    const MlpParams<float> p = params();
    double total = 0.0;
    for (const auto* w : {&p.W1, &p.W2, &p.W3}) {
      double s = 0.0;
      for (float v : *w) s += static_cast<double>(v) * static_cast<double>(v);
      total += s;
    }
    return total;
  }

 private:
  struct CachedDataset {
    const float* host_x = nullptr;
    const uint8_t* host_y = nullptr;
    int64_t rows = 0;
    int features = 0;
    DeviceArray<float> x;
    DeviceArray<uint8_t> y;
  };

  // The device copy of `v`, uploaded on first use. Keyed by the host pointers
  // and sizes: the caller's arrays are immutable while a dataset is in use.
  const CachedDataset& dataset(const DatasetView& v) {
    if (v.features != shape_.inputs)
      throw std::invalid_argument("cuda MlpTrainer: dataset has " + std::to_string(v.features) +
                                  " features, the model " + std::to_string(shape_.inputs) + " inputs");
    if (v.rows < 0 || (v.rows > 0 && (v.x == nullptr || v.y == nullptr)))
      throw std::invalid_argument("cuda MlpTrainer: invalid dataset view");
    for (const auto& c : cache_)
      if (c->host_x == v.x && c->host_y == v.y && c->rows == v.rows && c->features == v.features) return *c;
    // Labels index the logits on the device: check them once here.
    for (int64_t r = 0; r < v.rows; ++r)
      if (v.y[r] >= shape_.outputs)
        throw std::invalid_argument("cuda MlpTrainer: label " + std::to_string(v.y[r]) + " at row " +
                                    std::to_string(r) + " is not below outputs = " + std::to_string(shape_.outputs));
    if (cache_.size() >= kMaxCachedDatasets) {
      stream_sync(stream_);
      cache_.erase(cache_.begin());
    }
    auto c = std::make_unique<CachedDataset>();
    c->host_x = v.x;
    c->host_y = v.y;
    c->rows = v.rows;
    c->features = v.features;
    const size_t nx = static_cast<size_t>(v.rows) * static_cast<size_t>(v.features);
    c->x.reserve(nx);
    c->y.reserve(static_cast<size_t>(v.rows));
    copy_to_device(c->x.get(), v.x, nx * sizeof(float), stream_);
    copy_to_device(c->y.get(), v.y, static_cast<size_t>(v.rows), stream_);
    cache_.push_back(std::move(c));
    return *cache_.back();
  }

  // Activation buffers for up to `rows` rows (minibatch or evaluation chunk).
  void ensure_rows(int rows) {
    if (rows <= cap_rows_) return;
    stream_sync(stream_);
    const size_t r = static_cast<size_t>(rows);
    xb_.reserve(r * shape_.inputs);
    a1_.reserve(r * shape_.h1);
    a2_.reserve(r * shape_.h2);
    z3_.reserve(r * shape_.outputs);
    dz3_.reserve(r * shape_.outputs);
    dz2_.reserve(r * shape_.h2);
    dz1_.reserve(r * shape_.h1);
    cap_rows_ = rows;
  }

  StepStatus read_status() const {
    StepStatus st{};
    copy_to_host(&st, status_.get(), sizeof(st), stream_);
    return st;
  }

  // The split-K workspace for the GEMMs of `rows` rows (minibatch or chunk).
  // Grows at most a few times (full and last minibatch, evaluation chunks).
  void ensure_workspace(int rows) {
    const int in = shape_.inputs, h1 = shape_.h1, h2 = shape_.h2, out = shape_.outputs;
    const int shapes[8][3] = {{rows, h1, in}, {rows, h2, h1}, {rows, out, h2}, {h2, out, rows},
                              {rows, h2, out}, {h1, h2, rows}, {rows, h1, h2}, {in, h1, rows}};
    size_t need = 0;
    for (const auto& mnk : shapes) need = std::max(need, gemm_workspace_floats(mnk[0], mnk[1], mnk[2]));
    if (need > ws_.size()) {
      stream_sync(stream_);
      ws_.reserve(need);
    }
  }

  // gemm() with this trainer's stream and workspace.
  void mm(bool ta, bool tb, int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
          Epilogue epi = Epilogue::None, const float* bias = nullptr, const float* aux = nullptr, int ldaux = 0) {
    gemm(stream_, ta, tb, M, N, K, A, lda, B, ldb, C, ldc, ws_.get(), ws_.size(), epi, bias, aux, ldaux);
  }

  float* P(size_t off) const { return params_.get() + off; }
  float* G(size_t off) const { return grads_.get() + off; }

  // a1 = act(x W1 + b1), a2 = act(a1 W2 + b2), z3 = a2 W3 + b3 for `rows` rows of x.
  void forward(const float* x, int rows) {
    const int in = shape_.inputs, h1 = shape_.h1, h2 = shape_.h2, out = shape_.outputs;
    ensure_workspace(rows);
    mm(false, false, rows, h1, in, x, in, P(oW1_), h1, a1_.get(), h1, act_fwd_, P(ob1_));
    mm(false, false, rows, h2, h1, a1_.get(), h1, P(oW2_), h2, a2_.get(), h2, act_fwd_, P(ob2_));
    mm(false, false, rows, out, h2, a2_.get(), h2, P(oW3_), out, z3_.get(), out, Epilogue::Bias, P(ob3_));
  }

  void colsum(const float* d, int rows, int cols, float* out) {
    launch(colsum_kernel, dim3(static_cast<unsigned>((cols + 127) / 128)), dim3(128), stream_, d, rows, cols, out);
  }

  // One SGD step on the rows perm[first .. first + rows) of d, queued on the stream.
  void step(const CachedDataset& d, int64_t first, int rows, int64_t t, float alpha, float two_lambda) {
    const int in = shape_.inputs, h1 = shape_.h1, h2 = shape_.h2, out = shape_.outputs;
    const long long gathered = static_cast<long long>(rows) * in;
    launch(gather_rows_kernel, dim3(static_cast<unsigned>((gathered + 255) / 256)), dim3(256), stream_, d.x.get(),
           in, static_cast<const int64_t*>(perm_.get()), first, rows, xb_.get());
    forward(xb_.get(), rows);
    launch(softmax_xent_kernel, dim3(1), dim3(kReduceThreads), stream_, static_cast<const float*>(z3_.get()), rows,
           out, static_cast<const uint8_t*>(d.y.get()), static_cast<const int64_t*>(perm_.get()), first,
           1.0f / static_cast<float>(rows), dz3_.get(), status_.get(), static_cast<long long>(t));
    // Layer 3: dW3 = a2^T dz3, db3 = colsum(dz3); dz2 = (dz3 W3^T) * act'(a2).
    mm(true, false, h2, out, rows, a2_.get(), h2, dz3_.get(), out, G(oW3_), out);
    colsum(dz3_.get(), rows, out, G(ob3_));
    mm(false, true, rows, h2, out, dz3_.get(), out, P(oW3_), out, dz2_.get(), h2, act_bwd_, nullptr, a2_.get(), h2);
    // Layer 2: dW2 = a1^T dz2, db2 = colsum(dz2); dz1 = (dz2 W2^T) * act'(a1).
    mm(true, false, h1, h2, rows, a1_.get(), h1, dz2_.get(), h2, G(oW2_), h2);
    colsum(dz2_.get(), rows, h2, G(ob2_));
    mm(false, true, rows, h1, h2, dz2_.get(), h2, P(oW2_), h2, dz1_.get(), h1, act_bwd_, nullptr, a1_.get(), h1);
    // Layer 1: dW1 = x^T dz1, db1 = colsum(dz1).
    mm(true, false, in, h1, rows, xb_.get(), in, dz1_.get(), h1, G(oW1_), h1);
    colsum(dz1_.get(), rows, h1, G(ob1_));
    // All gradients are in: update every parameter at once.
    const long long n_total = static_cast<long long>(n_params_);
    const unsigned blocks = static_cast<unsigned>(std::min<long long>((n_total + 255) / 256, 4096));
    launch(sgd_update_kernel, dim3(blocks), dim3(256), stream_, params_.get(), static_cast<const float*>(grads_.get()),
           static_cast<long long>(n_weights_), n_total, alpha, two_lambda,
           static_cast<const StepStatus*>(status_.get()));
  }

  MlpShape shape_;
  Epilogue act_fwd_ = Epilogue::BiasSigmoid;
  Epilogue act_bwd_ = Epilogue::DSigmoid;
  // Offsets in the flat parameter (and gradient) arrays: the weights first, so
  // the L2 term applies to one contiguous range.
  size_t oW1_ = 0, oW2_ = 0, oW3_ = 0, n_weights_ = 0, ob1_ = 0, ob2_ = 0, ob3_ = 0, n_params_ = 0;
  int device_ = 0;
  Stream stream_ = nullptr;
  DeviceArray<float> params_, grads_;
  DeviceArray<StepStatus> status_;
  DeviceArray<double> eval_sums_;
  int cap_rows_ = 0;
  DeviceArray<float> xb_, a1_, a2_, z3_, dz3_, dz2_, dz1_;
  DeviceArray<int64_t> perm_;
  DeviceArray<float> ws_;  // split-K partial sums
  DeviceArray<float> row_loss_;
  DeviceArray<int> row_correct_;
  std::vector<std::unique_ptr<CachedDataset>> cache_;
};

}  // namespace HS_CUDA_NS
