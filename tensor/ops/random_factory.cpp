// Random factories: each reserves numel counters from a Generator, so the
// values depend only on (seed, offset) and not on the backend or threads.
#include <cmath>

#include "tensor/backend.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/factory.h"
#include "tensor/ops/copy.h"

namespace mini::ops {
namespace {

Generator& pick(Generator* generator) { return generator != nullptr ? *generator : default_generator(); }

}  // namespace

void uniform_(const Tensor& tensor, double low, double high, Generator* generator) {
  MINI_CHECK(is_floating(tensor.dtype()), "uniform_: expected a floating-point tensor, got {}", tensor.dtype());
  MINI_CHECK(low <= high, "uniform_: low {} must not exceed high {}", low, high);
  const RandomState state = pick(generator).reserve(static_cast<uint64_t>(tensor.numel()));
  backend_for(tensor.device()).random_uniform(tensor, state, low, high);
  tensor.bump_version();
}

void normal_(const Tensor& tensor, double mean, double std, Generator* generator) {
  MINI_CHECK(is_floating(tensor.dtype()), "normal_: expected a floating-point tensor, got {}", tensor.dtype());
  MINI_CHECK(std >= 0, "normal_: std must be non-negative, got {}", std);
  const RandomState state = pick(generator).reserve(static_cast<uint64_t>(tensor.numel()));
  backend_for(tensor.device()).random_normal(tensor, state, mean, std);
  tensor.bump_version();
}

Tensor rand(const Shape& sizes, TensorOptions options, Generator* generator) {
  Tensor result = empty(sizes, options);
  uniform_(result, 0, 1, generator);
  return result;
}

Tensor randn(const Shape& sizes, TensorOptions options, Generator* generator) {
  Tensor result = empty(sizes, options);
  normal_(result, 0, 1, generator);
  return result;
}

Tensor normal(double mean, double std, const Shape& sizes, TensorOptions options, Generator* generator) {
  Tensor result = empty(sizes, options);
  normal_(result, mean, std, generator);
  return result;
}

Tensor randint(int64_t low, int64_t high, const Shape& sizes, TensorOptions options, Generator* generator) {
  MINI_CHECK(low < high, "randint: low {} must be less than high {}", low, high);
  // floor(u * (high - low)) + low with u in [0, 1) drawn in float64 (53 bits).
  Tensor unit = empty(sizes, {.dtype = DType::f64, .device = options.device});
  uniform_(unit, 0, 1, generator);
  Tensor scaled = floor(mul(unit, static_cast<double>(high - low)));
  return to_dtype(add(scaled, static_cast<double>(low)), options.dtype);
}

Tensor bernoulli(const Tensor& p, Generator* generator) {
  Tensor unit = empty(p.sizes(), {.dtype = is_floating(p.dtype()) ? p.dtype() : DType::f32, .device = p.device()});
  uniform_(unit, 0, 1, generator);
  return to_dtype(lt(unit, p), unit.dtype());
}

Tensor bernoulli(const Shape& sizes, double p, TensorOptions options, Generator* generator) {
  MINI_CHECK(p >= 0 && p <= 1, "bernoulli: probability {} is outside [0, 1]", p);
  Tensor unit = empty(sizes, {.dtype = is_floating(options.dtype) ? options.dtype : DType::f32,
                              .device = options.device});
  uniform_(unit, 0, 1, generator);
  return to_dtype(lt(unit, p), options.dtype);
}

Tensor randperm(int64_t n, Generator* generator) {
  MINI_CHECK(n >= 0, "randperm: n must be non-negative, got {}", n);
  // Fisher-Yates driven by one uniform draw per position (host side; n is small in practice).
  Tensor unit = empty({n}, {.dtype = DType::f64});
  uniform_(unit, 0, 1, generator);
  Tensor result = empty({n}, {.dtype = DType::i64});
  auto* out = result.data<int64_t>();
  const auto* u = unit.data<double>();
  for (int64_t i = 0; i < n; ++i) out[i] = i;
  for (int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(u[i] * static_cast<double>(i + 1));
    std::swap(out[i], out[std::min(j, i)]);
  }
  return result;
}

}  // namespace mini::ops
