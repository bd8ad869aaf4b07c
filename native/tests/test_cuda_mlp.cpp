// The CUDA MLP trainer and its GEMM kernel, checked twice:
//  1. always, on the host: the very same kernel and trainer source compiled
//     for the host emulator (native/cuda/cuda_compat.cuh, HS_CUDA_EMULATE), so
//     a machine without a GPU still checks the kernels' index arithmetic and
//     the trainer's logic;
//  2. on a real GPU when the CUDA build found one (otherwise a visible SKIPPED).
// Each against independent references written here in double precision
// straight from the spec: a naive GEMM, and a naive trainer (forward, backprop,
// W <- W - alpha_t (mean grad + 2 lambda W), alpha_t = alpha0 / (1 + delta t)).
// Then: zero-init symmetry (bitwise), determinism (bitwise), NaN detection at
// the exact first failing step, the stop flag, and the parameter round trip.
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/mlp.h"
#include "core/mlp_cpu.h"
#include "core/rng.h"
#include "test_util.h"

#ifdef HS_WITH_CUDA
#include "cuda/gemm_cuda.h"
#include "cuda/mlp_cuda.h"
#endif

// The emulated copy of the CUDA code, in its own namespace. Included last: the
// emulator defines __global__, __shared__ and friends as macros.
#define HS_CUDA_EMULATE 1
#define HS_CUDA_NS hs::cuda_emu
#include "cuda/mlp_trainer_impl.cuh"

namespace {

using hs::Activation;
using hs::DatasetView;
using hs::EpochResult;
using hs::EvalResult;
using hs::MlpParams;
using hs::MlpShape;
using hs::SgdSettings;

const char* g_backend = "";  // "emulated" or "gpu", in failure messages

// ---------------------------------------------------------------------------
// GEMM against the naive double reference
// ---------------------------------------------------------------------------

// C = op(A) op(B) for host arrays, by some backend.
using GemmFn = std::function<void(bool, bool, int, int, int, const float*, int, const float*, int, float*, int)>;

void emulated_gemm(bool ta, bool tb, int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C,
                   int ldc, hs::cuda_emu::Epilogue epi, const float* bias, const float* aux, int ldaux) {
  using namespace hs::cuda_emu;
  const size_t na = static_cast<size_t>(ta ? K : M) * lda, nb = static_cast<size_t>(tb ? N : K) * ldb;
  const size_t nc = static_cast<size_t>(M) * ldc;
  const size_t nbias = static_cast<size_t>(N), naux = static_cast<size_t>(M) * (ldaux > 0 ? ldaux : 1);
  DeviceArray<float> dA, dB, dC, dbias, daux, ws;
  ws.reserve(gemm_workspace_floats(M, N, K));
  dA.reserve(na);
  dB.reserve(nb);
  dC.reserve(nc);
  copy_to_device(dA.get(), A, na * sizeof(float), nullptr);
  copy_to_device(dB.get(), B, nb * sizeof(float), nullptr);
  copy_to_device(dC.get(), C, nc * sizeof(float), nullptr);
  if (bias) {
    dbias.reserve(nbias);
    copy_to_device(dbias.get(), bias, nbias * sizeof(float), nullptr);
  }
  if (aux) {
    daux.reserve(naux);
    copy_to_device(daux.get(), aux, naux * sizeof(float), nullptr);
  }
  gemm(nullptr, ta, tb, M, N, K, dA.get(), lda, dB.get(), ldb, dC.get(), ldc, ws.get(), ws.size(), epi, dbias.get(),
       daux.get(), ldaux);
  copy_to_host(C, dC.get(), nc * sizeof(float), nullptr);
}

double sigmoid_d(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// The epilogue on a double, as the spec means it.
double epilogue_d(hs::cuda_emu::Epilogue epi, double v, double bias, double a) {
  using E = hs::cuda_emu::Epilogue;
  switch (epi) {
    case E::None: return v;
    case E::Bias: return v + bias;
    case E::BiasSigmoid: return sigmoid_d(v + bias);
    case E::BiasRelu: return v + bias < 0 ? 0.0 : v + bias;
    case E::BiasTanh: return std::tanh(v + bias);
    case E::DSigmoid: return v * a * (1 - a);
    case E::DRelu: return a > 0 ? v : 0.0;
    case E::DTanh: return v * (1 - a * a);
  }
  return v;
}

// One shape and transpose combination against the reference; C is poisoned
// with NaN inside the M x N block (every element must be written) and holds a
// sentinel in the ldc padding (which must stay untouched).
void check_gemm(const GemmFn& fn, bool ta, bool tb, int M, int N, int K, int pad, uint64_t seed) {
  hs::Rng rng(seed, 3);
  const int lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
  std::vector<float> A(static_cast<size_t>(ta ? K : M) * lda), B(static_cast<size_t>(tb ? N : K) * ldb);
  for (auto& v : A) v = static_cast<float>(rng.uniform() * 2 - 1);
  for (auto& v : B) v = static_cast<float>(rng.uniform() * 2 - 1);
  const float sentinel = 12345.0f;
  std::vector<float> C(static_cast<size_t>(M) * ldc, sentinel);
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) C[static_cast<size_t>(i) * ldc + j] = std::numeric_limits<float>::quiet_NaN();
  fn(ta, tb, M, N, K, A.data(), lda, B.data(), ldb, C.data(), ldc);
  int bad = 0;
  double worst = 0;
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < ldc; ++j) {
      const float c = C[static_cast<size_t>(i) * ldc + j];
      if (j >= N) {
        if (c != sentinel) ++bad;
        continue;
      }
      double ref = 0, mag = 0;
      for (int k = 0; k < K; ++k) {
        const double a = ta ? A[static_cast<size_t>(k) * lda + i] : A[static_cast<size_t>(i) * lda + k];
        const double b = tb ? B[static_cast<size_t>(j) * ldb + k] : B[static_cast<size_t>(k) * ldb + j];
        ref += a * b;
        mag += std::fabs(a * b);
      }
      // Rounding bound of a K-term float sum (sliced K adds 3 more additions).
      const double tol = (K + 4) * std::ldexp(1.0, -23) * mag + 1e-30;
      const double err = std::fabs(static_cast<double>(c) - ref);
      if (!(err <= tol)) ++bad;
      if (err / tol > worst) worst = err / tol;
    }
  }
  HS_CHECK(bad == 0, "%s gemm M=%d N=%d K=%d ta=%d tb=%d pad=%d: %d bad elements (worst err/tol %.2f)", g_backend,
           M, N, K, ta, tb, pad, bad, worst);
}

