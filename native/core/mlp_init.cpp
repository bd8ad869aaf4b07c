// Weight initialisation and the per-epoch shuffle, both from our own RNG.
#include <cmath>

#include "core/mlp.h"
#include "core/rng.h"

namespace hs {

std::vector<int64_t> epoch_permutation(uint64_t seed, int epoch, int64_t n) {
  std::vector<int64_t> perm(n > 0 ? static_cast<size_t>(n) : 0);
  for (int64_t i = 0; i < n; ++i) perm[i] = i;
  Rng rng(seed, kEpochStreamBase + static_cast<uint64_t>(static_cast<uint32_t>(epoch)));
  // Fisher–Yates, from the end.
  for (int64_t i = n - 1; i > 0; --i) {
    const int64_t j = static_cast<int64_t>(rng.below(static_cast<uint64_t>(i) + 1));
    std::swap(perm[i], perm[j]);
  }
  return perm;
}

namespace {

template <typename T>
void fill_weights(std::vector<T>& W, int fan_in, int fan_out, Init init, Rng& rng) {
  W.assign(static_cast<size_t>(fan_in) * fan_out, T(0));
  switch (init) {
    case Init::Zero:
      break;
    case Init::Normal:
      for (auto& w : W) w = static_cast<T>(rng.normal());
      break;
    case Init::Glorot: {
      const double d = std::sqrt(6.0 / (fan_in + fan_out));
      for (auto& w : W) w = static_cast<T>(d * (2.0 * rng.uniform() - 1.0));
      break;
    }
  }
}

}  // namespace

template <typename T>
MlpParams<T> init_params(const MlpShape& shape, Init init, uint64_t seed) {
  Rng rng(seed, kInitStream);
  MlpParams<T> p;
  fill_weights(p.W1, shape.inputs, shape.h1, init, rng);
  fill_weights(p.W2, shape.h1, shape.h2, init, rng);
  fill_weights(p.W3, shape.h2, shape.outputs, init, rng);
  p.b1.assign(shape.h1, T(0));
  p.b2.assign(shape.h2, T(0));
  p.b3.assign(shape.outputs, T(0));
  return p;
}

template MlpParams<float> init_params<float>(const MlpShape&, Init, uint64_t);
template MlpParams<double> init_params<double>(const MlpShape&, Init, uint64_t);

}  // namespace hs
