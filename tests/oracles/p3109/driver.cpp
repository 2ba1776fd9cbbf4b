// Batch driver for the IEEE P3109 C++ reference implementation (awf/p3109-cpp, MIT).
//
// Test-only oracle for fp8ref: it links the reference's headers (found with -I, never copied
// here) and applies one reference operation, under one projection spec, to a binary stream of
// operands. build.py compiles it: unit objects (P3109_UNITS = the result formats they hold)
// plus the dispatcher (P3109_MAIN); the format list is generated into p3109_formats.inc.
//
// Command line (see README.md):
//   driver OP --r FMT [--x FMT] [--y FMT] [--z FMT] [--round MODE] [--sat MODE] [--nbits N]
//          --n COUNT [--in FILE] [--out FILE]
//   driver --list            # the compiled formats, operation pairs and stochastic widths
// Input (stdin or --in, little-endian, column-major):
//   code operations  arity arrays of COUNT uint16 codes (x, then y, then z), then, for
//                    Stochastic* rounding, COUNT uint64 random values R (0 <= R < 2^N)
//   project          COUNT records {int64 m; int32 e; int32 cls}: cls 0 = m * 2^e,
//                    1 = +inf, 2 = -inf, 3 = NaN; then the random values as above
//   from_f64         COUNT float64, then the random values as above
// Output (stdout or --out):
//   projected ops    COUNT uint16 result codes
//   predicates       COUNT uint8 (0/1)
//   decode           COUNT records {uint64 m; int32 e; int32 cls}: value (+/-) m * 2^e with
//                    cls 0 = positive or zero, 4 = negative, 1/2/3 = +inf/-inf/NaN
// Errors: one line on stderr naming the problem, exit status 2; an operation/spec that the
// reference does not instantiate exits 3 with "unsupported: ...".

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "p3109.h"

#include "p3109_formats.inc"

namespace drv {

  using p3109::Domain;
  using p3109::Signedness;
  constexpr Signedness Signed = Signedness::Signed;
  constexpr Signedness Unsigned = Signedness::Unsigned;
  constexpr Domain Extended = Domain::Extended;
  constexpr Domain Finite = Domain::Finite;

#define DRV_FMT_TYPE(id, K, P, S, D) , p3109::binary<K, P, S, D>
  using AllFormats = std::tuple<void P3109_FORMATS(DRV_FMT_TYPE)>; // index 0 is a placeholder
#undef DRV_FMT_TYPE
  template <int I>
  using Fmt = std::tuple_element_t<I + 1, AllFormats>;

  enum class Round { TZ, TMM, TP, TN, NTA, NTE, ODD, SA, SB, SC, NONE };
  enum class Sat { SF, SP, OI, NONE };

  struct Req {
    std::string op;
    int r = -1, x = -1, y = -1, z = -1; // format indices
    Round round = Round::NONE;
    Sat sat = Sat::NONE;
    unsigned nbits = 0;
    std::size_t n = 0;
    std::vector<std::uint16_t> a, b, c;        // operand codes
    std::vector<std::uint64_t> rnd;            // stochastic random values
    std::vector<unsigned char> raw;            // project/from_f64 inputs
    std::vector<unsigned char> out;            // result bytes
  };

  [[noreturn]] inline void fail(int status, const std::string &msg)
  {
    std::fprintf(stderr, "%s\n", msg.c_str());
    std::exit(status);
  }

  // ---- projection specs ---------------------------------------------------------------------
  // The reference's operations take the ProjectionSpec as a template parameter and only pass
  // it on to p3109::Project<FormatR>(X, spec). Instantiating every operation for every spec
  // would take minutes per format, so the operations get a DynSpec instead: the unqualified
  // call Project<FormatR>(X, spec) inside them finds drv::Project by argument-dependent lookup,
  // and drv::Project calls the reference's p3109::Project with the real ProjectionSpec<RM, SM>
  // named by the DynSpec. Special cases, exact arithmetic, rounding, saturation and encoding
  // all stay the reference's own code.

