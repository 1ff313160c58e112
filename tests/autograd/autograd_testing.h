#pragma once
// Helpers for the autograd tests: float64 leaves from a fixed seed and
// gradcheck assertions that print gradcheck's report on failure.
#include <gtest/gtest.h>

#include <vector>

#include "autograd/autograd.h"
#include "support/tensor_testing.h"

namespace mini::testing {

// A float64 leaf that requires grad, uniform in [low, high).
inline Tensor leaf(const Shape& sizes, uint64_t seed, double low = -2.0, double high = 2.0) {
  Tensor t = random_tensor(sizes, DType::f64, seed, low, high);
  t.requires_grad_();
  return t;
}

// The same values stored transposed (or strided), as a leaf that requires grad.
// (Shapes whose last two dims include a 1 stay contiguous.)
inline Tensor noncontiguous_leaf(const Shape& sizes, uint64_t seed, double low = -2.0, double high = 2.0) {
  Tensor t = make_noncontiguous(random_tensor(sizes, DType::f64, seed, low, high));
  t.requires_grad_();
  return t;
}

// Wraps a one-output function for gradcheck.
template <typename F>
GradcheckFunction one_output(F f) {
  return [f](const std::vector<Tensor>& in) { return std::vector<Tensor>{f(in)}; };
}

#define EXPECT_GRADCHECK(fn, ...)                                     \
  do {                                                                \
    const ::mini::GradcheckResult gc_result = ::mini::gradcheck(fn, __VA_ARGS__); \
    EXPECT_TRUE(gc_result.ok) << gc_result.report;                    \
  } while (0)

#define EXPECT_GRADGRADCHECK(fn, ...)                                 \
  do {                                                                \
    const ::mini::GradcheckResult gc_result = ::mini::gradgradcheck(fn, __VA_ARGS__); \
    EXPECT_TRUE(gc_result.ok) << gc_result.report;                    \
  } while (0)

}  // namespace mini::testing
