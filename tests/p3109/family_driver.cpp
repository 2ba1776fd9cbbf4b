// Family driver: the IEEE P3109 reference implementation's Decode and Project (awf/p3109-cpp, MIT)
// for any list of binary<K, P, Signedness, Domain> formats -- every member fp8ref supports, not
// only the 47 the operation driver (tests/oracles/p3109/driver.cpp) compiles.
//
// Test-only oracle for fp8ref; the reference's headers are found with -I, never copied here.
// family_build.py generates family_formats.inc (FAMILY_FORMATS(X): X(id, K, P, S, D)) and
// compiles units of formats (-DFAMILY_UNITS) plus the dispatcher (-DFAMILY_MAIN).
//
// Command line:  family_driver OP ID [ROUND SAT] N
//   OP      decode | project
//   ID      the format's index in FAMILY_FORMATS
//   ROUND   TZ TMM TP TN NTA NTE ODD SA SB SC (StochasticA<5>, StochasticB<8>, StochasticC<3>)
//   SAT     SF SP OI
// Input (stdin, little-endian):
//   decode   N uint16 codes
//   project  N records {int64 m; int32 e; int32 cls} (cls 0 = m * 2^e, 1 = +inf, 2 = -inf,
//            3 = NaN), then for SA/SB/SC N uint64 random values R < 2^N
// Output (stdout): decode: N records {uint64 m; int32 e; int32 cls} (value (+/-) m * 2^e, m odd
// or 0; cls 0 = non-negative, 4 = negative, 1/2/3 = +inf/-inf/NaN); project: N uint16 codes.
//
// Projection is the reference's p3109::Project<F>(X, ProjectionSpec<RM, SM>). Project admits
// only SatFinite for Finite formats; for SatPropagate/OvfInf into a Finite format this driver
// composes Project's own three steps (RoundToPrecision, Saturate, Encode), whose Saturate
// defines those modes -- fp8ref follows that definition.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "p3109.h"

#include "family_formats.inc"

namespace fam {
  using p3109::Domain;
  using p3109::Signedness;
  constexpr Signedness Signed = Signedness::Signed;
  constexpr Signedness Unsigned = Signedness::Unsigned;
  constexpr Domain Extended = Domain::Extended;
  constexpr Domain Finite = Domain::Finite;

  enum Round { TZ, TMM, TP, TN, NTA, NTE, ODD, SA, SB, SC };
  enum Sat { SF, SP, OI };

  [[noreturn]] inline void fail(const std::string &msg)
  {
    std::fprintf(stderr, "%s\n", msg.c_str());
    std::exit(2);
  }

  template <typename F, typename RM, typename SM>
  std::uint64_t project_one(const p3109::mpfr_float &X, RM rm)
  {
    if constexpr (F::is_extended || std::is_same_v<SM, p3109::SatFinite>)
      return p3109::Project<F>(X, p3109::ProjectionSpec<RM, SM>{rm}).codepoint;
    else
    { // Project's body (ops/Project.h) for the modes its `requires` clause excludes
      if (boost::math::isnan(X))
        return p3109::Encode<F>(X).codepoint;
      const p3109::mpfr_float max_finite = p3109::Decode(p3109::MaxFiniteOf<F>());
      constexpr int bias = F::exponent_bias;
      const p3109::mpfr_float r = p3109::RoundToPrecision<F::precision, bias, RM>(X, rm);
      return p3109::Encode<F>(p3109::Saturate<F::signedness, F::domain, SM, RM>(r, max_finite, rm)).codepoint;
    }
  }

  template <typename F, typename SM>
  std::uint64_t project_round(const p3109::mpfr_float &X, int round, std::uint64_t R)
  {
    switch (round)
    {
    case TZ: return project_one<F, p3109::TowardZero, SM>(X, {});
    case TMM: return project_one<F, p3109::TowardMaxMagnitude, SM>(X, {});
    case TP: return project_one<F, p3109::TowardPositive, SM>(X, {});
    case TN: return project_one<F, p3109::TowardNegative, SM>(X, {});
    case NTA: return project_one<F, p3109::NearestTiesToAway, SM>(X, {});
    case NTE: return project_one<F, p3109::NearestTiesToEven, SM>(X, {});
    case ODD: return project_one<F, p3109::ToOdd, SM>(X, {});
    case SA: return project_one<F, p3109::StochasticA<5>, SM>(X, p3109::StochasticA<5>{R});
    case SB: return project_one<F, p3109::StochasticB<8>, SM>(X, p3109::StochasticB<8>{R});
    case SC: return project_one<F, p3109::StochasticC<3>, SM>(X, p3109::StochasticC<3>{R});
    }
    fail("error: unknown rounding");
  }

  template <typename T>
  T get(const std::vector<unsigned char> &in, std::size_t off)
  {
    T v;
    std::memcpy(&v, in.data() + off, sizeof(T));
    return v;
  }