struct Shape3 {
  int M, N, K;
};

void gemm_suite(const GemmFn& fn, const std::vector<Shape3>& shapes) {
  uint64_t seed = 100;
  for (const auto& s : shapes)
    for (int t = 0; t < 4; ++t)
      for (int pad : {0, 3}) check_gemm(fn, t & 1, t & 2, s.M, s.N, s.K, pad, ++seed);
}

// Every fused epilogue, on the emulator (the trainer tests cover them on the GPU).
void emulated_epilogue_suite() {
  using E = hs::cuda_emu::Epilogue;
  const E epis[] = {E::Bias, E::BiasSigmoid, E::BiasRelu, E::BiasTanh, E::DSigmoid, E::DRelu, E::DTanh};
  const int M = 37, N = 45, K = 70;
  hs::Rng rng(9, 9);
  std::vector<float> A(static_cast<size_t>(M) * K), B(static_cast<size_t>(K) * N), bias(N),
      aux(static_cast<size_t>(M) * N);
  for (auto& v : A) v = static_cast<float>(rng.uniform() * 2 - 1);
  for (auto& v : B) v = static_cast<float>(rng.uniform() * 2 - 1);
  for (auto& v : bias) v = static_cast<float>(rng.uniform() * 2 - 1);
  for (auto& v : aux) v = static_cast<float>(rng.uniform() * 2 - 1);  // some a <= 0 for relu'
  for (E epi : epis) {
    std::vector<float> C(static_cast<size_t>(M) * N, std::numeric_limits<float>::quiet_NaN());
    emulated_gemm(false, false, M, N, K, A.data(), K, B.data(), N, C.data(), N, epi, bias.data(), aux.data(), N);
    int bad = 0;
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) {
        double v = 0;
        for (int k = 0; k < K; ++k) v += static_cast<double>(A[static_cast<size_t>(i) * K + k]) * B[static_cast<size_t>(k) * N + j];
        const double ref = epilogue_d(epi, v, bias[j], aux[static_cast<size_t>(i) * N + j]);
        const double err = std::fabs(C[static_cast<size_t>(i) * N + j] - ref);
        if (!(err <= 1e-5 * (1 + std::fabs(ref)) * 4)) ++bad;
      }
    HS_CHECK(bad == 0, "emulated gemm epilogue %d: %d bad elements", static_cast<int>(epi), bad);
  }
}

// ---------------------------------------------------------------------------
// Data, initial weights, and the double-precision reference trainer
// ---------------------------------------------------------------------------

struct Data {
  std::vector<float> x;
  std::vector<uint8_t> y;
  int64_t rows = 0;
  int features = 0;
  DatasetView view() const {
    DatasetView v;
    v.x = x.data();
    v.y = y.data();
    v.rows = rows;
    v.features = features;
    return v;
  }
};

// Pixels in [0, 1); the label depends on the first features so there is
// something to learn.
Data random_data(int64_t rows, int features, int classes, uint64_t seed) {
  hs::Rng rng(seed, 11);
  Data d;
  d.rows = rows;
  d.features = features;
  d.x.resize(static_cast<size_t>(rows) * features);
  d.y.resize(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    float best = -1;
    int label = 0;
    for (int f = 0; f < features; ++f) {
      const float v = static_cast<float>(rng.uniform());
      d.x[static_cast<size_t>(r) * features + f] = v;
      if (f < classes && v > best) {
        best = v;
        label = f;
      }
    }
    d.y[static_cast<size_t>(r)] = static_cast<uint8_t>(rng.uniform() < 0.8 ? label : rng.below(classes));
  }
  return d;
}

