// The GEMM driver: K blocking, B panel packing, M/N thread split, dispatch to
// the AVX2/FMA or portable micro-kernels, fused epilogue. See gemm.h for the
// determinism contract every path below keeps.
#include "core/gemm.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/activation.h"
#include "core/aligned_buffer.h"
#include "core/gemm_kernels.h"
#include "core/thread_pool.h"

namespace hs {
namespace detail {
namespace {

// Portable micro-kernel: MR×NR accumulators, same contract as the AVX2 ones.
template <typename T, int MR, int NR, bool AT>
void generic_kernel(int k, const T* a, std::ptrdiff_t lda, const T* b, std::ptrdiff_t ldb, T* c,
                    std::ptrdiff_t ldc, int n_valid, const T* alpha_beta, bool overwrite) {
  const T alpha = alpha_beta[0], beta = alpha_beta[1];
  T acc[MR][NR] = {};
  for (int kk = 0; kk < k; ++kk) {
    const T* bk = b + kk * ldb;
    for (int i = 0; i < MR; ++i) {
      const T ai = AT ? a[kk * lda + i] : a[i * lda + kk];
      for (int j = 0; j < NR; ++j) acc[i][j] += ai * bk[j];
    }
  }
  for (int i = 0; i < MR; ++i) {
    T* ci = c + i * ldc;
    if (overwrite) {
      for (int j = 0; j < n_valid; ++j) ci[j] = alpha * acc[i][j];
    } else {
      for (int j = 0; j < n_valid; ++j) ci[j] = alpha * acc[i][j] + beta * ci[j];
    }
  }
}

template <typename T>
KernelSet<T> make_generic_set() {
  constexpr int NR = 8;
  KernelSet<T> s;
  s.mr_max = 4;
  s.nr = NR;
  s.kernel[0][1] = generic_kernel<T, 1, NR, false>;
  s.kernel[0][2] = generic_kernel<T, 2, NR, false>;
  s.kernel[0][3] = generic_kernel<T, 3, NR, false>;
  s.kernel[0][4] = generic_kernel<T, 4, NR, false>;
  s.kernel[1][1] = generic_kernel<T, 1, NR, true>;
  s.kernel[1][2] = generic_kernel<T, 2, NR, true>;
  s.kernel[1][3] = generic_kernel<T, 3, NR, true>;
  s.kernel[1][4] = generic_kernel<T, 4, NR, true>;
  return s;
}

template <typename T>
const KernelSet<T>& generic_kernels() {
  static const KernelSet<T> set = make_generic_set<T>();
  return set;
}

}  // namespace
}  // namespace detail

namespace {

using detail::KernelSet;

// The widest kernels allowed (a cap for tests and benchmarks); the CPU may
// support less. Read from HS_GEMM_SIMD once, settable by gemm_limit_simd.
enum SimdLevel : int { kGeneric = 0, kAvx2 = 1, kAvx512 = 2 };

int parse_level(const char* name) {
  if (!name) return -1;
  const std::string s(name);
  if (s == "generic") return kGeneric;
  if (s == "avx2") return kAvx2;
  if (s == "avx512") return kAvx512;
  return -1;
}

std::atomic<int>& simd_cap() {
  static std::atomic<int> cap{[] {
    const int env = parse_level(std::getenv("HS_GEMM_SIMD"));
    return env >= 0 ? env : static_cast<int>(kAvx512);
  }()};
  return cap;
}

// The best level this CPU (and this build) can run.
int cpu_level() {
  static const int level = [] {
    int l = kGeneric;
#if defined(HS_HAVE_AVX2_KERNELS)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) l = kAvx2;
#if defined(HS_HAVE_AVX512_KERNELS)
    if (l == kAvx2 && __builtin_cpu_supports("avx512f")) l = kAvx512;
#endif
#endif
    return l;
  }();
  return level;
}

int active_level() { return std::min(cpu_level(), simd_cap().load(std::memory_order_relaxed)); }

template <typename T>
const KernelSet<T>& select_kernels();

template <>
const KernelSet<float>& select_kernels<float>() {
  switch (active_level()) {
#if defined(HS_HAVE_AVX512_KERNELS)
    case kAvx512:
      return detail::avx512_float_kernels();
#endif
#if defined(HS_HAVE_AVX2_KERNELS)
    case kAvx2:
      return detail::avx2_float_kernels();
#endif
    default:
      return detail::generic_kernels<float>();
  }
}

template <>
const KernelSet<double>& select_kernels<double>() {
#if defined(HS_HAVE_AVX2_KERNELS)
  if (active_level() >= kAvx2) return detail::avx2_double_kernels();
#endif
  return detail::generic_kernels<double>();
}

// Largest K block: a B micro-panel (kc×NR, 16 KiB for floats) plus an A
// micro-panel (MR×kc) stay in the 32 KiB L1 together.
template <typename T>
constexpr int kKcMax = 256;

// Largest B (bytes) for the row-panel walk of C: well inside the 512 KiB L2.
constexpr double kRowOrderMaxB = 256 * 1024;

// The transposed computation of a C with fewer than kNarrowN columns pays from
// this many rows on (the output layer at batch 32 included).
constexpr int kTransposeMinM = 32;

// C narrower than this is computed transposed. A fixed number rather than the
// kernels' width: with beta != 0 the transposed path rounds differently (see
// gemm_driver), so which path a product takes must not depend on the kernels
// the CPU runs (16 columns for AVX2, 32 for AVX-512).
constexpr int kNarrowN = 16;

// Below this many flops per thread, waking another thread costs more than it saves.
constexpr double kMinFlopsPerThread = 4.0e5;

// How M is cut into row panels of at most mr_max rows. A small remainder is
// not left to a 1- or 2-row kernel (poor register reuse): the last full panel
// and the remainder are rebalanced into two panels instead (6+2 -> 4+4).
struct RowPanels {
  int full = 0;   // panels of mr_max rows, first
  int tails = 0;  // 0..2 smaller panels after them
  int tail_rows[2] = {0, 0};
  int mr_max = 1;