  struct DynSpec {
    Round round;
    Sat sat;
    unsigned nbits;
    std::uint64_t random;
  };

#define DRV_NBITS(X) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(10) X(12) X(16) X(24) X(32)

  template <typename Format, typename SM, template <unsigned> class St>
  Format project_stochastic(const p3109::mpfr_float &X, const DynSpec &s)
  {
    switch (s.nbits)
    {
#define DRV_CASE_N(N)                                                                                                  \
  case N:                                                                                                              \
    return p3109::Project<Format>(X, p3109::ProjectionSpec<St<N>, SM>{St<N>{s.random}});
      DRV_NBITS(DRV_CASE_N)
#undef DRV_CASE_N
    default:
      fail(2, "error: --nbits " + std::to_string(s.nbits) + " is not a compiled width (driver --list)");
    }
  }

  template <typename Format, typename SM>
  Format project_sm(const p3109::mpfr_float &X, const DynSpec &s)
  {
    switch (s.round)
    {
#define DRV_DET(E, T)                                                                                                  \
  case Round::E:                                                                                                       \
    return p3109::Project<Format>(X, p3109::ProjectionSpec<p3109::T, SM>{});
      DRV_DET(TZ, TowardZero)
      DRV_DET(TMM, TowardMaxMagnitude)
      DRV_DET(TP, TowardPositive)
      DRV_DET(TN, TowardNegative)
      DRV_DET(NTA, NearestTiesToAway)
      DRV_DET(NTE, NearestTiesToEven)
      DRV_DET(ODD, ToOdd)
#undef DRV_DET
    case Round::SA:
      return project_stochastic<Format, SM, p3109::StochasticA>(X, s);
    case Round::SB:
      return project_stochastic<Format, SM, p3109::StochasticB>(X, s);
    case Round::SC:
      return project_stochastic<Format, SM, p3109::StochasticC>(X, s);
    default:
      fail(2, "error: this operation needs --round");
    }
  }

  template <typename Format>
  Format project_dyn(const p3109::mpfr_float &X, const DynSpec &s)
  {
    if (s.sat == Sat::SF)
      return project_sm<Format, p3109::SatFinite>(X, s);
    if constexpr (Format::is_extended)
    {
      if (s.sat == Sat::SP)
        return project_sm<Format, p3109::SatPropagate>(X, s);
      if (s.sat == Sat::OI)
        return project_sm<Format, p3109::OvfInf>(X, s);
    }
    else if (s.sat == Sat::SP || s.sat == Sat::OI)
      fail(3, "unsupported: the reference's Project accepts only SatFinite for Finite-domain result formats");
    fail(2, "error: this operation needs --sat");
  }

  // Exact key of an mpfr value (sign, class, exponent, odd significand) plus the random value.
  inline std::string exact_key(const p3109::mpfr_float &X, std::uint64_t random)
  {
    static thread_local mpz_t z;
    static thread_local bool init = false;
    if (!init)
    {
      mpz_init(z);
      init = true;
    }
    std::string k(reinterpret_cast<const char *>(&random), sizeof random);
    mpfr_srcptr x = X.backend().data();
    k.push_back(static_cast<char>(mpfr_signbit(x) ? 1 : 0));
    if (mpfr_nan_p(x))
      return k + "N";
    if (mpfr_inf_p(x))
      return k + "I";
    if (mpfr_zero_p(x))
      return k + "Z";
    long e = mpfr_get_z_2exp(z, x);
    mpz_abs(z, z);
    const auto tz = mpz_scan1(z, 0);
    mpz_tdiv_q_2exp(z, z, tz);
    e += static_cast<long>(tz);
    k.append(reinterpret_cast<const char *>(&e), sizeof e);
    std::size_t count = 0;
    std::vector<unsigned char> buf((mpz_sizeinbase(z, 2) + 7) / 8 + 1);
    mpz_export(buf.data(), &count, 1, 1, 0, 0, z);
    k.append(reinterpret_cast<const char *>(buf.data()), count);
    return k;
  }