// The core's initialisation, the one the binding gives both trainers.
MlpParams<float> init_params(const MlpShape& s, bool zero, uint64_t seed) {
  return hs::init_params<float>(s, zero ? hs::Init::Zero : hs::Init::Glorot, seed);
}

MlpParams<double> to_double(const MlpParams<float>& p) {
  auto cv = [](const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); };
  return {cv(p.W1), cv(p.b1), cv(p.W2), cv(p.b2), cv(p.W3), cv(p.b3)};
}

double act_d(Activation a, double z) {
  switch (a) {
    case Activation::Sigmoid: return sigmoid_d(z);
    case Activation::Relu: return z < 0 ? 0.0 : z;
    case Activation::Tanh: return std::tanh(z);
  }
  return z;
}
double act_deriv_from_output_d(Activation a, double y) {
  switch (a) {
    case Activation::Sigmoid: return y * (1 - y);
    case Activation::Relu: return y > 0 ? 1.0 : 0.0;
    case Activation::Tanh: return 1 - y * y;
  }
  return 1;
}

// out[r][j] = act(sum_i in[r][i] W[i][j] + b[j]) (act = identity when !apply).
void dense_d(const std::vector<double>& in, int rows, int n_in, const std::vector<double>& W,
             const std::vector<double>& b, int n_out, bool apply, Activation a, std::vector<double>& out) {
  out.assign(static_cast<size_t>(rows) * n_out, 0.0);
  // Loops ordered for contiguous access (the 784-400-700 reference runs on the host too).
  for (int r = 0; r < rows; ++r) {
    double* o = &out[static_cast<size_t>(r) * n_out];
    for (int j = 0; j < n_out; ++j) o[j] = b[j];
    for (int i = 0; i < n_in; ++i) {
      const double v = in[static_cast<size_t>(r) * n_in + i];
      const double* w = &W[static_cast<size_t>(i) * n_out];
      for (int j = 0; j < n_out; ++j) o[j] += v * w[j];
    }
    if (apply)
      for (int j = 0; j < n_out; ++j) o[j] = act_d(a, o[j]);
  }
}

// Mean cross-entropy of logits z against labels; fills dz = (softmax - onehot) / rows.
double xent_d(const std::vector<double>& z, int rows, int classes, const std::vector<int>& labels,
              std::vector<double>* dz) {
  double total = 0;
  if (dz) dz->assign(z.size(), 0.0);
  for (int r = 0; r < rows; ++r) {
    const double* zr = &z[static_cast<size_t>(r) * classes];
    double mx = zr[0];
    for (int j = 1; j < classes; ++j) mx = std::max(mx, zr[j]);
    double sum = 0;
    for (int j = 0; j < classes; ++j) sum += std::exp(zr[j] - mx);
    total += std::log(sum) - (zr[labels[r]] - mx);
    if (dz)
      for (int j = 0; j < classes; ++j)
        (*dz)[static_cast<size_t>(r) * classes + j] = (std::exp(zr[j] - mx) / sum - (j == labels[r] ? 1 : 0)) / rows;
  }
  return total / rows;
}

struct RefEpoch {
  MlpParams<double> p;
  EpochResult result;
};

