#include "core/elementwise.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "core/parallel.h"
#include "core/thread_pool.h"

namespace hs {

namespace {

using std::int64_t;

// Elements per unit of the memory-bound loops: 256 KiB of output.
constexpr int64_t kGrain = 65536;

struct AddOp {
  float operator()(float a, float b) const { return a + b; }
};
struct SubOp {
  float operator()(float a, float b) const { return a - b; }
};
struct MulOp {
  float operator()(float a, float b) const { return a * b; }
};

// out[i] = a[i % al] op b[i % bl] over [i0, i1), for n = max(al, bl) and
// the other length 1 or a divisor of n (binary_op checked it).
template <class Op>
void binary_range(Op op, const float* a, int64_t al, const float* b, int64_t bl, float* out,
                  int64_t i0, int64_t i1) {
  if (al == bl) {
    if (al == 1) {  // two scalars broadcast to n
      const float v = op(a[0], b[0]);
      for (int64_t i = i0; i < i1; ++i) out[i] = v;
    } else {
      for (int64_t i = i0; i < i1; ++i) out[i] = op(a[i], b[i]);
    }
  } else if (bl == 1) {
    const float s = b[0];
    for (int64_t i = i0; i < i1; ++i) out[i] = op(a[i], s);
  } else if (al == 1) {
    const float s = a[0];
    for (int64_t i = i0; i < i1; ++i) out[i] = op(s, b[i]);
  } else if (bl < al) {
    // b repeats every bl elements (a is full).
    for (int64_t i = i0; i < i1;) {
      const int64_t j0 = i % bl;
      const int64_t len = std::min(bl - j0, i1 - i);
      const float* bj = b + j0;
      const float* ai = a + i;
      float* oi = out + i;
      for (int64_t k = 0; k < len; ++k) oi[k] = op(ai[k], bj[k]);
      i += len;
    }
  } else {
    // a repeats every al elements (b is full).
    for (int64_t i = i0; i < i1;) {
      const int64_t j0 = i % al;
      const int64_t len = std::min(al - j0, i1 - i);
      const float* aj = a + j0;
      const float* bi = b + i;
      float* oi = out + i;
      for (int64_t k = 0; k < len; ++k) oi[k] = op(aj[k], bi[k]);
      i += len;
    }
  }
}

template <class Op>
void binary_all(Op op, const float* a, int64_t al, const float* b, int64_t bl, float* out,
                int64_t n, ThreadPool* pool) {
  detail::parallel_for(pool, detail::pieces(n, kGrain), [&](int64_t p) {
    const int64_t i0 = p * kGrain;
    binary_range(op, a, al, b, bl, out, i0, std::min(n, i0 + kGrain));
  });
}

}  // namespace

void binary_op(BinaryOp op, const float* a, int64_t a_len, const float* b, int64_t b_len,
               float* out, int64_t n, ThreadPool* pool) {
  if (n <= 0) return;
  if (a_len < 1 || n % a_len != 0 || b_len < 1 || n % b_len != 0)
    throw std::invalid_argument("binary_op: operand lengths " + std::to_string(a_len) + " and " +
                                std::to_string(b_len) + " must divide the output length " +
                                std::to_string(n));
  // The loops handle one full operand with any other, or two scalars.
  if (a_len != n && b_len != n && !(a_len == 1 && b_len == 1))
    throw std::invalid_argument("binary_op: one operand must have the output length " +
                                std::to_string(n) + ", or both must be scalars");
  switch (op) {
    case BinaryOp::Add: binary_all(AddOp{}, a, a_len, b, b_len, out, n, pool); break;
    case BinaryOp::Sub: binary_all(SubOp{}, a, a_len, b, b_len, out, n, pool); break;
    case BinaryOp::Mul: binary_all(MulOp{}, a, a_len, b, b_len, out, n, pool); break;
  }
}

void relu(const float* x, float* y, int64_t n, ThreadPool* pool) {
  detail::parallel_for(pool, detail::pieces(n, kGrain), [&](int64_t p) {
    const int64_t i1 = std::min(n, (p + 1) * kGrain);
    for (int64_t i = p * kGrain; i < i1; ++i) {
      const float v = x[i];
      const float r = v > 0.0f ? v : 0.0f;
      y[i] = v != v ? v : r;
    }
  });
}

void step(const float* x, float alpha, float* y, int64_t n, ThreadPool* pool) {
  detail::parallel_for(pool, detail::pieces(n, kGrain), [&](int64_t p) {
    const int64_t i1 = std::min(n, (p + 1) * kGrain);
    for (int64_t i = p * kGrain; i < i1; ++i) {
      const float v = x[i];
      const float r = v > 0.0f ? 1.0f : alpha;
      y[i] = v != v ? v : r;
    }
  });
}

void reduce_sum(const float* x, float* y, int64_t outer, int64_t reduce, int64_t inner,
                ThreadPool* pool) {
  if (outer <= 0 || inner <= 0) return;
  if (inner == 1) {
    // Contiguous sums, several rows per unit.
    const int64_t rows_per = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, reduce));
    detail::parallel_for(pool, detail::pieces(outer, rows_per), [&](int64_t p) {
      const int64_t o1 = std::min(outer, (p + 1) * rows_per);
      for (int64_t o = p * rows_per; o < o1; ++o) {
        const float* xo = x + o * reduce;
        double s = 0;
        for (int64_t r = 0; r < reduce; ++r) s += xo[r];
        y[o] = static_cast<float>(s);
      }
    });
    return;
  }
  // Column sums: a unit is one outer index and a block of columns, each
  // column summed down the reduced rows in order by one thread — so the
  // block width may follow the thread count without changing any result.
  // Blocks are wide (whole cache lines, one per thread at most): narrow ones
  // would make each thread stream the whole tensor for a few lines per row.
  const int threads = pool ? pool->size() : 1;
  int64_t width = (inner + threads - 1) / threads;
  width = std::min(inner, std::max<int64_t>(64, (width + 15) / 16 * 16));
  const int64_t blocks = (inner + width - 1) / width;
  detail::parallel_for(pool, outer * blocks, [&](int64_t u) {
    const int64_t o = u / blocks, i0 = (u % blocks) * width;
    const int64_t w = std::min(width, inner - i0);
    double* acc = detail::scratch<double, 1>(static_cast<std::size_t>(w));
    for (int64_t i = 0; i < w; ++i) acc[i] = 0.0;
    const float* xo = x + o * reduce * inner + i0;
    for (int64_t r = 0; r < reduce; ++r) {
      const float* row = xo + r * inner;
      for (int64_t i = 0; i < w; ++i) acc[i] += row[i];
    }
    float* yo = y + o * inner + i0;
    for (int64_t i = 0; i < w; ++i) yo[i] = static_cast<float>(acc[i]);
  });
}

bool gather(const float* x, int64_t outer, int64_t dim, int64_t slice, const std::int32_t* indices,
            int64_t count, float* out, ThreadPool* pool) {
  for (int64_t i = 0; i < count; ++i)
    if (indices[i] < 0 || indices[i] >= dim) return false;
  const int64_t rows = outer * count;
  const int64_t rows_per = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, slice));
  detail::parallel_for(pool, detail::pieces(rows, rows_per), [&](int64_t p) {
    const int64_t r1 = std::min(rows, (p + 1) * rows_per);
    for (int64_t r = p * rows_per; r < r1; ++r) {
      const int64_t o = r / count, i = r % count;
      std::memcpy(out + r * slice, x + (o * dim + indices[i]) * slice, sizeof(float) * slice);
    }
  });
  return true;
}

}  // namespace hs
