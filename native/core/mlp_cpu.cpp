#include "core/mlp_cpu.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "core/activation.h"
#include "core/gemm.h"
#include "core/parallel.h"

namespace hs {

namespace {

// Rows per forward pass of evaluate(): big enough for efficient GEMMs, small
// enough for the activations to stay in cache.
constexpr int kEvalChunk = 256;

// The minibatch's copy and the bias gradients' column sums run on the pool
// from this many elements on (below, waking a thread costs more than it saves).
constexpr int64_t kParallelElements = 16384;
// Rows per unit of the minibatch copy, columns per unit of the column sums.
constexpr int64_t kCopyRows = 8;
constexpr int kSumColumns = 64;

template <typename T>
void copy_into(AlignedBuffer<T>& dst, const std::vector<T>& src, size_t expected, const char* name) {
  if (src.size() != expected)
    throw std::invalid_argument(std::string("MLP parameter ") + name + " has " +
                                std::to_string(src.size()) + " values, expected " +
                                std::to_string(expected));
  dst.assign(src.data(), src.size());
}

}  // namespace

template <typename T>
CpuMlp<T>::CpuMlp(const MlpShape& shape, const MlpParams<T>& params, int threads)
    : shape_(shape), pool_(threads) {
  if (shape.inputs < 1 || shape.h1 < 1 || shape.h2 < 1 || shape.outputs < 1)
    throw std::invalid_argument("MLP layer sizes must be at least 1");
  fan_in_[0] = shape.inputs;
  fan_out_[0] = shape.h1;
  fan_in_[1] = shape.h1;
  fan_out_[1] = shape.h2;
  fan_in_[2] = shape.h2;
  fan_out_[2] = shape.outputs;
  set_params(params);
}

template <typename T>
void CpuMlp<T>::set_params(const MlpParams<T>& p) {
  const std::vector<T>* W[3] = {&p.W1, &p.W2, &p.W3};
  const std::vector<T>* b[3] = {&p.b1, &p.b2, &p.b3};
  const char* wn[3] = {"W1", "W2", "W3"};
  const char* bn[3] = {"b1", "b2", "b3"};
  // Check everything before changing anything.
  for (int l = 0; l < 3; ++l) {
    if (W[l]->size() != static_cast<size_t>(fan_in_[l]) * fan_out_[l] ||
        b[l]->size() != static_cast<size_t>(fan_out_[l])) {
      AlignedBuffer<T> scratch;
      copy_into(scratch, *W[l], static_cast<size_t>(fan_in_[l]) * fan_out_[l], wn[l]);
      copy_into(scratch, *b[l], static_cast<size_t>(fan_out_[l]), bn[l]);
    }
  }
  for (int l = 0; l < 3; ++l) {
    W_[l].assign(W[l]->data(), W[l]->size());
    b_[l].assign(b[l]->data(), b[l]->size());
  }
}

template <typename T>
MlpParams<T> CpuMlp<T>::params() const {
  MlpParams<T> p;
  std::vector<T>* W[3] = {&p.W1, &p.W2, &p.W3};
  std::vector<T>* b[3] = {&p.b1, &p.b2, &p.b3};
  for (int l = 0; l < 3; ++l) {
    W[l]->assign(W_[l].data(), W_[l].data() + W_[l].size());
    b[l]->assign(b_[l].data(), b_[l].data() + b_[l].size());
  }
  return p;
}

template <typename T>
double CpuMlp<T>::weight_squared_norm() const {
  double s = 0;
  for (int l = 0; l < 3; ++l)
    for (size_t i = 0; i < W_[l].size(); ++i) s += static_cast<double>(W_[l][i]) * W_[l][i];
  return s;
}

template <typename T>
void CpuMlp<T>::check_data(const DatasetView& data) const {
  if (data.features != shape_.inputs)
    throw std::invalid_argument("dataset has " + std::to_string(data.features) +
                                " features per row, the model expects " +
                                std::to_string(shape_.inputs));
  if (data.rows < 0 || (data.rows > 0 && (!data.x || !data.y)))
    throw std::invalid_argument("dataset view is empty or negative");
  for (int64_t r = 0; r < data.rows; ++r) {
    if (data.y[r] >= shape_.outputs)
      throw std::invalid_argument("label " + std::to_string(data.y[r]) + " at row " +
                                  std::to_string(r) + " is out of range [0, " +
                                  std::to_string(shape_.outputs) + ")");
  }
}

template <typename T>
void CpuMlp<T>::reserve_rows(int rows) {
  if (rows <= capacity_) return;
  capacity_ = rows;
  const size_t R = static_cast<size_t>(rows);
  x_.resize(R * shape_.inputs);
  a1_.resize(R * shape_.h1);
  a2_.resize(R * shape_.h2);
  z3_.resize(R * shape_.outputs);
  d1_.resize(R * shape_.h1);
  d2_.resize(R * shape_.h2);
  y_.resize(R);
  colsum_.resize(static_cast<size_t>(std::max({shape_.h1, shape_.h2, shape_.outputs})));
}

template <typename T>
void CpuMlp<T>::load_rows(const DatasetView& data, const int64_t* index, int64_t first, int rows) {
  const int F = data.features;
  // A gather of scattered rows (shuffled) from a dataset far larger than the
  // caches: memory-bound, so worth both cores. A pure copy.
  auto copy = [&](int64_t u) {
    const int end = static_cast<int>(std::min<int64_t>(rows, (u + 1) * kCopyRows));
    for (int r = static_cast<int>(u * kCopyRows); r < end; ++r) {
      const int64_t src = index ? index[first + r] : first + r;
      const float* xs = data.x + src * F;
      T* xd = x_.data() + static_cast<size_t>(r) * F;
      for (int f = 0; f < F; ++f) xd[f] = static_cast<T>(xs[f]);
      y_[r] = data.y[src];
    }
  };
  const int64_t units = (rows + kCopyRows - 1) / kCopyRows;
  detail::parallel_for(static_cast<int64_t>(rows) * F >= kParallelElements ? &pool_ : nullptr, units,
                       copy);
}

template <typename T>
void CpuMlp<T>::forward(const T* x, int rows) {
  const MlpShape& s = shape_;
  GemmEpilogue<T> hidden;
  hidden.activate = true;
  hidden.activation = s.activation;
  hidden.bias = b_[0].data();
  gemm<T>(false, false, rows, s.h1, s.inputs, T(1), x, s.inputs, W_[0].data(), s.h1, T(0),
          a1_.data(), s.h1, &pool_, &hidden);
  hidden.bias = b_[1].data();
  gemm<T>(false, false, rows, s.h2, s.h1, T(1), a1_.data(), s.h1, W_[1].data(), s.h2, T(0),
          a2_.data(), s.h2, &pool_, &hidden);
  GemmEpilogue<T> logits;
  logits.bias = b_[2].data();
  gemm<T>(false, false, rows, s.outputs, s.h2, T(1), a2_.data(), s.h2, W_[2].data(), s.outputs,
          T(0), z3_.data(), s.outputs, &pool_, &logits);
}

template <typename T>
double CpuMlp<T>::softmax_cross_entropy(const uint8_t* labels, int rows, bool gradient,
                                        int64_t* correct) {
  const int C = shape_.outputs;
  double total = 0;
  for (int r = 0; r < rows; ++r) {
    T* z = z3_.data() + static_cast<size_t>(r) * C;
    int arg = 0;
    for (int j = 1; j < C; ++j)
      if (z[j] > z[arg]) arg = j;
    const T m = z[arg];
    const int y = labels[r];
    if (correct && arg == y) ++*correct;
    T sum = 0;
    for (int j = 0; j < C; ++j) sum += std::exp(z[j] - m);
    // -log softmax(z)_y = log Σ exp(z_j - m) - (z_y - m)
    total += static_cast<double>(std::log(sum)) - static_cast<double>(z[y] - m);
    if (gradient) {
      for (int j = 0; j < C; ++j) z[j] = std::exp(z[j] - m) / sum;
      z[y] -= T(1);
    }
  }
  return total;
}

template <typename T>
void CpuMlp<T>::backward(const T* x, int rows, const Targets& tg) {
  const MlpShape& s = shape_;
  const T* dz3 = z3_.data();
  // Each step reads a weight matrix (to pass the error down) before the update
  // of that matrix overwrites it.
  // The bias gradient: column sums of dZ, each column summed over the rows in
  // order (so the split of the columns between threads changes no bit).
  auto bias_step = [&](const T* dz, int width, T* target) {
    T* sum = colsum_.data();
    auto columns = [&](int64_t u) {
      const int j0 = static_cast<int>(u) * kSumColumns;
      const int j1 = std::min(width, j0 + kSumColumns);
      std::fill(sum + j0, sum + j1, T(0));
      for (int r = 0; r < rows; ++r) {
        const T* row = dz + static_cast<size_t>(r) * width;
        for (int j = j0; j < j1; ++j) sum[j] += row[j];
      }
      if (tg.b_accumulate) {
        for (int j = j0; j < j1; ++j) target[j] += tg.b_alpha * sum[j];
      } else {
        for (int j = j0; j < j1; ++j) target[j] = tg.b_alpha * sum[j];
      }
    };
    const int64_t units = (width + kSumColumns - 1) / kSumColumns;
    detail::parallel_for(static_cast<int64_t>(rows) * width >= kParallelElements ? &pool_ : nullptr,
                         units, columns);
  };

  // Layer 3: dA2 = dZ3·W3ᵀ, dZ2 = dA2 ⊙ f'(A2) (fused into the GEMM); then W3, b3.
  GemmEpilogue<T> deriv;
  deriv.activation = s.activation;
  deriv.derivative_of = a2_.data();
  deriv.ldy = s.h2;
  gemm<T>(false, true, rows, s.h2, s.outputs, T(1), dz3, s.outputs, W_[2].data(), s.outputs, T(0),
          d2_.data(), s.h2, &pool_, &deriv);
  gemm<T>(true, false, s.h2, s.outputs, rows, tg.w_alpha, a2_.data(), s.h2, dz3, s.outputs,
          tg.w_beta, tg.W[2], s.outputs, &pool_);
  bias_step(dz3, s.outputs, tg.b[2]);

  // Layer 2: dA1 = dZ2·W2ᵀ, dZ1 = dA1 ⊙ f'(A1); then W2, b2.
  deriv.derivative_of = a1_.data();
  deriv.ldy = s.h1;
  gemm<T>(false, true, rows, s.h1, s.h2, T(1), d2_.data(), s.h2, W_[1].data(), s.h2, T(0),
          d1_.data(), s.h1, &pool_, &deriv);
  gemm<T>(true, false, s.h1, s.h2, rows, tg.w_alpha, a1_.data(), s.h1, d2_.data(), s.h2,
          tg.w_beta, tg.W[1], s.h2, &pool_);
  bias_step(d2_.data(), s.h2, tg.b[1]);

  // Layer 1: W1, b1 (no error is needed below the input).
  gemm<T>(true, false, s.inputs, s.h1, rows, tg.w_alpha, x, s.inputs, d1_.data(), s.h1, tg.w_beta,
          tg.W[0], s.h1, &pool_);
  bias_step(d1_.data(), s.h1, tg.b[0]);
}

template <typename T>
EpochResult CpuMlp<T>::train_epoch(const DatasetView& data, const SgdSettings& sgd,
                                   int64_t t_start, uint64_t shuffle_seed, int epoch,
                                   const std::atomic<bool>* stop) {
  check_data(data);
  if (sgd.batch_size < 1) throw std::invalid_argument("batch_size must be at least 1");
  EpochResult res;
  const int64_t n = data.rows;
  const std::vector<int64_t> perm = epoch_permutation(shuffle_seed, epoch, n);
  reserve_rows(static_cast<int>(std::min<int64_t>(sgd.batch_size, std::max<int64_t>(n, 1))));

  for (int64_t first = 0; first < n; first += sgd.batch_size) {
    if (stop && stop->load(std::memory_order_relaxed)) {
      res.stopped = true;
      break;
    }
    const int rows = static_cast<int>(std::min<int64_t>(sgd.batch_size, n - first));
    const int64_t t = t_start + res.steps;
    load_rows(data, perm.data(), first, rows);
    forward(x_.data(), rows);
    const double loss = softmax_cross_entropy(y_.data(), rows, true, nullptr) / rows;
    if (!std::isfinite(loss)) {
      res.nonfinite = true;
      res.failed_step = t;
      break;
    }
    const double alpha_t = sgd.alpha0 / (1.0 + sgd.delta * static_cast<double>(t));
    Targets tg;
    for (int l = 0; l < 3; ++l) {
      tg.W[l] = W_[l].data();
      tg.b[l] = b_[l].data();
    }
    tg.w_alpha = static_cast<T>(-alpha_t / rows);
    tg.w_beta = static_cast<T>(1.0 - 2.0 * alpha_t * sgd.lambda);
    tg.b_alpha = static_cast<T>(-alpha_t / rows);
    tg.b_accumulate = true;
    backward(x_.data(), rows, tg);
    ++res.steps;
  }
  res.t_end = t_start + res.steps;
  return res;
}

template <typename T>
EvalResult CpuMlp<T>::evaluate(const DatasetView& data) {
  check_data(data);
  EvalResult res;
  if (data.rows == 0) return res;
  reserve_rows(kEvalChunk);
  double total = 0;
  int64_t correct = 0;
  for (int64_t first = 0; first < data.rows; first += kEvalChunk) {
    const int rows = static_cast<int>(std::min<int64_t>(kEvalChunk, data.rows - first));
    const T* x;
    if constexpr (std::is_same_v<T, float>) {
      x = data.x + first * data.features;  // already float: no copy
    } else {
      load_rows(data, nullptr, first, rows);
      x = x_.data();
    }
    forward(x, rows);
    total += softmax_cross_entropy(data.y + first, rows, false, &correct);
  }
  res.loss = total / static_cast<double>(data.rows);
  res.accuracy = static_cast<double>(correct) / static_cast<double>(data.rows);
  return res;
}

template <typename T>
double CpuMlp<T>::sample_objective(const DatasetView& data, int64_t row, double lambda,
                                   MlpParams<T>* gradient) {
  check_data(data);
  if (row < 0 || row >= data.rows)
    throw std::out_of_range("row " + std::to_string(row) + " is outside the dataset's " +
                            std::to_string(data.rows) + " rows");
  reserve_rows(1);
  load_rows(data, nullptr, row, 1);
  forward(x_.data(), 1);
  const double ce = softmax_cross_entropy(y_.data(), 1, gradient != nullptr, nullptr);
  const double objective = ce + lambda * weight_squared_norm();
  if (gradient) {
    std::vector<T>* G[3] = {&gradient->W1, &gradient->W2, &gradient->W3};
    std::vector<T>* g[3] = {&gradient->b1, &gradient->b2, &gradient->b3};
    Targets tg;
    for (int l = 0; l < 3; ++l) {
      G[l]->assign(W_[l].size(), T(0));
      g[l]->assign(b_[l].size(), T(0));
      tg.W[l] = G[l]->data();
      tg.b[l] = g[l]->data();
    }
    tg.w_alpha = T(1);
    tg.w_beta = T(0);
    tg.b_alpha = T(1);
    tg.b_accumulate = false;
    backward(x_.data(), 1, tg);
    // d(lambda·‖W‖²)/dW = 2·lambda·W
    const T two_lambda = static_cast<T>(2.0 * lambda);
    for (int l = 0; l < 3; ++l)
      for (size_t i = 0; i < W_[l].size(); ++i) (*G[l])[i] += two_lambda * W_[l][i];
  }
  return objective;
}

template class CpuMlp<float>;
template class CpuMlp<double>;

}  // namespace hs