// One epoch of minibatch SGD, naively, in double.
RefEpoch reference_epoch(const MlpShape& s, MlpParams<double> p, const Data& d, const SgdSettings& sgd,
                         int64_t t_start, uint64_t seed, int epoch) {
  const std::vector<int64_t> perm = hs::epoch_permutation(seed, epoch, d.rows);
  const int in = s.inputs, h1 = s.h1, h2 = s.h2, out = s.outputs;
  RefEpoch re;
  int64_t steps = 0;
  for (int64_t first = 0; first < d.rows; first += sgd.batch_size) {
    const int rows = static_cast<int>(std::min<int64_t>(sgd.batch_size, d.rows - first));
    const int64_t t = t_start + steps;
    std::vector<double> x(static_cast<size_t>(rows) * in);
    std::vector<int> y(rows);
    for (int r = 0; r < rows; ++r) {
      const int64_t src = perm[first + r];
      for (int f = 0; f < in; ++f) x[static_cast<size_t>(r) * in + f] = d.x[static_cast<size_t>(src) * in + f];
      y[r] = d.y[src];
    }
    std::vector<double> a1, a2, z3, dz3;
    dense_d(x, rows, in, p.W1, p.b1, h1, true, s.activation, a1);
    dense_d(a1, rows, h1, p.W2, p.b2, h2, true, s.activation, a2);
    dense_d(a2, rows, h2, p.W3, p.b3, out, false, s.activation, z3);
    const double loss = xent_d(z3, rows, out, y, &dz3);
    if (!std::isfinite(loss)) {
      re.result.nonfinite = true;
      re.result.failed_step = t;
      break;
    }
    // Backprop: dz_l = (dz_{l+1} W_{l+1}^T) * act'(a_l); gW = a_{l-1}^T dz_l; gb = colsum(dz_l).
    auto back = [&](const std::vector<double>& dz_next, int n_next, const std::vector<double>& W, const std::vector<double>& a,
                    int n) {
      std::vector<double> dz(static_cast<size_t>(rows) * n);
      for (int r = 0; r < rows; ++r)
        for (int i = 0; i < n; ++i) {
          double v = 0;
          for (int j = 0; j < n_next; ++j) v += dz_next[static_cast<size_t>(r) * n_next + j] * W[static_cast<size_t>(i) * n_next + j];
          dz[static_cast<size_t>(r) * n + i] = v * act_deriv_from_output_d(s.activation, a[static_cast<size_t>(r) * n + i]);
        }
      return dz;
    };
    auto grads = [&](const std::vector<double>& a_prev, int n_prev, const std::vector<double>& dz, int n,
                     std::vector<double>& gW, std::vector<double>& gb) {
      gW.assign(static_cast<size_t>(n_prev) * n, 0.0);
      gb.assign(n, 0.0);
      for (int r = 0; r < rows; ++r) {
        const double* g = &dz[static_cast<size_t>(r) * n];
        for (int j = 0; j < n; ++j) gb[j] += g[j];
        for (int i = 0; i < n_prev; ++i) {
          const double a = a_prev[static_cast<size_t>(r) * n_prev + i];
          double* row = &gW[static_cast<size_t>(i) * n];
          for (int j = 0; j < n; ++j) row[j] += a * g[j];
        }
      }
    };
    const std::vector<double> dz2 = back(dz3, out, p.W3, a2, h2);
    const std::vector<double> dz1 = back(dz2, h2, p.W2, a1, h1);
    std::vector<double> gW1, gb1, gW2, gb2, gW3, gb3;
    grads(a2, h2, dz3, out, gW3, gb3);
    grads(a1, h1, dz2, h2, gW2, gb2);
    grads(x, in, dz1, h1, gW1, gb1);
    const double alpha = sgd.alpha0 / (1.0 + sgd.delta * static_cast<double>(t));
    auto upd = [&](std::vector<double>& w, const std::vector<double>& g, bool decay) {
      for (size_t i = 0; i < w.size(); ++i) w[i] -= alpha * (g[i] + (decay ? 2 * sgd.lambda * w[i] : 0.0));
    };
    upd(p.W1, gW1, true);
    upd(p.W2, gW2, true);
    upd(p.W3, gW3, true);
    upd(p.b1, gb1, false);
    upd(p.b2, gb2, false);
    upd(p.b3, gb3, false);
    ++steps;
  }
  re.result.steps = steps;
  re.result.t_end = t_start + steps;
  re.p = std::move(p);
  return re;
}

EvalResult reference_eval(const MlpShape& s, const MlpParams<double>& p, const Data& d) {
  std::vector<double> x(d.x.begin(), d.x.end()), a1, a2, z3;
  std::vector<int> y(d.y.begin(), d.y.end());
  const int rows = static_cast<int>(d.rows);
  dense_d(x, rows, s.inputs, p.W1, p.b1, s.h1, true, s.activation, a1);
  dense_d(a1, rows, s.h1, p.W2, p.b2, s.h2, true, s.activation, a2);
  dense_d(a2, rows, s.h2, p.W3, p.b3, s.outputs, false, s.activation, z3);
  EvalResult e;
  e.loss = xent_d(z3, rows, s.outputs, y, nullptr);
  int correct = 0;
  for (int r = 0; r < rows; ++r) {
    int best = 0;
    for (int j = 1; j < s.outputs; ++j)
      if (z3[static_cast<size_t>(r) * s.outputs + j] > z3[static_cast<size_t>(r) * s.outputs + best]) best = j;
    correct += best == y[r];
  }
  e.accuracy = static_cast<double>(correct) / rows;
  return e;
}

// ‖a − b‖ / ‖b‖ over one parameter array.
double rel_diff(const std::vector<float>& a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    num += d * d;
    den += b[i] * b[i];
  }
  return std::sqrt(num) / std::max(std::sqrt(den), 1e-30);
}

bool same_bits(const MlpParams<float>& a, const MlpParams<float>& b) {
  auto eq = [](const std::vector<float>& x, const std::vector<float>& y) {
    return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0;
  };
  return eq(a.W1, b.W1) && eq(a.b1, b.b1) && eq(a.W2, b.W2) && eq(a.b2, b.b2) && eq(a.W3, b.W3) && eq(a.b3, b.b3);
}

bool all_finite(const MlpParams<float>& p) {
  for (const auto* v : {&p.W1, &p.b1, &p.W2, &p.b2, &p.W3, &p.b3})
    for (float x : *v)
      if (!std::isfinite(x)) return false;
  return true;
}

