// CPU twins of the CUDA tfjs ops: see tfjs_ref.h.
#include "core/tfjs_ref.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace hs::tfjs_ref {

float unary(UnaryOp op, float xf, float alpha, float beta) {
  const double x = xf;
  switch (op) {
    case UnaryOp::Identity: return xf;
    case UnaryOp::Neg: return -xf;
    case UnaryOp::Abs: return std::fabs(xf);
    case UnaryOp::Exp: return static_cast<float>(std::exp(x));
    case UnaryOp::Log: return static_cast<float>(std::log(x));
    case UnaryOp::Log1p: return static_cast<float>(std::log1p(x));
    case UnaryOp::Sqrt: return static_cast<float>(std::sqrt(x));
    case UnaryOp::Rsqrt: return static_cast<float>(1.0 / std::sqrt(x));
    case UnaryOp::Square: return static_cast<float>(x * x);
    case UnaryOp::Reciprocal: return static_cast<float>(1.0 / x);
    case UnaryOp::Sigmoid: return static_cast<float>(1.0 / (1.0 + std::exp(-x)));
    case UnaryOp::Tanh: return static_cast<float>(std::tanh(x));
    case UnaryOp::Relu: return std::isnan(xf) ? xf : (xf > 0 ? xf : 0.0f);
    case UnaryOp::Relu6: return std::isnan(xf) ? xf : std::min(std::max(xf, 0.0f), 6.0f);
    case UnaryOp::LeakyRelu: return xf < 0 ? static_cast<float>(alpha * x) : xf;
    case UnaryOp::Elu: return xf >= 0 ? xf : static_cast<float>(std::exp(x) - 1.0);
    case UnaryOp::Step: return std::isnan(xf) ? xf : (xf > 0 ? 1.0f : alpha);
    case UnaryOp::ClipByValue: return xf > beta ? beta : (xf < alpha ? alpha : xf);
    case UnaryOp::Sign: return std::isnan(xf) ? xf : (xf > 0 ? 1.0f : (xf < 0 ? -1.0f : 0.0f));
    case UnaryOp::Floor: return std::floor(xf);
    case UnaryOp::Ceil: return std::ceil(xf);
    case UnaryOp::Round: return std::nearbyint(xf);
    case UnaryOp::Softplus: {
      const double threshold = std::log(1.1920928955078125e-7) + 2.0;
      if (x > -threshold) return xf;
      if (x < threshold) return static_cast<float>(std::exp(x));
      return static_cast<float>(std::log(1.0 + std::exp(x)));
    }
  }
  throw std::invalid_argument("tfjs_ref::unary: unknown op");
}

float binary(BinaryOp op, float af, float bf) {
  const double a = af, b = bf;
  switch (op) {
    case BinaryOp::Add: return static_cast<float>(a + b);
    case BinaryOp::Sub: return static_cast<float>(a - b);
    case BinaryOp::Mul: return static_cast<float>(a * b);
    case BinaryOp::Div: return static_cast<float>(a / b);
    case BinaryOp::Maximum: return (std::isnan(af) || std::isnan(bf)) ? NAN : std::max(af, bf);
    case BinaryOp::Minimum: return (std::isnan(af) || std::isnan(bf)) ? NAN : std::min(af, bf);
    case BinaryOp::Pow: return static_cast<float>(std::pow(a, b));
    case BinaryOp::SquaredDifference: return static_cast<float>((a - b) * (a - b));
  }
  throw std::invalid_argument("tfjs_ref::binary: unknown op");
}

bool compare(CompareOp op, double a, double b) {
  switch (op) {
    case CompareOp::Equal: return a == b;
    case CompareOp::NotEqual: return a != b;
    case CompareOp::Greater: return a > b;
    case CompareOp::GreaterEqual: return a >= b;
    case CompareOp::Less: return a < b;
    case CompareOp::LessEqual: return a <= b;
  }
  throw std::invalid_argument("tfjs_ref::compare: unknown op");
}

