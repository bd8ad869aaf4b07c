// The homework MLP: inputs -> h1 -> h2 -> outputs, hidden activation, softmax,
// cross-entropy, L2 on the weight matrices, minibatch SGD with
// alpha_t = alpha0 / (1 + delta * t).
//
// CONTRACT shared by the CPU core (native/core), the CUDA twin (native/cuda)
// and the N-API binding (native/binding). Plain C++17, no Node headers.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hs {

enum class Activation { Sigmoid, Relu, Tanh };
enum class Init { Zero, Normal, Glorot };

struct MlpShape {
  int inputs = 784;
  int h1 = 400;
  int h2 = 700;
  int outputs = 10;
  Activation activation = Activation::Sigmoid;
};

// Weights are row-major [fan_in x fan_out] (so a minibatch forward is X * W + b).
template <typename T>
struct MlpParams {
  std::vector<T> W1, b1, W2, b2, W3, b3;
};

// A dataset view: rows of `features` floats in [0,1], labels in [0, classes).
// The memory belongs to the caller (a JS typed array, possibly shared).
struct DatasetView {
  const float* x = nullptr;
  const uint8_t* y = nullptr;
  int64_t rows = 0;
  int features = 0;
};

struct SgdSettings {
  double alpha0 = 0.1;
  double delta = 0.0;
  double lambda = 0.0;
  int batch_size = 32;
};

struct EpochResult {
  int64_t steps = 0;           // minibatch updates done in this epoch
  int64_t t_end = 0;           // global step counter after the epoch
  bool nonfinite = false;      // a minibatch loss turned NaN/Inf: training stopped
  int64_t failed_step = -1;    // global step t at which that happened
  bool stopped = false;        // the stop flag was raised: stopped between minibatches
};

struct EvalResult {
  double loss = 0;      // mean cross-entropy (no penalty)
  double accuracy = 0;  // fraction correct
};

// Deterministic per-epoch permutation of [0, n): depends only on (seed, epoch).
std::vector<int64_t> epoch_permutation(uint64_t seed, int epoch, int64_t n);

// Initial parameters (native/core/mlp_init.cpp): W1, W2, W3 drawn in that
// order, row-major, from our own RNG seeded by `seed`; biases zero. The draws
// are made in double, so float and double models start from the same values
// (the float ones rounded), and the CUDA trainer starts from these too.
template <typename T>
MlpParams<T> init_params(const MlpShape& shape, Init init, uint64_t seed);

}  // namespace hs