// All units of each hidden layer bit-identical: unit j of layer 1 is column j
// of W1, b1[j] and row j of W2; of layer 2, column j of W2, b2[j], row j of W3.
std::string asymmetric_unit(const MlpShape& s, const MlpParams<float>& p) {
  auto bits = [](float v) {
    uint32_t u;
    std::memcpy(&u, &v, 4);
    return u;
  };
  for (int j = 1; j < s.h1; ++j) {
    for (int i = 0; i < s.inputs; ++i)
      if (bits(p.W1[static_cast<size_t>(i) * s.h1 + j]) != bits(p.W1[static_cast<size_t>(i) * s.h1]))
        return "W1 column " + std::to_string(j);
    if (bits(p.b1[j]) != bits(p.b1[0])) return "b1[" + std::to_string(j) + "]";
    for (int k = 0; k < s.h2; ++k)
      if (bits(p.W2[static_cast<size_t>(j) * s.h2 + k]) != bits(p.W2[k])) return "W2 row " + std::to_string(j);
  }
  for (int j = 1; j < s.h2; ++j) {
    for (int i = 0; i < s.h1; ++i)
      if (bits(p.W2[static_cast<size_t>(i) * s.h2 + j]) != bits(p.W2[static_cast<size_t>(i) * s.h2]))
        return "W2 column " + std::to_string(j);
    if (bits(p.b2[j]) != bits(p.b2[0])) return "b2[" + std::to_string(j) + "]";
    for (int k = 0; k < s.outputs; ++k)
      if (bits(p.W3[static_cast<size_t>(j) * s.outputs + k]) != bits(p.W3[k])) return "W3 row " + std::to_string(j);
  }
  return "";
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, static_cast<double>(std::fabs(x)));
  return m;
}

// ---------------------------------------------------------------------------
// Trainer checks, for any trainer type with the hs::cuda::MlpTrainer interface
// ---------------------------------------------------------------------------

struct Sizes {
  MlpShape shape;  // activation set per check
  int64_t rows;    // training rows (not a multiple of batch: a partial last batch)
  int batch;
};

const char* act_name(Activation a) {
  return a == Activation::Sigmoid ? "sigmoid" : a == Activation::Relu ? "relu" : "tanh";
}

// One epoch (from a nonzero t_start, with decay and L2) against the reference:
// weights, the epoch's counters, evaluate(), weight_squared_norm().
template <typename Trainer>
void check_against_reference(const Sizes& z, Activation act, double tol) {
  MlpShape s = z.shape;
  s.activation = act;
  const Data train = random_data(z.rows, s.inputs, s.outputs, 1);
  const Data val = random_data(257, s.inputs, s.outputs, 2);
  const MlpParams<float> init = init_params(s, false, 3);
  SgdSettings sgd;
  sgd.alpha0 = 0.5;
  sgd.delta = 0.01;
  sgd.lambda = 1e-3;
  sgd.batch_size = z.batch;
  const int64_t t_start = 7;
  Trainer tr(s, init);
  const EpochResult r = tr.train_epoch(train.view(), sgd, t_start, 42, 3, nullptr);
  const RefEpoch ref = reference_epoch(s, to_double(init), train, sgd, t_start, 42, 3);
  HS_CHECK(r.steps == ref.result.steps && r.t_end == ref.result.t_end && !r.nonfinite && !r.stopped &&
               r.failed_step == -1,
           "%s %s: steps %lld t_end %lld nonfinite %d stopped %d (reference: steps %lld t_end %lld)", g_backend,
           act_name(act), static_cast<long long>(r.steps), static_cast<long long>(r.t_end), r.nonfinite, r.stopped,
           static_cast<long long>(ref.result.steps), static_cast<long long>(ref.result.t_end));
  const MlpParams<float> p = tr.params();
  const double d[6] = {rel_diff(p.W1, ref.p.W1), rel_diff(p.b1, ref.p.b1), rel_diff(p.W2, ref.p.W2),
                       rel_diff(p.b2, ref.p.b2), rel_diff(p.W3, ref.p.W3), rel_diff(p.b3, ref.p.b3)};
  double worst = 0;
  for (double v : d) worst = std::max(worst, v);
  std::printf("  %s %s %d-%d-%d-%d rows %lld batch %d: %lld steps, max relative weight difference vs double %.2e\n",
              g_backend, act_name(act), s.inputs, s.h1, s.h2, s.outputs, static_cast<long long>(z.rows), z.batch,
              static_cast<long long>(r.steps), worst);
  HS_CHECK(worst <= tol, "%s %s: weights differ from the reference: W1 %.2e b1 %.2e W2 %.2e b2 %.2e W3 %.2e b3 %.2e",
           g_backend, act_name(act), d[0], d[1], d[2], d[3], d[4], d[5]);

  // The CPU core trainer from the same initial weights: the twin the contract
  // promises agreement with (float32 rounding, not bitwise).
  hs::CpuMlp<float> cpu(s, init, 1);
  const EpochResult rc = cpu.train_epoch(train.view(), sgd, t_start, 42, 3, nullptr);
  const MlpParams<float> pc = cpu.params();
  const MlpParams<double> pcd = to_double(pc);
  const double dc[6] = {rel_diff(p.W1, pcd.W1), rel_diff(p.b1, pcd.b1), rel_diff(p.W2, pcd.W2),
                        rel_diff(p.b2, pcd.b2), rel_diff(p.W3, pcd.W3), rel_diff(p.b3, pcd.b3)};
  double worst_cpu = 0;
  for (double v : dc) worst_cpu = std::max(worst_cpu, v);
  std::printf("  %s %s: max relative weight difference vs the CPU trainer %.2e\n", g_backend, act_name(act),
              worst_cpu);
  HS_CHECK(rc.steps == r.steps && rc.t_end == r.t_end, "%s %s: CPU trainer did %lld steps, this one %lld", g_backend,
           act_name(act), static_cast<long long>(rc.steps), static_cast<long long>(r.steps));
  HS_CHECK(worst_cpu <= tol, "%s %s: weights differ from the CPU trainer's: W1 %.2e b1 %.2e W2 %.2e b2 %.2e W3 %.2e b3 %.2e",
           g_backend, act_name(act), dc[0], dc[1], dc[2], dc[3], dc[4], dc[5]);

  const EvalResult e = tr.evaluate(val.view());
  const EvalResult ec = cpu.evaluate(val.view());
  HS_CHECK(std::fabs(e.loss - ec.loss) <= 1e-4 * std::max(1.0, std::fabs(ec.loss)) &&
               std::fabs(e.accuracy - ec.accuracy) <= 2.0 / static_cast<double>(val.rows) + 1e-12,
           "%s %s: evaluate loss %.8f acc %.6f, CPU trainer %.8f %.6f", g_backend, act_name(act), e.loss, e.accuracy,
           ec.loss, ec.accuracy);
  const EvalResult er = reference_eval(s, ref.p, val);
  HS_CHECK(std::fabs(e.loss - er.loss) <= 1e-4 * std::max(1.0, std::fabs(er.loss)) &&
               std::fabs(e.accuracy - er.accuracy) <= 2.0 / static_cast<double>(val.rows) + 1e-12,
           "%s %s: evaluate loss %.8f acc %.6f, reference %.8f %.6f", g_backend, act_name(act), e.loss, e.accuracy,
           er.loss, er.accuracy);
  double norm = 0;
  for (const auto* w : {&ref.p.W1, &ref.p.W2, &ref.p.W3})
    for (double v : *w) norm += v * v;
  HS_CHECK(std::fabs(tr.weight_squared_norm() - norm) <= tol * norm, "%s: weight_squared_norm %.8g, reference %.8g",
           g_backend, tr.weight_squared_norm(), norm);
}