  // Memo of project_dyn per exact X (and random value): Project is a pure function of
  // (X, spec) and the spec is fixed for a whole run, so a run calls the reference's Project
  // once per distinct value. It is what makes exhaustive runs affordable (Project costs
  // ~45 us: 256-bit log2 and pow); --memo 0 turns it off (the smoke test compares both).
  inline bool use_memo = true;

  // Found by ADL from inside the reference's operations (see above).
  template <typename Format>
  Format Project(const p3109::mpfr_float &X, const DynSpec &s)
  {
    if (!use_memo)
      return project_dyn<Format>(X, s);
    static std::unordered_map<std::string, std::uint64_t> memo;
    const std::string key = exact_key(X, s.random);
    const auto it = memo.find(key);
    if (it != memo.end())
      return Format{it->second};
    const Format r = project_dyn<Format>(X, s);
    memo.emplace(key, r.codepoint);
    return r;
  }

  inline DynSpec spec_of(const Req &q, std::size_t i)
  {
    return DynSpec{q.round, q.sat, q.nbits, q.rnd.empty() ? 0 : q.rnd[i]};
  }

  template <typename T>
  void put(std::vector<unsigned char> &out, std::size_t i, T v)
  {
    std::memcpy(out.data() + i * sizeof(T), &v, sizeof(T));
  }
  template <typename T>
  T get(const std::vector<unsigned char> &in, std::size_t i, std::size_t stride = sizeof(T), std::size_t off = 0)
  {
    T v;
    std::memcpy(&v, in.data() + i * stride + off, sizeof(T));
    return v;
  }

  // ---- operations whose result format is FR -----------------------------------------------

  template <typename FR, typename FX>
  bool unary(Req &q)
  {
    q.out.resize(q.n * 2);
    auto run = [&](auto op) {
      for (std::size_t i = 0; i < q.n; ++i)
        put<std::uint16_t>(q.out, i, static_cast<std::uint16_t>(op(FX{q.a[i]}, spec_of(q, i)).codepoint));
      return true;
    };
#define DRV_U(NAME, FN)                                                                                                \
  if (q.op == NAME)                                                                                                    \
    return run([](FX x, DynSpec s) { return p3109::FN<FR>(x, s); });
    DRV_U("neg", Negate)
    DRV_U("abs", Abs)
    DRV_U("sqrt", Sqrt)
    DRV_U("recip", Recip)
    DRV_U("rsqrt", RSqrt)
    DRV_U("convert", Convert)
#undef DRV_U
    return false;
  }

  template <typename FR, typename FX, typename FY>
  bool binary(Req &q)
  {
    q.out.resize(q.n * 2);
    auto run = [&](auto op) {
      for (std::size_t i = 0; i < q.n; ++i)
        put<std::uint16_t>(q.out, i, static_cast<std::uint16_t>(op(FX{q.a[i]}, FY{q.b[i]}, spec_of(q, i)).codepoint));
      return true;
    };
#define DRV_B(NAME, FN)                                                                                                \
  if (q.op == NAME)                                                                                                    \
    return run([](FX x, FY y, DynSpec s) { return p3109::FN<FR>(x, y, s); });
    DRV_B("add", Add)
    DRV_B("sub", Subtract)
    DRV_B("mul", Multiply)
    DRV_B("div", Divide)
    DRV_B("copysign", CopySign)
    DRV_B("maximum", Maximum)
    DRV_B("minimum", Minimum)
    DRV_B("maximum_number", MaximumNumber)
    DRV_B("minimum_number", MinimumNumber)
    DRV_B("maximum_magnitude", MaximumMagnitude)
    DRV_B("minimum_magnitude", MinimumMagnitude)
    DRV_B("maximum_magnitude_number", MaximumMagnitudeNumber)
    DRV_B("minimum_magnitude_number", MinimumMagnitudeNumber)
    DRV_B("maximum_finite", MaximumFinite)
    DRV_B("minimum_finite", MinimumFinite)
#undef DRV_B
    return false;
  }

