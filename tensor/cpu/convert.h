#pragma once
// Element conversion between any two dtypes, as PyTorch casts: floating to
// integer truncates toward zero, anything to bool tests != 0, and 16-bit
// floats go through float.
#include <cmath>
#include <limits>
#include <type_traits>

#include "tensor/dtype.h"

namespace mini::cpu {

template <typename To, typename From>
inline To convert(From value) {
  if constexpr (std::is_same_v<To, From>) {
    return value;
  } else if constexpr (std::is_same_v<To, bool>) {
    return static_cast<compute_t<From>>(value) != compute_t<From>(0);
  } else if constexpr (std::is_integral_v<To> && !std::is_integral_v<compute_t<From>>) {
    // NOTE: a float outside To's range (or NaN) is undefined behaviour in
    // C++; map it to the type's minimum, as x86's cvttss2si does for int32/64.
    const auto wide = static_cast<compute_t<From>>(value);
    if (!(wide >= static_cast<compute_t<From>>(std::numeric_limits<To>::min()) &&
          wide <= static_cast<compute_t<From>>(std::numeric_limits<To>::max()))) {
      return std::is_signed_v<To> ? std::numeric_limits<To>::min() : To(0);
    }
    return static_cast<To>(wide);
  } else {
    return static_cast<To>(static_cast<compute_t<To>>(static_cast<compute_t<From>>(value)));
  }
}

}  // namespace mini::cpu
