#pragma once
// Parameter initialisation (torch.nn.init). Every fill draws from the Philox
// generator (the default one unless given), so `mini::manual_seed(s)` before
// building a model reproduces its parameters exactly. The fills write in
// place, without recording gradients, and return the tensor.
//
//   init::orthogonal_(rnn_weight, init::calculate_gain(init::Nonlinearity::tanh));
//   init::trunc_normal_(embedding->weight(), 0, 0.02, -0.04, 0.04);
//   init::kaiming_normal_(conv->weight(), 0, init::FanMode::fan_out, init::Nonlinearity::relu);
#include <cstdint>
#include <utility>

#include "tensor/random.h"
#include "tensor/tensor.h"

namespace mini::nn::init {

enum class Nonlinearity { linear, conv, sigmoid, tanh, relu, leaky_relu, selu };
enum class FanMode { fan_in, fan_out };

// The recommended gain for a nonlinearity: 1 for linear/conv/sigmoid, 5/3 for
// tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu (slope =
// `param`, 0.01 by default), 3/4 for selu.
double calculate_gain(Nonlinearity nonlinearity, double param = 0.01);
// (fan_in, fan_out) of a weight (out, in, *kernel): in * receptive field and
// out * receptive field. Needs at least 2 dims.
std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor);

const Tensor& uniform_(const Tensor& tensor, double low = 0, double high = 1, Generator* generator = nullptr);
const Tensor& normal_(const Tensor& tensor, double mean = 0, double std = 1, Generator* generator = nullptr);
const Tensor& constant_(const Tensor& tensor, double value);
const Tensor& zeros_(const Tensor& tensor);
const Tensor& ones_(const Tensor& tensor);

// U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).
const Tensor& xavier_uniform_(const Tensor& tensor, double gain = 1, Generator* generator = nullptr);
// N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).
const Tensor& xavier_normal_(const Tensor& tensor, double gain = 1, Generator* generator = nullptr);
// U(-b, b), b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a).
const Tensor& kaiming_uniform_(const Tensor& tensor, double a = 0, FanMode mode = FanMode::fan_in,
                               Nonlinearity nonlinearity = Nonlinearity::leaky_relu, Generator* generator = nullptr);
// N(0, std^2), std = gain / sqrt(fan).
const Tensor& kaiming_normal_(const Tensor& tensor, double a = 0, FanMode mode = FanMode::fan_in,
                              Nonlinearity nonlinearity = Nonlinearity::leaky_relu, Generator* generator = nullptr);

// The identity on a 2-D tensor (ones on the main diagonal, zeros elsewhere).
const Tensor& eye_(const Tensor& tensor);
// A convolution weight (out, in, *kernel) with 3-5 dims that passes its input
// through: in each of `groups` groups, output channel d of the group gets a 1
// at input channel d and the kernel centre, for d < min(out / groups, in).
const Tensor& dirac_(const Tensor& tensor, int64_t groups = 1);
// N(mean, std^2) restricted to [a, b] (absolute bounds, as PyTorch): uniform
// draws pushed through the normal's inverse CDF, so no value is ever redrawn.
const Tensor& trunc_normal_(const Tensor& tensor, double mean = 0, double std = 1, double a = -2, double b = 2,
                            Generator* generator = nullptr);
// A (semi-)orthogonal matrix times `gain` (Saxe et al. 2013), as PyTorch: the
// tensor is viewed as (rows = size(0), cols = numel / rows); a (rows, cols)
// float64 N(0, 1) matrix (transposed when rows < cols) is factored as Q R and
// Q's columns are multiplied by sign(diag(R)), which makes Q unique. Rows are
// orthonormal when rows <= cols (W W^T = gain^2 I), columns otherwise.
const Tensor& orthogonal_(const Tensor& tensor, double gain = 1, Generator* generator = nullptr);

// PyTorch's default for Linear and Conv layers: weight ~ kaiming_uniform_(a =
// sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias (if defined)
// ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
void default_linear_init_(const Tensor& weight, const Tensor& bias, Generator* generator = nullptr);

}  // namespace mini::nn::init
