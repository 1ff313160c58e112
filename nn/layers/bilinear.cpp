#include "nn/layers/bilinear.h"

#include <cmath>

#include "autograd/autograd.h"
#include "nn/init.h"

namespace mini::nn {

namespace {

std::string shape_text(const Tensor& tensor) { return fmt::format("({})", fmt::join(tensor.sizes(), ", ")); }

}  // namespace

Tensor bilinear(const Tensor& x1, const Tensor& x2, const Tensor& weight, const Tensor& bias) {
  MINI_CHECK(weight.dim() == 3, "bilinear: weight must be (out, in1, in2), got {}", shape_text(weight));
  const int64_t out = weight.size(0), in1 = weight.size(1), in2 = weight.size(2);
  MINI_CHECK(x1.dim() >= 1 && x1.size(-1) == in1, "bilinear: input1 {} must end in in1_features={} (weight {})",
             shape_text(x1), in1, shape_text(weight));
  MINI_CHECK(x2.dim() >= 1 && x2.size(-1) == in2, "bilinear: input2 {} must end in in2_features={} (weight {})",
             shape_text(x2), in2, shape_text(weight));
  const Shape batch(x1.sizes().begin(), x1.sizes().end() - 1);
  MINI_CHECK(x2.dim() == x1.dim() && Shape(x2.sizes().begin(), x2.sizes().end() - 1) == batch,
             "bilinear: input1 {} and input2 {} must have the same batch dims (all but the last)", shape_text(x1),
             shape_text(x2));
  MINI_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == out),
             "bilinear: bias {} must be ({}) to match weight {}", bias.defined() ? shape_text(bias) : "", out,
             shape_text(weight));
  int64_t rows = 1;
  for (int64_t size : batch) rows *= size;
  // y[b, o] = sum_i x1[b, i] (sum_j A[o, i, j] x2[b, j]), as two matmuls over the flattened batch B:
  //   (B, in1) @ (in1, out * in2) -> (B, out, in2);  (B, out, in2) @ (B, in2, 1) -> (B, out, 1)
  const Tensor weight_matrix = mini::reshape(mini::permute(weight, {1, 0, 2}), {in1, out * in2});
  const Tensor left = mini::reshape(mini::matmul(mini::reshape(x1, {rows, in1}), weight_matrix), {rows, out, in2});
  Tensor y = mini::reshape(mini::matmul(left, mini::reshape(x2, {rows, in2, 1})), {rows, out});
  if (bias.defined()) y = mini::add(y, bias);
  Shape out_sizes = batch;
  out_sizes.push_back(out);
  return mini::reshape(y, out_sizes);
}

Bilinear::Bilinear(int64_t in1_features, int64_t in2_features, int64_t out_features, bool bias, TensorOptions options)
    : Module("Bilinear"), in1_features_(in1_features), in2_features_(in2_features), out_features_(out_features) {
  MINI_CHECK(in1_features > 0 && in2_features > 0 && out_features >= 0,
             "Bilinear: in1_features={} and in2_features={} must be positive and out_features={} non-negative",
             in1_features, in2_features, out_features);
  weight_ = register_parameter("weight", ops::empty({out_features, in1_features, in2_features}, options));
  if (bias) bias_ = register_parameter("bias", ops::empty({out_features}, options));
  // PyTorch's reset_parameters: one bound from in1 for both (not the fan-in rule of Linear).
  const double bound = 1.0 / std::sqrt(static_cast<double>(in1_features));
  init::uniform_(weight_, -bound, bound);
  if (bias) init::uniform_(bias_, -bound, bound);
}

Tensor Bilinear::forward(const Tensor& x1, const Tensor& x2) { return bilinear(x1, x2, weight_, bias_); }

Tensor Bilinear::forward(const Tensor& input) {
  MINI_CHECK(false, "Bilinear: forward needs two inputs, forward(x1, x2); got one tensor {}", shape_text(input));
  return Tensor();
}

Tensor Bilinear::operator()(const Tensor& x1, const Tensor& x2) {
  // x2 by value: a checkpointing wrapper keeps the function to re-run it in backward.
  return run_forward([this, x2](const Tensor& in) { return forward(in, x2); }, x1);
}

std::string Bilinear::extra_repr() const {
  return fmt::format("in1_features={}, in2_features={}, out_features={}, bias={}", in1_features_, in2_features_,
                     out_features_, bias_.defined());
}

}  // namespace mini::nn
