// Our own pseudo-random numbers, so that a seed means the same numbers on every
// platform and standard library (std::normal_distribution and friends are
// implementation-defined). xoshiro256** seeded through splitmix64.
#pragma once
#include <cstdint>

namespace hs {

// One step of splitmix64: advances *state and returns a well-mixed word.
uint64_t splitmix64(uint64_t* state);

class Rng {
 public:
  // Independent streams for the same seed: `stream` separates e.g. the weight
  // initialisation from the shuffle of epoch 3.
  Rng(uint64_t seed, uint64_t stream);

  uint64_t next();
  // Uniform in [0, 1) with 53 random bits.
  double uniform();
  // Uniform integer in [0, bound), unbiased (Lemire's multiply-and-reject); bound > 0.
  uint64_t below(uint64_t bound);
  // Standard normal by the Box–Muller transform (pairs; the second one is cached).
  double normal();

 private:
  uint64_t s_[4];
  bool has_spare_ = false;
  double spare_ = 0;
};

// Stream ids used by the MLP, kept in one place so they never collide.
constexpr uint64_t kInitStream = 0x1417;            // weight initialisation
constexpr uint64_t kEpochStreamBase = 0x5EED0000ULL;  // + epoch: the shuffle of that epoch

}  // namespace hs
