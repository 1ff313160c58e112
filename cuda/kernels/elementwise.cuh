#pragma once
// Elementwise kernels: copy (with casts), fill, arange, unary, binary, where.
//
// One thread per element in a grid-stride loop over the flat row-major
// position; operands are addressed through a coalesced Strided geometry. The
// op is a runtime switch inside the kernel (uniform across the grid, so it
// costs a predictable branch): one kernel per dtype instead of ops x dtypes.
// Memory-bound: an f32 add moves 12 bytes per element, ~4 us per 1M elements
// at 3 TB/s (H100), so the per-element index math must stay cheap.
#include "cuda/kernels/geometry.cuh"
#include "cuda/kernels/math.cuh"
#include "cuda/kernels/op_codes.h"

MINI_CUDA_BEGIN_NAMESPACE

// NOTE [ packed elementwise ]: when every operand is contiguous and 16-byte
// aligned (the common case: fresh tensors from the caching allocator), each
// thread moves 16 bytes per operand with one 128-bit load/store instead of
// 4-16 narrow ones, which is what lets a memory-bound kernel approach copy
// bandwidth on a GPU. The n % width tail goes to the first threads.
template <typename T>
struct alignas(16) Pack {
  static constexpr int width = static_cast<int>(16 / sizeof(T));
  T v[width];
};

// g: (dst, src)
template <typename To, typename From>
__global__ void copy_kernel(Strided<2> g, To* dst, const From* src) {
  for (int64_t i = global_thread_index(); i < g.numel; i += grid_thread_count()) {
    const Offsets<2> o = offsets_of(g, i);
    dst[o.at[0]] = convert<To>(src[o.at[1]]);
  }
}

// Bits: an unsigned integer of the element's size; value holds the element's bytes.
template <typename Bits>
__global__ void fill_kernel(Strided<1> g, Bits* dst, Bits value) {
  for (int64_t i = global_thread_index(); i < g.numel; i += grid_thread_count()) {
    dst[offsets_of(g, i).at[0]] = value;
  }
}

// start + i * step rounded once per operation, never contracted to an fma,
// so the values equal the CPU backend's bit for bit.
MINI_DEVICE_INLINE double multiply_add_unfused(double i, double step, double start) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(start, __dmul_rn(i, step));
#else
  return start + i * step;
#endif
}

template <typename T>
__global__ void arange_kernel(T* dst, int64_t stride, int64_t n, double start, double step) {
  for (int64_t i = global_thread_index(); i < n; i += grid_thread_count()) {
    dst[i * stride] = convert<T>(multiply_add_unfused(static_cast<double>(i), step, start));
  }
}

// ---- unary ------------------------------------------------------------

template <typename C>
MINI_DEVICE_INLINE C floating_unary(const UnaryArgs& args, C x) {
  const C zero = 0, one = 1, half = 0.5;
  switch (args.op) {
    case UnaryCode::neg:
      return -x;
    case UnaryCode::abs:
      return m_fabs(x);
    case UnaryCode::sign:
      return static_cast<C>((zero < x) - (x < zero));  // sign(NaN) = 0, as PyTorch
    case UnaryCode::exp:
      return m_exp(x);
    case UnaryCode::log:
      return m_log(x);
    case UnaryCode::log1p:
      return m_log1p(x);
    case UnaryCode::expm1:
      return m_expm1(x);
    case UnaryCode::sqrt:
      return m_sqrt(x);
    case UnaryCode::rsqrt:
      return one / m_sqrt(x);
    case UnaryCode::sin:
      return m_sin(x);
    case UnaryCode::cos:
      return m_cos(x);
    case UnaryCode::tanh:
      return m_tanh(x);
    case UnaryCode::sigmoid:
      return m_sigmoid(x);
    case UnaryCode::relu:
      return x < zero ? zero : x;  // NaN passes through
    case UnaryCode::gelu_tanh:
      // x * sigmoid(2z) == 0.5 x (1 + tanh z) without cancellation for negative x.
      return x * m_sigmoid(C(1.5957691216057308) * (x + C(0.044715) * x * x * x));
    case UnaryCode::gelu_erf:
      return half * x * m_erfc(-x * C(0.7071067811865476));
    case UnaryCode::silu:
      return x * m_sigmoid(x);
    case UnaryCode::softplus: {
      const C beta = static_cast<C>(args.a), threshold = static_cast<C>(args.b);
      const C scaled = x * beta;
      return scaled > threshold ? x : m_log1p(m_exp(scaled)) / beta;
    }
    case UnaryCode::floor:
      return m_floor(x);
    case UnaryCode::ceil:
      return m_ceil(x);
    case UnaryCode::round:
      return m_round_even(x);
    case UnaryCode::reciprocal:
      return one / x;
    case UnaryCode::square:
      return x * x;
    case UnaryCode::erf:
      return m_erf(x);
    case UnaryCode::clamp: {
      const C low = static_cast<C>(args.a), high = static_cast<C>(args.b);
      const C raised = x < low ? low : x;
      return raised > high ? high : raised;
    }
    case UnaryCode::pow_scalar: {
      // The exponents the CPU backend special-cases, so both give the same values.
      const double e = args.a;
      if (e == 2) return x * x;
      if (e == 1) return x;
      if (e == 0) return one;
      if (e == 0.5) return m_sqrt(x);
      if (e == 3) return x * x * x;
      if (e == -1) return one / x;
      if (e == -2) return one / (x * x);
      if (e == -0.5) return one / m_sqrt(x);
      return m_pow(x, static_cast<C>(e));
    }
    case UnaryCode::leaky_relu:
      return x < zero ? x * static_cast<C>(args.a) : x;
    case UnaryCode::logical_not:
      break;
  }
  return x;
}

