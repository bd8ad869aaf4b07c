// hs::cuda: the CUDA MLP trainer (native/cuda/mlp_cuda.h) and the GEMM
// test/benchmark entries (native/cuda/gemm_cuda.h). The logic lives in
// mlp_trainer_impl.cuh and mlp_kernels.cuh, shared with the tests' host emulation.
#include "cuda/mlp_cuda.h"

#include <random>
#include <string>
#include <vector>

#include "cuda/gemm_cuda.h"
#include "cuda/mlp_trainer_impl.cuh"

namespace hs::cuda {

int device_count() {
  int n = 0;
  // No driver, no device, a driver older than the runtime: all mean "none".
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the error so it does not stick to later calls
    return 0;
  }
  return n;
}

struct MlpTrainer::Impl {
  Impl(const MlpShape& shape, const MlpParams<float>& initial) : trainer(shape, initial) {}
  Trainer trainer;
};

MlpTrainer::MlpTrainer(const MlpShape& shape, const MlpParams<float>& initial)
    : impl_(std::make_unique<Impl>(shape, initial)) {}
MlpTrainer::~MlpTrainer() = default;

EpochResult MlpTrainer::train_epoch(const DatasetView& data, const SgdSettings& sgd, int64_t t_start,
                                    uint64_t shuffle_seed, int epoch, const std::atomic<bool>* stop) {
  return impl_->trainer.train_epoch(data, sgd, t_start, shuffle_seed, epoch, stop);
}
EvalResult MlpTrainer::evaluate(const DatasetView& data) { return impl_->trainer.evaluate(data); }
MlpParams<float> MlpTrainer::params() const { return impl_->trainer.params(); }
void MlpTrainer::set_params(const MlpParams<float>& params) { impl_->trainer.set_params(params); }
double MlpTrainer::weight_squared_norm() const { return impl_->trainer.weight_squared_norm(); }

namespace {
size_t stored_elems(bool trans, int rows, int cols, int ld) {
  // op(X) is rows x cols; stored transposed it has `cols` rows of stride ld.
  const size_t stored_rows = static_cast<size_t>(trans ? cols : rows);
  return stored_rows == 0 ? 0 : (stored_rows - 1) * static_cast<size_t>(ld) + static_cast<size_t>(trans ? rows : cols);
}

struct ScopedStream {
  Stream s = stream_create();
  ~ScopedStream() { stream_destroy(s); }
};
}  // namespace

void sgemm_device_for_test(bool transA, bool transB, int M, int N, int K, const float* A, int lda, const float* B,
                           int ldb, float* C, int ldc) {
  ScopedStream ss;
  const size_t na = stored_elems(transA, M, K, lda), nb = stored_elems(transB, K, N, ldb);
  const size_t nc = stored_elems(false, M, N, ldc);
  DeviceArray<float> dA, dB, dC, ws;
  dA.reserve(na);
  dB.reserve(nb);
  dC.reserve(nc);
  ws.reserve(gemm_workspace_floats(M, N, K));
  copy_to_device(dA.get(), A, na * sizeof(float), ss.s);
  copy_to_device(dB.get(), B, nb * sizeof(float), ss.s);
  copy_to_device(dC.get(), C, nc * sizeof(float), ss.s);
  gemm(ss.s, transA, transB, M, N, K, dA.get(), lda, dB.get(), ldb, dC.get(), ldc, ws.get(), ws.size());
  copy_to_host(C, dC.get(), nc * sizeof(float), ss.s);
}

double sgemm_device_ms(bool transA, bool transB, int M, int N, int K, int reps) {
  ScopedStream ss;
  const int lda = transA ? M : K, ldb = transB ? K : N, ldc = N;
  const size_t na = static_cast<size_t>(M) * K, nb = static_cast<size_t>(K) * N, nc = static_cast<size_t>(M) * N;
  std::mt19937 rng(12345);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> ha(na), hb(nb);
  for (auto& v : ha) v = u(rng);
  for (auto& v : hb) v = u(rng);
  DeviceArray<float> dA, dB, dC, ws;
  dA.reserve(na);
  dB.reserve(nb);
  dC.reserve(nc);
  ws.reserve(gemm_workspace_floats(M, N, K));
  copy_to_device(dA.get(), ha.data(), na * sizeof(float), ss.s);
  copy_to_device(dB.get(), hb.data(), nb * sizeof(float), ss.s);
  for (int i = 0; i < 10; ++i) gemm(ss.s, transA, transB, M, N, K, dA.get(), lda, dB.get(), ldb, dC.get(), ldc, ws.get(), ws.size());
  cudaEvent_t start = nullptr, stop = nullptr;
  HS_CUDA_CHECK(cudaEventCreate(&start));
  HS_CUDA_CHECK(cudaEventCreate(&stop));
  float ms = 0.0f;
  try {
    HS_CUDA_CHECK(cudaEventRecord(start, ss.s));
    for (int i = 0; i < reps; ++i) gemm(ss.s, transA, transB, M, N, K, dA.get(), lda, dB.get(), ldb, dC.get(), ldc, ws.get(), ws.size());
    HS_CUDA_CHECK(cudaEventRecord(stop, ss.s));
    HS_CUDA_CHECK(cudaEventSynchronize(stop));
    HS_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  } catch (...) {
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    throw;
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return static_cast<double>(ms) / reps;
}

std::string device_description() {
  cudaDeviceProp prop{};
  const int dev = current_device();
  HS_CUDA_CHECK(cudaGetDeviceProperties(&prop, dev));
  int runtime = 0, driver = 0;
  HS_CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
  HS_CUDA_CHECK(cudaDriverGetVersion(&driver));
  return std::string(prop.name) + ", sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ", " +
         std::to_string(prop.multiProcessorCount) + " SMs, " +
         std::to_string(prop.totalGlobalMem >> 20) + " MiB, runtime " + std::to_string(runtime) + ", driver " +
         std::to_string(driver);
}

}  // namespace hs::cuda