  template <typename FR, typename FX, typename FY, typename FZ>
  bool ternary(Req &q)
  {
    q.out.resize(q.n * 2);
    auto run = [&](auto op) {
      for (std::size_t i = 0; i < q.n; ++i)
        put<std::uint16_t>(
          q.out, i, static_cast<std::uint16_t>(op(FX{q.a[i]}, FY{q.b[i]}, FZ{q.c[i]}, spec_of(q, i)).codepoint));
      return true;
    };
    if (q.op == "fma")
      return run([](FX x, FY y, FZ z, DynSpec s) { return p3109::FMA<FR>(x, y, z, s); });
    if (q.op == "clamp")
      return run([](FX x, FY y, FZ z, DynSpec s) { return p3109::Clamp<FR>(x, y, z, s); });
    return false;
  }

  // Predicates (no projection): x and y of formats FX, FY.
  template <typename FX, typename FY>
  bool predicate(Req &q)
  {
    q.out.resize(q.n);
    auto run = [&](auto op) {
      for (std::size_t i = 0; i < q.n; ++i)
        q.out[i] = op(FX{q.a[i]}, FY{q.b[i]}) ? 1 : 0;
      return true;
    };
#define DRV_P(NAME, FN)                                                                                                \
  if (q.op == NAME)                                                                                                    \
    return run([](FX x, FY y) { return p3109::FN(x, y); });
    DRV_P("eq", CompareEqual)
    DRV_P("lt", CompareLess)
    DRV_P("le", CompareLessEqual)
    DRV_P("gt", CompareGreater)
    DRV_P("ge", CompareGreaterEqual)
#undef DRV_P
    return false;
  }

  // decode: exact value as sign, integer significand and exponent (mpfr_get_z_2exp).
  template <typename F>
  void decode(Req &q)
  {
    q.out.assign(q.n * 16, 0);
    mpz_t z;
    mpz_init(z);
    for (std::size_t i = 0; i < q.n; ++i)
    {
      F x{q.a[i]};
      std::uint64_t m = 0;
      std::int32_t e = 0, cls = 0;
      // classify by the decoded value: binary<>::isinf() ignores the domain (README quirk 2)
      const p3109::mpfr_float v = p3109::Decode(x);
      if (boost::math::isnan(v))
        cls = 3;
      else if (boost::math::isinf(v))
        cls = v > 0 ? 1 : 2;
      else
      {
        if (v != 0)
        {
          e = static_cast<std::int32_t>(mpfr_get_z_2exp(z, v.backend().data()));
          if (mpz_sgn(z) < 0)
          {
            cls = 4;
            mpz_neg(z, z);
          }
          const auto tz = mpz_scan1(z, 0); // strip trailing zero bits: m odd
          mpz_tdiv_q_2exp(z, z, tz);
          e += static_cast<std::int32_t>(tz);
          if (mpz_sizeinbase(z, 2) > 64)
            fail(2, "error: decoded significand wider than 64 bits");
          m = mpz_get_ui(z);
        }
      }
      put<std::uint64_t>(q.out, 2 * i, m);
      std::memcpy(q.out.data() + 16 * i + 8, &e, 4);
      std::memcpy(q.out.data() + 16 * i + 12, &cls, 4);
    }
    mpz_clear(z);
  }

  // project: the reference's Project<FR>(X, spec) of an exact dyadic X = m * 2^e (or +/-inf, NaN).
  template <typename FR>
  void project(Req &q)
  {
    q.out.resize(q.n * 2);
    p3109::ensure_mpfr_precision();
    for (std::size_t i = 0; i < q.n; ++i)
    {
      const auto m = get<std::int64_t>(q.raw, i, 16, 0);
      const auto e = get<std::int32_t>(q.raw, i, 16, 8);
      const auto cls = get<std::int32_t>(q.raw, i, 16, 12);
      p3109::mpfr_float X;
      if (cls == 1)
        X = p3109::mpfr_inf();
      else if (cls == 2)
        X = -p3109::mpfr_inf();
      else if (cls == 3)
        X = p3109::mpfr_nan();
      else
        mpfr_set_si_2exp(X.backend().data(), m, e, MPFR_RNDN); // exact: |m| < 2^63, 256-bit precision
      put<std::uint16_t>(q.out, i, static_cast<std::uint16_t>(Project<FR>(X, spec_of(q, i)).codepoint));
    }
  }