// x < 0 without a "pointless comparison of unsigned with zero" warning.
template <typename T>
MINI_DEVICE_INLINE bool is_negative(T x) {
  if constexpr (std::is_signed_v<T>) {
    return x < T(0);
  } else {
    return false;
  }
}

// NOTE: signed overflow is undefined, so wrapping arithmetic goes through the
// unsigned type, as the CPU backend does.
template <typename T>
MINI_DEVICE_INLINE T integer_unary(const UnaryArgs& args, T x) {
  using U = std::make_unsigned_t<T>;
  switch (args.op) {
    case UnaryCode::neg:
      return static_cast<T>(U(0) - static_cast<U>(x));
    case UnaryCode::abs:
      return is_negative(x) ? static_cast<T>(U(0) - static_cast<U>(x)) : x;
    case UnaryCode::sign:
      return static_cast<T>((T(0) < x) - is_negative(x));
    case UnaryCode::relu:
      return is_negative(x) ? T(0) : x;
    case UnaryCode::square:
      return static_cast<T>(static_cast<U>(x) * static_cast<U>(x));
    case UnaryCode::clamp: {
      const T low = static_cast<T>(args.integer_low), high = static_cast<T>(args.integer_high);
      const T raised = x < low ? low : x;
      return raised > high ? high : raised;
    }
    case UnaryCode::pow_scalar: {
      U result = 1, base = static_cast<U>(x);
      for (uint64_t e = static_cast<uint64_t>(args.a); e != 0; e >>= 1) {  // square and multiply
        if (e & 1u) result = static_cast<U>(result * base);
        base = static_cast<U>(base * base);
      }
      return static_cast<T>(result);
    }
    default:
      return x;  // floor, ceil, round: integers are already whole
  }
}

template <typename T>
MINI_DEVICE_INLINE T unary_element(const UnaryArgs& args, T x) {
  if constexpr (is_floating_v<T>) {
    return store<T>(floating_unary(args, load(x)));
  } else {
    return integer_unary(args, x);
  }
}

// g: (dst, src)
template <typename T>
__global__ void unary_kernel(Strided<2> g, UnaryArgs args, T* dst, const T* src) {
  for (int64_t i = global_thread_index(); i < g.numel; i += grid_thread_count()) {
    const Offsets<2> o = offsets_of(g, i);
    dst[o.at[0]] = unary_element(args, src[o.at[1]]);
  }
}

// Contiguous, 16-byte aligned dst and src: 128-bit loads and stores (see Pack).
template <typename T>
__global__ void unary_packed_kernel(int64_t n, UnaryArgs args, T* dst, const T* src) {
  using P = Pack<T>;
  const int64_t packs = n / P::width;
  for (int64_t p = global_thread_index(); p < packs; p += grid_thread_count()) {
    const P x = reinterpret_cast<const P*>(src)[p];
    P out;
    for (int j = 0; j < P::width; ++j) out.v[j] = unary_element(args, x.v[j]);
    reinterpret_cast<P*>(dst)[p] = out;
  }
  const int64_t tail = packs * P::width + global_thread_index();
  if (tail < n) dst[tail] = unary_element(args, src[tail]);
}

