#include "tensor/dtype.h"

#include <array>

namespace mini {

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "float32";
    case DType::f64: return "float64";
    case DType::f16: return "float16";
    case DType::bf16: return "bfloat16";
    case DType::i32: return "int32";
    case DType::i64: return "int64";
    case DType::b8: return "bool";
    case DType::u8: return "uint8";
  }
  return "invalid";
}

DType dtype_from_name(std::string_view name) {
  struct Alias {
    std::string_view name;
    DType dtype;
  };
  static constexpr std::array<Alias, 20> aliases = {{
      {"float32", DType::f32}, {"f32", DType::f32},   {"float", DType::f32},     {"fp32", DType::f32},
      {"float64", DType::f64}, {"f64", DType::f64},   {"double", DType::f64},    {"float16", DType::f16},
      {"f16", DType::f16},     {"half", DType::f16},  {"fp16", DType::f16},      {"bfloat16", DType::bf16},
      {"bf16", DType::bf16},   {"int32", DType::i32}, {"i32", DType::i32},       {"int64", DType::i64},
      {"i64", DType::i64},     {"long", DType::i64},  {"bool", DType::b8},       {"uint8", DType::u8},
  }};
  for (const auto& alias : aliases) {
    if (alias.name == name) return alias.dtype;
  }
  throw ValueError(fmt::format(
      "unknown dtype '{}': expected one of float32, float64, float16, bfloat16, int32, int64, bool, uint8", name));
}

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  // Rank within a category; floats beat integers, integers beat bool.
  auto category = [](DType d) { return d == DType::b8 ? 0 : is_floating(d) ? 2 : 1; };
  const int ca = category(a), cb = category(b);
  if (ca != cb) return ca > cb ? a : b;
  if (ca == 2) {
    if ((a == DType::f16 && b == DType::bf16) || (a == DType::bf16 && b == DType::f16)) return DType::f32;
    auto rank = [](DType d) { return d == DType::f64 ? 3 : d == DType::f32 ? 2 : 1; };
    return rank(a) > rank(b) ? a : b;
  }
  auto rank = [](DType d) { return d == DType::i64 ? 3 : d == DType::i32 ? 2 : 1; };  // u8 < i32 < i64
  return rank(a) > rank(b) ? a : b;
}

}  // namespace mini
