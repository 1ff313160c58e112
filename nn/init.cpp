#include "nn/init.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "tensor/error.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"

namespace mini::nn::init {

double calculate_gain(Nonlinearity nonlinearity, double param) {
  switch (nonlinearity) {
    case Nonlinearity::linear:
    case Nonlinearity::conv:
    case Nonlinearity::sigmoid:
      return 1.0;
    case Nonlinearity::tanh:
      return 5.0 / 3.0;
    case Nonlinearity::relu:
      return std::sqrt(2.0);
    case Nonlinearity::leaky_relu:
      return std::sqrt(2.0 / (1.0 + param * param));
    case Nonlinearity::selu:
      return 0.75;
  }
  return 1.0;
}

std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor) {
  MINI_CHECK(tensor.dim() >= 2, "calculate_fan_in_and_fan_out: needs a tensor with at least 2 dims, got {} dims",
             tensor.dim());
  int64_t receptive_field = 1;
  for (int64_t d = 2; d < tensor.dim(); ++d) receptive_field *= tensor.size(d);
  return {tensor.size(1) * receptive_field, tensor.size(0) * receptive_field};
}

namespace {

int64_t fan_for(const Tensor& tensor, FanMode mode) {
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  return mode == FanMode::fan_in ? fan_in : fan_out;
}

}  // namespace

// NOTE: ops:: fills do not record gradients and skip autograd's in-place
// checks, which is what initialising a leaf that requires grad needs.
const Tensor& uniform_(const Tensor& tensor, double low, double high, Generator* generator) {
  ops::uniform_(tensor, low, high, generator);
  return tensor;
}

const Tensor& normal_(const Tensor& tensor, double mean, double std, Generator* generator) {
  ops::normal_(tensor, mean, std, generator);
  return tensor;
}

const Tensor& constant_(const Tensor& tensor, double value) {
  ops::copy_(tensor, ops::scalar_tensor(value, {.dtype = tensor.dtype(), .device = tensor.device()}));
  return tensor;
}

const Tensor& zeros_(const Tensor& tensor) { return constant_(tensor, 0.0); }
const Tensor& ones_(const Tensor& tensor) { return constant_(tensor, 1.0); }

const Tensor& xavier_uniform_(const Tensor& tensor, double gain, Generator* generator) {
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  const double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  return uniform_(tensor, -bound, bound, generator);
}

const Tensor& xavier_normal_(const Tensor& tensor, double gain, Generator* generator) {
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  return normal_(tensor, 0.0, gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)), generator);
}

const Tensor& kaiming_uniform_(const Tensor& tensor, double a, FanMode mode, Nonlinearity nonlinearity,
                               Generator* generator) {
  const int64_t fan = fan_for(tensor, mode);
  MINI_CHECK(fan > 0, "kaiming_uniform_: zero fan for a tensor of shape ({})", fmt::join(tensor.sizes(), ", "));
  const double bound = calculate_gain(nonlinearity, a) * std::sqrt(3.0 / static_cast<double>(fan));
  return uniform_(tensor, -bound, bound, generator);
}

const Tensor& kaiming_normal_(const Tensor& tensor, double a, FanMode mode, Nonlinearity nonlinearity,
                              Generator* generator) {
  const int64_t fan = fan_for(tensor, mode);
  MINI_CHECK(fan > 0, "kaiming_normal_: zero fan for a tensor of shape ({})", fmt::join(tensor.sizes(), ", "));
  return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan)), generator);
}

