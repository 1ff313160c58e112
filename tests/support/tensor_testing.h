#pragma once
// Shared helpers for tests: seeded random inputs (independent of mini's own
// RNG), awkward layouts, dtype-scaled tolerances and value comparison
// against plain reference values computed in double.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"
#include "tensor/ops/view.h"
#include "tensor/tensor.h"

namespace mini::testing {

// Relative tolerance for results computed in `dtype` (STYLE.md rule 7).
inline double rtol_for(DType dtype) {
  switch (dtype) {
    case DType::f64: return 1e-10;
    case DType::f32: return 1e-5;
    case DType::f16: return 2e-3;
    case DType::bf16: return 1.6e-2;
    default: return 0;
  }
}
// Absolute tolerance for values of magnitude ~1.
inline double atol_for(DType dtype) {
  switch (dtype) {
    case DType::f64: return 1e-12;
    case DType::f32: return 1e-6;
    case DType::f16: return 1e-3;
    case DType::bf16: return 1e-2;
    default: return 0;
  }
}

// All elements as doubles in row-major order (any dtype, strides, device).
inline std::vector<double> to_doubles(const Tensor& tensor) {
  Tensor host = ops::contiguous(ops::to_dtype(ops::to_device(tensor, Device::cpu()), DType::f64));
  const double* data = host.data<double>();
  return std::vector<double>(data, data + host.numel());
}

// Row-major multi-index of flat position `flat` in `sizes`.
inline Shape unravel(int64_t flat, const Shape& sizes) {
  Shape index(sizes.size(), 0);
  for (size_t d = sizes.size(); d-- > 0;) {
    index[d] = flat % sizes[d];
    flat /= sizes[d];
  }
  return index;
}

// Uniform values in [low, high), rounded to the dtype; integers for integral dtypes.
inline Tensor random_tensor(const Shape& sizes, DType dtype, uint64_t seed, double low = -2.0, double high = 2.0) {
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> dist(low, high);
  Tensor values = ops::empty(sizes, {.dtype = DType::f64});
  double* data = values.data<double>();
  for (int64_t i = 0; i < values.numel(); ++i) {
    const double v = dist(engine);
    data[i] = is_floating(dtype) ? v : dtype == DType::b8 ? (v > (low + high) / 2 ? 1 : 0) : std::floor(v);
  }
  return ops::to_dtype(values, dtype);
}

// The same values in a non-contiguous layout: stored transposed (last two
// dims swapped in memory) or, for rank < 2, every other element of a buffer.
inline Tensor make_noncontiguous(const Tensor& tensor) {
  if (tensor.dim() >= 2) {
    const int64_t last = tensor.dim() - 1;
    Tensor storage = ops::contiguous(ops::transpose(tensor, last - 1, last));
    return ops::transpose(storage, last - 1, last);
  }
  Shape doubled = tensor.sizes();
  if (doubled.empty()) return ops::clone(tensor);
  doubled[0] *= 2;
  Tensor buffer = ops::zeros(doubled, {.dtype = tensor.dtype()});
  Tensor strided = ops::slice(buffer, 0, 0, doubled[0], 2);
  ops::copy_(strided, tensor);
  return strided;
}

// Expects `actual` to match `expected` (doubles in row-major order) within
// atol + rtol * |expected|; NaN matches NaN, infinities must match exactly.
inline void expect_values_near(const Tensor& actual, const std::vector<double>& expected, double rtol, double atol,
                               const std::string& what = "") {
  ASSERT_EQ(actual.numel(), static_cast<int64_t>(expected.size())) << what;
  const std::vector<double> got = to_doubles(actual);
  int reported = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double g = got[i], e = expected[i];
    bool ok;
    if (std::isnan(e)) {
      ok = std::isnan(g);
    } else if (std::isinf(e)) {
      ok = g == e;
    } else {
      ok = std::abs(g - e) <= atol + rtol * std::abs(e);
    }
    if (!ok && reported++ < 5) {
      ADD_FAILURE() << what << " element " << i << ": got " << g << ", expected " << e << " (rtol " << rtol
                    << ", atol " << atol << ")";
    }
  }
}

inline void expect_tensors_near(const Tensor& actual, const Tensor& expected, double rtol, double atol,
                                const std::string& what = "") {
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what << ": shape " << shape_str(actual.sizes()) << " vs "
                                              << shape_str(expected.sizes());
  expect_values_near(actual, to_doubles(expected), rtol, atol, what);
}

// The dtype-scaled comparison used by most op tests.
inline void expect_close(const Tensor& actual, const Tensor& expected, const std::string& what = "") {
  expect_tensors_near(actual, expected, rtol_for(actual.dtype()), atol_for(actual.dtype()), what);
}

}  // namespace mini::testing
