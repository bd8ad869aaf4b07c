// The CPU MLP trainer: zero-init symmetry, gradient against central finite
// differences (float64, every activation), the SGD step and schedule against
// sample_objective's gradient, determinism, NaN/stop handling, init and shuffle.
#include <stdexcept>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/mlp.h"
#include "core/mlp_cpu.h"
#include "core/rng.h"
#include "test_util.h"

namespace {

struct Data {
  std::vector<float> x;
  std::vector<uint8_t> y;
  hs::DatasetView view;
};

// Random pixels in [0, 1]; labels from a fixed random linear map, so that the
// task is learnable.
Data make_data(int64_t rows, int features, int classes, uint64_t seed) {
  Data d;
  hs::Rng rng(seed, 3);
  d.x.resize(static_cast<size_t>(rows) * features);
  d.y.resize(rows);
  std::vector<double> proj(static_cast<size_t>(features) * classes);
  for (auto& v : proj) v = rng.normal();
  for (auto& v : d.x) v = static_cast<float>(rng.uniform());
  for (int64_t r = 0; r < rows; ++r) {
    int best = 0;
    double best_s = -1e300;
    for (int c = 0; c < classes; ++c) {
      double s = 0;
      for (int f = 0; f < features; ++f) s += (d.x[r * features + f] - 0.5) * proj[f * classes + c];
      if (s > best_s) {
        best_s = s;
        best = c;
      }
    }
    d.y[r] = static_cast<uint8_t>(best);
  }
  d.view.x = d.x.data();
  d.view.y = d.y.data();
  d.view.rows = rows;
  d.view.features = features;
  return d;
}

hs::MlpShape shape_of(int in, int h1, int h2, int out, hs::Activation act) {
  hs::MlpShape s;
  s.inputs = in;
  s.h1 = h1;
  s.h2 = h2;
  s.outputs = out;
  s.activation = act;
  return s;
}

template <typename T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

template <typename T>
bool params_equal(const hs::MlpParams<T>& p, const hs::MlpParams<T>& q) {
  return same_bits(p.W1, q.W1) && same_bits(p.b1, q.b1) && same_bits(p.W2, q.W2) &&
         same_bits(p.b2, q.b2) && same_bits(p.W3, q.W3) && same_bits(p.b3, q.b3);
}

// Hidden units that start identical stay bit-identical (the homework's point
// about zero initialisation), with edge tiles, several K blocks and threads.
void test_zero_init_symmetry() {
  struct Case {
    int in, h1, h2, batch, rows, threads;
  };
  const Case cases[] = {{784, 400, 700, 64, 300, 2}, {784, 37, 53, 17, 200, 1},
                        {784, 37, 53, 17, 200, 3},   {29, 13, 11, 5, 61, 2}};
  for (const Case& c : cases) {
    for (auto act : {hs::Activation::Sigmoid, hs::Activation::Tanh, hs::Activation::Relu}) {
      const auto shape = shape_of(c.in, c.h1, c.h2, 10, act);
      const Data d = make_data(c.rows, c.in, 10, 11);
      hs::CpuMlp<float> m(shape, hs::init_params<float>(shape, hs::Init::Zero, 1), c.threads);
      hs::SgdSettings sgd;
      sgd.alpha0 = 0.5;
      sgd.delta = 0.01;
      sgd.lambda = 1e-3;
      sgd.batch_size = c.batch;
      int64_t t = 0;
      for (int epoch = 0; epoch < 2; ++epoch) t = m.train_epoch(d.view, sgd, t, 5, epoch, nullptr).t_end;
      const auto p = m.params();
      int bad = 0;
      for (int i = 0; i < c.in; ++i)
        for (int j = 0; j < c.h1; ++j)
          if (std::memcmp(&p.W1[i * c.h1 + j], &p.W1[i * c.h1], 4)) ++bad;
      for (int j = 0; j < c.h1; ++j) bad += std::memcmp(&p.b1[j], &p.b1[0], 4) != 0;
      for (int i = 0; i < c.h1 * c.h2; ++i) bad += std::memcmp(&p.W2[i], &p.W2[0], 4) != 0;
      for (int j = 0; j < c.h2; ++j) bad += std::memcmp(&p.b2[j], &p.b2[0], 4) != 0;
      for (int i = 0; i < c.h2; ++i)
        for (int k = 0; k < 10; ++k) bad += std::memcmp(&p.W3[i * 10 + k], &p.W3[k], 4) != 0;
      HS_CHECK(bad == 0, "zero-init %d-%d-%d act=%d threads=%d: %d weights broke symmetry", c.in,
               c.h1, c.h2, static_cast<int>(act), c.threads, bad);
      if (act == hs::Activation::Sigmoid) {
        // Not vacuous: with sigmoid every layer does learn.
        HS_CHECK(p.W1[0] != 0 && p.W2[0] != 0 && p.W3[0] != 0 && p.b1[0] != 0,
                 "zero-init sigmoid: weights did not move");
      }
    }
  }
}

// Analytic gradient (backprop, float64) against central differences.
void test_gradient_check() {
  for (auto act : {hs::Activation::Sigmoid, hs::Activation::Tanh, hs::Activation::Relu}) {
    const auto shape = shape_of(23, 9, 7, 5, act);
    const Data d = make_data(4, 23, 5, 21);
    hs::CpuMlp<double> m(shape, hs::init_params<double>(shape, hs::Init::Glorot, 4), 2);
    const double lambda = 0.01;
    hs::MlpParams<double> grad;
    m.sample_objective(d.view, 2, lambda, &grad);
    hs::MlpParams<double> p = m.params();
    std::vector<double>* P[6] = {&p.W1, &p.b1, &p.W2, &p.b2, &p.W3, &p.b3};
    std::vector<double>* G[6] = {&grad.W1, &grad.b1, &grad.W2, &grad.b2, &grad.W3, &grad.b3};
    const double eps = 1e-6;
    double worst = 0;
    int bad = 0;
    for (int t = 0; t < 6; ++t) {
      for (size_t i = 0; i < P[t]->size(); ++i) {
        const double orig = (*P[t])[i];
        (*P[t])[i] = orig + eps;
        m.set_params(p);
        const double up = m.sample_objective(d.view, 2, lambda, nullptr);
        (*P[t])[i] = orig - eps;
        m.set_params(p);
        const double down = m.sample_objective(d.view, 2, lambda, nullptr);
        (*P[t])[i] = orig;
        const double numeric = (up - down) / (2 * eps);
        const double analytic = (*G[t])[i];
        // Central differences at eps = 1e-6 in float64: truncation ~1e-12 and
        // round-off ~1e-10, far below this bound; a wrong derivative is far above it.
        const double err = std::fabs(numeric - analytic);
        const double tol = 1e-9 + 1e-6 * std::fabs(analytic);
        worst = std::max(worst, err / tol);
        if (err > tol) ++bad;
      }
    }
    m.set_params(p);
    std::printf("gradcheck act=%d: worst error/tolerance %.3g\n", static_cast<int>(act), worst);
    HS_CHECK(bad == 0, "gradcheck act=%d: %d parameters off (worst %.3g)", static_cast<int>(act), bad, worst);
  }
}

// train_epoch's update is W ← W − α_t(mean grad + 2λW) with α_t = α0/(1+δt):
// replay it with sample_objective's gradients (batch 1, float64).
void test_sgd_step_matches_gradient() {
  const auto shape = shape_of(11, 6, 5, 3, hs::Activation::Sigmoid);
  const Data d = make_data(3, 11, 3, 31);
  const auto p0 = hs::init_params<double>(shape, hs::Init::Glorot, 8);
  hs::SgdSettings sgd;
  sgd.alpha0 = 0.3;
  sgd.delta = 0.5;
  sgd.lambda = 0.02;
  sgd.batch_size = 1;
  const int64_t t_start = 4;
  hs::CpuMlp<double> trained(shape, p0, 1);
  const auto r = trained.train_epoch(d.view, sgd, t_start, 77, 2, nullptr);
  HS_CHECK(r.steps == 3 && r.t_end == t_start + 3 && !r.nonfinite && !r.stopped, "epoch result");

  hs::CpuMlp<double> replay(shape, p0, 1);
  const auto perm = hs::epoch_permutation(77, 2, 3);
  for (int s = 0; s < 3; ++s) {
    hs::MlpParams<double> g;
    replay.sample_objective(d.view, perm[s], sgd.lambda, &g);  // includes 2λW
    const double a = sgd.alpha0 / (1 + sgd.delta * (t_start + s));
    auto p = replay.params();
    for (size_t i = 0; i < p.W1.size(); ++i) p.W1[i] -= a * g.W1[i];
    for (size_t i = 0; i < p.W2.size(); ++i) p.W2[i] -= a * g.W2[i];
    for (size_t i = 0; i < p.W3.size(); ++i) p.W3[i] -= a * g.W3[i];
    for (size_t i = 0; i < p.b1.size(); ++i) p.b1[i] -= a * g.b1[i];
    for (size_t i = 0; i < p.b2.size(); ++i) p.b2[i] -= a * g.b2[i];
    for (size_t i = 0; i < p.b3.size(); ++i) p.b3[i] -= a * g.b3[i];
    replay.set_params(p);
  }
  const auto pa = trained.params(), pb = replay.params();
  double worst = 0;
  auto cmp = [&](const std::vector<double>& a, const std::vector<double>& b) {
    for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
  };
  cmp(pa.W1, pb.W1);
  cmp(pa.W2, pb.W2);
  cmp(pa.W3, pb.W3);
  cmp(pa.b1, pb.b1);
  cmp(pa.b2, pb.b2);
  cmp(pa.b3, pb.b3);
  HS_CHECK(worst < 1e-13, "SGD epoch differs from the replayed schedule by %.3g", worst);
  // And the mean over a minibatch: batch 3 = mean of the three gradients.
  hs::CpuMlp<double> batched(shape, p0, 2);
  sgd.batch_size = 3;
  batched.train_epoch(d.view, sgd, 0, 77, 2, nullptr);
  hs::CpuMlp<double> probe(shape, p0, 1);
  std::vector<double> mean(p0.W2.size(), 0.0);
  for (int row = 0; row < 3; ++row) {
    hs::MlpParams<double> g;
    probe.sample_objective(d.view, row, sgd.lambda, &g);
    for (size_t i = 0; i < mean.size(); ++i) mean[i] += g.W2[i] / 3;
  }
  worst = 0;
  const auto pc = batched.params();
  for (size_t i = 0; i < mean.size(); ++i)
    worst = std::max(worst, std::fabs(pc.W2[i] - (p0.W2[i] - sgd.alpha0 * mean[i])));
  HS_CHECK(worst < 1e-13, "minibatch step is not the mean gradient step (%.3g)", worst);
}

void test_determinism_and_learning() {
  const auto shape = shape_of(64, 40, 30, 10, hs::Activation::Relu);
  const Data d = make_data(3000, 64, 10, 41);
  hs::SgdSettings sgd;
  sgd.alpha0 = 0.1;
  sgd.delta = 1e-3;
  sgd.lambda = 1e-5;
  sgd.batch_size = 32;
  hs::MlpParams<float> results[3];
  hs::EvalResult evals[3];
  const int threads[3] = {2, 2, 1};
  double first_loss = 0;
  for (int run = 0; run < 3; ++run) {
    hs::CpuMlp<float> m(shape, hs::init_params<float>(shape, hs::Init::Glorot, 9), threads[run]);
    if (run == 0) first_loss = m.evaluate(d.view).loss;
    int64_t t = 0;
    for (int epoch = 0; epoch < 6; ++epoch) t = m.train_epoch(d.view, sgd, t, 123, epoch, nullptr).t_end;
    HS_CHECK(t == 6 * ((3000 + 31) / 32), "t_end %lld", static_cast<long long>(t));
    results[run] = m.params();
    evals[run] = m.evaluate(d.view);  // training loss: a learning sanity check
  }
  HS_CHECK(params_equal(results[0], results[1]), "two identical trainings differ");
  HS_CHECK(params_equal(results[0], results[2]), "1 and 2 threads differ");
  HS_CHECK(evals[0].loss == evals[1].loss && evals[0].accuracy == evals[1].accuracy, "evaluations differ");
  std::printf("learning: train loss %.4f -> %.4f, accuracy %.3f\n", first_loss, evals[0].loss, evals[0].accuracy);
  HS_CHECK(evals[0].loss < 0.7 * first_loss && evals[0].accuracy > 0.4,
           "did not learn: loss %.4f -> %.4f acc %.3f", first_loss, evals[0].loss, evals[0].accuracy);
  // Another shuffle seed gives other weights.
  hs::CpuMlp<float> m(shape, hs::init_params<float>(shape, hs::Init::Glorot, 9), 2);
  m.train_epoch(d.view, sgd, 0, 124, 0, nullptr);
  hs::CpuMlp<float> m2(shape, hs::init_params<float>(shape, hs::Init::Glorot, 9), 2);
  m2.train_epoch(d.view, sgd, 0, 123, 0, nullptr);
  HS_CHECK(!params_equal(m.params(), m2.params()), "shuffle seed has no effect");
}

void test_partial_batch_nonfinite_and_stop() {
  const auto shape = shape_of(8, 5, 4, 3, hs::Activation::Sigmoid);
  const Data d = make_data(10, 8, 3, 51);
  hs::SgdSettings sgd;
  sgd.batch_size = 4;
  hs::CpuMlp<float> m(shape, hs::init_params<float>(shape, hs::Init::Glorot, 1), 1);
  auto r = m.train_epoch(d.view, sgd, 7, 1, 0, nullptr);
  HS_CHECK(r.steps == 3 && r.t_end == 10, "10 rows / batch 4 must be 3 steps (got %lld)",
           static_cast<long long>(r.steps));

  std::atomic<bool> stop{true};
  const auto before = m.params();
  r = m.train_epoch(d.view, sgd, 10, 1, 1, &stop);
  HS_CHECK(r.stopped && r.steps == 0 && r.t_end == 10, "stop flag ignored");
  HS_CHECK(params_equal(before, m.params()), "stopped epoch changed weights");

  // A NaN weight: the first minibatch loss is NaN; nothing is applied.
  auto nan_params = hs::init_params<float>(shape, hs::Init::Glorot, 1);
  nan_params.W2[3] = std::nanf("");
  hs::CpuMlp<float> nan_model(shape, nan_params, 1);
  r = nan_model.train_epoch(d.view, sgd, 100, 1, 0, nullptr);
  HS_CHECK(r.nonfinite && r.failed_step == 100 && r.steps == 0 && r.t_end == 100,
           "NaN weight: nonfinite=%d failed_step=%lld", r.nonfinite, static_cast<long long>(r.failed_step));

  // A huge step size makes training diverge: it stops at the step whose loss overflows.
  sgd.alpha0 = 1e30;
  sgd.batch_size = 2;
  const auto relu_shape = shape_of(8, 5, 4, 3, hs::Activation::Relu);
  hs::CpuMlp<float> bad(relu_shape, hs::init_params<float>(relu_shape, hs::Init::Normal, 1), 1);
  r = bad.train_epoch(d.view, sgd, 100, 1, 0, nullptr);
  HS_CHECK(r.nonfinite && r.failed_step > 100 && r.failed_step < 105 && r.t_end == r.failed_step,
           "divergence not reported (nonfinite=%d failed_step=%lld)", r.nonfinite,
           static_cast<long long>(r.failed_step));

  // Bad labels are an error, not a wild write.
  Data wrong = make_data(5, 8, 3, 1);
  wrong.y[3] = 7;
  bool threw = false;
  try {
    m.train_epoch(wrong.view, sgd, 0, 1, 0, nullptr);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  HS_CHECK(threw, "label out of range accepted");
}

void test_init_and_permutation() {
  const auto shape = shape_of(784, 400, 700, 10, hs::Activation::Sigmoid);
  const auto g = hs::init_params<double>(shape, hs::Init::Glorot, 3);
  const auto gf = hs::init_params<float>(shape, hs::Init::Glorot, 3);
  const double d1 = std::sqrt(6.0 / (784 + 400));
  double mx = 0;
  for (double w : g.W1) mx = std::max(mx, std::fabs(w));
  HS_CHECK(mx <= d1 && mx > 0.99 * d1, "glorot W1 range %.5f vs d=%.5f", mx, d1);
  bool rounded = true;
  for (size_t i = 0; i < g.W2.size(); ++i) rounded &= gf.W2[i] == static_cast<float>(g.W2[i]);
  HS_CHECK(rounded, "float init is not the rounded double init");
  HS_CHECK(g.W1.size() + g.W2.size() + g.W3.size() + g.b1.size() + g.b2.size() + g.b3.size() == 601710,
           "parameter count");
  const auto n = hs::init_params<double>(shape, hs::Init::Normal, 3);
  double s = 0, s2 = 0;
  for (double w : n.W2) {
    s += w;
    s2 += w * w;
  }
  const double mean = s / n.W2.size(), var = s2 / n.W2.size() - mean * mean;
  HS_CHECK(std::fabs(mean) < 0.01 && std::fabs(var - 1) < 0.01, "normal init mean %.4f var %.4f", mean, var);
  HS_CHECK(same_bits(n.W3, hs::init_params<double>(shape, hs::Init::Normal, 3).W3), "init not deterministic");
  HS_CHECK(!same_bits(n.W3, hs::init_params<double>(shape, hs::Init::Normal, 4).W3), "seed ignored");
  const auto z = hs::init_params<float>(shape, hs::Init::Zero, 3);
  HS_CHECK(std::all_of(z.W2.begin(), z.W2.end(), [](float w) { return w == 0; }), "zero init");

  const auto p = hs::epoch_permutation(5, 0, 1000);
  std::vector<int64_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  bool is_perm = true;
  for (int64_t i = 0; i < 1000; ++i) is_perm &= sorted[i] == i;
  HS_CHECK(is_perm, "epoch_permutation is not a permutation");
  HS_CHECK(p == hs::epoch_permutation(5, 0, 1000), "epoch_permutation not deterministic");
  HS_CHECK(p != hs::epoch_permutation(5, 1, 1000), "epoch does not change the permutation");
  HS_CHECK(p != hs::epoch_permutation(6, 0, 1000), "seed does not change the permutation");
  HS_CHECK(hs::epoch_permutation(5, 0, 0).empty() && hs::epoch_permutation(5, 0, 1).size() == 1, "tiny n");
}

}  // namespace

int main() {
  test_init_and_permutation();
  test_gradient_check();
  test_sgd_step_matches_gradient();
  test_partial_batch_nonfinite_and_stop();
  test_determinism_and_learning();
  test_zero_init_symmetry();
  return hs_test::summary("test_core_mlp");
}
