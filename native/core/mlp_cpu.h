// The CPU trainer of the homework MLP (contract types in mlp.h), templated on
// float (training) and double (the float64 gradient check). An epoch is one
// call: shuffle, then per minibatch forward (3 GEMMs with fused bias +
// activation), softmax + cross-entropy, backward and the SGD update.
#pragma once
#include <atomic>
#include <cstdint>

#include "core/aligned_buffer.h"
#include "core/mlp.h"
#include "core/thread_pool.h"

namespace hs {

template <typename T>
class CpuMlp {
 public:
  using value_type = T;

  // Throws std::invalid_argument when the parameter sizes do not match the shape.
  CpuMlp(const MlpShape& shape, const MlpParams<T>& params, int threads);

  // One epoch over `data` in the order epoch_permutation(shuffle_seed, epoch),
  // minibatches of sgd.batch_size (the last one holds the remaining rows).
  // Global step t = t_start + minibatches done; alpha_t = alpha0 / (1 + delta·t).
  // A minibatch whose loss is not finite is not applied: training stops there.
  EpochResult train_epoch(const DatasetView& data, const SgdSettings& sgd, int64_t t_start,
                          uint64_t shuffle_seed, int epoch, const std::atomic<bool>* stop);

  // Mean cross-entropy (no penalty) and accuracy over all rows.
  EvalResult evaluate(const DatasetView& data);

  // Σ_j ‖W_j‖² over the three weight matrices (biases excluded), in double.
  double weight_squared_norm() const;

  // Cross-entropy of row `row` + lambda·Σ‖W‖²; with `gradient` non-null, also
  // its gradient by the training's own backprop code (weights: + 2·lambda·W).
  double sample_objective(const DatasetView& data, int64_t row, double lambda,
                          MlpParams<T>* gradient);

  MlpParams<T> params() const;
  // Throws std::invalid_argument when the sizes do not match the shape.
  void set_params(const MlpParams<T>& params);

  const MlpShape& shape() const { return shape_; }
  int threads() const { return pool_.size(); }

 private:
  // Where the backward pass puts the weight and bias gradients:
  //   W_target = w_beta·W_target + w_alpha·(Aᵀ·dZ);  b_target = b_beta·b_target + b_alpha·colsum(dZ)
  // SGD:      W_target = W, w_alpha = -alpha_t/B, w_beta = 1 - 2·alpha_t·lambda;
  //           b_target = b, b_alpha = -alpha_t/B, b_beta = 1.
  // Gradient: W_target = G, w_alpha = 1/B, w_beta = 0; likewise for the biases.
  struct Targets {
    T* W[3];
    T* b[3];
    T w_alpha, w_beta, b_alpha;
    bool b_accumulate;
  };

  void check_data(const DatasetView& data) const;
  void reserve_rows(int rows);
  void forward(const T* x, int rows);
  // Softmax + cross-entropy on the logits of `rows` rows; returns the summed
  // loss, counts correct predictions; with `gradient`, leaves P - Y in place of the logits.
  double softmax_cross_entropy(const uint8_t* labels, int rows, bool gradient, int64_t* correct);
  void backward(const T* x, int rows, const Targets& targets);
  void load_rows(const DatasetView& data, const int64_t* index, int64_t first, int rows);

  MlpShape shape_;
  ThreadPool pool_;
  AlignedBuffer<T> W_[3], b_[3];
  int fan_in_[3], fan_out_[3];
  // Workspace for `capacity_` rows, allocated once and reused by every minibatch.
  int capacity_ = 0;
  AlignedBuffer<T> x_, a1_, a2_, z3_, d1_, d2_, colsum_;
  AlignedBuffer<uint8_t> y_;
};

extern template class CpuMlp<float>;
extern template class CpuMlp<double>;

}  // namespace hs
