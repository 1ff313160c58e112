// CPU binary elementwise kernels (arithmetic, comparisons, logical ops, the
// fused activation backwards) and where. One functor per BinaryOp, run by the
// loops in elementwise_loops.h; floating dtypes compute in compute_t.
#include <atomic>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/elementwise_loops.h"
#include "tensor/cpu/vec_math.h"

namespace mini::cpu {
namespace {

inline float tanh_of(float x) { return tanh_f32(x); }
inline double tanh_of(double x) { return std::tanh(x); }
inline float sigmoid_of(float x) { return sigmoid_f32(x); }
inline double sigmoid_of(double x) { return 1.0 / (1.0 + std::exp(-x)); }
// GELU's Phi(x) = erfc(-x / sqrt 2) / 2 and exp(-x^2 / 2), which erfc_f32 computes on the way.
struct GeluTerms {
  float cdf, gaussian;
};
MINI_VEC_INLINE GeluTerms gelu_terms(float x) {
  const ErfcAndGaussian e = erfc_and_gaussian_f32(-x * 0.7071067811865476f);
  return {0.5f * e.erfc, e.gaussian};
}
struct GeluTermsDouble {
  double cdf, gaussian;
};
inline GeluTermsDouble gelu_terms(double x) {
  return {0.5 * std::erfc(-x * 0.7071067811865476), std::exp(-0.5 * x * x)};
}

template <typename Out, typename T, typename F>
void run(const Tensor& dst, const Tensor& a, const Tensor& b, F f) {
  for_each_element<3>({&dst, &a, &b}, binary_loop<Out, T>(f));
}

// Comparisons and logical ops: computed in T, written as bool. True when op is one of them.
template <typename T>
bool boolean_binary(BinaryOp op, const Tensor& dst, const Tensor& a, const Tensor& b) {
  using C = compute_t<T>;
  switch (op) {
    case BinaryOp::eq:
      run<bool, T>(dst, a, b, [](C x, C y) { return x == y; });
      return true;
    case BinaryOp::ne:
      run<bool, T>(dst, a, b, [](C x, C y) { return x != y; });
      return true;
    case BinaryOp::lt:
      run<bool, T>(dst, a, b, [](C x, C y) { return x < y; });
      return true;
    case BinaryOp::le:
      run<bool, T>(dst, a, b, [](C x, C y) { return x <= y; });
      return true;
    case BinaryOp::gt:
      run<bool, T>(dst, a, b, [](C x, C y) { return x > y; });
      return true;
    case BinaryOp::ge:
      run<bool, T>(dst, a, b, [](C x, C y) { return x >= y; });
      return true;
    case BinaryOp::logical_and:
      run<bool, T>(dst, a, b, [](C x, C y) { return (x != C(0)) && (y != C(0)); });
      return true;
    case BinaryOp::logical_or:
      run<bool, T>(dst, a, b, [](C x, C y) { return (x != C(0)) || (y != C(0)); });
      return true;
    case BinaryOp::logical_xor:
      run<bool, T>(dst, a, b, [](C x, C y) { return (x != C(0)) != (y != C(0)); });
      return true;
    default:
      return false;
  }
}

template <typename T>
void floating_binary(BinaryOp op, const Tensor& dst, const Tensor& a, const Tensor& b) {
  using C = compute_t<T>;
  constexpr C kZero = 0, kOne = 1, kHalf = 0.5;
  switch (op) {
    case BinaryOp::add:
      return run<T, T>(dst, a, b, [](C x, C y) { return x + y; });
    case BinaryOp::sub:
      return run<T, T>(dst, a, b, [](C x, C y) { return x - y; });
    case BinaryOp::mul:
      return run<T, T>(dst, a, b, [](C x, C y) { return x * y; });
    case BinaryOp::div:
      return run<T, T>(dst, a, b, [](C x, C y) { return x / y; });
    case BinaryOp::pow:
      return run<T, T>(dst, a, b, [](C x, C y) { return std::pow(x, y); });
    // NaN in either operand gives NaN, as torch.maximum/minimum.
    case BinaryOp::maximum:
      return run<T, T>(dst, a, b, [](C x, C y) { return x != x ? x : y != y ? y : x > y ? x : y; });
    case BinaryOp::minimum:
      return run<T, T>(dst, a, b, [](C x, C y) { return x != x ? x : y != y ? y : x < y ? x : y; });
    case BinaryOp::remainder:
      // Python's rule: the result takes the divisor's sign.
      return run<T, T>(dst, a, b, [](C x, C y) {
        const C mod = std::fmod(x, y);
        return mod != kZero && ((y < kZero) != (mod < kZero)) ? mod + y : mod;
      });
    // NOTE: x <= 0 ? 0 : grad (not grad * (x > 0)) so a NaN input passes the
    // gradient through, as PyTorch's threshold_backward does.
    case BinaryOp::relu_backward:
      return run<T, T>(dst, a, b, [](C grad, C x) { return x <= kZero ? kZero : grad; });
    case BinaryOp::sigmoid_backward:
      return run<T, T>(dst, a, b, [](C grad, C y) { return grad * y * (kOne - y); });
    case BinaryOp::tanh_backward:
      return run<T, T>(dst, a, b, [](C grad, C y) { return grad * (kOne - y * y); });
    case BinaryOp::gelu_tanh_backward:
      return run<T, T>(dst, a, b, [](C grad, C x) {
        constexpr C kSqrt2OverPi = 0.7978845608028654, kCoefficient = 0.044715;
        const C t = tanh_of(kSqrt2OverPi * (x + kCoefficient * x * x * x));
        const C inner_derivative = kSqrt2OverPi * (kOne + C(3) * kCoefficient * x * x);
        return grad * (kHalf * (kOne + t) + kHalf * x * (kOne - t * t) * inner_derivative);
      });
    case BinaryOp::gelu_erf_backward:
      // (always_inline: a lambda this size is otherwise called per element, unvectorised.)
      return run<T, T>(dst, a, b, [](C grad, C x) __attribute__((always_inline)) {
        constexpr C kInvSqrt2Pi = 0.3989422804014327;
        const auto terms = gelu_terms(x);
        return grad * (terms.cdf + x * kInvSqrt2Pi * terms.gaussian);
      });
    case BinaryOp::silu_backward:
      return run<T, T>(dst, a, b, [](C grad, C x) {
        const C s = sigmoid_of(x);
        return grad * s * (kOne + x * (kOne - s));
      });
    default:
      break;
  }
  throw InternalError(fmt::format("cpu binary: op {} is not defined for {}", static_cast<int>(op), dst.dtype()));
}

// NOTE: signed overflow is undefined in C++, so add/sub/mul wrap through the
// unsigned type (two's complement, as PyTorch's kernels give).
template <typename T>
void integer_binary(BinaryOp op, const Tensor& dst, const Tensor& a, const Tensor& b) {
  using U = std::make_unsigned_t<T>;
  switch (op) {
    case BinaryOp::add:
      return run<T, T>(dst, a, b, [](T x, T y) { return static_cast<T>(static_cast<U>(x) + static_cast<U>(y)); });
    case BinaryOp::sub:
      return run<T, T>(dst, a, b, [](T x, T y) { return static_cast<T>(static_cast<U>(x) - static_cast<U>(y)); });
    case BinaryOp::mul:
      return run<T, T>(dst, a, b, [](T x, T y) { return static_cast<T>(static_cast<U>(x) * static_cast<U>(y)); });
    case BinaryOp::maximum:
      return run<T, T>(dst, a, b, [](T x, T y) { return x > y ? x : y; });
    case BinaryOp::minimum:
      return run<T, T>(dst, a, b, [](T x, T y) { return x < y ? x : y; });
    case BinaryOp::pow:
      return run<T, T>(dst, a, b, [](T x, T y) {
        // A negative exponent truncates 1 / x^|y| toward zero, as PyTorch's integer pow.
        if constexpr (std::is_signed_v<T>) {
          if (y < T(0)) return x == T(1) ? T(1) : x == T(-1) ? static_cast<T>((y & 1) ? -1 : 1) : T(0);
        }
        U result = 1, base = static_cast<U>(x);
        for (U e = static_cast<U>(y); e != 0; e >>= 1) {
          if (e & 1u) result = static_cast<U>(result * base);
          base = static_cast<U>(base * base);
        }
        return static_cast<T>(result);
      });
    case BinaryOp::remainder: {
      std::atomic<bool> divided_by_zero{false};
      run<T, T>(dst, a, b, [&divided_by_zero](T x, T y) {
        if (y == T(0)) {
          divided_by_zero.store(true, std::memory_order_relaxed);
          return T(0);
        }
        if constexpr (std::is_signed_v<T>) {
          if (y == T(-1)) return T(0);  // also avoids the INT_MIN % -1 overflow trap
          const T mod = static_cast<T>(x % y);
          return mod != T(0) && ((y < T(0)) != (mod < T(0))) ? static_cast<T>(mod + y) : mod;
        } else {
          return static_cast<T>(x % y);
        }
      });
      MINI_CHECK(!divided_by_zero.load(), "remainder: integer division by zero");
      return;
    }
    default:
      break;
  }
  throw InternalError(fmt::format("cpu binary: op {} is not defined for {}", static_cast<int>(op), dst.dtype()));
}

// bool arithmetic as PyTorch defines it: add is or, mul is and.
void bool_binary(BinaryOp op, const Tensor& dst, const Tensor& a, const Tensor& b) {
  switch (op) {
    case BinaryOp::add:
    case BinaryOp::maximum:
      return run<bool, bool>(dst, a, b, [](bool x, bool y) { return x || y; });
    case BinaryOp::mul:
    case BinaryOp::minimum:
      return run<bool, bool>(dst, a, b, [](bool x, bool y) { return x && y; });
    default:
      break;
  }
  throw InternalError(fmt::format("cpu binary: op {} is not defined for bool", static_cast<int>(op)));
}

// where only moves bits, so it runs on unsigned integers of the element's width.
template <typename Bits>
void where_kernel(const Tensor& dst, const Tensor& cond, const Tensor& a, const Tensor& b) {
  for_each_element<4>({&dst, &cond, &a, &b}, [](char* const* data, const int64_t* strides, int64_t n) {
    auto* out = reinterpret_cast<Bits*>(data[0]);
    const auto* mask = reinterpret_cast<const bool*>(data[1]);
    const auto* x = reinterpret_cast<const Bits*>(data[2]);
    const auto* y = reinterpret_cast<const Bits*>(data[3]);
    constexpr int64_t kSize = sizeof(Bits);
    if (strides[0] == kSize && strides[1] == 1) {
      if (strides[2] == kSize && strides[3] == kSize) {
        for (int64_t i = 0; i < n; ++i) out[i] = mask[i] ? x[i] : y[i];
        return;
      }
      if (strides[2] == kSize && strides[3] == 0) {
        const Bits y0 = y[0];
        for (int64_t i = 0; i < n; ++i) out[i] = mask[i] ? x[i] : y0;
        return;
      }
      if (strides[2] == 0 && strides[3] == kSize) {
        const Bits x0 = x[0];
        for (int64_t i = 0; i < n; ++i) out[i] = mask[i] ? x0 : y[i];
        return;
      }
    }
    for (int64_t i = 0; i < n; ++i) {
      const bool take_x = *reinterpret_cast<const bool*>(data[1] + i * strides[1]);
      const char* source = take_x ? data[2] + i * strides[2] : data[3] + i * strides[3];
      std::memcpy(data[0] + i * strides[0], source, sizeof(Bits));
    }
  });
}

}  // namespace

void CpuBackend::binary(BinaryOp op, const Tensor& dst, const Tensor& a, const Tensor& b) {
  MINI_ASSERT(dst.sizes() == a.sizes() && dst.sizes() == b.sizes(), "cpu binary: shapes {}, {} and {} differ",
              shape_str(dst.sizes()), shape_str(a.sizes()), shape_str(b.sizes()));
  MINI_ASSERT(a.dtype() == b.dtype(), "cpu binary: operand dtypes {} and {} differ", a.dtype(), b.dtype());
  if (binary_op_writes_bool(op)) {
    MINI_ASSERT(dst.dtype() == DType::b8, "cpu binary: op {} writes bool, got {}", static_cast<int>(op), dst.dtype());
    dispatch(a.dtype(), [&]<typename T>() { boolean_binary<T>(op, dst, a, b); });
    return;
  }
  MINI_ASSERT(dst.dtype() == a.dtype(), "cpu binary: output dtype {} differs from the operands' {}", dst.dtype(),
              a.dtype());
  dispatch(a.dtype(), [&]<typename T>() {
    if constexpr (std::is_floating_point_v<compute_t<T>>) {
      floating_binary<T>(op, dst, a, b);
    } else if constexpr (std::is_same_v<T, bool>) {
      bool_binary(op, dst, a, b);
    } else {
      integer_binary<T>(op, dst, a, b);
    }
  });
}

void CpuBackend::where(const Tensor& dst, const Tensor& cond, const Tensor& a, const Tensor& b) {
  MINI_ASSERT(cond.dtype() == DType::b8, "cpu where: condition must be bool, got {}", cond.dtype());
  MINI_ASSERT(dst.dtype() == a.dtype() && dst.dtype() == b.dtype(), "cpu where: dtypes {}, {} and {} differ",
              dst.dtype(), a.dtype(), b.dtype());
  switch (dst.element_size()) {
    case 1:
      return where_kernel<uint8_t>(dst, cond, a, b);
    case 2:
      return where_kernel<uint16_t>(dst, cond, a, b);
    case 4:
      return where_kernel<uint32_t>(dst, cond, a, b);
    case 8:
      return where_kernel<uint64_t>(dst, cond, a, b);
    default:
      break;
  }
  throw InternalError(fmt::format("cpu where: unsupported element size {}", dst.element_size()));
}

}  // namespace mini::cpu