  RowPanels(int M, int mr) : mr_max(mr) {
    const int q = M / mr, r = M % mr;
    full = q;
    if (r == 0) return;
    if (q == 0 || 2 * r >= mr) {
      tails = 1;
      tail_rows[0] = r;
    } else {
      full = q - 1;
      tails = 2;
      tail_rows[0] = (mr + r + 1) / 2;
      tail_rows[1] = mr + r - tail_rows[0];
    }
  }
  int count() const { return full + tails; }
  void at(int p, int* i0, int* mr) const {
    if (p < full) {
      *i0 = p * mr_max;
      *mr = mr_max;
    } else if (p == full) {
      *i0 = full * mr_max;
      *mr = tail_rows[0];
    } else {
      *i0 = full * mr_max + tail_rows[0];
      *mr = tail_rows[1];
    }
  }
};

// Claims the next chunk [*b, *e) of the `total` panels from the shared counter
// (guided schedule): a share of what is left, so chunks start big (few claims)
// and shrink to single panels at the end, where they even out the threads'
// finishing times. A fixed chunk of total/(4·threads) left one thread up to a
// whole chunk (4-9% of the call) behind the other on the MLP's shapes.
inline bool claim_chunk(std::atomic<int>& next, int total, int threads, int* b, int* e) {
  int cur = next.load(std::memory_order_relaxed);
  for (;;) {
    if (cur >= total) return false;
    const int take = threads <= 1 ? total - cur : std::max(1, (total - cur) / (2 * threads));
    const int end = std::min(total, cur + take);
    if (next.compare_exchange_weak(cur, end, std::memory_order_relaxed)) {
      *b = cur;
      *e = end;
      return true;
    }
  }
}

// Per-thread scratch buffers (Which: 0 packed B panels, 1 a transposed
// result), grown once and reused by every later call.
template <typename T, int Which = 0>
T* pack_buffer(std::size_t n) {
  thread_local AlignedBuffer<T> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

// Packs op(B)(k0 .. k0+kl, j0 .. j0+nv) into a kl×NR panel, zero padded on the right.
template <typename T>
void pack_b(bool tb, const T* B, int ldb, int k0, int kl, int j0, int nv, int NR, T* out) {
  if (!tb) {
    for (int k = 0; k < kl; ++k) {
      const T* src = B + static_cast<std::ptrdiff_t>(k0 + k) * ldb + j0;
      T* dst = out + static_cast<std::ptrdiff_t>(k) * NR;
      int j = 0;
      for (; j < nv; ++j) dst[j] = src[j];
      for (; j < NR; ++j) dst[j] = T(0);
    }
  } else {
    // op(B)(k, j) = B[j*ldb + k]: read each stored row along k, write a column.
    for (int j = 0; j < nv; ++j) {
      const T* src = B + static_cast<std::ptrdiff_t>(j0 + j) * ldb + k0;
      for (int k = 0; k < kl; ++k) out[static_cast<std::ptrdiff_t>(k) * NR + j] = src[k];
    }
    for (int j = nv; j < NR; ++j)
      for (int k = 0; k < kl; ++k) out[static_cast<std::ptrdiff_t>(k) * NR + j] = T(0);
  }
}

// The scalar epilogue: c = act(c + bias[j]) on n elements of one row.
template <typename T>
void scalar_epilogue(T* row, int n, const T* bias, bool activate, int activation) {
  if (bias)
    for (int j = 0; j < n; ++j) row[j] += bias[j];
  if (!activate) return;
  switch (static_cast<Activation>(activation)) {
    case Activation::Sigmoid:
      for (int j = 0; j < n; ++j) row[j] = sigmoid(row[j]);
      break;
    case Activation::Relu:
      for (int j = 0; j < n; ++j) row[j] = relu(row[j]);
      break;
    case Activation::Tanh:
      for (int j = 0; j < n; ++j) row[j] = std::tanh(row[j]);
      break;
  }
}

// Epilogue of the tile (i0.., j0..) of mr rows and nv <= NR columns.
template <typename T>
void apply_epilogue(const KernelSet<T>& ks, const GemmEpilogue<T>& ep, T* C, int ldc, int i0,
                    int mr, int j0, int nv) {
  if (ep.derivative_of) {
    // Same expressions as the unfused pass had: d *= y·(1 - y), etc.
    for (int i = 0; i < mr; ++i) {
      T* d = C + static_cast<std::ptrdiff_t>(i0 + i) * ldc + j0;
      const T* y = ep.derivative_of + static_cast<std::ptrdiff_t>(i0 + i) * ep.ldy + j0;
      switch (ep.activation) {
        case Activation::Sigmoid:
          for (int j = 0; j < nv; ++j) d[j] *= y[j] * (T(1) - y[j]);
          break;
        case Activation::Relu:
          for (int j = 0; j < nv; ++j) d[j] = y[j] > T(0) ? d[j] : T(0);
          break;
        case Activation::Tanh:
          for (int j = 0; j < nv; ++j) d[j] *= T(1) - y[j] * y[j];
          break;
      }
    }
    return;
  }
  const detail::EpilogueFn<T> fn = ks.epilogue ? ks.epilogue : scalar_epilogue<T>;
  for (int i = 0; i < mr; ++i)
    fn(C + static_cast<std::ptrdiff_t>(i0 + i) * ldc + j0, nv, ep.bias ? ep.bias + j0 : nullptr,
       ep.activate, static_cast<int>(ep.activation));
}

template <typename T>
void gemm_driver(const KernelSet<T>& ks, bool ta, bool tb, int M, int N, int K, T alpha,
                 const T* A, int lda, const T* B, int ldb, T beta, T* C, int ldc, ThreadPool* pool,
                 const GemmEpilogue<T>* ep) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == T(0)) {
    // No product: C = beta·C (beta == 0 writes zeros without reading C), then the epilogue.
    for (int i = 0; i < M; ++i) {
      T* row = C + static_cast<std::ptrdiff_t>(i) * ldc;
      for (int j = 0; j < N; ++j) row[j] = beta == T(0) ? T(0) : beta * row[j];
    }
    if (ep)
      for (int j0 = 0; j0 < N; j0 += ks.nr)
        apply_epilogue(ks, *ep, C, ldc, 0, M, j0, std::min(ks.nr, N - j0));
    return;
  }