namespace {

std::string shape_text(const Tensor& tensor) { return fmt::format("({})", fmt::join(tensor.sizes(), ", ")); }

// Writes row-major `values` into `tensor` (any dtype, device and strides).
void assign(const Tensor& tensor, const std::vector<double>& values) {
  ops::copy_(tensor, ops::from_vector(values, tensor.sizes()));
}

// `count` float64 draws from `generator` (the same counters a fill of the tensor would use).
std::vector<double> draw(int64_t count, bool normal, Generator* generator) {
  Tensor values = ops::empty({count}, {.dtype = DType::f64});
  if (normal) {
    ops::normal_(values, 0.0, 1.0, generator);
  } else {
    ops::uniform_(values, 0.0, 1.0, generator);
  }
  const double* data = values.data<double>();
  return std::vector<double>(data, data + count);
}

// erf^-1 on (-1, 1): Giles' single-precision approximation, then two Newton
// steps on erf(x) = y, each of which squares the relative error.
double erfinv(double y) {
  if (y <= -1) return -std::numeric_limits<double>::infinity();
  if (y >= 1) return std::numeric_limits<double>::infinity();
  double w = -std::log((1.0 - y) * (1.0 + y)), x;
  if (w < 5.0) {
    w -= 2.5;
    double p = 2.81022636e-08;
    for (double c : {3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503, -0.00417768164,
                     0.246640727, 1.50140941}) {
      p = c + p * w;
    }
    x = p * y;
  } else {
    w = std::sqrt(w) - 3.0;
    double p = -0.000200214257;
    for (double c : {0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047,
                     1.00167406, 2.83297682}) {
      p = c + p * w;
    }
    x = p * y;
  }
  for (int step = 0; step < 2; ++step) {
    x -= (std::erf(x) - y) / (2.0 / std::sqrt(std::numbers::pi) * std::exp(-x * x));
  }
  return x;
}

// Q of the reduced QR factorisation of `a` (m x n, row-major, m >= n), with
// each column multiplied by sign(R[k][k]) (0 when R[k][k] is 0, as torch.sign),
// which is the Q of the factorisation whose R has a positive diagonal. Householder
// reflections H_k = I - 2 v v^T / (v^T v), in double.
std::vector<double> sign_corrected_q(std::vector<double> a, int64_t m, int64_t n) {
  auto at = [&](std::vector<double>& matrix, int64_t row, int64_t col) -> double& {
    return matrix[static_cast<size_t>(row * n + col)];
  };
  std::vector<std::vector<double>> reflectors(static_cast<size_t>(n));
  std::vector<double> diagonal(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) {
    std::vector<double> v(static_cast<size_t>(m - k));
    double norm2 = 0;
    for (int64_t i = k; i < m; ++i) {
      v[static_cast<size_t>(i - k)] = at(a, i, k);
      norm2 += at(a, i, k) * at(a, i, k);
    }
    // Reflect x onto -sign(x_0) |x| e_0: adding rather than subtracting avoids cancellation.
    const double alpha = (v[0] >= 0 ? -1.0 : 1.0) * std::sqrt(norm2);
    v[0] -= alpha;
    double v_norm2 = 0;
    for (double value : v) v_norm2 += value * value;
    diagonal[static_cast<size_t>(k)] = alpha;
    if (v_norm2 > 0) {
      for (int64_t j = k; j < n; ++j) {
        double dot = 0;
        for (int64_t i = k; i < m; ++i) dot += v[static_cast<size_t>(i - k)] * at(a, i, j);
        const double factor = 2 * dot / v_norm2;
        for (int64_t i = k; i < m; ++i) at(a, i, j) -= factor * v[static_cast<size_t>(i - k)];
      }
      for (double& value : v) value /= std::sqrt(v_norm2);
    } else {
      v.assign(v.size(), 0.0);  // x is already zero: no reflection
    }
    reflectors[static_cast<size_t>(k)] = std::move(v);
  }
  // Q = H_0 ... H_{n-1} I[:, :n], applied from the last reflector back.
  std::vector<double> q(static_cast<size_t>(m * n), 0.0);
  for (int64_t k = 0; k < n; ++k) at(q, k, k) = 1;
  for (int64_t k = n; k-- > 0;) {
    const std::vector<double>& v = reflectors[static_cast<size_t>(k)];
    for (int64_t j = 0; j < n; ++j) {
      double dot = 0;
      for (int64_t i = k; i < m; ++i) dot += v[static_cast<size_t>(i - k)] * at(q, i, j);
      for (int64_t i = k; i < m; ++i) at(q, i, j) -= 2 * dot * v[static_cast<size_t>(i - k)];
    }
  }
  for (int64_t j = 0; j < n; ++j) {
    const double d = diagonal[static_cast<size_t>(j)];
    const double sign = d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0;
    for (int64_t i = 0; i < m; ++i) at(q, i, j) *= sign;
  }
  return q;
}

}  // namespace

const Tensor& eye_(const Tensor& tensor) {
  MINI_CHECK(tensor.dim() == 2, "eye_: only 2-D tensors are supported, got shape {}", shape_text(tensor));
  const int64_t rows = tensor.size(0), cols = tensor.size(1);
  std::vector<double> values(static_cast<size_t>(rows * cols), 0.0);
  for (int64_t i = 0; i < std::min(rows, cols); ++i) values[static_cast<size_t>(i * cols + i)] = 1;
  assign(tensor, values);
  return tensor;
}

