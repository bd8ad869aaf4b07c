// The checks of the CUDA tfjs ops (native/cuda/tfjs_ops.h), written once and
// included by test_cuda_tfjs.cpp inside a namespace that first defines
// `namespace T = <ns>::tfjs;` and `const char* kBackend`: once for the host
// emulator's copy, once for the real GPU when there is one. Every op against
// its CPU twin (native/core/tfjs_ref.h, core/conv.h, core/pool.h) on random
// shapes, with the tolerance stated at each check; finite differences for the
// conv backprops; bit-identical reruns for the reductions and backprops; the
// caching allocator; parameter errors. No include guard on purpose.

// ---------------------------------------------------------------------------
// Device buffers and comparison helpers
// ---------------------------------------------------------------------------

T::Stream g_stream = nullptr;

struct Buf {
  void* p = nullptr;
  size_t bytes = 0;
  explicit Buf(size_t b) : p(T::device_alloc(b)), bytes(b) {}
  ~Buf() { T::device_free(p); }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
  float* f() const { return static_cast<float*>(p); }
  int32_t* i() const { return static_cast<int32_t*>(p); }
  uint8_t* u() const { return static_cast<uint8_t*>(p); }
};

template <typename V>
std::unique_ptr<Buf> up(const std::vector<V>& v) {
  auto b = std::make_unique<Buf>(v.size() * sizeof(V));
  T::upload(g_stream, b->p, v.data(), v.size() * sizeof(V));
  return b;
}
template <typename V>
std::unique_ptr<Buf> out(size_t n) {
  return std::make_unique<Buf>(n * sizeof(V));
}
template <typename V>
std::vector<V> down(const Buf& b, size_t n) {
  std::vector<V> v(n);
  T::synchronize(g_stream);
  T::download(g_stream, v.data(), b.p, n * sizeof(V));
  return v;
}

bool same_float(float a, float b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

// Largest |got - want| / (abs_tol + rel_tol * |want|) over the arrays (NaN must match NaN, inf inf); <= 1 passes.
double worst(const std::vector<float>& got, const std::vector<float>& want, double rel_tol, double abs_tol,
             size_t* at = nullptr) {
  double w = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    double e;
    if (std::isnan(want[i]) || std::isnan(got[i]) || std::isinf(want[i]) || std::isinf(got[i]))
      e = same_float(got[i], want[i]) ? 0 : 1e9;
    else
      e = std::fabs(double(got[i]) - want[i]) / (abs_tol + rel_tol * std::fabs(double(want[i])));
    if (e > w) {
      w = e;
      if (at) *at = i;
    }
  }
  return w;
}

#define CHECK_CLOSE(got, want, rel, abs_, ...)                                                              \
  do {                                                                                                       \
    size_t at_ = 0;                                                                                          \
    const double w_ = worst(got, want, rel, abs_, &at_);                                                     \
    HS_CHECK(w_ <= 1.0, "[%s] %s: worst error %.3g x tolerance at %zu (got %.9g want %.9g)", kBackend,      \
             desc(__VA_ARGS__).c_str(), w_, at_, double((got)[at_]), double((want)[at_]));                  \
  } while (0)

std::string desc(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

std::mt19937 g_rng(12345);
std::vector<float> randu(size_t n, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g_rng);
  return v;
}
int randi(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g_rng); }

T::Shape shape(std::initializer_list<int64_t> dims) {
  T::Shape s;
  s.rank = static_cast<int>(dims.size());
  int i = 0;
  for (int64_t d : dims) s.dims[i++] = d;
  return s;
}
std::string str(const T::Shape& s) {
  std::string r = "[";
  for (int i = 0; i < s.rank; ++i) r += (i ? "," : "") + std::to_string(s.dims[i]);
  return r + "]";
}

