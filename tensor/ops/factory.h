#pragma once
// Tensor factories. All results are contiguous and own their memory, except
// from_blob, which wraps caller memory without copying.
#include <cstdint>
#include <functional>
#include <vector>

#include "tensor/options.h"
#include "tensor/random.h"
#include "tensor/tensor.h"

namespace mini::ops {

Tensor empty(const Shape& sizes, TensorOptions options = {});
Tensor zeros(const Shape& sizes, TensorOptions options = {});
Tensor ones(const Shape& sizes, TensorOptions options = {});
Tensor full(const Shape& sizes, Scalar value, TensorOptions options = {});
// A tensor with the given sizes and strides (an as_strided-ready buffer large enough for them).
Tensor empty_strided(const Shape& sizes, const Shape& strides, TensorOptions options = {});
// A 0-d tensor holding `value`, with the scalar's default dtype unless given.
Tensor scalar_tensor(Scalar value, TensorOptions options);
Tensor scalar_tensor(Scalar value);

Tensor empty_like(const Tensor& like);
Tensor zeros_like(const Tensor& like);
Tensor ones_like(const Tensor& like);
Tensor full_like(const Tensor& like, Scalar value);

// [start, end) in steps of `step` (torch.arange): int64 when all three are integers, else float32.
Tensor arange(Scalar end);
Tensor arange(Scalar start, Scalar end, Scalar step = 1);
Tensor arange(Scalar start, Scalar end, Scalar step, TensorOptions options);
// `steps` evenly spaced values from start to end inclusive.
Tensor linspace(double start, double end, int64_t steps, TensorOptions options = {});
// Identity matrix (n, m); m = n when m < 0.
Tensor eye(int64_t n, int64_t m = -1, TensorOptions options = {});

// Copies `values` into a new tensor of the given sizes (numel must match).
template <typename T>
Tensor from_vector(const std::vector<T>& values, const Shape& sizes);
// std::vector<bool> is packed, so it has its own definition.
template <>
Tensor from_vector(const std::vector<bool>& values, const Shape& sizes);
template <typename T>
Tensor from_vector(const std::vector<T>& values) {
  return from_vector(values, Shape{static_cast<int64_t>(values.size())});
}
// Wraps caller memory (contiguous, or with the given strides) without a copy.
// `deleter` (optional) runs when the last tensor using the memory goes away.
Tensor from_blob(void* data, const Shape& sizes, DType dtype, std::function<void(void*)> deleter = {});
Tensor from_blob(void* data, const Shape& sizes, const Shape& strides, DType dtype,
                 std::function<void(void*)> deleter = {});

// ---- random (Philox; a seed gives the same numbers on every backend) ----
// Uniform in [0, 1).
Tensor rand(const Shape& sizes, TensorOptions options = {}, Generator* generator = nullptr);
// Standard normal.
Tensor randn(const Shape& sizes, TensorOptions options = {}, Generator* generator = nullptr);
// Integers uniform in [low, high); int64 by default.
Tensor randint(int64_t low, int64_t high, const Shape& sizes, TensorOptions options = {.dtype = DType::i64},
               Generator* generator = nullptr);
// Each element 1 with probability p (same dtype as p), else 0.
Tensor bernoulli(const Tensor& p, Generator* generator = nullptr);
Tensor bernoulli(const Shape& sizes, double p, TensorOptions options = {}, Generator* generator = nullptr);
Tensor normal(double mean, double std, const Shape& sizes, TensorOptions options = {},
              Generator* generator = nullptr);
// In-place fills.
void uniform_(const Tensor& tensor, double low = 0, double high = 1, Generator* generator = nullptr);
void normal_(const Tensor& tensor, double mean = 0, double std = 1, Generator* generator = nullptr);
// A random permutation of [0, n) (int64).
Tensor randperm(int64_t n, Generator* generator = nullptr);

}  // namespace mini::ops