Shape broadcast_shape(const Shape& a, const Shape& b) {
  Shape out;
  out.rank = std::max(a.rank, b.rank);
  for (int i = 0; i < out.rank; ++i) {
    const int ia = i - (out.rank - a.rank), ib = i - (out.rank - b.rank);
    const int64_t da = ia >= 0 ? a.dims[ia] : 1, db = ib >= 0 ? b.dims[ib] : 1;
    if (da != db && da != 1 && db != 1) throw std::invalid_argument("tfjs_ref::broadcast_shape: incompatible");
    out.dims[i] = da == 1 ? db : da;
  }
  return out;
}

int64_t broadcast_index(const Shape& out, const Shape& s, int64_t i) {
  // Coordinates of i in `out`, then the same coordinates (1-sized axes at 0) in s.
  int64_t coord[hs::tfjs::kMaxRank] = {};
  for (int d = out.rank - 1; d >= 0; --d) {
    coord[d] = i % out.dims[d];
    i /= out.dims[d];
  }
  int64_t idx = 0;
  for (int d = 0; d < s.rank; ++d) {
    const int od = d + (out.rank - s.rank);
    const int64_t c = s.dims[d] == 1 ? 0 : coord[od];
    idx = idx * s.dims[d] + c;
  }
  return idx;
}

void binary_op(BinaryOp op, const float* a, const Shape& sa, const float* b, const Shape& sb, float* out) {
  const Shape so = broadcast_shape(sa, sb);
  for (int64_t i = 0; i < so.size(); ++i)
    out[i] = binary(op, a[broadcast_index(so, sa, i)], b[broadcast_index(so, sb, i)]);
}

void compare_op(CompareOp op, const float* a, const Shape& sa, const float* b, const Shape& sb, uint8_t* out) {
  const Shape so = broadcast_shape(sa, sb);
  for (int64_t i = 0; i < so.size(); ++i)
    out[i] = compare(op, a[broadcast_index(so, sa, i)], b[broadcast_index(so, sb, i)]) ? 1 : 0;
}

void select_op(const uint8_t* cond, const Shape& sc, const float* a, const Shape& sa, const float* b,
               const Shape& sb, float* out) {
  const Shape so = broadcast_shape(broadcast_shape(sc, sa), sb);
  for (int64_t i = 0; i < so.size(); ++i)
    out[i] = cond[broadcast_index(so, sc, i)] ? a[broadcast_index(so, sa, i)] : b[broadcast_index(so, sb, i)];
}

int32_t to_int32(float v) {
  if (!std::isfinite(v)) return 0;
  double t = std::fmod(std::trunc(static_cast<double>(v)), 4294967296.0);
  if (t < 0) t += 4294967296.0;
  return static_cast<int32_t>(static_cast<uint32_t>(t));
}

void slice(const float* in, const Shape& s, const int64_t* begin, const int64_t* size, float* out) {
  Shape os;
  os.rank = s.rank;
  for (int d = 0; d < s.rank; ++d) os.dims[d] = size[d];
  for (int64_t i = 0; i < os.size(); ++i) {
    int64_t rest = i, coord[hs::tfjs::kMaxRank] = {};
    for (int d = s.rank - 1; d >= 0; --d) {
      coord[d] = rest % size[d] + begin[d];
      rest /= size[d];
    }
    int64_t idx = 0;
    for (int d = 0; d < s.rank; ++d) idx = idx * s.dims[d] + coord[d];
    out[i] = in[idx];
  }
}

void transpose(const float* in, const Shape& s, const int* perm, float* out) {
  const int64_t n = s.size();
  for (int64_t src = 0; src < n; ++src) {
    int64_t rest = src, coord[hs::tfjs::kMaxRank] = {};
    for (int d = s.rank - 1; d >= 0; --d) {
      coord[d] = rest % s.dims[d];
      rest /= s.dims[d];
    }
    int64_t dst = 0;
    for (int d = 0; d < s.rank; ++d) dst = dst * s.dims[perm[d]] + coord[perm[d]];
    out[dst] = in[src];
  }
}

