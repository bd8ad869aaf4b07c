// CUDA twin of the CPU MLP trainer (native/core). CONTRACT between
// native/cuda/*.cu (implementation) and native/binding (caller).
// Only compiled when HS_WITH_CUDA is defined; the header itself is plain C++.
#pragma once
#include <atomic>
#include <memory>

#include "core/mlp.h"

namespace hs::cuda {

// Number of CUDA devices usable now; 0 when there is no GPU or no driver (never throws).
int device_count();

// Trains the MLP in float32 with the weights and the data resident on the GPU.
// Same recipe as the CPU trainer: same permutation (hs::epoch_permutation), same
// schedule, same loss; results agree with the CPU within float32 rounding, not bitwise.
class MlpTrainer {
 public:
  MlpTrainer(const MlpShape& shape, const MlpParams<float>& initial);
  ~MlpTrainer();
  MlpTrainer(const MlpTrainer&) = delete;
  MlpTrainer& operator=(const MlpTrainer&) = delete;

  // One epoch; uploads `data` on first use and keeps it on the device
  // (keyed by its host pointer and size). Checks *stop between minibatches.
  EpochResult train_epoch(const DatasetView& data, const SgdSettings& sgd, int64_t t_start,
                          uint64_t shuffle_seed, int epoch, const std::atomic<bool>* stop);
  EvalResult evaluate(const DatasetView& data);
  MlpParams<float> params() const;
  void set_params(const MlpParams<float>& params);
  double weight_squared_norm() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hs::cuda
