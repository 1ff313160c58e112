#pragma once
// Scalar: a C++ number used as an operand (x * 2.0, clamp(x, 0, 6), fill).
// Like a Python number in PyTorch it has a kind (floating, integer, bool)
// but takes part in type promotion only when its kind is higher.
#include <cstdint>
#include <type_traits>

#include "tensor/dtype.h"

namespace mini {

class Scalar {
 public:
  enum class Kind : uint8_t { floating, integer, boolean };

  Scalar() : Scalar(int64_t{0}) {}
  template <typename T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  Scalar(T value) : kind_(Kind::floating), floating_(static_cast<double>(value)) {}  // NOLINT
  template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Scalar(T value) : kind_(Kind::integer), integer_(static_cast<int64_t>(value)) {}  // NOLINT
  Scalar(bool value) : kind_(Kind::boolean), integer_(value) {}                      // NOLINT
  Scalar(Half value) : Scalar(static_cast<float>(value)) {}                           // NOLINT
  Scalar(BFloat16 value) : Scalar(static_cast<float>(value)) {}                       // NOLINT

  Kind kind() const { return kind_; }
  bool is_floating() const { return kind_ == Kind::floating; }
  bool is_integer() const { return kind_ == Kind::integer; }
  bool is_bool() const { return kind_ == Kind::boolean; }

  template <typename T>
  T to() const {
    if (kind_ == Kind::floating) return static_cast<T>(static_cast<compute_t<T>>(floating_));
    return static_cast<T>(static_cast<compute_t<T>>(integer_));
  }
  double to_double() const { return kind_ == Kind::floating ? floating_ : static_cast<double>(integer_); }
  int64_t to_int() const { return kind_ == Kind::floating ? static_cast<int64_t>(floating_) : integer_; }

  // The dtype this scalar would have as a tensor of its own: float32 for
  // floating numbers (PyTorch's default dtype), int64, bool.
  DType default_dtype() const {
    return kind_ == Kind::floating ? DType::f32 : kind_ == Kind::integer ? DType::i64 : DType::b8;
  }

 private:
  Kind kind_;
  double floating_ = 0;
  int64_t integer_ = 0;
};

}  // namespace mini
