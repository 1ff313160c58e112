#pragma once
// Small tensors and error checks shared by the metric tests.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "tensor/error.h"
#include "tensor/ops/factory.h"

namespace mini::testing {

inline Tensor floats(std::vector<float> values, const Shape& sizes) { return ops::from_vector(values, sizes); }
inline Tensor indices(std::vector<int64_t> values, const Shape& sizes) { return ops::from_vector(values, sizes); }
inline Tensor indices(std::vector<int64_t> values) {
  const int64_t n = static_cast<int64_t>(values.size());
  return ops::from_vector(values, Shape{n});
}
inline Tensor scalar(float value) { return ops::from_vector(std::vector<float>{value}, Shape{}); }

// The message of the mini::ValueError `fn` throws ("" and a test failure if none).
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ValueError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a mini::ValueError";
  return "";
}

}  // namespace mini::testing
