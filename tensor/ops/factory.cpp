#include "tensor/ops/factory.h"

#include <cmath>

#include "tensor/backend.h"
#include "tensor/ops/copy.h"

namespace mini::ops {

Tensor empty(const Shape& sizes, TensorOptions options) {
  for (int64_t size : sizes) {
    MINI_CHECK(size >= 0, "empty: negative size {} in shape {}", size, shape_str(sizes));
  }
  const size_t nbytes = static_cast<size_t>(numel_of(sizes)) * element_size(options.dtype);
  auto storage = std::make_shared<StorageImpl>(nbytes, options.device, backend_for(options.device).allocator());
  return Tensor(std::move(storage), options.dtype, sizes, contiguous_strides(sizes), 0);
}

Tensor empty_strided(const Shape& sizes, const Shape& strides, TensorOptions options) {
  MINI_CHECK(sizes.size() == strides.size(), "empty_strided: sizes {} and strides {} differ in rank",
             shape_str(sizes), shape_str(strides));
  int64_t extent = 1;  // 1 + the largest reachable element offset
  for (size_t i = 0; i < sizes.size(); ++i) {
    MINI_CHECK(sizes[i] >= 0 && strides[i] >= 0, "empty_strided: negative size or stride in {} / {}",
               shape_str(sizes), shape_str(strides));
    if (sizes[i] == 0) extent = 0;
  }
  if (extent != 0) {
    for (size_t i = 0; i < sizes.size(); ++i) extent += (sizes[i] - 1) * strides[i];
  }
  const size_t nbytes = static_cast<size_t>(extent) * element_size(options.dtype);
  auto storage = std::make_shared<StorageImpl>(nbytes, options.device, backend_for(options.device).allocator());
  return Tensor(std::move(storage), options.dtype, sizes, strides, 0);
}

Tensor full(const Shape& sizes, Scalar value, TensorOptions options) {
  Tensor result = empty(sizes, options);
  backend_for(options.device).fill(result, value);
  return result;
}
Tensor zeros(const Shape& sizes, TensorOptions options) { return full(sizes, 0, options); }
Tensor ones(const Shape& sizes, TensorOptions options) { return full(sizes, 1, options); }

Tensor scalar_tensor(Scalar value, TensorOptions options) { return full({}, value, options); }
Tensor scalar_tensor(Scalar value) { return full({}, value, {.dtype = value.default_dtype()}); }

Tensor empty_like(const Tensor& like) { return empty(like.sizes(), {.dtype = like.dtype(), .device = like.device()}); }
Tensor zeros_like(const Tensor& like) { return zeros(like.sizes(), {.dtype = like.dtype(), .device = like.device()}); }
Tensor ones_like(const Tensor& like) { return ones(like.sizes(), {.dtype = like.dtype(), .device = like.device()}); }
Tensor full_like(const Tensor& like, Scalar value) {
  return full(like.sizes(), value, {.dtype = like.dtype(), .device = like.device()});
}

Tensor arange(Scalar end) { return arange(0, end, 1); }

Tensor arange(Scalar start, Scalar end, Scalar step) {
  const bool integral = !start.is_floating() && !end.is_floating() && !step.is_floating();
  return arange(start, end, step, {.dtype = integral ? DType::i64 : DType::f32});
}

Tensor arange(Scalar start, Scalar end, Scalar step, TensorOptions options) {
  const double first = start.to_double(), last = end.to_double(), increment = step.to_double();
  MINI_CHECK(increment != 0, "arange: step must be non-zero");
  MINI_CHECK(std::isfinite(first) && std::isfinite(last), "arange: start {} and end {} must be finite", first, last);
  MINI_CHECK((last - first) / increment >= 0 || first == last,
             "arange: upper bound {} and step {} are inconsistent with start {}", last, increment, first);
  const auto count = static_cast<int64_t>(std::ceil((last - first) / increment));
  Tensor result = empty({count}, options);
  if (count > 0) backend_for(options.device).arange(result, first, increment);
  return result;
}

Tensor linspace(double start, double end, int64_t steps, TensorOptions options) {
  MINI_CHECK(steps >= 0, "linspace: number of steps must be non-negative, got {}", steps);
  Tensor result = empty({steps}, options);
  if (steps == 1) {
    backend_for(options.device).fill(result, start);
  } else if (steps > 1) {
    backend_for(options.device).arange(result, start, (end - start) / static_cast<double>(steps - 1));
  }
  return result;
}

Tensor eye(int64_t n, int64_t m, TensorOptions options) {
  if (m < 0) m = n;
  MINI_CHECK(n >= 0, "eye: n must be non-negative, got {}", n);
  Tensor result = zeros({n, m}, options);
  const int64_t diagonal_length = std::min(n, m);
  if (diagonal_length > 0) {
    // The diagonal is a 1-D view with stride m + 1.
    Tensor diagonal(result.storage(), options.dtype, {diagonal_length}, {m + 1}, 0);
    backend_for(options.device).fill(diagonal, 1);
  }
  return result;
}

template <typename T>
Tensor from_vector(const std::vector<T>& values, const Shape& sizes) {
  MINI_CHECK(static_cast<int64_t>(values.size()) == numel_of(sizes),
             "from_vector: {} values do not fill shape {} ({} elements)", values.size(), shape_str(sizes),
             numel_of(sizes));
  Tensor result = empty(sizes, {.dtype = dtype_of<T>()});
  auto* out = result.data<T>();
  for (size_t i = 0; i < values.size(); ++i) out[i] = values[i];
  return result;
}
template Tensor from_vector(const std::vector<float>&, const Shape&);
template Tensor from_vector(const std::vector<double>&, const Shape&);
template Tensor from_vector(const std::vector<Half>&, const Shape&);
template Tensor from_vector(const std::vector<BFloat16>&, const Shape&);
template Tensor from_vector(const std::vector<int32_t>&, const Shape&);
template Tensor from_vector(const std::vector<int64_t>&, const Shape&);
template Tensor from_vector(const std::vector<uint8_t>&, const Shape&);
template <>
Tensor from_vector(const std::vector<bool>& values, const Shape& sizes) {
  MINI_CHECK(static_cast<int64_t>(values.size()) == numel_of(sizes),
             "from_vector: {} values do not fill shape {} ({} elements)", values.size(), shape_str(sizes),
             numel_of(sizes));
  Tensor result = empty(sizes, {.dtype = DType::b8});
  auto* out = result.data<bool>();
  for (size_t i = 0; i < values.size(); ++i) out[i] = values[i];
  return result;
}

Tensor from_blob(void* data, const Shape& sizes, DType dtype, std::function<void(void*)> deleter) {
  return from_blob(data, sizes, contiguous_strides(sizes), dtype, std::move(deleter));
}

Tensor from_blob(void* data, const Shape& sizes, const Shape& strides, DType dtype,
                 std::function<void(void*)> deleter) {
  MINI_CHECK(sizes.size() == strides.size(), "from_blob: sizes {} and strides {} differ in rank", shape_str(sizes),
             shape_str(strides));
  int64_t extent = numel_of(sizes) == 0 ? 0 : 1;
  for (size_t i = 0; i < sizes.size() && extent != 0; ++i) extent += (sizes[i] - 1) * strides[i];
  auto storage = std::make_shared<StorageImpl>(data, static_cast<size_t>(extent) * element_size(dtype),
                                               Device::cpu(), std::move(deleter));
  return Tensor(std::move(storage), dtype, sizes, strides, 0);
}

}  // namespace mini::ops
