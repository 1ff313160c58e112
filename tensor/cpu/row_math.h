#pragma once
// Row helpers shared by the CPU's row-wise kernels (softmax, layer_norm,
// cross_entropy): a load into the compute type, a vectorisable sum and max,
// and the exp of a max-shifted value.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "tensor/cpu/vec_math.h"
#include "tensor/dtype.h"

namespace mini::cpu {

template <typename C, typename T>
inline C load(T value) {
  return static_cast<C>(static_cast<compute_t<T>>(value));
}

// Four AVX-512 registers' worth of independent accumulators, so GCC
// vectorises a sum without reassociating a single accumulator.
template <typename C>
inline constexpr int64_t kLanes = 4 * 64 / static_cast<int64_t>(sizeof(C));

// Sum of term(i) for i in [0, n), in kLanes independent lanes of C; blocks of
// 64 lane-steps are folded into a double so long rows keep their accuracy.
template <typename C, typename Term>
double lane_sum(int64_t n, Term&& term) {
  constexpr int64_t lanes_count = kLanes<C>;
  double total = 0;
  int64_t i = 0;
  while (n - i >= lanes_count) {
    C lanes[lanes_count] = {};
    const int64_t block_end = i + std::min(lanes_count * 64, (n - i) / lanes_count * lanes_count);
    for (; i < block_end; i += lanes_count) {
      for (int64_t j = 0; j < lanes_count; ++j) lanes[j] += term(i + j);
    }
    for (int64_t width = lanes_count / 2; width > 0; width /= 2) {
      for (int64_t j = 0; j < width; ++j) lanes[j] += lanes[j + width];
    }
    total += static_cast<double>(lanes[0]);
  }
  for (; i < n; ++i) total += static_cast<double>(term(i));
  return total;
}

// The maximum of x[0, n) in C. NaN never wins (callers see it through their sums).
template <typename C, typename T>
C row_max(const T* x, int64_t n) {
  constexpr int64_t lanes_count = kLanes<C>;
  C lanes[lanes_count];
  std::fill_n(lanes, lanes_count, -std::numeric_limits<C>::infinity());
  int64_t i = 0;
  for (; i + lanes_count <= n; i += lanes_count) {
    for (int64_t j = 0; j < lanes_count; ++j) {
      const C value = load<C>(x[i + j]);
      lanes[j] = value > lanes[j] ? value : lanes[j];
    }
  }
  C max = -std::numeric_limits<C>::infinity();
  for (int64_t j = 0; j < lanes_count; ++j) max = lanes[j] > max ? lanes[j] : max;
  for (; i < n; ++i) max = load<C>(x[i]) > max ? load<C>(x[i]) : max;
  return max;
}

// exp of x - max (so x <= 0, or NaN): the f32 fast path needs no overflow handling.
template <typename C>
inline C exp_shifted(C x) {
  if constexpr (std::is_same_v<C, float>) {
    return exp_nonpositive_f32(x);
  } else {
    return std::exp(x);
  }
}

}  // namespace mini::cpu