  const int NR = ks.nr;
  if (N < kNarrowN && M >= kTransposeMinM && (K <= kKcMax<T> || beta == T(0))) {
    // Few columns, many rows (the output layer, N = 10: its forward product
    // and its weight gradient): NR-wide panels along N would be mostly
    // padding. Compute alpha·Cᵀ = alpha·op(B)ᵀ·op(A)ᵀ instead, whose panels
    // run along M, then add beta·C. Each element still gets one FMA chain over
    // k in order (the same K blocks), then alpha, then beta, then the
    // epilogue, the same for all elements of C. With several K blocks the
    // later blocks add onto alpha·acc of the earlier ones exactly as below, and
    // beta == 0 makes the last step a copy, so the bits are those of the
    // direct computation; with beta != 0 (c = alpha·acc + beta·c fused there,
    // t + beta·c here) only a single K block is taken this way, as before.
    T* t = pack_buffer<T, 1>(static_cast<std::size_t>(N) * M);
    gemm_driver<T>(ks, !tb, !ta, N, M, K, alpha, B, ldb, A, lda, T(0), t, M, pool, nullptr);
    if (ks.transpose && beta == T(0)) {
      ks.transpose(t, M, N, M, C, ldc);
    } else if (ks.transpose) {
      // The transposed copy into scratch first (fast), then the same c = t + beta·c.
      T* u = pack_buffer<T, 3>(static_cast<std::size_t>(M) * N);
      ks.transpose(t, M, N, M, u, N);
      for (int i = 0; i < M; ++i) {
        T* row = C + static_cast<std::ptrdiff_t>(i) * ldc;
        const T* ui = u + static_cast<std::ptrdiff_t>(i) * N;
        for (int j = 0; j < N; ++j) row[j] = ui[j] + beta * row[j];
      }
    } else {
      for (int i = 0; i < M; ++i) {
        T* row = C + static_cast<std::ptrdiff_t>(i) * ldc;
        if (beta == T(0)) {
          for (int j = 0; j < N; ++j) row[j] = t[static_cast<std::ptrdiff_t>(j) * M + i];
        } else {
          for (int j = 0; j < N; ++j) row[j] = t[static_cast<std::ptrdiff_t>(j) * M + i] + beta * row[j];
        }
      }
    }
    if (ep) apply_epilogue(ks, *ep, C, ldc, 0, M, 0, N);
    return;
  }
  const RowPanels rows(M, ks.mr_max);
  const int col_panels = (N + NR - 1) / NR;
  // The K blocks depend on K only, never on the thread or the tile.
  const int kblocks = (K + kKcMax<T> - 1) / kKcMax<T>;
  const int kc = (K + kblocks - 1) / kblocks;