void reduce(ReduceOp op, const float* x, float* y, int64_t outer, int64_t reduce, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const float* base = x + o * reduce * inner + i;
      double acc = 0;
      float best = op == ReduceOp::Max ? -INFINITY : INFINITY;
      int64_t nonzero = 0;
      if (op == ReduceOp::Prod) acc = 1;
      for (int64_t r = 0; r < reduce; ++r) {
        const float v = base[r * inner];
        if (op == ReduceOp::Prod) acc *= v;
        else if (op == ReduceOp::Mean) acc += v / static_cast<float>(reduce);  // tfjs: div, then sum
        else acc += v;
        if (op == ReduceOp::Max && (v > best || std::isnan(v)) && !std::isnan(best)) best = v;
        if (op == ReduceOp::Min && (v < best || std::isnan(v)) && !std::isnan(best)) best = v;
        if (v != 0) ++nonzero;
      }
      float out = 0;
      switch (op) {
        case ReduceOp::Sum: case ReduceOp::Prod: out = static_cast<float>(acc); break;
        case ReduceOp::Mean: out = reduce == 0 ? NAN : static_cast<float>(acc); break;
        case ReduceOp::Max: case ReduceOp::Min: out = best; break;
        case ReduceOp::Any: out = nonzero > 0 ? 1.0f : 0.0f; break;
        case ReduceOp::All: out = nonzero == reduce ? 1.0f : 0.0f; break;
      }
      y[o * inner + i] = out;
    }
}

void arg_reduce(bool is_max, const float* x, int32_t* y, int64_t outer, int64_t reduce, int64_t inner) {
  // tfjs's cpu loop: start from element 0, take strictly better values.
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const float* base = x + o * reduce * inner + i;
      float best = base[0];
      int32_t at = 0;
      for (int64_t r = 1; r < reduce; ++r) {
        const float v = base[r * inner];
        if (is_max ? v > best : v < best) {
          best = v;
          at = static_cast<int32_t>(r);
        }
      }
      y[o * inner + i] = at;
    }
}

void softmax(const float* x, float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    float mx = xr[0];
    for (int64_t c = 1; c < cols; ++c)
      if (xr[c] > mx || std::isnan(xr[c])) mx = xr[c];
    double sum = 0;
    for (int64_t c = 0; c < cols; ++c) {
      yr[c] = static_cast<float>(std::exp(static_cast<double>(xr[c] - mx)));
      sum += yr[c];
    }
    const float s = static_cast<float>(sum);
    for (int64_t c = 0; c < cols; ++c) yr[c] = yr[c] / s;
  }
}

float activate(Activation act, float v, float leaky_alpha) {
  switch (act) {
    case Activation::Linear: return v;
    case Activation::Relu: return unary(UnaryOp::Relu, v, 0, 0);
    case Activation::Relu6: return unary(UnaryOp::Relu6, v, 0, 0);
    case Activation::Elu: return unary(UnaryOp::Elu, v, 0, 0);
    case Activation::LeakyRelu: return unary(UnaryOp::LeakyRelu, v, leaky_alpha, 0);
    case Activation::Sigmoid: return unary(UnaryOp::Sigmoid, v, 0, 0);
  }
  throw std::invalid_argument("tfjs_ref::activate: unknown activation");
}

void batch_matmul(const float* a, const float* b, float* out, const MatMulParams& p, const float* bias,
                  Activation act, float leaky_alpha) {
  const int batch = std::max(p.batch_a, p.batch_b);
  for (int i = 0; i < batch; ++i) {
    const float* A = a + (p.batch_a == 1 ? 0 : static_cast<int64_t>(i) * p.M * p.K);
    const float* B = b + (p.batch_b == 1 ? 0 : static_cast<int64_t>(i) * p.K * p.N);
    float* C = out + static_cast<int64_t>(i) * p.M * p.N;
    for (int m = 0; m < p.M; ++m)
      for (int n = 0; n < p.N; ++n) {
        double s = 0;
        for (int k = 0; k < p.K; ++k) {
          const double av = p.trans_a ? A[static_cast<int64_t>(k) * p.M + m] : A[static_cast<int64_t>(m) * p.K + k];
          const double bv = p.trans_b ? B[static_cast<int64_t>(n) * p.K + k] : B[static_cast<int64_t>(k) * p.N + n];
          s += av * bv;
        }
        float v = static_cast<float>(s);
        if (bias) v = v + bias[n];
        C[static_cast<int64_t>(m) * p.N + n] = activate(act, v, leaky_alpha);
      }
  }
}