// Hidden units that start identical stay bit-identical. With zero weights only
// sigmoid makes the hidden layers move (tanh(0) = relu(0) = 0 blocks every
// gradient below the output), so tanh and relu start from constant weights:
// still identical units, but every layer trains.
template <typename Trainer>
void check_zero_init_symmetry(const Sizes& z, Activation act) {
  MlpShape s = z.shape;
  s.activation = act;
  const Data train = random_data(z.rows, s.inputs, s.outputs, 4);
  SgdSettings sgd;
  sgd.alpha0 = 0.5;
  sgd.lambda = 1e-4;
  sgd.batch_size = z.batch;
  MlpParams<float> init = init_params(s, true, 0);
  if (act != Activation::Sigmoid) {
    for (float& w : init.W1) w = 0.01f;
    for (float& w : init.W2) w = -0.02f;
    for (float& w : init.W3) w = 0.03f;
  }
  Trainer tr(s, init);
  tr.train_epoch(train.view(), sgd, 0, 5, 0, nullptr);
  tr.train_epoch(train.view(), sgd, 100, 5, 1, nullptr);
  const MlpParams<float> p = tr.params();
  const std::string bad = asymmetric_unit(s, p);
  HS_CHECK(bad.empty(), "%s %s symmetric init: hidden units no longer identical (%s)", g_backend, act_name(act), bad.c_str());
  // Not trivially symmetric: every layer has moved away from zero.
  const MlpParams<float> start = init;
  HS_CHECK(!same_bits(MlpParams<float>{p.W1, start.b1, start.W2, start.b2, start.W3, start.b3}, start) &&
               !same_bits(MlpParams<float>{start.W1, start.b1, p.W2, start.b2, start.W3, start.b3}, start) &&
               !same_bits(MlpParams<float>{start.W1, start.b1, start.W2, start.b2, p.W3, start.b3}, start),
           "%s %s symmetric init: some weight matrix did not move", g_backend, act_name(act));
}

template <typename Trainer>
void check_determinism(const Sizes& z) {
  MlpShape s = z.shape;
  const Data train = random_data(z.rows, s.inputs, s.outputs, 6);
  SgdSettings sgd;
  sgd.alpha0 = 0.3;
  sgd.delta = 0.001;
  sgd.lambda = 1e-4;
  sgd.batch_size = z.batch;
  MlpParams<float> out[2];
  EvalResult ev[2];
  for (int run = 0; run < 2; ++run) {
    Trainer tr(s, init_params(s, false, 7));
    tr.train_epoch(train.view(), sgd, 50, 8, 1, nullptr);
    out[run] = tr.params();
    ev[run] = tr.evaluate(train.view());
  }
  HS_CHECK(same_bits(out[0], out[1]), "%s: two identical runs gave different weights", g_backend);
  HS_CHECK(std::memcmp(&ev[0], &ev[1], sizeof(EvalResult)) == 0, "%s: two identical runs evaluate differently", g_backend);
}