template <typename T>
__global__ void logical_not_kernel(Strided<2> g, bool* dst, const T* src) {
  for (int64_t i = global_thread_index(); i < g.numel; i += grid_thread_count()) {
    const Offsets<2> o = offsets_of(g, i);
    dst[o.at[0]] = !(load(src[o.at[1]]) != compute_t<T>(0));
  }
}

// ---- binary -----------------------------------------------------------
template <typename C>
MINI_DEVICE_INLINE bool boolean_binary(BinaryCode op, C x, C y) {
  switch (op) {
    case BinaryCode::eq:
      return x == y;
    case BinaryCode::ne:
      return x != y;
    case BinaryCode::lt:
      return x < y;
    case BinaryCode::le:
      return x <= y;
    case BinaryCode::gt:
      return x > y;
    case BinaryCode::ge:
      return x >= y;
    case BinaryCode::logical_and:
      return (x != C(0)) && (y != C(0));
    case BinaryCode::logical_or:
      return (x != C(0)) || (y != C(0));
    case BinaryCode::logical_xor:
      return (x != C(0)) != (y != C(0));
    default:
      return false;
  }
}

template <typename C>
MINI_DEVICE_INLINE C floating_binary(BinaryCode op, C x, C y) {
  const C zero = 0, one = 1, half = 0.5;
  switch (op) {
    case BinaryCode::add:
      return x + y;
    case BinaryCode::sub:
      return x - y;
    case BinaryCode::mul:
      return x * y;
    case BinaryCode::div:
      return x / y;
    case BinaryCode::pow:
      return m_pow(x, y);
    // NaN in either operand gives NaN, as torch.maximum/minimum.
    case BinaryCode::maximum:
      return x != x ? x : y != y ? y : x > y ? x : y;
    case BinaryCode::minimum:
      return x != x ? x : y != y ? y : x < y ? x : y;
    case BinaryCode::remainder: {
      const C mod = m_fmod(x, y);  // Python's rule: the result takes the divisor's sign
      return mod != zero && ((y < zero) != (mod < zero)) ? mod + y : mod;
    }
    case BinaryCode::relu_backward:
      return y <= zero ? zero : x;  // (grad, x); NaN x passes grad
    case BinaryCode::sigmoid_backward:
      return x * y * (one - y);  // (grad, y)
    case BinaryCode::tanh_backward:
      return x * (one - y * y);  // (grad, y)
    case BinaryCode::gelu_tanh_backward: {
      const C k = C(0.7978845608028654), coefficient = C(0.044715);
      const C t = m_tanh(k * (y + coefficient * y * y * y));
      const C inner_derivative = k * (one + C(3) * coefficient * y * y);
      return x * (half * (one + t) + half * y * (one - t * t) * inner_derivative);
    }
    case BinaryCode::gelu_erf_backward: {
      const C cdf = half * m_erfc(-y * C(0.7071067811865476));
      const C pdf = C(0.3989422804014327) * m_exp(-half * y * y);
      return x * (cdf + y * pdf);
    }
    case BinaryCode::silu_backward: {
      const C s = m_sigmoid(y);
      return x * s * (one + y * (one - s));
    }
    default:
      return zero;
  }
}

// Sets *divided_by_zero for an integer remainder by 0 (the host raises the error).
template <typename T>
MINI_DEVICE_INLINE T integer_binary(BinaryCode op, T x, T y, int* divided_by_zero) {
  using U = std::make_unsigned_t<T>;
  switch (op) {
    case BinaryCode::add:
      return static_cast<T>(static_cast<U>(x) + static_cast<U>(y));
    case BinaryCode::sub:
      return static_cast<T>(static_cast<U>(x) - static_cast<U>(y));
    case BinaryCode::mul:
      return static_cast<T>(static_cast<U>(x) * static_cast<U>(y));
    case BinaryCode::maximum:
      return x > y ? x : y;
    case BinaryCode::minimum:
      return x < y ? x : y;
    case BinaryCode::pow: {
      if constexpr (std::is_signed_v<T>) {
        // A negative exponent truncates 1 / x^|y| toward zero, as PyTorch's integer pow.
        if (y < T(0)) return x == T(1) ? T(1) : x == T(-1) ? static_cast<T>((y & 1) ? -1 : 1) : T(0);
      }
      U result = 1, base = static_cast<U>(x);
      for (U e = static_cast<U>(y); e != 0; e >>= 1) {
        if (e & 1u) result = static_cast<U>(result * base);
        base = static_cast<U>(base * base);
      }
      return static_cast<T>(result);
    }
    case BinaryCode::remainder: {
      if (y == T(0)) {
        atomicExch(divided_by_zero, 1);
        return T(0);
      }
      if constexpr (std::is_signed_v<T>) {
        if (y == T(-1)) return T(0);  // also avoids the INT_MIN % -1 overflow trap
        const T mod = static_cast<T>(x % y);
        return mod != T(0) && ((y < T(0)) != (mod < T(0))) ? static_cast<T>(mod + y) : mod;
      } else {
        return static_cast<T>(x % y);
      }
    }
    default:
      return T(0);
  }
}