  int threads = pool ? pool->size() : 1;
  const double flops = 2.0 * M * N * static_cast<double>(K);
  const double useful = std::max(1.0, flops / kMinFlopsPerThread);
  if (useful < threads) threads = static_cast<int>(useful);
  // Split the dimension with more panels; K is never split. A B that must be
  // packed (transposed, the error passed down dZ·Wᵀ) too large to pack once
  // for all threads is split by columns whenever each thread gets a few
  // panels: split by rows, every thread would pack all of it again.
  const bool bulky_packing =
      tb && static_cast<double>(K) * col_panels * NR * sizeof(T) > kRowOrderMaxB;
  const bool split_n =
      col_panels >= rows.count() || (bulky_packing && col_panels >= 4 * threads);
  threads = std::min(threads, split_n ? col_panels : rows.count());
  if (threads < 1) threads = 1;

  // Later K blocks accumulate onto the earlier ones: c = alpha·acc + 1·c.
  const T ab_first[2] = {alpha, beta};
  const T ab_rest[2] = {alpha, T(1)};

  // Panels are handed out in chunks from a shared counter: which thread
  // computes a panel never changes its result, and a worker that arrives late
  // (busy machine) just finds less left to do.
  // When N is split, the last column panel is cut by rows into one part per
  // thread (the last units): with whole panels only, an odd count (the MLP's
  // 400 columns are 25 panels) leaves one thread a whole panel (4% of the
  // call) behind the other at the end. Which thread computes a row never
  // changes its result.
  const int rcount = rows.count();
  const int last_parts = split_n && threads > 1 && rcount >= 2 * threads ? threads : 1;
  const int total = split_n ? col_panels - 1 + last_parts : rcount;
  std::atomic<int> next{0};
  // C walked row panel by row panel when M is split, there is a single K block
  // of a row-major B and all of B stays in L2 (the weight gradients Xᵀ·dZ:
  // K = batch size): each A panel is then read once, C streams row by row.
  const bool row_order = !tb && kblocks == 1 && !split_n &&
                         static_cast<double>(K) * N * sizeof(T) <= kRowOrderMaxB;
  // Packs the (jr, kb) panel of op(B) into out (kl×NR).
  auto pack_panel = [&](int j0, int nv, int k0, int kl, T* out) {
    if (tb && ks.pack_bt) {
      ks.pack_bt(B + static_cast<std::ptrdiff_t>(j0) * ldb + k0, ldb, kl, nv, out);
    } else {
      pack_b(tb, B, ldb, k0, kl, j0, nv, NR, out);
    }
  };
  // When M is split, every chunk walks every column panel, and would pack each
  // panel that needs packing again (the output layer X·W3, N = 10: up to ten
  // copies of W3 per call). Pack those panels once, here, into a buffer all
  // threads read: panel jr at jr·K·NR, its K block k0 at +k0·NR.
  const bool needs_packing = tb || (N % NR != 0 && !ks.edge_in_place);
  const T* prepacked = nullptr;
  if (!split_n && !row_order && threads > 1 && needs_packing &&
      static_cast<double>(K) * col_panels * NR * sizeof(T) <= kRowOrderMaxB) {
    T* pre = pack_buffer<T, 2>(static_cast<std::size_t>(K) * col_panels * NR);
    for (int jr = 0; jr < col_panels; ++jr) {
      const int j0 = jr * NR;
      const int nv = std::min(NR, N - j0);
      if (!tb && (nv == NR || ks.edge_in_place)) continue;  // read in place below
      for (int k0 = 0; k0 < K; k0 += kc)
        pack_panel(j0, nv, k0, std::min(kc, K - k0),
                   pre + (static_cast<std::ptrdiff_t>(jr) * K + k0) * NR);
    }
    prepacked = pre;
  }
  auto work = [&] {
    T* buf = pack_buffer<T>(static_cast<std::size_t>(kc) * NR);
    int b, e;
    while (claim_chunk(next, total, threads, &b, &e)) {
      const int jb = split_n ? std::min(b, col_panels - 1) : 0;
      const int je = split_n ? std::min(e, col_panels) : col_panels;
      const int ib = split_n ? 0 : b, ie = split_n ? rcount : e;
      if (row_order) {
        // One K block, B read in place: walk C row panel by row panel. The A
        // panel stays in L1 across all of B (small: K rows), and C is swept
        // row by row, which the hardware prefetcher follows. Only a right
        // edge panel of B needs packing, once per chunk.
        const int edge = N % NR != 0 && je == col_panels && !ks.edge_in_place ? col_panels - 1 : -1;
        if (edge >= 0) pack_b(false, B, ldb, 0, K, edge * NR, N - edge * NR, NR, buf);
        for (int ir = ib; ir < ie; ++ir) {
          int i0, mr;
          rows.at(ir, &i0, &mr);
          const T* ap = ta ? A + i0 : A + static_cast<std::ptrdiff_t>(i0) * lda;
          for (int jr = jb; jr < je; ++jr) {
            const int j0 = jr * NR;
            const int nv = std::min(NR, N - j0);
            const bool packed = jr == edge;
            T* cp = C + static_cast<std::ptrdiff_t>(i0) * ldc + j0;
            ks.kernel[ta ? 1 : 0][mr](K, ap, lda, packed ? buf : B + j0, packed ? NR : ldb, cp, ldc,
                                      nv, ab_first, beta == T(0));
            if (ep) apply_epilogue(ks, *ep, C, ldc, i0, mr, j0, nv);
          }
        }
        continue;
      }
      for (int u = split_n ? b : 0, ue = split_n ? e : col_panels; u < ue; ++u) {
        int jr = u, rb = ib, re = ie;
        if (split_n && u >= col_panels - 1) {
          // A part of the last panel: its share of the row panels.
          jr = col_panels - 1;
          const int part = u - jr;
          rb = part * rcount / last_parts;
          re = (part + 1) * rcount / last_parts;
        }
        const int j0 = jr * NR;
        const int nv = std::min(NR, N - j0);
        for (int kb = 0; kb < kblocks; ++kb) {
          const int k0 = kb * kc;
          const int kl = std::min(kc, K - k0);
          const T* bp;
          std::ptrdiff_t bs;
          if (!tb && (nv == NR || ks.edge_in_place)) {
            // A full panel of a row-major B is read in place: no copy (an
            // edge panel too, by kernels that load only its valid columns).
            bp = B + static_cast<std::ptrdiff_t>(k0) * ldb + j0;
            bs = ldb;
          } else if (prepacked) {
            bp = prepacked + (static_cast<std::ptrdiff_t>(jr) * K + k0) * NR;
            bs = NR;
          } else {
            pack_panel(j0, nv, k0, kl, buf);
            bp = buf;
            bs = NR;
          }
          const bool first = kb == 0;
          const bool last = kb == kblocks - 1;
          for (int ir = rb; ir < re; ++ir) {
            int i0, mr;
            rows.at(ir, &i0, &mr);
            const T* ap = ta ? A + static_cast<std::ptrdiff_t>(k0) * lda + i0
                             : A + static_cast<std::ptrdiff_t>(i0) * lda + k0;
            T* cp = C + static_cast<std::ptrdiff_t>(i0) * ldc + j0;
            ks.kernel[ta ? 1 : 0][mr](kl, ap, lda, bp, bs, cp, ldc, nv,
                                      first ? ab_first : ab_rest, first && beta == T(0));
            if (last && ep) apply_epilogue(ks, *ep, C, ldc, i0, mr, j0, nv);
          }
        }
      }
    }
  };
  if (pool && threads > 1) {
    pool->run(threads, work);
  } else {
    work();
  }
}

}  // namespace