// A NaN pixel in one row: the minibatch holding it is the first non-finite one,
// at a step we know from the permutation. Training must stop exactly there, the
// weights being those after the step before (finite, equal to the reference's).
template <typename Trainer>
void check_nan_detection(const Sizes& z) {
  MlpShape s = z.shape;
  Data train = random_data(z.rows, s.inputs, s.outputs, 9);
  const int batch = z.batch;
  const int64_t nsteps = (train.rows + batch - 1) / batch;
  const int64_t target_step = nsteps * 3 / 5;  // past the first host check (every 32 steps) when nsteps > 53
  const std::vector<int64_t> perm = hs::epoch_permutation(10, 2, train.rows);
  const int64_t poisoned = perm[static_cast<size_t>(target_step * batch + 1)];
  train.x[static_cast<size_t>(poisoned) * s.inputs + 3] = std::numeric_limits<float>::quiet_NaN();
  SgdSettings sgd;
  sgd.alpha0 = 0.2;
  sgd.batch_size = batch;
  const int64_t t_start = 1000;
  const MlpParams<float> init = init_params(s, false, 11);
  Trainer tr(s, init);
  const EpochResult r = tr.train_epoch(train.view(), sgd, t_start, 10, 2, nullptr);
  HS_CHECK(r.nonfinite && r.failed_step == t_start + target_step && r.steps == target_step &&
               r.t_end == t_start + target_step && !r.stopped,
           "%s NaN row: nonfinite %d failed_step %lld steps %lld t_end %lld (expected step %lld)", g_backend,
           r.nonfinite, static_cast<long long>(r.failed_step), static_cast<long long>(r.steps),
           static_cast<long long>(r.t_end), static_cast<long long>(t_start + target_step));
  const MlpParams<float> p = tr.params();
  HS_CHECK(all_finite(p), "%s NaN row: the failing step was applied to the weights", g_backend);
  const RefEpoch ref = reference_epoch(s, to_double(init), train, sgd, t_start, 10, 2);
  HS_CHECK(ref.result.nonfinite && ref.result.failed_step == t_start + target_step, "reference NaN step");
  const double d = std::max(rel_diff(p.W1, ref.p.W1), std::max(rel_diff(p.W2, ref.p.W2), rel_diff(p.W3, ref.p.W3)));
  HS_CHECK(d <= 1e-3, "%s NaN row: weights before the failure differ from the reference by %.2e", g_backend, d);

  // Divergence by a huge learning rate is caught too, at the step where the
  // CPU trainer catches it. ReLU, because sigmoid saturates and can keep a wild
  // run finite; ReLU activations overflow to Inf within a few steps.
  SgdSettings wild = sgd;
  wild.alpha0 = 1e30;
  MlpShape sr = s;
  sr.activation = Activation::Relu;
  Trainer tw(sr, init);
  const Data clean = random_data(z.rows, s.inputs, s.outputs, 9);
  const EpochResult w = tw.train_epoch(clean.view(), wild, 5, 10, 0, nullptr);
  hs::CpuMlp<float> cw(sr, init, 1);
  const EpochResult wc = cw.train_epoch(clean.view(), wild, 5, 10, 0, nullptr);
  HS_CHECK(w.nonfinite && w.failed_step == wc.failed_step && w.steps == w.failed_step - 5 &&
               w.t_end == w.failed_step && wc.nonfinite,
           "%s alpha0 = 1e30: nonfinite %d failed_step %lld steps %lld (CPU trainer: nonfinite %d failed_step %lld)",
           g_backend, w.nonfinite, static_cast<long long>(w.failed_step), static_cast<long long>(w.steps),
           wc.nonfinite, static_cast<long long>(wc.failed_step));
}

