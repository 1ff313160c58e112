// CPU unary elementwise kernels: one functor per UnaryOp, run by the loops in
// elementwise_loops.h. Floating dtypes compute in compute_t (float for f16 and
// bf16) with the vectorisable float math of vec_math.h; integer dtypes get the
// ops that are exact on integers (the frontend promotes or rejects the rest).
#include <cmath>
#include <limits>
#include <type_traits>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/elementwise_loops.h"
#include "tensor/cpu/vec_math.h"

namespace mini::cpu {
namespace {

// float goes through the vectorisable versions; double keeps libm's.
inline float exp_of(float x) { return exp_f32(x); }
inline double exp_of(double x) { return std::exp(x); }
inline float log_of(float x) { return log_f32(x); }
inline double log_of(double x) { return std::log(x); }
inline float log1p_of(float x) { return log1p_f32(x); }
inline double log1p_of(double x) { return std::log1p(x); }
inline float tanh_of(float x) { return tanh_f32(x); }
inline double tanh_of(double x) { return std::tanh(x); }
inline float sigmoid_of(float x) { return sigmoid_f32(x); }
inline double sigmoid_of(double x) { return 1.0 / (1.0 + std::exp(-x)); }
inline float floor_of(float x) { return floor_f32(x); }
inline double floor_of(double x) { return std::floor(x); }
inline float ceil_of(float x) { return ceil_f32(x); }
inline double ceil_of(double x) { return std::ceil(x); }
inline float round_of(float x) { return round_half_even_f32(x); }
inline double round_of(double x) { return std::nearbyint(x); }
MINI_VEC_INLINE float erf_of(float x) { return erf_f32(x); }
inline double erf_of(double x) { return std::erf(x); }
MINI_VEC_INLINE float erfc_of(float x) { return erfc_f32(x); }
inline double erfc_of(double x) { return std::erfc(x); }
// A select that stays vectorisable around float math (see select_f32).
inline float choose(bool condition, float if_true, float if_false) { return select_f32(condition, if_true, if_false); }
inline double choose(bool condition, double if_true, double if_false) { return condition ? if_true : if_false; }

template <typename T, typename F>
void run(const Tensor& dst, const Tensor& src, F f) {
  for_each_element<2>({&dst, &src}, unary_loop<T, T>(f));
}

template <typename T>
void floating_unary(UnaryOp op, const Tensor& dst, const Tensor& src, UnaryParams params) {
  using C = compute_t<T>;
  constexpr C kZero = 0, kOne = 1, kHalf = 0.5;
  switch (op) {
    case UnaryOp::neg:
      return run<T>(dst, src, [](C x) { return -x; });
    case UnaryOp::abs:
      return run<T>(dst, src, [](C x) { return std::abs(x); });
    // NOTE: sign(NaN) is 0, as in PyTorch (both comparisons are false).
    case UnaryOp::sign:
      return run<T>(dst, src, [](C x) { return static_cast<C>((kZero < x) - (x < kZero)); });
    case UnaryOp::exp:
      return run<T>(dst, src, [](C x) { return exp_of(x); });
    case UnaryOp::log:
      return run<T>(dst, src, [](C x) { return log_of(x); });
    case UnaryOp::log1p:
      return run<T>(dst, src, [](C x) { return log1p_of(x); });
    case UnaryOp::expm1:
      return run<T>(dst, src, [](C x) { return std::expm1(x); });
    case UnaryOp::sqrt:
      return run<T>(dst, src, [](C x) { return std::sqrt(x); });
    case UnaryOp::rsqrt:
      return run<T>(dst, src, [](C x) { return kOne / std::sqrt(x); });
    case UnaryOp::sin:
      return run<T>(dst, src, [](C x) { return std::sin(x); });
    case UnaryOp::cos:
      return run<T>(dst, src, [](C x) { return std::cos(x); });
    case UnaryOp::tanh:
      return run<T>(dst, src, [](C x) { return tanh_of(x); });
    case UnaryOp::sigmoid:
      return run<T>(dst, src, [](C x) { return sigmoid_of(x); });
    // NOTE: written as x < 0 so NaN passes through, as torch.relu does.
    case UnaryOp::relu:
      return run<T>(dst, src, [](C x) { return x < kZero ? kZero : x; });
    case UnaryOp::gelu_tanh:
      // 0.5 x (1 + tanh(z)) == x * sigmoid(2z): the same value without the
      // cancellation of 1 + tanh(z) for large negative x.
      return run<T>(dst, src, [](C x) {
        constexpr C kTwoSqrt2OverPi = 1.5957691216057308;
        return x * sigmoid_of(kTwoSqrt2OverPi * (x + C(0.044715) * x * x * x));
      });
    case UnaryOp::gelu_erf:
      // 0.5 x erfc(-x / sqrt 2) == 0.5 x (1 + erf(x / sqrt 2)), accurate for negative x too.
      // (always_inline: a lambda this size is otherwise called per element, unvectorised.)
      return run<T>(dst, src, [](C x) __attribute__((always_inline)) {
        return kHalf * x * erfc_of(-x * C(0.7071067811865476));
      });
    case UnaryOp::silu:
      return run<T>(dst, src, [](C x) { return x * sigmoid_of(x); });
    case UnaryOp::softplus: {
      const C beta = static_cast<C>(params.a), threshold = static_cast<C>(params.b);
      return run<T>(dst, src, [beta, threshold](C x) {
        const C scaled = x * beta;
        // Above the threshold log(1 + e^s) == s to working precision (and e^s could overflow).
        return choose(scaled > threshold, x, log1p_of(exp_of(scaled)) / beta);
      });
    }
    case UnaryOp::floor:
      return run<T>(dst, src, [](C x) { return floor_of(x); });
    case UnaryOp::ceil:
      return run<T>(dst, src, [](C x) { return ceil_of(x); });
    // Half to even, as torch.round.
    case UnaryOp::round:
      return run<T>(dst, src, [](C x) { return round_of(x); });
    case UnaryOp::reciprocal:
      return run<T>(dst, src, [](C x) { return kOne / x; });
    case UnaryOp::square:
      return run<T>(dst, src, [](C x) { return x * x; });
    case UnaryOp::erf:
      return run<T>(dst, src, [](C x) { return erf_of(x); });
    case UnaryOp::clamp: {
      const C low = static_cast<C>(params.a), high = static_cast<C>(params.b);
      // NaN stays NaN; low > high gives high everywhere, as in PyTorch.
      return run<T>(dst, src, [low, high](C x) {
        const C raised = x < low ? low : x;
        return raised > high ? high : raised;
      });
    }
    case UnaryOp::pow_scalar: {
      // The common exponents avoid std::pow, which does not vectorise.
      const double exponent = params.a;
      if (exponent == 2) return run<T>(dst, src, [](C x) { return x * x; });
      if (exponent == 1) return run<T>(dst, src, [](C x) { return x; });
      if (exponent == 0) return run<T>(dst, src, [](C) { return kOne; });
      if (exponent == 0.5) return run<T>(dst, src, [](C x) { return std::sqrt(x); });
      if (exponent == 3) return run<T>(dst, src, [](C x) { return x * x * x; });
      if (exponent == -1) return run<T>(dst, src, [](C x) { return kOne / x; });
      if (exponent == -2) return run<T>(dst, src, [](C x) { return kOne / (x * x); });
      if (exponent == -0.5) return run<T>(dst, src, [](C x) { return kOne / std::sqrt(x); });
      const C e = static_cast<C>(exponent);
      return run<T>(dst, src, [e](C x) { return std::pow(x, e); });
    }
    case UnaryOp::leaky_relu: {
      const C slope = static_cast<C>(params.a);
      return run<T>(dst, src, [slope](C x) { return x < kZero ? x * slope : x; });
    }
    case UnaryOp::logical_not:
      break;  // handled by the caller (it writes bool)
  }
  throw InternalError(fmt::format("cpu unary: op {} is not defined for {}", static_cast<int>(op), dst.dtype()));
}

// A double bound as T, saturating at T's range; NaN means no bound.
template <typename T>
T saturate_bound(double bound, T if_nan) {
  if (std::isnan(bound)) return if_nan;
  if (bound <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  if (bound >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(bound);
}

// NOTE: signed overflow is undefined in C++, so wrapping arithmetic goes
// through the unsigned type (two's complement wrap, as PyTorch's kernels give).
template <typename T>
void integer_unary(UnaryOp op, const Tensor& dst, const Tensor& src, UnaryParams params) {
  using U = std::make_unsigned_t<T>;
  constexpr bool kSigned = std::is_signed_v<T>;
  switch (op) {
    case UnaryOp::neg:
      return run<T>(dst, src, [](T x) { return static_cast<T>(U(0) - static_cast<U>(x)); });
    case UnaryOp::abs:
      return run<T>(dst, src, [](T x) { return kSigned && x < T(0) ? static_cast<T>(U(0) - static_cast<U>(x)) : x; });
    case UnaryOp::sign:
      return run<T>(dst, src, [](T x) { return static_cast<T>((T(0) < x) - (x < T(0))); });
    case UnaryOp::relu:
      return run<T>(dst, src, [](T x) { return x < T(0) ? T(0) : x; });
    case UnaryOp::square:
      return run<T>(dst, src, [](T x) { return static_cast<T>(static_cast<U>(x) * static_cast<U>(x)); });
    case UnaryOp::floor:
    case UnaryOp::ceil:
    case UnaryOp::round:
      return run<T>(dst, src, [](T x) { return x; });  // integers are already whole
    case UnaryOp::clamp: {
      const T low = saturate_bound<T>(params.a, std::numeric_limits<T>::lowest());
      const T high = saturate_bound<T>(params.b, std::numeric_limits<T>::max());
      return run<T>(dst, src, [low, high](T x) {
        const T raised = x < low ? low : x;
        return raised > high ? high : raised;
      });
    }
    case UnaryOp::pow_scalar: {
      MINI_ASSERT(params.a >= 0 && params.a == std::floor(params.a),
                  "cpu unary: integer pow needs a non-negative integer exponent, got {}", params.a);
      const auto exponent = static_cast<uint64_t>(params.a);
      return run<T>(dst, src, [exponent](T x) {
        U result = 1, base = static_cast<U>(x);
        for (uint64_t e = exponent; e != 0; e >>= 1) {  // square and multiply
          if (e & 1u) result = static_cast<U>(result * base);
          base = static_cast<U>(base * base);
        }
        return static_cast<T>(result);
      });
    }
    default:
      break;
  }
  throw InternalError(fmt::format("cpu unary: op {} is not defined for {}", static_cast<int>(op), dst.dtype()));
}

}  // namespace

void CpuBackend::unary(UnaryOp op, const Tensor& dst, const Tensor& src, UnaryParams params) {
  MINI_ASSERT(dst.sizes() == src.sizes(), "cpu unary: shapes {} and {} differ", shape_str(dst.sizes()),
              shape_str(src.sizes()));
  if (op == UnaryOp::logical_not) {
    MINI_ASSERT(dst.dtype() == DType::b8, "cpu unary: logical_not writes bool, got {}", dst.dtype());
    dispatch(src.dtype(), [&]<typename T>() {
      using C = compute_t<T>;
      for_each_element<2>({&dst, &src}, unary_loop<bool, T>([](C x) { return !(x != C(0)); }));
    });
    return;
  }
  MINI_ASSERT(dst.dtype() == src.dtype(), "cpu unary: dtypes {} and {} differ", dst.dtype(), src.dtype());
  dispatch(src.dtype(), [&]<typename T>() {
    if constexpr (std::is_floating_point_v<compute_t<T>>) {
      floating_unary<T>(op, dst, src, params);
    } else if constexpr (std::is_same_v<T, bool>) {
      throw InternalError(fmt::format("cpu unary: op {} is not defined for bool", static_cast<int>(op)));
    } else {
      integer_unary<T>(op, dst, src, params);
    }
  });
}

}  // namespace mini::cpu