const Tensor& dirac_(const Tensor& tensor, int64_t groups) {
  MINI_CHECK(tensor.dim() >= 3 && tensor.dim() <= 5,
             "dirac_: only tensors with 3, 4 or 5 dims (out, in, *kernel) are supported, got shape {}",
             shape_text(tensor));
  MINI_CHECK(groups > 0 && tensor.size(0) % groups == 0, "dirac_: dim 0 of shape {} must be divisible by groups={}",
             shape_text(tensor), groups);
  const int64_t out_per_group = tensor.size(0) / groups;
  const int64_t channels = std::min(out_per_group, tensor.size(1));
  // Row-major offset of the kernel centre within one (out, in) slice.
  int64_t kernel_numel = 1, centre = 0;
  for (int64_t d = 2; d < tensor.dim(); ++d) {
    centre = centre * tensor.size(d) + tensor.size(d) / 2;
    kernel_numel *= tensor.size(d);
  }
  std::vector<double> values(static_cast<size_t>(tensor.numel()), 0.0);
  for (int64_t g = 0; g < groups; ++g) {
    for (int64_t d = 0; d < channels; ++d) {
      const int64_t out = g * out_per_group + d;
      values[static_cast<size_t>((out * tensor.size(1) + d) * kernel_numel + centre)] = 1;
    }
  }
  assign(tensor, values);
  return tensor;
}

const Tensor& trunc_normal_(const Tensor& tensor, double mean, double std, double a, double b, Generator* generator) {
  MINI_CHECK(std > 0 && a < b, "trunc_normal_: needs std > 0 and a < b, got std={}, a={}, b={}", std, a, b);
  // PyTorch's method: u ~ U(2 Phi(alpha) - 1, 2 Phi(beta) - 1), x = mean + std sqrt(2) erfinv(u).
  auto normal_cdf = [](double x) { return (1.0 + std::erf(x / std::numbers::sqrt2)) / 2.0; };
  const double low = 2 * normal_cdf((a - mean) / std) - 1, high = 2 * normal_cdf((b - mean) / std) - 1;
  std::vector<double> values = draw(tensor.numel(), /*normal=*/false, generator);
  for (double& value : values) {
    const double u = low + (high - low) * value;
    // The clamp catches erfinv(+-1) = +-inf and last-ulp overshoot.
    value = std::clamp(mean + std * std::numbers::sqrt2 * erfinv(u), a, b);
  }
  assign(tensor, values);
  return tensor;
}

const Tensor& orthogonal_(const Tensor& tensor, double gain, Generator* generator) {
  MINI_CHECK(tensor.dim() >= 2, "orthogonal_: only tensors with 2 or more dims are supported, got shape {}",
             shape_text(tensor));
  if (tensor.numel() == 0) return tensor;  // nothing to fill (PyTorch warns and returns too)
  const int64_t rows = tensor.size(0), cols = tensor.numel() / rows;
  const std::vector<double> normal = draw(rows * cols, /*normal=*/true, generator);  // (rows, cols)
  // Factor the tall orientation: (m, n) = (rows, cols), or its transpose when rows < cols.
  const bool transposed = rows < cols;
  const int64_t m = transposed ? cols : rows, n = transposed ? rows : cols;
  std::vector<double> tall(normal.size());
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      const size_t at = static_cast<size_t>(transposed ? j * n + i : i * n + j);
      tall[at] = normal[static_cast<size_t>(i * cols + j)];
    }
  }
  const std::vector<double> q = sign_corrected_q(std::move(tall), m, n);  // (m, n)
  std::vector<double> values(q.size());
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      const size_t at = static_cast<size_t>(transposed ? j * n + i : i * n + j);
      values[static_cast<size_t>(i * cols + j)] = gain * q[at];
    }
  }
  assign(tensor, values);
  return tensor;
}

void default_linear_init_(const Tensor& weight, const Tensor& bias, Generator* generator) {
  kaiming_uniform_(weight, std::sqrt(5.0), FanMode::fan_in, Nonlinearity::leaky_relu, generator);
  if (!bias.defined()) return;
  const int64_t fan_in = calculate_fan_in_and_fan_out(weight).first;
  const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
  uniform_(bias, -bound, bound, generator);
}

}  // namespace mini::nn::init
