#pragma once
// Element types, their sizes and names, PyTorch's type promotion, and the
// dispatch helper that turns a runtime DType into a C++ type.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tensor/error.h"
#include "tensor/half.h"

namespace mini {

enum class DType : uint8_t { f32, f64, f16, bf16, i32, i64, b8, u8 };
inline constexpr int kNumDTypes = 8;

constexpr size_t element_size(DType dtype) {
  switch (dtype) {
    case DType::f64:
    case DType::i64: return 8;
    case DType::f32:
    case DType::i32: return 4;
    case DType::f16:
    case DType::bf16: return 2;
    case DType::b8:
    case DType::u8: return 1;
  }
  return 0;
}

constexpr bool is_floating(DType dtype) {
  return dtype == DType::f32 || dtype == DType::f64 || dtype == DType::f16 || dtype == DType::bf16;
}
constexpr bool is_integral(DType dtype, bool include_bool) {
  return dtype == DType::i32 || dtype == DType::i64 || dtype == DType::u8 || (include_bool && dtype == DType::b8);
}

// The name PyTorch prints: "float32", "int64", "bool", ...
std::string_view dtype_name(DType dtype);
// Parses "float32"/"f32"/"float", ... Throws mini::ValueError naming the text.
DType dtype_from_name(std::string_view name);

// torch.promote_types: the smallest type both operands convert to without
// losing their category (bool < integer < floating). f16 with bf16 gives f32.
DType promote_types(DType a, DType b);

// The dtype of a C++ scalar operand, as PyTorch treats Python numbers:
// floating scalars take the default dtype (float32), integers int64.
template <typename T>
constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }
template <> constexpr DType dtype_of<Half>() { return DType::f16; }
template <> constexpr DType dtype_of<BFloat16>() { return DType::bf16; }
template <> constexpr DType dtype_of<int32_t>() { return DType::i32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::i64; }
template <> constexpr DType dtype_of<bool>() { return DType::b8; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::u8; }

// Calls fn.template operator()<T>() with T the C++ type of `dtype`:
//   dispatch(t.dtype(), [&]<typename T>() { ... });
template <typename Fn>
decltype(auto) dispatch(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::f32: return fn.template operator()<float>();
    case DType::f64: return fn.template operator()<double>();
    case DType::f16: return fn.template operator()<Half>();
    case DType::bf16: return fn.template operator()<BFloat16>();
    case DType::i32: return fn.template operator()<int32_t>();
    case DType::i64: return fn.template operator()<int64_t>();
    case DType::b8: return fn.template operator()<bool>();
    case DType::u8: return fn.template operator()<uint8_t>();
  }
  throw InternalError("dispatch: invalid dtype");
}

// Like dispatch, for the floating types only; others raise an error naming `op`.
template <typename Fn>
decltype(auto) dispatch_floating(DType dtype, std::string_view op, Fn&& fn) {
  switch (dtype) {
    case DType::f32: return fn.template operator()<float>();
    case DType::f64: return fn.template operator()<double>();
    case DType::f16: return fn.template operator()<Half>();
    case DType::bf16: return fn.template operator()<BFloat16>();
    default: break;
  }
  throw ValueError(fmt::format("{}: expected a floating-point tensor, got {}", op, dtype_name(dtype)));
}

// The type arithmetic is done in: float for the 16-bit types, else T itself.
template <typename T>
struct compute_type {
  using type = T;
};
template <> struct compute_type<Half> { using type = float; };
template <> struct compute_type<BFloat16> { using type = float; };
template <typename T>
using compute_t = typename compute_type<T>::type;

}  // namespace mini

template <>
struct fmt::formatter<mini::DType> : fmt::formatter<std::string_view> {
  auto format(mini::DType dtype, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(mini::dtype_name(dtype), ctx);
  }
};