template <typename F>
bool throws_invalid(F f) {
  try {
    f();
  } catch (const std::invalid_argument&) {
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Element-wise
// ---------------------------------------------------------------------------

void check_fill_cast() {
  const int64_t n = 1031;
  auto bf = out<float>(n);
  auto bi = out<int32_t>(n);
  auto bb = out<uint8_t>(n);
  T::fill(g_stream, bf->p, T::DType::Float32, n, 1.5);
  T::fill(g_stream, bi->p, T::DType::Int32, n, -7);
  T::fill(g_stream, bb->p, T::DType::Bool, n, 2);
  const auto f = down<float>(*bf, n);
  const auto i = down<int32_t>(*bi, n);
  const auto b = down<uint8_t>(*bb, n);
  bool ok = true;
  for (int64_t k = 0; k < n; ++k) ok = ok && f[k] == 1.5f && i[k] == -7 && b[k] == 1;
  HS_CHECK(ok, "[%s] fill", kBackend);
  T::fill(g_stream, nullptr, T::DType::Float32, 0, 1.0);  // zero elements: nothing enqueued

  std::vector<float> xf = {0.0f, -0.0f, 1.9f, -1.9f, 2.5f, NAN, INFINITY, -INFINITY, 3e9f, -3e9f, 1e20f, 0.49f};
  const auto vf = randu(500, -1000, 1000);
  xf.insert(xf.end(), vf.begin(), vf.end());
  const int64_t m = static_cast<int64_t>(xf.size());
  auto dx = up(xf);
  auto to_i = out<int32_t>(m);
  auto to_b = out<uint8_t>(m);
  T::cast(g_stream, dx->p, T::DType::Float32, to_i->p, T::DType::Int32, m);
  T::cast(g_stream, dx->p, T::DType::Float32, to_b->p, T::DType::Bool, m);
  const auto gi = down<int32_t>(*to_i, m);
  const auto gb = down<uint8_t>(*to_b, m);
  bool ci = true, cb = true;
  for (int64_t k = 0; k < m; ++k) {
    ci = ci && gi[k] == hs::tfjs_ref::to_int32(xf[k]);
    cb = cb && gb[k] == ((xf[k] != 0.0f) ? 1 : 0);
  }
  HS_CHECK(ci, "[%s] cast float32 -> int32 (ToInt32: truncation, NaN/inf 0, wrap)", kBackend);
  HS_CHECK(cb, "[%s] cast float32 -> bool (NaN true)", kBackend);
  std::vector<int32_t> xi = {0, 1, -1, 2147483647, -2147483647 - 1, 16777217, 5};
  auto di = up(xi);
  auto i_f = out<float>(xi.size());
  auto i_b = out<uint8_t>(xi.size());
  T::cast(g_stream, di->p, T::DType::Int32, i_f->p, T::DType::Float32, xi.size());
  T::cast(g_stream, di->p, T::DType::Int32, i_b->p, T::DType::Bool, xi.size());
  const auto gif = down<float>(*i_f, xi.size());
  const auto gib = down<uint8_t>(*i_b, xi.size());
  bool c2 = true;
  for (size_t k = 0; k < xi.size(); ++k) c2 = c2 && gif[k] == static_cast<float>(xi[k]) && gib[k] == (xi[k] != 0);
  HS_CHECK(c2, "[%s] cast int32 -> float32 / bool", kBackend);
  std::vector<uint8_t> xb = {0, 1, 1, 0, 1};
  auto dbb = up(xb);
  auto b_f = out<float>(xb.size());
  auto b_i = out<int32_t>(xb.size());
  auto b_b = out<uint8_t>(xb.size());
  T::cast(g_stream, dbb->p, T::DType::Bool, b_f->p, T::DType::Float32, xb.size());
  T::cast(g_stream, dbb->p, T::DType::Bool, b_i->p, T::DType::Int32, xb.size());
  T::cast(g_stream, dbb->p, T::DType::Bool, b_b->p, T::DType::Bool, xb.size());
  const auto gbf = down<float>(*b_f, xb.size());
  const auto gbi = down<int32_t>(*b_i, xb.size());
  const auto gbb = down<uint8_t>(*b_b, xb.size());
  bool c3 = true;
  for (size_t k = 0; k < xb.size(); ++k) c3 = c3 && gbf[k] == xb[k] && gbi[k] == xb[k] && gbb[k] == xb[k];
  HS_CHECK(c3, "[%s] cast bool -> float32 / int32 / bool", kBackend);
}

void check_unary() {
  std::vector<float> x = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, -0.5f, 1.5f, 2.5f, -2.5f, 7.0f, -7.0f, 30.0f, -30.0f,
                          NAN, INFINITY, -INFINITY, 1e-7f, 0.9999999f, 6.0f, 88.0f, -104.0f};
  const auto r = randu(300, -5, 5);
  x.insert(x.end(), r.begin(), r.end());
  const int64_t n = static_cast<int64_t>(x.size());
  auto dx = up(x);
  auto dy = out<float>(n);
  using U = T::UnaryOp;
  struct Case {
    U op;
    const char* name;
    float alpha, beta;
    // Exact ops: 0 (bit-equal up to the sign of zero). Library functions: CUDA's
    // documented bounds (expf 2 ulp, logf/log1pf/expm1f 1 ulp, tanhf 2 ulp; Sigmoid
    // and Softplus add two roundings) plus the reference's own rounding; 1 ulp = 1.19e-7.
    double rel;
  };
  const Case cases[] = {
      {U::Identity, "Identity", 0, 0, 0},   {U::Neg, "Neg", 0, 0, 0},
      {U::Abs, "Abs", 0, 0, 0},             {U::Exp, "Exp", 0, 0, 4e-7},
      {U::Log, "Log", 0, 0, 4e-7},          {U::Log1p, "Log1p", 0, 0, 4e-7},
      {U::Sqrt, "Sqrt", 0, 0, 0},           {U::Rsqrt, "Rsqrt", 0, 0, 2.5e-7},
      {U::Square, "Square", 0, 0, 0},       {U::Reciprocal, "Reciprocal", 0, 0, 0},
      {U::Sigmoid, "Sigmoid", 0, 0, 8e-7},  {U::Tanh, "Tanh", 0, 0, 6e-7},
      {U::Relu, "Relu", 0, 0, 0},           {U::Relu6, "Relu6", 0, 0, 0},
      {U::LeakyRelu, "LeakyRelu", 0.2f, 0, 0}, {U::Elu, "Elu", 0, 0, 6e-7},
      {U::Step, "Step(0)", 0, 0, 0},        {U::Step, "Step(-1)", -1, 0, 0},
      {U::ClipByValue, "ClipByValue", 1e-7f, 1 - 1e-7f, 0}, {U::Sign, "Sign", 0, 0, 0},
      {U::Floor, "Floor", 0, 0, 0},         {U::Ceil, "Ceil", 0, 0, 0},
      {U::Round, "Round", 0, 0, 0},         {U::Softplus, "Softplus", 0, 0, 8e-7},
  };
  for (const Case& c : cases) {
    T::unary(g_stream, c.op, dx->f(), dy->f(), n, c.alpha, c.beta);
    const auto got = down<float>(*dy, n);
    std::vector<float> want(n);
    for (int64_t k = 0; k < n; ++k) want[k] = hs::tfjs_ref::unary(c.op, x[k], c.alpha, c.beta);
    // Sigmoid/Elu/Exp of tiny values: an absolute floor of a few ulps of 1e-38 scale values.
    CHECK_CLOSE(got, want, c.rel, 1e-37, "unary %s", c.name);
  }
  // In place (the fused activations run so).
  T::unary(g_stream, U::Relu, dx->f(), dx->f(), n, 0, 0);
  const auto inplace = down<float>(*dx, n);
  std::vector<float> want(n);
  for (int64_t k = 0; k < n; ++k) want[k] = hs::tfjs_ref::unary(U::Relu, x[k], 0, 0);
  CHECK_CLOSE(inplace, want, 0, 0, "unary Relu in place");
  HS_CHECK(throws_invalid([&] { T::unary(g_stream, static_cast<U>(99), dx->f(), dy->f(), n, 0, 0); }),
           "[%s] unknown unary op throws", kBackend);
}

void check_broadcast_struct() {
  const auto bc = T::make_broadcast(shape({2, 1, 4}), shape({3, 1}));
  HS_CHECK(bc.rank == 3 && bc.shape[0] == 2 && bc.shape[1] == 3 && bc.shape[2] == 4 && bc.size == 24 && !bc.all_same,
           "[%s] make_broadcast [2,1,4] x [3,1]", kBackend);
  HS_CHECK(bc.strides[0][1] == 0 && bc.strides[0][2] == 1 && bc.strides[1][0] == 0 && bc.strides[1][1] == 1 &&
               bc.strides[1][2] == 0,
           "[%s] make_broadcast strides", kBackend);
  const auto s = T::make_broadcast(shape({}), shape({}));
  HS_CHECK(s.size == 1 && s.rank == 1, "[%s] make_broadcast of two scalars", kBackend);
  HS_CHECK(T::make_broadcast(shape({5, 3}), shape({5, 3})).all_same, "[%s] same shapes: all_same", kBackend);
  HS_CHECK(throws_invalid([] { T::make_broadcast(shape({2, 3}), shape({4})); }), "[%s] [2,3] x [4] throws", kBackend);
  T::Shape rank7;
  rank7.rank = 7;  // dims beyond kMaxRank are never read: the rank is checked first
  HS_CHECK(throws_invalid([&] { T::make_broadcast(rank7, shape({1})); }), "[%s] rank 7 throws", kBackend);
  HS_CHECK(T::make_broadcast(shape({0, 3}), shape({1, 3})).size == 0, "[%s] zero-size axis", kBackend);
}

// Shape pairs: the nets' (bias over channels, scalars, [2,10]/[2,1]) and odd ones.
std::vector<std::pair<T::Shape, T::Shape>> binary_shapes() {
  return {
      {shape({2, 5, 5, 32}), shape({32})}, {shape({2, 10}), shape({2, 1})}, {shape({}), shape({3, 3, 1, 7})},
      {shape({3, 3, 2, 7}), shape({})},    {shape({}), shape({})},           {shape({1, 1}), shape({13, 10})},
      {shape({1}), shape({})},             {shape({37}), shape({37})},       {shape({2, 1, 4}), shape({3, 1})},
      {shape({6, 1, 5, 1, 2, 1}), shape({4, 5, 3, 2, 1})}, {shape({1, 1, 1, 1}), shape({3, 3, 4, 4})},
      {shape({0, 3}), shape({3})},         {shape({2, 3, 4, 5}), shape({3, 1, 5})},
      {shape({4, 1, 6}), shape({4, 5, 6})}, {shape({3, 4, 1}), shape({1})},
  };
}

void check_binary() {
  using B = T::BinaryOp;
  const std::pair<B, const char*> ops[] = {{B::Add, "Add"},         {B::Sub, "Sub"},         {B::Mul, "Mul"},
                                           {B::Div, "Div"},         {B::Maximum, "Maximum"}, {B::Minimum, "Minimum"},
                                           {B::Pow, "Pow"},         {B::SquaredDifference, "SquaredDifference"}};
  for (const auto& [sa, sb] : binary_shapes()) {
    auto a = randu(sa.size(), 0.1f, 3.0f), b = randu(sb.size(), -2.0f, 2.0f);
    if (!a.empty()) a[0] = NAN;  // NaN propagates through every op
    const auto bc = T::make_broadcast(sa, sb);
    auto da = up(a), db = up(b);
    auto dout = out<float>(bc.size);
    for (const auto& [op, name] : ops) {
      T::binary(g_stream, op, da->f(), db->f(), dout->f(), bc);
      const auto got = down<float>(*dout, bc.size);
      std::vector<float> want(bc.size);
      hs::tfjs_ref::binary_op(op, a.data(), sa, b.data(), sb, want.data());
      // + - * / max min: the float operation is exactly the double one rounded (0 tolerance);
      // the squared difference (rounded twice on the device): 2 ulps; powf: CUDA's 4 ulps + 1.
      const double rel = op == B::Pow ? 6.5e-7 : (op == B::SquaredDifference ? 2.5e-7 : 0.0);
      CHECK_CLOSE(got, want, rel, 0.0, "binary %s %s x %s", name, str(sa).c_str(), str(sb).c_str());
    }
    // int32 and comparisons on the same shapes.
    std::vector<int32_t> ia(sa.size()), ib(sb.size());
    for (auto& v : ia) v = randi(-3, 3);
    for (auto& v : ib) v = randi(-3, 3);
    auto dia = up(ia), dib = up(ib);
    auto di = out<int32_t>(bc.size);
    T::binary_i32(g_stream, B::Add, dia->i(), dib->i(), di->i(), bc);
    const auto gi = down<int32_t>(*di, bc.size);
    const T::Shape so = hs::tfjs_ref::broadcast_shape(sa, sb);
    bool iok = true;
    for (int64_t k = 0; k < bc.size; ++k)
      iok = iok && gi[k] == ia[hs::tfjs_ref::broadcast_index(so, sa, k)] + ib[hs::tfjs_ref::broadcast_index(so, sb, k)];
    HS_CHECK(iok, "[%s] binary_i32 Add %s x %s", kBackend, str(sa).c_str(), str(sb).c_str());
    auto du = out<uint8_t>(bc.size);
    for (int op = 0; op <= static_cast<int>(T::CompareOp::LessEqual); ++op) {
      // Values with ties, so that == and >= are exercised.
      std::vector<float> qa(sa.size()), qb(sb.size());
      for (auto& v : qa) v = static_cast<float>(randi(-2, 2));
      for (auto& v : qb) v = static_cast<float>(randi(-2, 2));
      if (!qa.empty()) qa[0] = NAN;
      auto dqa = up(qa), dqb = up(qb);
      T::compare(g_stream, static_cast<T::CompareOp>(op), dqa->f(), dqb->f(), du->u(), bc);
      const auto got = down<uint8_t>(*du, bc.size);
      std::vector<uint8_t> want(bc.size);
      hs::tfjs_ref::compare_op(static_cast<T::CompareOp>(op), qa.data(), sa, qb.data(), sb, want.data());
      HS_CHECK(got == want, "[%s] compare op %d %s x %s", kBackend, op, str(sa).c_str(), str(sb).c_str());
      T::compare_i32(g_stream, static_cast<T::CompareOp>(op), dia->i(), dib->i(), du->u(), bc);
      const auto goti = down<uint8_t>(*du, bc.size);
      bool ok = true;
      for (int64_t k = 0; k < bc.size; ++k)
        ok = ok && goti[k] == hs::tfjs_ref::compare(static_cast<T::CompareOp>(op),
                                                    ia[hs::tfjs_ref::broadcast_index(so, sa, k)],
                                                    ib[hs::tfjs_ref::broadcast_index(so, sb, k)]);
      HS_CHECK(ok, "[%s] compare_i32 op %d %s x %s", kBackend, op, str(sa).c_str(), str(sb).c_str());
    }
    // Logical and select.
    std::vector<uint8_t> la(sa.size()), lb(sb.size());
    for (auto& v : la) v = static_cast<uint8_t>(randi(0, 1));
    for (auto& v : lb) v = static_cast<uint8_t>(randi(0, 1));
    auto dla = up(la), dlb = up(lb);
    for (int op = 0; op <= 1; ++op) {
      T::logical(g_stream, static_cast<T::LogicalOp>(op), dla->u(), dlb->u(), du->u(), bc);
      const auto got = down<uint8_t>(*du, bc.size);
      bool ok = true;
      for (int64_t k = 0; k < bc.size; ++k) {
        const bool x = la[hs::tfjs_ref::broadcast_index(so, sa, k)], y = lb[hs::tfjs_ref::broadcast_index(so, sb, k)];
        ok = ok && got[k] == (op == 0 ? (x && y) : (x || y));
      }
      HS_CHECK(ok, "[%s] logical op %d %s x %s", kBackend, op, str(sa).c_str(), str(sb).c_str());
    }
    // select(cond of shape a, a, b).
    const auto bc3 = T::make_broadcast(sa, sa, sb);
    auto dsel = out<float>(bc3.size);
    T::select(g_stream, dla->u(), da->f(), db->f(), dsel->f(), bc3);
    const auto gs = down<float>(*dsel, bc3.size);
    std::vector<float> ws(bc3.size);
    hs::tfjs_ref::select_op(la.data(), sa, a.data(), sa, b.data(), sb, ws.data());
    CHECK_CLOSE(gs, ws, 0, 0, "select %s %s %s", str(sa).c_str(), str(sa).c_str(), str(sb).c_str());
  }
  std::vector<uint8_t> l = {0, 1, 1, 0, 0};
  auto dl = up(l);
  auto dn = out<uint8_t>(l.size());
  T::logical_not(g_stream, dl->u(), dn->u(), l.size());
  const auto gn = down<uint8_t>(*dn, l.size());
  HS_CHECK(gn == std::vector<uint8_t>({1, 0, 0, 1, 1}), "[%s] logical_not", kBackend);
  auto d1 = out<float>(4);
  HS_CHECK(throws_invalid([&] {
             T::binary(g_stream, B::Add, d1->f(), d1->f(), d1->f(), T::make_broadcast(shape({4}), shape({4}), shape({4})));
           }),
           "[%s] binary with a 3-operand broadcast throws", kBackend);
  HS_CHECK(throws_invalid([&] {
             T::binary_i32(g_stream, B::Div, nullptr, nullptr, nullptr, T::make_broadcast(shape({4}), shape({4})));
           }),
           "[%s] binary_i32 Div throws", kBackend);
}

void check_movement() {
  for (int trial = 0; trial < 6; ++trial) {
    T::Shape s;
    s.rank = randi(1, 4) + (trial == 5 ? 2 : 0);
    for (int d = 0; d < s.rank; ++d) s.dims[d] = randi(1, 5);
    const auto x = randu(s.size());
    auto dx = up(x);
    // Slice.
    T::SliceParams sp;
    sp.in = s;
    T::Shape os;
    os.rank = s.rank;
    for (int d = 0; d < s.rank; ++d) {
      sp.begin[d] = randi(0, static_cast<int>(s.dims[d]) - 1);
      sp.size[d] = randi(1, static_cast<int>(s.dims[d] - sp.begin[d]));
      os.dims[d] = sp.size[d];
    }
    auto dout = out<float>(os.size());
    T::slice(g_stream, dx->p, dout->p, 4, sp);
    auto got = down<float>(*dout, os.size());
    std::vector<float> want(os.size());
    hs::tfjs_ref::slice(x.data(), s, sp.begin, sp.size, want.data());
    CHECK_CLOSE(got, want, 0, 0, "slice of %s", str(s).c_str());
    // Transpose (a random permutation).
    T::TransposeParams tp;
    tp.in = s;
    for (int d = 0; d < s.rank; ++d) tp.perm[d] = d;
    std::shuffle(tp.perm, tp.perm + s.rank, g_rng);
    auto dt = out<float>(s.size());
    T::transpose(g_stream, dx->p, dt->p, 4, tp);
    got = down<float>(*dt, s.size());
    want.assign(s.size(), 0);
    hs::tfjs_ref::transpose(x.data(), s, tp.perm, want.data());
    CHECK_CLOSE(got, want, 0, 0, "transpose of %s", str(s).c_str());
  }
  // Bytes (bool) slice, and a bad slice.
  std::vector<uint8_t> xb = {1, 2, 3, 4, 5, 6};
  auto dxb = up(xb);
  T::SliceParams sp;
  sp.in = shape({2, 3});
  sp.begin[0] = 1;
  sp.begin[1] = 1;
  sp.size[0] = 1;
  sp.size[1] = 2;
  auto db = out<uint8_t>(2);
  T::slice(g_stream, dxb->p, db->p, 1, sp);
  HS_CHECK(down<uint8_t>(*db, 2) == std::vector<uint8_t>({5, 6}), "[%s] slice of bytes", kBackend);
  sp.size[1] = 3;
  HS_CHECK(throws_invalid([&] { T::slice(g_stream, dxb->p, db->p, 1, sp); }), "[%s] slice out of range throws", kBackend);
  // Concat of [2,3] and [2,2] along axis 1.
  const std::vector<float> a = {1, 2, 3, 4, 5, 6}, b = {7, 8, 9, 10};
  auto dca = up(a), dcb = up(b);
  auto dc = out<float>(10);
  T::concat_piece(g_stream, dca->p, dc->p, 4, 2, 3, 5, 0);
  T::concat_piece(g_stream, dcb->p, dc->p, 4, 2, 2, 5, 3);
  HS_CHECK(down<float>(*dc, 10) == std::vector<float>({1, 2, 3, 7, 8, 4, 5, 6, 9, 10}), "[%s] concat", kBackend);
  // copy_device (Identity).
  auto dcopy = out<float>(6);
  T::copy_device(g_stream, dcopy->p, dca->p, 6 * sizeof(float));
  HS_CHECK(down<float>(*dcopy, 6) == a, "[%s] copy_device", kBackend);
}

// ---------------------------------------------------------------------------
// Reductions
// ---------------------------------------------------------------------------

void check_reduce() {
  struct Dims {
    int64_t outer, reduce, inner;
  };
  // The nets' (bias grads [N*H*W] x C, rows of 10, all of a weight), and edge sizes.
  // (1024 threads per block for few outputs of >= 8192 elements: the last two.)
  const Dims dims[] = {{1, 2 * 14 * 14, 32}, {13, 10, 1}, {1, 3000, 1}, {3, 1, 4}, {2, 33, 3},
                       {5, 0, 2},            {1, 1, 1},   {1, 1025, 2}, {1, 9000, 3}, {2, 8192, 1}};
  using R = T::ReduceOp;
  for (const Dims& d : dims) {
    auto x = randu(d.outer * d.reduce * d.inner, -2, 2);
    for (size_t k = 0; k < x.size(); k += 7) x[k] = std::round(x[k]);  // zeros and ties for Any/All/ArgMax
    auto dx = up(x);
    const int64_t n_out = d.outer * d.inner;
    auto dy = out<float>(n_out);
    for (int op = 0; op <= static_cast<int>(R::All); ++op) {
      if (op == static_cast<int>(R::Prod) && d.reduce > 40) continue;  // products of thousands under/overflow
      T::reduce(g_stream, static_cast<R>(op), dx->f(), dy->f(), d.outer, d.reduce, d.inner);
      const auto got = down<float>(*dy, n_out);
      std::vector<float> want(n_out);
      hs::tfjs_ref::reduce(static_cast<R>(op), x.data(), want.data(), d.outer, d.reduce, d.inner);
      // Both sum in double and round once, in different orders: the float results agree to 1 ulp.
      CHECK_CLOSE(got, want, 1.2e-7, 1e-30, "reduce op %d [%lld,%lld,%lld]", op, (long long)d.outer,
                  (long long)d.reduce, (long long)d.inner);
    }
    if (d.reduce == 0) continue;
    auto di = out<int32_t>(n_out);
    for (int is_max = 0; is_max <= 1; ++is_max) {
      T::arg_reduce(g_stream, is_max, dx->f(), di->i(), d.outer, d.reduce, d.inner);
      const auto got = down<int32_t>(*di, n_out);
      std::vector<int32_t> want(n_out);
      hs::tfjs_ref::arg_reduce(is_max, x.data(), want.data(), d.outer, d.reduce, d.inner);
      HS_CHECK(got == want, "[%s] arg_reduce max=%d [%lld,%lld,%lld]", kBackend, is_max, (long long)d.outer,
               (long long)d.reduce, (long long)d.inner);
    }
  }
  // NaN: Max/Min propagate it; ArgMax skips it unless it is first.
  const std::vector<float> x = {1, NAN, 3, 2, /**/ NAN, 5, 1, 5, /**/ -INFINITY, -INFINITY, -INFINITY, -INFINITY};
  auto dx = up(x);
  auto dy = out<float>(3);
  auto di = out<int32_t>(3);
  T::reduce(g_stream, R::Max, dx->f(), dy->f(), 3, 4, 1);
  const auto m = down<float>(*dy, 3);
  HS_CHECK(std::isnan(m[0]) && std::isnan(m[1]) && m[2] == -INFINITY, "[%s] Max with NaN", kBackend);
  T::arg_reduce(g_stream, true, dx->f(), di->i(), 3, 4, 1);
  HS_CHECK(down<int32_t>(*di, 3) == std::vector<int32_t>({2, 0, 0}), "[%s] ArgMax with NaN, ties, -inf", kBackend);
  HS_CHECK(throws_invalid([&] { T::arg_reduce(g_stream, true, dx->f(), di->i(), 1, 0, 1); }),
           "[%s] arg_reduce of nothing throws", kBackend);
}

void check_softmax() {
  const std::pair<int64_t, int64_t> dims[] = {{2, 10}, {7, 1}, {3, 300}, {1, 2000}, {0, 5}, {2, 9000}};
  for (const auto& [rows, cols] : dims) {
    auto x = randu(rows * cols, -20, 20);
    if (rows > 1) x[cols] = 80.0f;  // a large logit: exp(x - max) must not overflow
    auto dx = up(x);
    auto dy = out<float>(rows * cols);
    T::softmax(g_stream, dx->f(), dy->f(), rows, cols);
    const auto got = down<float>(*dy, rows * cols);
    std::vector<float> want(rows * cols);
    hs::tfjs_ref::softmax(x.data(), want.data(), rows, cols);
    // expf vs exp (<= 2 ulps), the sum's rounding, one division: 6 ulps.
    CHECK_CLOSE(got, want, 7.5e-7, 1e-37, "softmax [%lld,%lld]", (long long)rows, (long long)cols);
  }
}

// ---------------------------------------------------------------------------
// Matrix products
// ---------------------------------------------------------------------------

// Tolerance of a float32 GEMM against the double reference: relative to the
// sum of |a||b| of the dot product (K rounding steps), here scaled for K.
double gemm_rel_tol(int K) { return 2e-7 * (8 + std::sqrt(static_cast<double>(K)) * 4); }

void check_matmul() {
  struct Case {
    int ba, bb, M, N, K;
    bool ta, tb;
    bool bias;
    T::Activation act;
  };
  using A = T::Activation;
  const Case cases[] = {
      {1, 1, 2, 10, 49, false, false, true, A::Linear},  // the nets' dense layers (batch 2)
      {1, 1, 2, 64, 98, false, false, true, A::Relu},
      {1, 1, 2, 1, 13, false, false, true, A::Sigmoid},
      {1, 1, 98, 10, 2, true, false, false, A::Linear},  // weight gradient x^T dy
      {1, 1, 2, 98, 10, false, true, false, A::Linear},  // input gradient dy W^T
      {1, 1, 33, 17, 65, true, true, false, A::Linear},
      {3, 3, 5, 7, 9, false, false, true, A::LeakyRelu},
      {1, 4, 6, 5, 3, false, true, true, A::Relu6},
      {4, 1, 6, 5, 3, true, false, true, A::Elu},
      {1, 1, 8, 8, 1500, false, false, false, A::Linear},  // split-K
      {1, 1, 1, 1, 1, false, false, true, A::Relu},
      {1, 1, 5, 0, 3, false, false, false, A::Linear},
      {1, 1, 4, 6, 0, false, false, true, A::Linear},  // K = 0: bias only
  };
  for (const Case& c : cases) {
    T::MatMulParams p;
    p.batch_a = c.ba;
    p.batch_b = c.bb;
    p.M = c.M;
    p.N = c.N;
    p.K = c.K;
    p.trans_a = c.ta;
    p.trans_b = c.tb;
    const int batch = std::max(c.ba, c.bb);
    const auto a = randu(static_cast<size_t>(c.ba) * c.M * c.K), b = randu(static_cast<size_t>(c.bb) * c.K * c.N);
    const auto bias = randu(c.N);
    auto da = up(a), db = up(b), dbias = up(bias);
    const size_t n = static_cast<size_t>(batch) * c.M * c.N;
    auto dout = out<float>(n);
    Buf ws(T::matmul_workspace_bytes(p) + 1);
    T::batch_matmul(g_stream, da->f(), db->f(), dout->f(), p, c.bias ? dbias->f() : nullptr, c.act, 0.2f, ws.p,
                    ws.bytes);
    const auto got = down<float>(*dout, n);
    std::vector<float> want(n);
    hs::tfjs_ref::batch_matmul(a.data(), b.data(), want.data(), p, c.bias ? bias.data() : nullptr, c.act, 0.2f);
    // Values are O(sqrt(K)) with O(1) inputs: an absolute floor of tol * sqrt(K).
    CHECK_CLOSE(got, want, gemm_rel_tol(c.K), gemm_rel_tol(c.K) * std::sqrt(c.K + 1.0),
                "batch_matmul %dx%d M%d N%d K%d ta%d tb%d act%d", c.ba, c.bb, c.M, c.N, c.K, c.ta, c.tb,
                static_cast<int>(c.act));
    if (c.K == 1500) {
      Buf ws2(T::matmul_workspace_bytes(p));
      auto dout2 = out<float>(n);
      T::batch_matmul(g_stream, da->f(), db->f(), dout2->f(), p, nullptr, c.act, 0.2f, ws2.p, ws2.bytes);
      const auto again = down<float>(*dout2, n);
      HS_CHECK(std::memcmp(got.data(), again.data(), n * sizeof(float)) == 0, "[%s] split-K matmul bit-identical rerun",
               kBackend);
      HS_CHECK(T::matmul_workspace_bytes(p) > 0, "[%s] split-K needs a workspace", kBackend);
    }
  }
  T::MatMulParams bad;
  bad.batch_a = 2;
  bad.batch_b = 3;
  bad.M = bad.N = bad.K = 2;
  HS_CHECK(throws_invalid([&] { T::matmul_workspace_bytes(bad); }), "[%s] batches 2 and 3 throw", kBackend);
  T::MatMulParams p;
  p.M = 8;
  p.N = 8;
  p.K = 1500;
  auto d = out<float>(8 * 1500);
  HS_CHECK(throws_invalid([&] {
             T::batch_matmul(g_stream, d->f(), d->f(), d->f(), p, nullptr, T::Activation::Linear, 0, nullptr, 0);
           }),
           "[%s] a workspace too small throws", kBackend);
}

// ---------------------------------------------------------------------------
// Convolutions
// ---------------------------------------------------------------------------

// tfjs's geometry: SAME pads (total = max((out-1)*stride + (f-1)*dil + 1 - in, 0), top = total / 2), VALID none.
T::Conv2DParams conv_params(int batch, int h, int w, int ci, int co, int fh, int fw, int sh, int sw, bool same,
                            int dh = 1, int dw = 1) {
  T::Conv2DParams p;
  p.batch = batch;
  p.in_h = h;
  p.in_w = w;
  p.in_c = ci;
  p.out_c = co;
  p.filter_h = fh;
  p.filter_w = fw;
  p.stride_h = sh;
  p.stride_w = sw;
  p.dilation_h = dh;
  p.dilation_w = dw;
  const int eh = (fh - 1) * dh + 1, ew = (fw - 1) * dw + 1;
  if (same) {
    p.out_h = (h + sh - 1) / sh;
    p.out_w = (w + sw - 1) / sw;
    p.pad_top = std::max((p.out_h - 1) * sh + eh - h, 0) / 2;
    p.pad_left = std::max((p.out_w - 1) * sw + ew - w, 0) / 2;
  } else {
    p.out_h = (h - eh) / sh + 1;
    p.out_w = (w - ew) / sw + 1;
  }
  return p;
}

hs::Conv2DGeometry core_geometry(const T::Conv2DParams& p) {
  hs::Conv2DGeometry g;
  g.batch = p.batch;
  g.in_h = p.in_h;
  g.in_w = p.in_w;
  g.in_c = p.in_c;
  g.filter_h = p.filter_h;
  g.filter_w = p.filter_w;
  g.out_c = p.out_c;
  g.stride_h = p.stride_h;
  g.stride_w = p.stride_w;
  g.pad_top = p.pad_top;
  g.pad_left = p.pad_left;
  g.out_h = p.out_h;
  g.out_w = p.out_w;
  return g;
}

struct ConvCase {
  const char* name;
  T::Conv2DParams p;
};
std::vector<ConvCase> conv_cases() {
  return {
      {"light conv1 (28x28x1 -> 32, 3x3 same), batch 1", conv_params(1, 28, 28, 1, 32, 3, 3, 1, 1, true)},
      {"light conv2 (14x14x32 -> 32), batch 2", conv_params(2, 14, 14, 32, 32, 3, 3, 1, 1, true)},
      {"catsdogs conv1 shape (8x8 stride 2 valid), 20x20x3 -> 16", conv_params(2, 20, 20, 3, 16, 8, 8, 2, 2, false)},
      {"odd 7x5x3 -> 5, 3x2 stride 2 valid", conv_params(3, 7, 5, 3, 5, 3, 2, 2, 2, false)},
      {"odd 9x6x2 -> 3, 4x3 stride 2 same (uneven pads)", conv_params(2, 9, 6, 2, 3, 4, 3, 2, 2, true)},
      {"stride 3x1 same, 5x4 filter", conv_params(1, 10, 7, 3, 4, 5, 4, 3, 1, true)},
      {"dilation 2 same", conv_params(2, 8, 9, 2, 3, 3, 3, 1, 1, true, 2, 2)},
      {"pointwise 1x1", conv_params(2, 5, 4, 6, 7, 1, 1, 1, 1, false)},
      {"filter larger than input, same", conv_params(1, 2, 3, 2, 2, 5, 5, 1, 1, true)},
  };
}

void check_conv() {
  using A = T::Activation;
  for (const ConvCase& cc : conv_cases()) {
    const T::Conv2DParams& p = cc.p;
    const size_t nx = size_t(p.batch) * p.in_h * p.in_w * p.in_c, nf = size_t(p.filter_h) * p.filter_w * p.in_c * p.out_c,
                 ny = size_t(p.batch) * p.out_h * p.out_w * p.out_c;
    const auto x = randu(nx), f = randu(nf), bias = randu(p.out_c), dy = randu(ny);
    auto dxb = up(x), dfb = up(f), dbias = up(bias), ddy = up(dy);
    const int K = p.filter_h * p.filter_w * p.in_c;
    const double tol = gemm_rel_tol(K), abs_tol = tol * std::sqrt(K + 1.0);
    // Forward: plain, fused bias + relu, fused bias + sigmoid, leaky relu without bias.
    const std::tuple<bool, A, const char*> fwd[] = {
        {false, A::Linear, "Conv2D"}, {true, A::Relu, "FusedConv2D relu"}, {true, A::Sigmoid, "FusedConv2D sigmoid"},
        {false, A::LeakyRelu, "FusedConv2D leakyrelu"}};
    auto dyout = out<float>(ny);
    for (const auto& [with_bias, act, what] : fwd) {
      Buf ws(T::conv2d_workspace_bytes(p));
      T::conv2d(g_stream, dxb->f(), dfb->f(), dyout->f(), p, with_bias ? dbias->f() : nullptr, act, 0.2f, ws.p, ws.bytes);
      const auto got = down<float>(*dyout, ny);
      std::vector<float> want(ny);
      hs::tfjs_ref::conv2d(x.data(), f.data(), want.data(), p, with_bias ? bias.data() : nullptr, act, 0.2f);
      CHECK_CLOSE(got, want, tol, abs_tol, "%s: %s", what, cc.name);
    }
    // The twin itself against core's reference (dilation 1 only).
    if (p.dilation_h == 1 && p.dilation_w == 1) {
      std::vector<float> mine(ny), core(ny);
      hs::tfjs_ref::conv2d(x.data(), f.data(), mine.data(), p, bias.data(), A::Relu, 0);
      hs::conv2d_forward_reference(core_geometry(p), x.data(), f.data(), bias.data(), true, core.data());
      CHECK_CLOSE(mine, core, 1e-6, 1e-6, "twin vs core/conv.h reference: %s", cc.name);
    }
    // Input gradient.
    {
      Buf ws(T::conv2d_backprop_input_workspace_bytes(p));
      auto ddx = out<float>(nx);
      T::conv2d_backprop_input(g_stream, ddy->f(), dfb->f(), ddx->f(), p, ws.p, ws.bytes);
      const auto got = down<float>(*ddx, nx);
      std::vector<float> want(nx);
      hs::tfjs_ref::conv2d_backprop_input(dy.data(), f.data(), want.data(), p);
      const int Kin = p.out_c * p.filter_h * p.filter_w;
      CHECK_CLOSE(got, want, gemm_rel_tol(Kin), gemm_rel_tol(Kin) * std::sqrt(Kin + 1.0), "Conv2DBackpropInput: %s",
                  cc.name);
      auto ddx2 = out<float>(nx);
      T::conv2d_backprop_input(g_stream, ddy->f(), dfb->f(), ddx2->f(), p, ws.p, ws.bytes);
      const auto again = down<float>(*ddx2, nx);
      HS_CHECK(std::memcmp(got.data(), again.data(), nx * 4) == 0, "[%s] Conv2DBackpropInput bit-identical rerun: %s",
               kBackend, cc.name);
      if (p.dilation_h == 1) {
        std::vector<float> core(nx);
        hs::conv2d_backprop_input_reference(core_geometry(p), dy.data(), f.data(), core.data());
        CHECK_CLOSE(want, core, 1e-6, 1e-6, "twin vs core reference, input grad: %s", cc.name);
      }
    }
    // Filter gradient.
    {
      Buf ws(T::conv2d_backprop_filter_workspace_bytes(p));
      auto ddf = out<float>(nf);
      T::conv2d_backprop_filter(g_stream, dxb->f(), ddy->f(), ddf->f(), p, ws.p, ws.bytes);
      const auto got = down<float>(*ddf, nf);
      std::vector<float> want(nf);
      hs::tfjs_ref::conv2d_backprop_filter(x.data(), dy.data(), want.data(), p);
      const int Kf = p.batch * p.out_h * p.out_w;
      CHECK_CLOSE(got, want, gemm_rel_tol(Kf), gemm_rel_tol(Kf) * std::sqrt(Kf + 1.0), "Conv2DBackpropFilter: %s",
                  cc.name);
      auto ddf2 = out<float>(nf);
      T::conv2d_backprop_filter(g_stream, dxb->f(), ddy->f(), ddf2->f(), p, ws.p, ws.bytes);
      const auto again = down<float>(*ddf2, nf);
      HS_CHECK(std::memcmp(got.data(), again.data(), nf * 4) == 0, "[%s] Conv2DBackpropFilter bit-identical rerun: %s",
               kBackend, cc.name);
      if (p.dilation_h == 1) {
        std::vector<float> core(nf);
        hs::conv2d_backprop_filter_reference(core_geometry(p), x.data(), dy.data(), core.data());
        CHECK_CLOSE(want, core, 1e-6, 1e-6, "twin vs core reference, filter grad: %s", cc.name);
      }
    }
  }
}

// Finite differences of L = sum(conv2d(x, f) * w) on a tiny case: conv is
// linear, so the central difference is exact up to float rounding of L.
void check_conv_finite_differences() {
  const T::Conv2DParams p = conv_params(2, 5, 4, 2, 3, 3, 2, 2, 1, true);
  const size_t nx = size_t(p.batch) * p.in_h * p.in_w * p.in_c, nf = size_t(p.filter_h) * p.filter_w * p.in_c * p.out_c,
               ny = size_t(p.batch) * p.out_h * p.out_w * p.out_c;
  auto x = randu(nx), f = randu(nf);
  const auto w = randu(ny);
  auto dw = up(w);
  Buf ws(std::max({T::conv2d_workspace_bytes(p), T::conv2d_backprop_input_workspace_bytes(p),
                   T::conv2d_backprop_filter_workspace_bytes(p)}));
  auto loss = [&](const std::vector<float>& xv, const std::vector<float>& fv) {
    auto dxv = up(xv), dfv = up(fv);
    auto dy = out<float>(ny);
    T::conv2d(g_stream, dxv->f(), dfv->f(), dy->f(), p, nullptr, T::Activation::Linear, 0, ws.p, ws.bytes);
    const auto y = down<float>(*dy, ny);
    double l = 0;
    for (size_t i = 0; i < ny; ++i) l += double(y[i]) * w[i];
    return l;
  };
  auto dxb = up(x), dfb = up(f);
  auto gx = out<float>(nx), gf = out<float>(nf);
  T::conv2d_backprop_input(g_stream, dw->f(), dfb->f(), gx->f(), p, ws.p, ws.bytes);
  T::conv2d_backprop_filter(g_stream, dxb->f(), dw->f(), gf->f(), p, ws.p, ws.bytes);
  const auto grad_x = down<float>(*gx, nx), grad_f = down<float>(*gf, nf);
  const float eps = 0.05f;
  double worst_x = 0, worst_f = 0;
  for (size_t i = 0; i < nx; ++i) {
    auto xp = x, xm = x;
    xp[i] += eps;
    xm[i] -= eps;
    const double fd = (loss(xp, f) - loss(xm, f)) / (double(xp[i]) - double(xm[i]));
    worst_x = std::max(worst_x, std::fabs(fd - grad_x[i]));
  }
  for (size_t i = 0; i < nf; ++i) {
    auto fp = f, fm = f;
    fp[i] += eps;
    fm[i] -= eps;
    const double fd = (loss(x, fp) - loss(x, fm)) / (double(fp[i]) - double(fm[i]));
    worst_f = std::max(worst_f, std::fabs(fd - grad_f[i]));
  }
  // |L| <= ~30: float rounding of L (~4e-6) over 2 eps (0.1): 1e-4; a wrong index gives O(0.1..1).
  HS_CHECK(worst_x < 2e-3, "[%s] Conv2DBackpropInput vs finite differences: worst %.3g", kBackend, worst_x);
  HS_CHECK(worst_f < 2e-3, "[%s] Conv2DBackpropFilter vs finite differences: worst %.3g", kBackend, worst_f);
  // Parameter errors.
  T::Conv2DParams bad = p;
  bad.stride_h = 0;
  HS_CHECK(throws_invalid([&] { T::conv2d_workspace_bytes(bad); }), "[%s] conv stride 0 throws", kBackend);
  HS_CHECK(throws_invalid([&] {
             T::conv2d(g_stream, dxb->f(), dfb->f(), dw->f(), p, nullptr, T::Activation::Linear, 0, ws.p, 4);
           }),
           "[%s] conv workspace too small throws", kBackend);
}

// ---------------------------------------------------------------------------
// Max pooling
// ---------------------------------------------------------------------------

void check_pool() {
  struct PoolCase {
    const char* name;
    int batch, h, w, c, fh, fw, sh, sw;
    bool same;
  };
  const PoolCase cases[] = {
      {"2x2/2 valid (the nets')", 2, 28, 28, 4, 2, 2, 2, 2, false},
      {"2x2/2 valid, odd input", 1, 7, 5, 3, 2, 2, 2, 2, false},
      {"3x3/1 same (overlapping windows)", 2, 6, 5, 2, 3, 3, 1, 1, true},
      {"3x2/2 same", 1, 7, 6, 3, 3, 2, 2, 2, true},
  };
  for (const PoolCase& pc : cases) {
    T::Pool2DParams p;
    p.batch = pc.batch;
    p.in_h = pc.h;
    p.in_w = pc.w;
    p.channels = pc.c;
    p.filter_h = pc.fh;
    p.filter_w = pc.fw;
    p.stride_h = pc.sh;
    p.stride_w = pc.sw;
    if (pc.same) {
      p.out_h = (pc.h + pc.sh - 1) / pc.sh;
      p.out_w = (pc.w + pc.sw - 1) / pc.sw;
      p.pad_top = std::max((p.out_h - 1) * pc.sh + pc.fh - pc.h, 0) / 2;
      p.pad_left = std::max((p.out_w - 1) * pc.sw + pc.fw - pc.w, 0) / 2;
    } else {
      p.out_h = (pc.h - pc.fh) / pc.sh + 1;
      p.out_w = (pc.w - pc.fw) / pc.sw + 1;
    }
    hs::Pool2DGeometry g;
    g.batch = p.batch;
    g.in_h = p.in_h;
    g.in_w = p.in_w;
    g.channels = p.channels;
    g.filter_h = p.filter_h;
    g.filter_w = p.filter_w;
    g.stride_h = p.stride_h;
    g.stride_w = p.stride_w;
    g.pad_top = p.pad_top;
    g.pad_left = p.pad_left;
    g.out_h = p.out_h;
    g.out_w = p.out_w;
    const size_t nx = g.x_size(), ny = g.y_size();
    auto x = randu(nx);
    for (size_t i = 0; i < nx; i += 5) x[i] = std::round(x[i] * 2) / 2;  // ties
    for (size_t i = 3; i < nx; i += 17) x[i] = NAN;                     // never wins
    const auto dy = randu(ny);
    auto dx = up(x), ddy = up(dy);
    auto dyout = out<float>(ny);
    T::max_pool(g_stream, dx->f(), dyout->f(), p);
    const auto got = down<float>(*dyout, ny);
    std::vector<float> want(ny);
    hs::max_pool_reference(g, x.data(), want.data());
    CHECK_CLOSE(got, want, 0, 0, "MaxPool %s", pc.name);
    auto ddx = out<float>(nx);
    T::max_pool_grad(g_stream, ddy->f(), dx->f(), ddx->f(), p);
    const auto gotg = down<float>(*ddx, nx);
    std::vector<float> wantg(nx);
    hs::max_pool_grad_reference(g, dy.data(), x.data(), wantg.data());
    // Both add in double in (oh, ow) order and round once: bit-identical.
    CHECK_CLOSE(gotg, wantg, 0, 0, "MaxPoolGrad %s", pc.name);
    auto ddx2 = out<float>(nx);
    T::max_pool_grad(g_stream, ddy->f(), dx->f(), ddx2->f(), p);
    HS_CHECK(down<float>(*ddx2, nx) == gotg || std::memcmp(down<float>(*ddx2, nx).data(), gotg.data(), nx * 4) == 0,
             "[%s] MaxPoolGrad bit-identical rerun", kBackend);
  }
  T::Pool2DParams bad;
  HS_CHECK(throws_invalid([&] { T::max_pool(g_stream, nullptr, nullptr, bad); }), "[%s] empty pool geometry throws",
           kBackend);
}

// ---------------------------------------------------------------------------
// Determinism of the reductions: two runs, same bits.
// ---------------------------------------------------------------------------

void check_determinism() {
  const auto x = randu(2 * 28 * 28 * 32, -3, 3);
  auto dx = up(x);
  auto y1 = out<float>(32), y2 = out<float>(32);
  T::reduce(g_stream, T::ReduceOp::Sum, dx->f(), y1->f(), 1, 2 * 28 * 28, 32);
  T::reduce(g_stream, T::ReduceOp::Sum, dx->f(), y2->f(), 1, 2 * 28 * 28, 32);
  const auto a = down<float>(*y1, 32), b = down<float>(*y2, 32);
  HS_CHECK(std::memcmp(a.data(), b.data(), 32 * 4) == 0, "[%s] Sum (bias gradient) bit-identical rerun", kBackend);
  auto t1 = out<float>(1), t2 = out<float>(1);
  T::reduce(g_stream, T::ReduceOp::Sum, dx->f(), t1->f(), 1, static_cast<int64_t>(x.size()), 1);
  T::reduce(g_stream, T::ReduceOp::Sum, dx->f(), t2->f(), 1, static_cast<int64_t>(x.size()), 1);
  HS_CHECK(down<float>(*t1, 1)[0] == down<float>(*t2, 1)[0], "[%s] Sum of a whole tensor bit-identical rerun", kBackend);
  auto s1 = out<float>(x.size()), s2 = out<float>(x.size());
  T::softmax(g_stream, dx->f(), s1->f(), 2 * 28 * 28, 32);
  T::softmax(g_stream, dx->f(), s2->f(), 2 * 28 * 28, 32);
  const auto c = down<float>(*s1, x.size()), d = down<float>(*s2, x.size());
  HS_CHECK(std::memcmp(c.data(), d.data(), x.size() * 4) == 0, "[%s] Softmax bit-identical rerun", kBackend);
}

// ---------------------------------------------------------------------------
// The caching allocator on this device
// ---------------------------------------------------------------------------

void check_allocator() {
  HS_CHECK(hs::DeviceAllocator::size_class(0) == 0 && hs::DeviceAllocator::size_class(1) == 256 &&
               hs::DeviceAllocator::size_class(256) == 256 && hs::DeviceAllocator::size_class(257) == 320 &&
               hs::DeviceAllocator::size_class(512) == 512 && hs::DeviceAllocator::size_class(513) == 640 &&
               hs::DeviceAllocator::size_class(1000000) == 1048576,
           "[%s] allocator size classes (4 per power of two, waste < 25%%)", kBackend);
  bool waste_ok = true;
  for (size_t b = 257; b < 100000; b = b * 3 / 2 + 1) {
    const size_t c = hs::DeviceAllocator::size_class(b);
    waste_ok = waste_ok && c >= b && c < b + b / 4 + 64;
  }
  HS_CHECK(waste_ok, "[%s] allocator waste under 25%%", kBackend);
  {
    hs::DeviceAllocator alloc(&T::device_alloc, &T::device_free, 1 << 20);
    void* a = alloc.allocate(1000);
    void* b = alloc.allocate(5000);
    HS_CHECK(alloc.stats().allocations == 2 && alloc.stats().live_blocks == 2 &&
                 alloc.stats().bytes_in_use == hs::DeviceAllocator::size_class(1000) + hs::DeviceAllocator::size_class(5000),
             "[%s] allocator: two blocks in use", kBackend);
    // The block is usable device memory.
    std::vector<float> v(250, 3.0f);
    T::upload(g_stream, a, v.data(), 1000);
    alloc.release(a);
    HS_CHECK(alloc.stats().bytes_cached == hs::DeviceAllocator::size_class(1000), "[%s] allocator: released block cached",
             kBackend);
    void* c = alloc.allocate(1010);  // same size class: the same block
    HS_CHECK(c == a && alloc.stats().reuses == 1 && alloc.stats().allocations == 2 && alloc.stats().bytes_cached == 0,
             "[%s] allocator: reuse of the cached block", kBackend);
    HS_CHECK(alloc.allocate(0) == nullptr, "[%s] allocator: 0 bytes is nullptr", kBackend);
    HS_CHECK(throws_invalid([&] { alloc.release(reinterpret_cast<void*>(&v)); }),
             "[%s] allocator: releasing a foreign pointer throws", kBackend);
    alloc.release(b);
    alloc.release(c);
    HS_CHECK(alloc.stats().bytes_in_use == 0 && alloc.stats().live_blocks == 0, "[%s] allocator: nothing in use", kBackend);
    // Over the cache limit (1 MiB): released blocks go back to the device.
    void* big = alloc.allocate(2 << 20);
    alloc.release(big);
    HS_CHECK(alloc.stats().device_frees == 1 && alloc.stats().peak_bytes_in_use >= (2u << 20),
             "[%s] allocator: over the cache limit, freed", kBackend);
    alloc.trim();
    HS_CHECK(alloc.stats().bytes_cached == 0 && alloc.stats().device_frees == 3, "[%s] allocator: trim frees the cache",
             kBackend);
  }
  // A training step's pattern: many same-sized tensors created and disposed.
  {
    hs::DeviceAllocator alloc(&T::device_alloc, &T::device_free);
    for (int step = 0; step < 20; ++step) {
      std::vector<void*> live;
      for (int t = 0; t < 30; ++t) live.push_back(alloc.allocate(static_cast<size_t>(64 + (t % 7) * 1000)));
      for (void* p : live) alloc.release(p);
    }
    const auto st = alloc.stats();
    HS_CHECK(st.allocations <= 30 && st.reuses == 20 * 30 - st.allocations && st.bytes_in_use == 0,
             "[%s] allocator: 600 requests of a repeating step took %llu device allocations", kBackend,
             static_cast<unsigned long long>(st.allocations));
  }
}

void run_all() {
  check_broadcast_struct();
  check_fill_cast();
  check_unary();
  check_binary();
  check_movement();
  check_reduce();
  check_softmax();
  check_determinism();
  check_matmul();
  check_conv();
  check_conv_finite_differences();
  check_pool();
  check_allocator();
}
