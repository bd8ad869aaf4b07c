// Benchmark of the CUDA tfjs kernels (not a test): microseconds per call of
// the ops a training step of each homework CNN runs at its real shapes
// (batch 64 by default), and their sum per step, so that a GPU session can
// see which kernel dominates before profiling the whole backend. Each op:
// a warm-up call, then the mean of `reps` back-to-back calls, the stream
// synchronised around them (host clock). Per step, every conv layer runs
// FusedConv2D, Conv2DBackpropFilter, Conv2DBackpropInput (not the first layer,
// as tfjs skips it), the bias-gradient Sum and the ReLU gradient (Step + Mul);
// every pool MaxPool + MaxPoolGrad; every dense _FusedMatMul, two MatMuls for
// the gradients and its bias Sum; the optimizer's update is not counted.
// Usage: bench_cuda_tfjs [batch=64] [reps=50]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#ifdef HS_WITH_CUDA
#include "cuda/gemm_cuda.h"
#include "cuda/mlp_cuda.h"
#include "cuda/tfjs_ops.h"

namespace {

namespace T = hs::cuda::tfjs;

struct Dev {
  void* p = nullptr;
  explicit Dev(size_t bytes) : p(T::device_alloc(bytes)) {}
  ~Dev() { T::device_free(p); }
  float* f() const { return static_cast<float*>(p); }
};

T::Stream g_stream = nullptr;
int g_reps = 50;

double time_us(const std::function<void()>& op) {
  op();
  T::synchronize(g_stream);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < g_reps; ++i) op();
  T::synchronize(g_stream);
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::micro>(t1 - t0).count() / g_reps;
}

double report(const std::string& what, double us) {
  std::printf("  %-58s %10.1f us\n", what.c_str(), us);
  return us;
}

T::Conv2DParams conv(int batch, int h, int w, int ci, int co, int f, int stride, bool same) {
  T::Conv2DParams p;
  p.batch = batch;
  p.in_h = h;
  p.in_w = w;
  p.in_c = ci;
  p.out_c = co;
  p.filter_h = p.filter_w = f;
  p.stride_h = p.stride_w = stride;
  if (same) {
    p.out_h = (h + stride - 1) / stride;
    p.out_w = (w + stride - 1) / stride;
    p.pad_top = std::max((p.out_h - 1) * stride + f - h, 0) / 2;
    p.pad_left = std::max((p.out_w - 1) * stride + f - w, 0) / 2;
  } else {
    p.out_h = (h - f) / stride + 1;
    p.out_w = (w - f) / stride + 1;
  }
  return p;
}

// One conv layer's ops per step; returns microseconds.
double conv_layer(const T::Conv2DParams& p, bool first) {
  const size_t nx = size_t(p.batch) * p.in_h * p.in_w * p.in_c, ny = size_t(p.batch) * p.out_h * p.out_w * p.out_c,
               nf = size_t(p.filter_h) * p.filter_w * p.in_c * p.out_c;
  Dev x(nx * 4), y(ny * 4), f(nf * 4), b(p.out_c * 4), dy(ny * 4), dx(nx * 4), df(nf * 4), db(p.out_c * 4);
  T::fill(g_stream, x.p, T::DType::Float32, nx, 0.5);
  T::fill(g_stream, f.p, T::DType::Float32, nf, 0.01);
  T::fill(g_stream, b.p, T::DType::Float32, p.out_c, 0.0);
  T::fill(g_stream, dy.p, T::DType::Float32, ny, 0.1);
  const size_t ws_bytes = std::max({T::conv2d_workspace_bytes(p), T::conv2d_backprop_input_workspace_bytes(p),
                                    T::conv2d_backprop_filter_workspace_bytes(p)});
  Dev ws(ws_bytes);
  char name[160];
  std::snprintf(name, sizeof name, "%dx%dx%d -> %d, %dx%d/%d", p.in_h, p.in_w, p.in_c, p.out_c, p.filter_h, p.filter_w,
                p.stride_h);
  double us = 0;
  us += report(std::string("FusedConv2D ") + name, time_us([&] {
                 T::conv2d(g_stream, x.f(), f.f(), y.f(), p, b.f(), T::Activation::Relu, 0, ws.p, ws_bytes);
               }));
  us += report(std::string("Conv2DBackpropFilter ") + name, time_us([&] {
                 T::conv2d_backprop_filter(g_stream, x.f(), dy.f(), df.f(), p, ws.p, ws_bytes);
               }));
  if (!first)
    us += report(std::string("Conv2DBackpropInput ") + name, time_us([&] {
                   T::conv2d_backprop_input(g_stream, dy.f(), f.f(), dx.f(), p, ws.p, ws_bytes);
                 }));
  us += report("  bias gradient Sum [N*H*W] x C", time_us([&] {
                 T::reduce(g_stream, T::ReduceOp::Sum, dy.f(), db.f(), 1, int64_t(p.batch) * p.out_h * p.out_w, p.out_c);
               }));
  const auto same = T::make_broadcast(T::Shape{1, {int64_t(ny)}}, T::Shape{1, {int64_t(ny)}});
  us += report("  ReLU gradient (Step + Multiply)", time_us([&] {
                 T::unary(g_stream, T::UnaryOp::Step, y.f(), dx.f(), ny, 0, 0);
                 T::binary(g_stream, T::BinaryOp::Mul, dy.f(), dx.f(), dx.f(), same);
               }));
  return us;
}