template <typename Trainer>
void check_stop_and_params(const Sizes& z) {
  MlpShape s = z.shape;
  const Data train = random_data(z.rows, s.inputs, s.outputs, 12);
  const MlpParams<float> init = init_params(s, false, 13);
  Trainer tr(s, init);
  HS_CHECK(same_bits(tr.params(), init), "%s: params() differs from the initial weights", g_backend);
  std::atomic<bool> stop{true};
  SgdSettings sgd;
  sgd.batch_size = z.batch;
  const EpochResult r = tr.train_epoch(train.view(), sgd, 3, 1, 0, &stop);
  HS_CHECK(r.stopped && r.steps == 0 && r.t_end == 3 && !r.nonfinite, "%s stop flag: stopped %d steps %lld", g_backend,
           r.stopped, static_cast<long long>(r.steps));
  HS_CHECK(same_bits(tr.params(), init), "%s stop flag: weights changed", g_backend);
  MlpParams<float> other = init_params(s, false, 14);
  tr.set_params(other);
  HS_CHECK(same_bits(tr.params(), other), "%s: set_params/params round trip", g_backend);
  other.W2.pop_back();
  bool threw = false;
  try {
    tr.set_params(other);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  HS_CHECK(threw, "%s: set_params accepted a wrongly sized W2", g_backend);
  Data bad_labels = random_data(10, s.inputs, s.outputs, 15);
  bad_labels.y[4] = static_cast<uint8_t>(s.outputs);
  threw = false;
  try {
    tr.evaluate(bad_labels.view());
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  HS_CHECK(threw, "%s: a label >= outputs was accepted", g_backend);
}

template <typename Trainer>
void trainer_suite(const Sizes& small, const Sizes& big, double tol) {
  for (Activation a : {Activation::Sigmoid, Activation::Tanh, Activation::Relu}) check_against_reference<Trainer>(small, a, tol);
  check_against_reference<Trainer>(big, Activation::Sigmoid, tol);
  check_zero_init_symmetry<Trainer>(small, Activation::Sigmoid);
  check_zero_init_symmetry<Trainer>(small, Activation::Tanh);
  check_zero_init_symmetry<Trainer>(small, Activation::Relu);
  check_zero_init_symmetry<Trainer>(big, Activation::Sigmoid);
  check_determinism<Trainer>(small);
  check_nan_detection<Trainer>(small);
  check_stop_and_params<Trainer>(small);
}

}  // namespace

// HS_CUDA_TEST selects a part: "all" (default), "device" (skip the host
// emulation, e.g. under compute-sanitizer), "gemm" (a few device GEMMs only,
// small enough for racecheck).
int main() {
  const char* part_env = std::getenv("HS_CUDA_TEST");
  const std::string part = part_env ? part_env : "all";
  // 1. Host emulation of the CUDA source: small shapes (the emulator runs the
  //    256 threads of a block as fibers), still spanning several tiles.
  if (part == "all") {
    g_backend = "emulated";
    const GemmFn fn = [](bool ta, bool tb, int M, int N, int K, const float* A, int lda, const float* B, int ldb,
                         float* C, int ldc) {
      emulated_gemm(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, hs::cuda_emu::Epilogue::None, nullptr, nullptr, 0);
    };
    // {33, 47, 401} and {31, 10, 300} split K across blocks (5 and 4 splits, the last short).
    gemm_suite(fn, {{1, 1, 1}, {1, 1, 7}, {2, 3, 5}, {7, 13, 31}, {5, 17, 1}, {33, 47, 65}, {32, 32, 32},
                    {31, 10, 300}, {33, 47, 401}, {64, 40, 33}, {70, 3, 9}, {3, 70, 0}});
    emulated_epilogue_suite();
    // Sizes that exercise split K (inputs 200: x W1; h2 130: a2 W3 and dz2 W2^T).
    MlpShape s;
    s.inputs = 200;
    s.h1 = 40;
    s.h2 = 130;
    s.outputs = 10;
    const Sizes small{s, 300, 32};
    MlpShape b = s;
    b.inputs = 70;
    b.h1 = 66;
    b.h2 = 33;
    b.outputs = 12;
    const Sizes big{b, 301, 100};
    trainer_suite<hs::cuda_emu::Trainer>(small, big, 1e-4);
    // NaN detection past the first host check (60 steps of 4 rows, failing at
    // step 36), on a tiny network: the emulator's cost is per block.
    MlpShape tiny;
    tiny.inputs = 20;
    tiny.h1 = 9;
    tiny.h2 = 7;
    tiny.outputs = 5;
    check_nan_detection<hs::cuda_emu::Trainer>(Sizes{tiny, 240, 4});
    std::printf("test_cuda_mlp: host emulation of the CUDA kernels: %d checks, %d failures\n", hs_test::checks(),
                hs_test::failures());
  }

  // 2. The real GPU.
#ifdef HS_WITH_CUDA
  const int devices = hs::cuda::device_count();
#else
  const int devices = 0;
#endif
  if (devices == 0) {
    std::printf("SKIPPED: no CUDA device (test_cuda_mlp)\n");
    return hs_test::summary("test_cuda_mlp");
  }
#ifdef HS_WITH_CUDA
  g_backend = "gpu";
  try {
    if (part == "gemm") {
      // Few and small enough for racecheck; {33, 47, 401} and {32, 400, 784} split K.
      gemm_suite(hs::cuda::sgemm_device_for_test,
                 {{1, 1, 1}, {7, 13, 31}, {33, 47, 401}, {97, 101, 103}, {32, 400, 784}, {3, 70, 0}});
    } else {
      gemm_suite(hs::cuda::sgemm_device_for_test,
                 {{1, 1, 1}, {1, 1, 7}, {2, 3, 5}, {7, 13, 31}, {5, 17, 1}, {33, 47, 401}, {97, 101, 103},
                  {64, 400, 784}, {128, 700, 400}, {32, 10, 700}, {784, 400, 64}, {700, 10, 32}, {31, 700, 10},
                  {19, 23, 1601}, {3, 70, 0}});
      MlpShape s;  // the homework's 784-400-700-10, 21 steps of 32 (the last of 17)
      const Sizes mlp{s, 657, 32};
      MlpShape m;
      m.inputs = 100;
      m.h1 = 64;
      m.h2 = 48;
      m.outputs = 10;
      const Sizes mid{m, 1000, 64};
      trainer_suite<hs::cuda::MlpTrainer>(mid, mlp, 1e-4);
      check_nan_detection<hs::cuda::MlpTrainer>(Sizes{m, 3000, 32});  // fails at step 56 of 94
    }
  } catch (const std::exception& e) {
    HS_CHECK(false, "gpu: exception: %s", e.what());
  }
#endif
  return hs_test::summary("test_cuda_mlp");
}