// bool arithmetic as PyTorch defines it: add/maximum is or, mul/minimum is and.
MINI_DEVICE_INLINE bool bool_binary(BinaryCode op, bool x, bool y) {
  return op == BinaryCode::add || op == BinaryCode::maximum ? (x || y) : (x && y);
}

template <typename T>
MINI_DEVICE_INLINE T binary_element(BinaryCode op, T x, T y, int* divided_by_zero) {
  if constexpr (std::is_same_v<T, bool>) {
    return bool_binary(op, x, y);
  } else if constexpr (is_floating_v<T>) {
    return store<T>(floating_binary(op, load(x), load(y)));
  } else {
    return integer_binary(op, x, y, divided_by_zero);
  }
}

// g: (dst, a, b); arithmetic ops write T.
template <typename T>
__global__ void binary_kernel(Strided<3> g, BinaryCode op, T* dst, const T* a, const T* b, int* divided_by_zero) {
  for (int64_t i = global_thread_index(); i < g.numel; i += grid_thread_count()) {
    const Offsets<3> o = offsets_of(g, i);
    dst[o.at[0]] = binary_element(op, a[o.at[1]], b[o.at[2]], divided_by_zero);
  }
}

// Contiguous, 16-byte aligned dst and a; b likewise, or one value broadcast
// (b_scalar: x * 2, x + bias of one element). 128-bit loads and stores.
template <typename T>
__global__ void binary_packed_kernel(int64_t n, BinaryCode op, T* dst, const T* a, const T* b, bool b_scalar,
                                     int* divided_by_zero) {
  using P = Pack<T>;
  const int64_t packs = n / P::width;
  for (int64_t p = global_thread_index(); p < packs; p += grid_thread_count()) {
    const P x = reinterpret_cast<const P*>(a)[p];
    P y;
    if (b_scalar) {
      for (int j = 0; j < P::width; ++j) y.v[j] = b[0];
    } else {
      y = reinterpret_cast<const P*>(b)[p];
    }
    P out;
    for (int j = 0; j < P::width; ++j) out.v[j] = binary_element(op, x.v[j], y.v[j], divided_by_zero);
    reinterpret_cast<P*>(dst)[p] = out;
  }
  const int64_t tail = packs * P::width + global_thread_index();
  if (tail < n) dst[tail] = binary_element(op, a[tail], b[b_scalar ? 0 : tail], divided_by_zero);
}

// Comparisons and logical ops, computed in compute_t<T>, written as bool.
template <typename T>
__global__ void compare_kernel(Strided<3> g, BinaryCode op, bool* dst, const T* a, const T* b) {
  for (int64_t i = global_thread_index(); i < g.numel; i += grid_thread_count()) {
    const Offsets<3> o = offsets_of(g, i);
    dst[o.at[0]] = boolean_binary(op, load(a[o.at[1]]), load(b[o.at[2]]));
  }
}

// g: (dst, cond, a, b); where only moves bits, so Bits is an unsigned of the element size.
template <typename Bits>
__global__ void where_kernel(Strided<4> g, Bits* dst, const bool* cond, const Bits* a, const Bits* b) {
  for (int64_t i = global_thread_index(); i < g.numel; i += grid_thread_count()) {
    const Offsets<4> o = offsets_of(g, i);
    dst[o.at[0]] = cond[o.at[1]] ? a[o.at[2]] : b[o.at[3]];
  }
}

MINI_CUDA_END_NAMESPACE