  // from_f64: the reference's ConvertFromIEEE754<FR>(double, spec).
  template <typename FR>
  void from_f64(Req &q)
  {
    q.out.resize(q.n * 2);
    for (std::size_t i = 0; i < q.n; ++i)
      put<std::uint16_t>(
        q.out, i,
        static_cast<std::uint16_t>(p3109::ConvertFromIEEE754<FR>(get<double>(q.raw, i), spec_of(q, i)).codepoint));
  }

} // namespace drv

// ---- the operations whose result format is format R ------------------------------------------
// Returns 1 when handled, 0 when there is no such operation/format combination. Each unit
// object is compiled with -D'P3109_UNITS(X)=X(i) X(j) ...' and instantiates those formats;
// the dispatcher (P3109_MAIN) only declares drv_unit.
template <int R>
int drv_unit(drv::Req &q);

#ifdef P3109_UNITS
template <int R>
int drv_unit(drv::Req &q)
{
  using namespace drv;
  using FR = Fmt<R>;
  const std::string &op = q.op;
  if (op == "decode")
    return decode<FR>(q), 1;
  if (op == "project")
    return project<FR>(q), 1;
  if (op == "from_f64")
    return from_f64<FR>(q), 1;
  // predicates: --r names x's format; y has the same format or a listed partner's
  if (op == "eq" || op == "lt" || op == "le" || op == "gt" || op == "ge")
  {
    if (q.y == R)
      return predicate<FR, FR>(q);
#define DRV_PRED(XI, YI)                                                                                               \
  if constexpr (XI == R)                                                                                               \
  {                                                                                                                    \
    if (q.y == YI)                                                                                                     \
      return predicate<FR, Fmt<YI>>(q);                                                                                \
  }
    P3109_MIXED_PREDICATES(DRV_PRED)
#undef DRV_PRED
    return 0;
  }
  if (op == "convert")
  {
#define DRV_CONV(RI, XI)                                                                                               \
  if constexpr (RI == R)                                                                                               \
  {                                                                                                                    \
    if (q.x == XI)                                                                                                     \
      return unary<FR, Fmt<XI>>(q);                                                                                    \
  }
    P3109_CONVERTS(DRV_CONV)
#undef DRV_CONV
    return q.x == R ? unary<FR, FR>(q) : 0;
  }
  if (q.x == R && (q.y < 0 || q.y == R) && (q.z < 0 || q.z == R))
    return (unary<FR, FR>(q) || binary<FR, FR, FR>(q) || ternary<FR, FR, FR, FR>(q)) ? 1 : 0;
#define DRV_MB(RI, XI, YI)                                                                                             \
  if constexpr (RI == R)                                                                                               \
  {                                                                                                                    \
    if (q.x == XI && q.y == YI && q.z < 0)                                                                             \
      return binary<FR, Fmt<XI>, Fmt<YI>>(q) ? 1 : 0;                                                                  \
  }
  P3109_MIXED_BINARY(DRV_MB)
#undef DRV_MB
#define DRV_MT(RI, XI, YI, ZI)                                                                                         \
  if constexpr (RI == R)                                                                                               \
  {                                                                                                                    \
    if (q.x == XI && q.y == YI && q.z == ZI)                                                                           \
      return ternary<FR, Fmt<XI>, Fmt<YI>, Fmt<ZI>>(q) ? 1 : 0;                                                        \
  }
  P3109_MIXED_TERNARY(DRV_MT)
#undef DRV_MT
  return 0;
}

#define DRV_INST(id) template int drv_unit<id>(drv::Req &);
P3109_UNITS(DRV_INST)
#undef DRV_INST
#endif // P3109_UNITS