double pool_layer(int batch, int h, int w, int c) {
  T::Pool2DParams p;
  p.batch = batch;
  p.in_h = h;
  p.in_w = w;
  p.channels = c;
  p.filter_h = p.filter_w = 2;
  p.stride_h = p.stride_w = 2;
  p.out_h = h / 2;
  p.out_w = w / 2;
  const size_t nx = size_t(batch) * h * w * c, ny = size_t(batch) * p.out_h * p.out_w * c;
  Dev x(nx * 4), y(ny * 4), dx(nx * 4), dy(ny * 4);
  T::fill(g_stream, x.p, T::DType::Float32, nx, 0.5);
  T::fill(g_stream, dy.p, T::DType::Float32, ny, 0.1);
  char name[96];
  std::snprintf(name, sizeof name, "%dx%dx%d", h, w, c);
  double us = report(std::string("MaxPool ") + name, time_us([&] { T::max_pool(g_stream, x.f(), y.f(), p); }));
  us += report(std::string("MaxPoolGrad ") + name, time_us([&] { T::max_pool_grad(g_stream, dy.f(), x.f(), dx.f(), p); }));
  return us;
}

double dense_layer(int batch, int in, int out) {
  Dev x(size_t(batch) * in * 4), w(size_t(in) * out * 4), b(out * 4), y(size_t(batch) * out * 4),
      dy(size_t(batch) * out * 4), dw(size_t(in) * out * 4), dx(size_t(batch) * in * 4);
  T::fill(g_stream, x.p, T::DType::Float32, int64_t(batch) * in, 0.5);
  T::fill(g_stream, w.p, T::DType::Float32, int64_t(in) * out, 0.01);
  T::fill(g_stream, b.p, T::DType::Float32, out, 0);
  T::fill(g_stream, dy.p, T::DType::Float32, int64_t(batch) * out, 0.1);
  T::MatMulParams fwd{1, 1, batch, out, in, false, false}, gw{1, 1, in, out, batch, true, false},
      gx{1, 1, batch, in, out, false, true};
  const size_t ws_bytes = std::max({T::matmul_workspace_bytes(fwd), T::matmul_workspace_bytes(gw),
                                    T::matmul_workspace_bytes(gx)}) + 256;
  Dev ws(ws_bytes);
  char name[96];
  std::snprintf(name, sizeof name, "%d -> %d", in, out);
  double us = report(std::string("_FusedMatMul ") + name, time_us([&] {
                       T::batch_matmul(g_stream, x.f(), w.f(), y.f(), fwd, b.f(), T::Activation::Relu, 0, ws.p, ws_bytes);
                     }));
  us += report("  MatMul x^T dy (weight gradient)", time_us([&] {
                 T::batch_matmul(g_stream, x.f(), dy.f(), dw.f(), gw, nullptr, T::Activation::Linear, 0, ws.p, ws_bytes);
               }));
  us += report("  MatMul dy W^T (input gradient)", time_us([&] {
                 T::batch_matmul(g_stream, dy.f(), w.f(), dx.f(), gx, nullptr, T::Activation::Linear, 0, ws.p, ws_bytes);
               }));
  us += report("  bias gradient Sum", time_us([&] {
                 T::reduce(g_stream, T::ReduceOp::Sum, dy.f(), b.f(), 1, batch, out);
               }));
  return us;
}

void bench_net(const char* name, int B, const std::function<double()>& layers, int train_rows) {
  std::printf("\n%s, batch %d\n", name, B);
  const double us = layers();
  std::printf("  %-58s %10.1f us  (x %d steps = %.2f s of these kernels per %d-sample epoch)\n", "sum per step", us,
              (train_rows + B - 1) / B, us * 1e-6 * ((train_rows + B - 1) / B), train_rows);
}

}  // namespace
#endif

int main(int argc, char** argv) {
#ifdef HS_WITH_CUDA
  try {
    if (hs::cuda::device_count() == 0) {
      std::printf("SKIPPED: no CUDA device (bench_cuda_tfjs)\n");
      return 0;
    }
    const int B = argc > 1 ? std::atoi(argv[1]) : 64;
    g_reps = argc > 2 ? std::atoi(argv[2]) : 50;
    std::printf("%s\n", hs::cuda::device_description().c_str());
    g_stream = T::create_stream();
    bench_net("cnn-light", B, [&] {
      return conv_layer(conv(B, 28, 28, 1, 32, 3, 1, true), true) + pool_layer(B, 28, 28, 32) +
             conv_layer(conv(B, 14, 14, 32, 32, 3, 1, true), false) + pool_layer(B, 14, 14, 32) + dense_layer(B, 1568, 10);
    }, 60000);
    bench_net("cnn", B, [&] {
      return conv_layer(conv(B, 28, 28, 1, 64, 3, 1, true), true) + pool_layer(B, 28, 28, 64) +
             conv_layer(conv(B, 14, 14, 64, 128, 3, 1, true), false) +
             conv_layer(conv(B, 14, 14, 128, 128, 3, 1, true), false) + pool_layer(B, 14, 14, 128) +
             dense_layer(B, 6272, 64) + dense_layer(B, 64, 10);
    }, 60000);
    bench_net("catsdogs", B, [&] {
      return conv_layer(conv(B, 64, 64, 3, 64, 8, 2, false), true) + pool_layer(B, 29, 29, 64) +
             conv_layer(conv(B, 14, 14, 64, 128, 3, 1, true), false) +
             conv_layer(conv(B, 14, 14, 128, 256, 3, 1, true), false) +
             conv_layer(conv(B, 14, 14, 256, 128, 3, 1, true), false) + pool_layer(B, 14, 14, 128) +
             dense_layer(B, 6272, 128) + dense_layer(B, 128, 128) + dense_layer(B, 128, 1);
    }, 20000);
    T::destroy_stream(g_stream);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_cuda_tfjs: %s\n", e.what());
    return 1;
  }
  return 0;
#else
  (void)argc;
  (void)argv;
  std::printf("SKIPPED: built without CUDA (bench_cuda_tfjs)\n");
  return 0;
#endif
}