template <typename T>
void gemm(bool transA, bool transB, int M, int N, int K, T alpha, const T* A, int lda, const T* B,
          int ldb, T beta, T* C, int ldc, ThreadPool* pool, const GemmEpilogue<T>* epilogue) {
  gemm_driver(select_kernels<T>(), transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc,
              pool, epilogue);
}

template <typename T>
void gemm_reference(bool transA, bool transB, int M, int N, int K, T alpha, const T* A, int lda,
                    const T* B, int ldb, T beta, T* C, int ldc) {
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < N; ++j) {
      double sum = 0;
      for (int k = 0; k < K; ++k) {
        const double a = transA ? A[static_cast<std::ptrdiff_t>(k) * lda + i]
                                : A[static_cast<std::ptrdiff_t>(i) * lda + k];
        const double b = transB ? B[static_cast<std::ptrdiff_t>(j) * ldb + k]
                                : B[static_cast<std::ptrdiff_t>(k) * ldb + j];
        sum += a * b;
      }
      T& c = C[static_cast<std::ptrdiff_t>(i) * ldc + j];
      const double prior = beta == T(0) ? 0.0 : static_cast<double>(beta) * c;
      c = static_cast<T>(static_cast<double>(alpha) * sum + prior);
    }
  }
}

template void gemm<float>(bool, bool, int, int, int, float, const float*, int, const float*, int,
                          float, float*, int, ThreadPool*, const GemmEpilogue<float>*);
template void gemm<double>(bool, bool, int, int, int, double, const double*, int, const double*,
                           int, double, double*, int, ThreadPool*, const GemmEpilogue<double>*);
template void gemm_reference<float>(bool, bool, int, int, int, float, const float*, int,
                                    const float*, int, float, float*, int);
template void gemm_reference<double>(bool, bool, int, int, int, double, const double*, int,
                                     const double*, int, double, double*, int);

const char* gemm_simd() {
  switch (active_level()) {
    case kAvx512:
      return "avx512";
    case kAvx2:
      return "avx2";
    default:
      return "generic";
  }
}

bool gemm_limit_simd(const char* level) {
  const int l = parse_level(level);
  if (l < 0) return false;
  simd_cap().store(l, std::memory_order_relaxed);
  return true;
}

}  // namespace hs