namespace {
// The input pixel (ih, iw) tap (fh, fw) of output (oh, ow) reads, or false when it is padding.
bool tap(const Conv2DParams& p, int oh, int ow, int fh, int fw, int& ih, int& iw) {
  ih = oh * p.stride_h - p.pad_top + fh * p.dilation_h;
  iw = ow * p.stride_w - p.pad_left + fw * p.dilation_w;
  return ih >= 0 && ih < p.in_h && iw >= 0 && iw < p.in_w;
}
int64_t xi(const Conv2DParams& p, int b, int h, int w, int c) {
  return ((static_cast<int64_t>(b) * p.in_h + h) * p.in_w + w) * p.in_c + c;
}
int64_t yi(const Conv2DParams& p, int b, int h, int w, int c) {
  return ((static_cast<int64_t>(b) * p.out_h + h) * p.out_w + w) * p.out_c + c;
}
int64_t fi(const Conv2DParams& p, int fh, int fw, int ci, int co) {
  return ((static_cast<int64_t>(fh) * p.filter_w + fw) * p.in_c + ci) * p.out_c + co;
}
}  // namespace

void conv2d(const float* x, const float* filter, float* y, const Conv2DParams& p, const float* bias, Activation act,
            float leaky_alpha) {
  for (int b = 0; b < p.batch; ++b)
    for (int oh = 0; oh < p.out_h; ++oh)
      for (int ow = 0; ow < p.out_w; ++ow)
        for (int co = 0; co < p.out_c; ++co) {
          double s = 0;
          for (int fh = 0; fh < p.filter_h; ++fh)
            for (int fw = 0; fw < p.filter_w; ++fw) {
              int ih, iw;
              if (!tap(p, oh, ow, fh, fw, ih, iw)) continue;
              for (int ci = 0; ci < p.in_c; ++ci)
                s += static_cast<double>(x[xi(p, b, ih, iw, ci)]) * filter[fi(p, fh, fw, ci, co)];
            }
          float v = static_cast<float>(s);
          if (bias) v = v + bias[co];
          y[yi(p, b, oh, ow, co)] = activate(act, v, leaky_alpha);
        }
}

void conv2d_backprop_input(const float* dy, const float* filter, float* dx, const Conv2DParams& p) {
  std::vector<double> acc(static_cast<size_t>(p.batch) * p.in_h * p.in_w * p.in_c, 0.0);
  for (int b = 0; b < p.batch; ++b)
    for (int oh = 0; oh < p.out_h; ++oh)
      for (int ow = 0; ow < p.out_w; ++ow)
        for (int fh = 0; fh < p.filter_h; ++fh)
          for (int fw = 0; fw < p.filter_w; ++fw) {
            int ih, iw;
            if (!tap(p, oh, ow, fh, fw, ih, iw)) continue;
            for (int ci = 0; ci < p.in_c; ++ci)
              for (int co = 0; co < p.out_c; ++co)
                acc[xi(p, b, ih, iw, ci)] += static_cast<double>(dy[yi(p, b, oh, ow, co)]) * filter[fi(p, fh, fw, ci, co)];
          }
  for (size_t i = 0; i < acc.size(); ++i) dx[i] = static_cast<float>(acc[i]);
}

void conv2d_backprop_filter(const float* x, const float* dy, float* dfilter, const Conv2DParams& p) {
  for (int fh = 0; fh < p.filter_h; ++fh)
    for (int fw = 0; fw < p.filter_w; ++fw)
      for (int ci = 0; ci < p.in_c; ++ci)
        for (int co = 0; co < p.out_c; ++co) {
          double s = 0;
          for (int b = 0; b < p.batch; ++b)
            for (int oh = 0; oh < p.out_h; ++oh)
              for (int ow = 0; ow < p.out_w; ++ow) {
                int ih, iw;
                if (!tap(p, oh, ow, fh, fw, ih, iw)) continue;
                s += static_cast<double>(x[xi(p, b, ih, iw, ci)]) * dy[yi(p, b, oh, ow, co)];
              }
          dfilter[fi(p, fh, fw, ci, co)] = static_cast<float>(s);
        }
}

}  // namespace hs::tfjs_ref
