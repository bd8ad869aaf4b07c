// Scalar hidden-layer activations and their derivatives, shared by the GEMM
// epilogue (forward) and the backward pass. Every element of a layer goes
// through exactly these functions, which is what keeps hidden units that start
// identical bit-identical (no vectorised approximation for some lanes only).
#pragma once
#include <cmath>

#include "core/mlp.h"

namespace hs {

template <typename T>
inline T sigmoid(T z) {
  return T(1) / (T(1) + std::exp(-z));
}

// max(z, 0) that lets NaN through, so a diverged layer is still seen as NaN.
template <typename T>
inline T relu(T z) {
  return z < T(0) ? T(0) : z;
}

template <typename T>
inline T activate(Activation act, T z) {
  switch (act) {
    case Activation::Sigmoid: return sigmoid(z);
    case Activation::Relu: return relu(z);
    case Activation::Tanh: return std::tanh(z);
  }
  return z;
}

// f'(z) expressed through y = f(z), which is what the forward pass keeps.
template <typename T>
inline T activation_derivative_from_output(Activation act, T y) {
  switch (act) {
    case Activation::Sigmoid: return y * (T(1) - y);
    case Activation::Relu: return y > T(0) ? T(1) : T(0);
    case Activation::Tanh: return T(1) - y * y;
  }
  return T(1);
}

}  // namespace hs