#ifdef P3109_MAIN
// ---- dispatcher -----------------------------------------------------------------------------
namespace drv {
  struct FmtInfo {
    const char *name;
    unsigned K;
    int (*fn)(Req &);
  };
#define DRV_INFO(id, K, P, S, D) FmtInfo{nullptr, K, &drv_unit<id>},
  FmtInfo table[] = {P3109_FORMATS(DRV_INFO)};
#undef DRV_INFO
  constexpr int num_formats = sizeof(table) / sizeof(table[0]);

  template <int I>
  void fill_names()
  {
    if constexpr (I < num_formats)
    {
      static const std::string nm = Fmt<I>::name();
      table[I].name = nm.c_str();
      fill_names<I + 1>();
    }
  }

  int find_format(const std::string &name)
  {
    for (int i = 0; i < num_formats; ++i)
      if (name == table[i].name)
        return i;
    fail(2, "error: unknown format '" + name + "' (driver --list shows the compiled formats)");
  }

  void read_exact(std::FILE *f, void *dst, std::size_t bytes, const char *what)
  {
    if (bytes && std::fread(dst, 1, bytes, f) != bytes)
      fail(2, std::string("error: input ended early while reading ") + what);
  }
} // namespace drv

int main(int argc, char **argv)
{
  using namespace drv;
  fill_names<0>();
  if (argc >= 2 && std::string(argv[1]) == "--list")
  {
    for (int i = 0; i < num_formats; ++i)
      std::printf("format %s\n", table[i].name);
#define DRV_L2(RI, XI) std::printf("convert %s %s\n", table[RI].name, table[XI].name);
    P3109_CONVERTS(DRV_L2)
#undef DRV_L2
#define DRV_L3(RI, XI, YI) std::printf("binary %s %s %s\n", table[RI].name, table[XI].name, table[YI].name);
    P3109_MIXED_BINARY(DRV_L3)
#undef DRV_L3
#define DRV_L4(RI, XI, YI, ZI)                                                                                         \
  std::printf("ternary %s %s %s %s\n", table[RI].name, table[XI].name, table[YI].name, table[ZI].name);
    P3109_MIXED_TERNARY(DRV_L4)
#undef DRV_L4
#define DRV_LP(XI, YI) std::printf("predicate %s %s\n", table[XI].name, table[YI].name);
    P3109_MIXED_PREDICATES(DRV_LP)
#undef DRV_LP
#define DRV_LN(N) std::printf("nbits %d\n", N);
    DRV_NBITS(DRV_LN)
#undef DRV_LN
    return 0;
  }
  if (argc < 2)
    fail(2, "usage: driver OP --r FMT [--x FMT --y FMT --z FMT] [--round M --sat M --nbits N] --n COUNT "
            "[--in FILE --out FILE] | driver --list");
  Req q;
  q.op = argv[1];
  std::string in_path, out_path;
  long long n = -1;
  for (int i = 2; i < argc; i += 2)
  {
    const std::string key = argv[i];
    if (i + 1 >= argc)
      fail(2, "error: option " + key + " needs a value");
    const std::string val = argv[i + 1];
    if (key == "--r")
      q.r = find_format(val);
    else if (key == "--x")
      q.x = find_format(val);
    else if (key == "--y")
      q.y = find_format(val);
    else if (key == "--z")
      q.z = find_format(val);
    else if (key == "--n")
      n = std::atoll(val.c_str());
    else if (key == "--nbits")
      q.nbits = static_cast<unsigned>(std::atoi(val.c_str()));
    else if (key == "--memo")
      use_memo = std::atoi(val.c_str()) != 0;
    else if (key == "--in")
      in_path = val;
    else if (key == "--out")
      out_path = val;
    else if (key == "--round")
    {
      static const char *names[] = {"TowardZero",        "TowardMaxMagnitude", "TowardPositive", "TowardNegative",
                                    "NearestTiesToAway", "NearestTiesToEven",  "ToOdd",          "StochasticA",
                                    "StochasticB",       "StochasticC"};
      int k = 0;
      while (k < 10 && val != names[k])
        ++k;
      if (k == 10)
        fail(2, "error: unknown rounding mode '" + val + "'");
      q.round = static_cast<Round>(k);
    }
    else if (key == "--sat")
    {
      if (val == "SatFinite")
        q.sat = Sat::SF;
      else if (val == "SatPropagate")
        q.sat = Sat::SP;
      else if (val == "OvfInf")
        q.sat = Sat::OI;
      else
        fail(2, "error: unknown saturation mode '" + val + "'");
    }
    else
      fail(2, "error: unknown option " + key);
  }
  if (q.r < 0)
    fail(2, "error: --r FMT is required");
  if (n < 0)
    fail(2, "error: --n COUNT is required");
  q.n = static_cast<std::size_t>(n);
  const bool stochastic = q.round == Round::SA || q.round == Round::SB || q.round == Round::SC;
  if (stochastic && (q.nbits < 1 || q.nbits > 62))
    fail(2, "error: stochastic rounding needs --nbits N");

  std::FILE *in = in_path.empty() ? stdin : std::fopen(in_path.c_str(), "rb");
  if (!in)
    fail(2, "error: cannot open " + in_path);
  static const char *unary_ops[] = {"neg", "abs", "sqrt", "recip", "rsqrt", "convert", "decode"};
  static const char *ternary_ops[] = {"fma", "clamp"};
  int arity = 2;
  for (auto s : unary_ops)
    if (q.op == s)
      arity = 1;
  for (auto s : ternary_ops)
    if (q.op == s)
      arity = 3;
  const bool raw16 = q.op == "project", raw8 = q.op == "from_f64";
  if (raw16 || raw8)
  {
    q.raw.resize(q.n * (raw16 ? 16 : 8));
    read_exact(in, q.raw.data(), q.raw.size(), "the operand records");
  }
  else
  {
    // operand formats default to the result format (predicates: --r is x's format)
    if (q.x < 0)
      q.x = q.r;
    if (arity >= 2 && q.y < 0)
      q.y = q.x;
    if (arity >= 3 && q.z < 0)
      q.z = q.x;
    const bool pred = q.op == "eq" || q.op == "lt" || q.op == "le" || q.op == "gt" || q.op == "ge";
    if (pred)
      q.x = q.r;
    std::vector<std::uint16_t> *cols[] = {&q.a, &q.b, &q.c};
    const int fi[] = {q.x, q.y, q.z};
    for (int k = 0; k < arity; ++k)
    {
      cols[k]->resize(q.n);
      read_exact(in, cols[k]->data(), q.n * 2, "the operand codes");
      const std::uint64_t lim = std::uint64_t{1} << table[fi[k]].K;
      for (auto v : *cols[k])
        if (v >= lim)
          fail(2, "error: operand code " + std::to_string(v) + " out of range for " + table[fi[k]].name);
    }
  }
  if (stochastic)
  {
    q.rnd.resize(q.n);
    read_exact(in, q.rnd.data(), q.n * 8, "the random values");
    for (auto v : q.rnd)
      if (q.nbits < 64 && v >= (std::uint64_t{1} << q.nbits))
        fail(2, "error: random value " + std::to_string(v) + " does not fit in --nbits " + std::to_string(q.nbits));
  }
  if (in != stdin)
    std::fclose(in);

  if (!table[q.r].fn(q))
    fail(3, "unsupported: operation '" + q.op + "' with these formats (driver --list shows the compiled ones)");

  std::FILE *out = out_path.empty() ? stdout : std::fopen(out_path.c_str(), "wb");
  if (!out)
    fail(2, "error: cannot open " + out_path);
  if (std::fwrite(q.out.data(), 1, q.out.size(), out) != q.out.size())
    fail(2, "error: short write");
  if (out != stdout)
    std::fclose(out);
  return 0;
}
#endif // P3109_MAIN