  template <typename F>
  void decode(const std::vector<unsigned char> &in, std::size_t n, std::vector<unsigned char> &out)
  {
    out.assign(n * 16, 0);
    mpz_t z;
    mpz_init(z);
    for (std::size_t i = 0; i < n; ++i)
    {
      const p3109::mpfr_float v = p3109::Decode(F{get<std::uint16_t>(in, 2 * i)});
      std::uint64_t m = 0;
      std::int32_t e = 0, cls = 0;
      if (boost::math::isnan(v))
        cls = 3;
      else if (boost::math::isinf(v))
        cls = v > 0 ? 1 : 2;
      else if (v != 0)
      {
        e = static_cast<std::int32_t>(mpfr_get_z_2exp(z, v.backend().data()));
        if (mpz_sgn(z) < 0)
        {
          cls = 4;
          mpz_neg(z, z);
        }
        const auto tz = mpz_scan1(z, 0);
        mpz_tdiv_q_2exp(z, z, tz);
        e += static_cast<std::int32_t>(tz);
        if (mpz_sizeinbase(z, 2) > 64)
          fail("error: decoded significand wider than 64 bits");
        m = mpz_get_ui(z);
      }
      std::memcpy(out.data() + 16 * i, &m, 8);
      std::memcpy(out.data() + 16 * i + 8, &e, 4);
      std::memcpy(out.data() + 16 * i + 12, &cls, 4);
    }
    mpz_clear(z);
  }

  template <typename F>
  void project(const std::vector<unsigned char> &in, std::size_t n, int round, int sat,
               std::vector<unsigned char> &out)
  {
    out.assign(n * 2, 0);
    const bool stochastic = round >= SA;
    if (in.size() != n * (16 + (stochastic ? 8 : 0)))
      fail("error: input size does not match N");
    for (std::size_t i = 0; i < n; ++i)
    {
      const auto m = get<std::int64_t>(in, 16 * i);
      const auto e = get<std::int32_t>(in, 16 * i + 8);
      const auto cls = get<std::int32_t>(in, 16 * i + 12);
      const std::uint64_t R = stochastic ? get<std::uint64_t>(in, 16 * n + 8 * i) : 0;
      p3109::mpfr_float X;
      if (cls == 1)
        X = p3109::mpfr_inf();
      else if (cls == 2)
        X = -p3109::mpfr_inf();
      else if (cls == 3)
        X = p3109::mpfr_nan();
      else
        mpfr_set_si_2exp(X.backend().data(), m, e, MPFR_RNDN); // exact: |m| < 2^63
      std::uint64_t c = 0;
      if (sat == SF)
        c = project_round<F, p3109::SatFinite>(X, round, R);
      else if (sat == SP)
        c = project_round<F, p3109::SatPropagate>(X, round, R);
      else
        c = project_round<F, p3109::OvfInf>(X, round, R);
      const auto c16 = static_cast<std::uint16_t>(c);
      std::memcpy(out.data() + 2 * i, &c16, 2);
    }
  }
} // namespace fam

// One function per format, defined in the unit object that instantiates it.
#define FAMILY_DECLARE(id, K, P, S, D)                                                                                   \
  void family_run_##id(const std::string &op, const std::vector<unsigned char> &in, std::size_t n, int round, int sat, \
                       std::vector<unsigned char> &out);
FAMILY_FORMATS(FAMILY_DECLARE)

#ifdef FAMILY_UNITS
#define FAMILY_DEFINE(id, K, P, S, D)                                                                                    \
  void family_run_##id(const std::string &op, const std::vector<unsigned char> &in, std::size_t n, int round, int sat, \
                       std::vector<unsigned char> &out)                                                                \
  {                                                                                                                    \
    using F = p3109::binary<K, P, fam::S, fam::D>;                                                                     \
    p3109::ensure_mpfr_precision();                                                                                    \
    if (op == "decode")                                                                                                \
      fam::decode<F>(in, n, out);                                                                                      \
    else                                                                                                               \
      fam::project<F>(in, n, round, sat, out);                                                                         \
  }
FAMILY_UNITS(FAMILY_DEFINE)
#endif

#ifdef FAMILY_MAIN
#include <iostream>
#include <iterator>

int main(int argc, char **argv)
{
  using namespace fam;
  if (argc < 4)
    fail("usage: family_driver decode|project ID [ROUND SAT] N");
  const std::string op = argv[1];
  const int id = std::atoi(argv[2]);
  int round = -1, sat = -1;
  std::size_t n = 0;
  if (op == "decode")
    n = std::strtoull(argv[3], nullptr, 10);
  else if (op == "project" && argc == 6)
  {
    static const char *R[] = {"TZ", "TMM", "TP", "TN", "NTA", "NTE", "ODD", "SA", "SB", "SC"};
    static const char *S[] = {"SF", "SP", "OI"};
    for (int i = 0; i < 10; ++i)
      if (std::strcmp(argv[3], R[i]) == 0)
        round = i;
    for (int i = 0; i < 3; ++i)
      if (std::strcmp(argv[4], S[i]) == 0)
        sat = i;
    if (round < 0 || sat < 0)
      fail("error: unknown ROUND or SAT");
    n = std::strtoull(argv[5], nullptr, 10);
  }
  else
    fail("usage: family_driver decode|project ID [ROUND SAT] N");
  std::vector<unsigned char> in((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  std::vector<unsigned char> out;
  switch (id)
  {
#define FAMILY_CASE(fid, K, P, S, D)                                                                                     \
  case fid:                                                                                                            \
    family_run_##fid(op, in, n, round, sat, out);                                                                      \
    break;
    FAMILY_FORMATS(FAMILY_CASE)
  default:
    fail("error: unknown format id " + std::to_string(id));
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
#endif
