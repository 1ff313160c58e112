// Fused cross-entropy (Backend::cross_entropy, mini::cross_entropy_rows and
// nn::cross_entropy on top of them): the CPU kernel and the composite default
// against a plain double loop, and nn::cross_entropy against the composite
// formulation (log_softmax + nll_loss + the smoothing term) in value and
// gradient on awkward shapes, plus gradcheck / gradgradcheck in float64.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "autograd/functions/cross_entropy.h"
#include "nn_testing.h"
#include "tensor/backend.h"
#include "tensor/ops/cross_entropy.h"

namespace mini::nn {
namespace {

using testing::expect_values_near;
using testing::leaf;
using testing::one_output;
using testing::random_tensor;
using testing::to_doubles;

constexpr int64_t kIgnore = -100;

template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

// Class indices in [0, classes) with every third row ignored (when there are classes at all).
std::vector<int64_t> random_targets(int64_t rows, int64_t classes, uint64_t seed) {
  const std::vector<double> draws =
      to_doubles(random_tensor({rows}, DType::f64, seed, 0, static_cast<double>(classes)));
  std::vector<int64_t> targets(static_cast<size_t>(rows), kIgnore);
  for (int64_t r = 0; r < rows; ++r) {
    if (classes > 0 && r % 3 != 1) targets[r] = std::min<int64_t>(classes - 1, static_cast<int64_t>(draws[r]));
  }
  return targets;
}

struct RowsReference {
  std::vector<double> loss, grad;
};

// The definition in tensor/backend.h, row by row in double.
RowsReference reference_rows(const std::vector<double>& x, const std::vector<int64_t>& target,
                             const std::vector<double>& weight, int64_t classes, double s) {
  const auto rows = static_cast<int64_t>(target.size());
  RowsReference out{std::vector<double>(rows, 0.0), std::vector<double>(rows * classes, 0.0)};
  auto w = [&](int64_t c) { return weight.empty() ? 1.0 : weight[c]; };
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t t = target[r];
    if (t == kIgnore) continue;
    const double* row = x.data() + r * classes;
    const double max = *std::max_element(row, row + classes);
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(row[c] - max);
    auto log_p = [&](int64_t c) { return row[c] - max - std::log(sum); };
    double smooth = 0, mass_sum = (1 - s) * w(t);
    for (int64_t c = 0; c < classes; ++c) {
      smooth -= w(c) * log_p(c);
      mass_sum += s / classes * w(c);
    }
    out.loss[r] = -(1 - s) * w(t) * log_p(t) + s / classes * smooth;
    for (int64_t c = 0; c < classes; ++c) {
      const double mass = s / classes * w(c) + (c == t ? (1 - s) * w(t) : 0.0);
      out.grad[r * classes + c] = std::exp(log_p(c)) * mass_sum - mass;
    }
  }
  return out;
}

struct RowsCase {
  int64_t rows, classes;
};
// One class, one row, a row longer than a vector block, and one past 1024 classes.
const RowsCase kRowsCases[] = {{1, 1}, {5, 1}, {1, 7}, {6, 37}, {4, 300}, {3, 1030}};

TEST(CrossEntropyRowsKernel, CpuKernelAndCompositeDefaultMatchAPlainReference) {
  Backend& cpu = backend_for(Device::cpu());
  for (DType dtype : {DType::f64, DType::f32, DType::f16, DType::bf16}) {
    for (const RowsCase& c : kRowsCases) {
      for (bool weighted : {false, true}) {
        for (double smoothing : {0.0, 0.3}) {
          const std::string what = fmt::format("{} ({}, {}) weighted {} smoothing {}", dtype_name(dtype), c.rows,
                                               c.classes, weighted, smoothing);
          SCOPED_TRACE(what);
          const Tensor x = random_tensor({c.rows, c.classes}, dtype, 200 + c.classes, -4, 4);
          const std::vector<int64_t> targets = random_targets(c.rows, c.classes, 300 + c.rows);
          const Tensor target = ops::from_vector(targets);
          const Tensor weight = weighted ? random_tensor({c.classes}, dtype, 400, 0.25, 2) : Tensor();
          const RowsReference expected = reference_rows(
              to_doubles(x), targets, weighted ? to_doubles(weight) : std::vector<double>{}, c.classes, smoothing);
          // Sums over up to ~1000 classes, magnitudes up to ~8: a few ulps per dtype.
          const double rtol = 16 * testing::rtol_for(dtype), atol = 16 * testing::atol_for(dtype);
          for (bool fused : {true, false}) {
            const Tensor loss = ops::empty({c.rows}, {.dtype = dtype});
            const Tensor grad = ops::empty({c.rows, c.classes}, {.dtype = dtype});
            if (fused) {
              cpu.cross_entropy(loss, grad, x, target, weight, kIgnore, smoothing);
            } else {
              cpu.Backend::cross_entropy(loss, grad, x, target, weight, kIgnore, smoothing);
            }
            const char* path = fused ? "fused" : "composite default";
            expect_values_near(loss, expected.loss, rtol, atol, std::string(path) + " loss");
            expect_values_near(grad, expected.grad, rtol, atol, std::string(path) + " grad");
          }
        }
      }
    }
  }
}

TEST(CrossEntropyRowsKernel, LossAloneEqualsTheLossWithTheGradient) {
  const Tensor x = random_tensor({9, 40}, DType::f32, 1);
  const Tensor target = ops::from_vector(random_targets(9, 40, 2));
  const CrossEntropyRows both = ops::cross_entropy_rows(x, target, Tensor(), kIgnore, 0.1, true);
  const CrossEntropyRows alone = ops::cross_entropy_rows(x, target, Tensor(), kIgnore, 0.1, false);
  EXPECT_FALSE(alone.grad_logits.defined());
  testing::expect_tensors_near(alone.loss, both.loss, 0, 0, "loss");
}

TEST(CrossEntropyRowsKernel, IgnoreIndexMayBeAValidClass) {
  // Rows whose target equals ignore_index (here class 1) are ignored even though 1 is in range.
  const Tensor x = random_tensor({4, 3}, DType::f64, 3);
  const std::vector<int64_t> targets{1, 0, 1, 2};
  const CrossEntropyRows rows = ops::cross_entropy_rows(x, ops::from_vector(targets), Tensor(), 1, 0.0, true);
  std::vector<int64_t> as_ignored{kIgnore, 0, kIgnore, 2};
  const RowsReference expected = reference_rows(to_doubles(x), as_ignored, {}, 3, 0.0);
  expect_values_near(rows.loss, expected.loss, 1e-12, 1e-12, "loss");
  expect_values_near(rows.grad_logits, expected.grad, 1e-12, 1e-12, "grad");
}

TEST(CrossEntropyRowsKernel, LargeLogitsStayFinite) {
  const Tensor x = ops::from_vector<float>({1000.0f, 1001.0f, -1000.0f, 0.0f, 0.0f, 0.0f}, {2, 3});
  const std::vector<int64_t> targets{0, 2};
  const CrossEntropyRows rows = ops::cross_entropy_rows(x, ops::from_vector(targets), Tensor(), kIgnore, 0.0, true);
  const RowsReference expected = reference_rows(to_doubles(x), targets, {}, 3, 0.0);
  expect_values_near(rows.loss, expected.loss, 1e-5, 1e-6, "loss");
  expect_values_near(rows.grad_logits, expected.grad, 1e-5, 1e-6, "grad");
}

TEST(CrossEntropyRowsKernel, OutOfRangeTargetsAreNamedWithTheClassCount) {
  const Tensor x = random_tensor({3, 3}, DType::f32, 4);
  for (int64_t bad : {int64_t{7}, int64_t{-1}, int64_t{3}}) {
    const Tensor target = ops::from_vector<int64_t>({0, kIgnore, bad});
    const Tensor loss = ops::empty({3}, {.dtype = DType::f32}), grad = ops::empty({3, 3}, {.dtype = DType::f32});
    const std::string expected = fmt::format("target {} is outside [0, 3)", bad);
    EXPECT_THAT(
        error_of([&] { backend_for(Device::cpu()).cross_entropy(loss, grad, x, target, Tensor(), kIgnore, 0); }),
        ::testing::HasSubstr(expected));
    EXPECT_THAT(error_of([&] {
                  backend_for(Device::cpu()).Backend::cross_entropy(loss, grad, x, target, Tensor(), kIgnore, 0);
                }),
                ::testing::HasSubstr(expected));
    EXPECT_THROW(cross_entropy(x, target), ValueError);
  }
}

// ---- nn::cross_entropy: the fused path against the composite formulation ----------

// -(1 - s) w_t log p_t - (s / C) sum_c w_c log p_c per position, from
// log_softmax and nll_loss (both still composites), reduced as PyTorch does.
Tensor composite_cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& o) {
  const int64_t class_dim = input.dim() == 1 ? 0 : 1, classes = input.size(class_dim);
  const Tensor log_probs = mini::log_softmax(input, class_dim);
  Tensor loss = nll_loss(log_probs, target, {o.weight, o.ignore_index, Reduction::none}) * (1 - o.label_smoothing);
  const Tensor valid = ops::ne(target, Scalar(o.ignore_index));
  if (o.label_smoothing > 0) {
    Shape weight_sizes(static_cast<size_t>(input.dim()), 1);
    weight_sizes[static_cast<size_t>(class_dim)] = classes;
    const Tensor weighted = o.weight.defined() ? log_probs * ops::reshape(o.weight, weight_sizes) : log_probs;
    loss = loss - mini::where(valid, mini::sum(weighted, {class_dim}), Scalar(0.0)) *
                      (o.label_smoothing / static_cast<double>(classes));
  }
  switch (o.reduction) {
    case Reduction::none:
      return loss;
    case Reduction::sum:
      return mini::sum(loss);
    case Reduction::mean:
      break;
  }
  Tensor target_weight = ops::to_dtype(valid, input.dtype());
  if (o.weight.defined()) {
    const Tensor safe = ops::reshape(ops::where(valid, target, Scalar(int64_t{0})), {-1});
    target_weight = target_weight * ops::reshape(ops::index_select(o.weight, 0, safe), valid.sizes());
  }
  return mini::sum(loss) / ops::sum(target_weight);
}

struct NnCase {
  Shape input;
  const char* name;
};
const NnCase kNnCases[] = {
    {{7, 5}, "(N, C)"},     {{1, 1}, "one class, one row"},   {{4, 1}, "one class"},         {{0, 4}, "no rows"},
    {{5}, "unbatched (C)"}, {{2, 3, 4, 5}, "(N, C, d1, d2)"}, {{3, 6, 0}, "empty extra dim"}};

TEST(FusedCrossEntropy, MatchesTheCompositeInValueAndGradient) {
  for (DType dtype : {DType::f64, DType::f32}) {
    for (const NnCase& c : kNnCases) {
      const int64_t classes = c.input.size() == 1 ? c.input[0] : c.input[1];
      Shape target_sizes = c.input;
      target_sizes.erase(c.input.size() == 1 ? 0 : 1);
      int64_t positions = 1;
      for (int64_t size : target_sizes) positions *= size;
      const Tensor target =
          ops::reshape(ops::from_vector(random_targets(positions, classes, 500 + positions)), target_sizes);
      for (Reduction reduction : {Reduction::none, Reduction::sum, Reduction::mean}) {
        for (bool weighted : {false, true}) {
          for (double smoothing : {0.0, 0.2}) {
            SCOPED_TRACE(fmt::format("{} {} reduction {} weighted {} smoothing {}", dtype_name(dtype), c.name,
                                     static_cast<int>(reduction), weighted, smoothing));
            const CrossEntropyOptions options{
                .weight = weighted ? random_tensor({classes}, dtype, 600, 0.25, 2) : Tensor(),
                .ignore_index = kIgnore,
                .reduction = reduction,
                .label_smoothing = smoothing};
            const Tensor values = random_tensor(c.input, dtype, 700, -3, 3);
            // A non-contiguous input for the 2-D case: the fused op makes rows contiguous itself.
            Tensor fused_input = (c.input.size() == 2 ? testing::make_noncontiguous(values) : values).detach();
            Tensor composite_input = values.detach();
            fused_input.requires_grad_();
            composite_input.requires_grad_();
            const Tensor fused = cross_entropy(fused_input, target, options);
            const Tensor composite = composite_cross_entropy(composite_input, target, options);
            ASSERT_EQ(fused.sizes(), composite.sizes());
            const double rtol = 8 * testing::rtol_for(dtype), atol = 8 * testing::atol_for(dtype);
            testing::expect_tensors_near(fused, composite, rtol, atol, "loss");
            // Backward with a non-uniform incoming gradient so every row's scale matters.
            const Tensor grad_out = random_tensor(fused.sizes(), dtype, 800, 0.5, 1.5);
            mini::sum(fused * grad_out).backward();
            mini::sum(composite * grad_out).backward();
            testing::expect_tensors_near(fused_input.grad(), composite_input.grad(), rtol, atol, "gradient");
          }
        }
      }
    }
  }
}

TEST(FusedCrossEntropy, AllTargetsIgnoredGivesNaNMeanAsPyTorch) {
  const Tensor x = random_tensor({2, 3}, DType::f64, 9);
  const Tensor target = ops::from_vector<int64_t>({kIgnore, kIgnore});
  EXPECT_TRUE(std::isnan(cross_entropy(x, target).item<double>()));
  EXPECT_EQ(cross_entropy(x, target, {.reduction = Reduction::sum}).item<double>(), 0.0);
}

TEST(FusedCrossEntropy, TargetShapeMismatchIsNamed) {
  const Tensor x = random_tensor({2, 3, 4}, DType::f64, 10);
  EXPECT_THAT(error_of([&] {
                cross_entropy(x, ops::zeros({2, 3}, {.dtype = DType::i64}));
              }),
              ::testing::HasSubstr("target (2, 3) does not match input (2, 3, 4) (expected target (2, 4))"));
}

TEST(FusedCrossEntropy, GradcheckAndGradgradcheckInFloat64) {
  const Tensor w = ops::from_vector<double>({0.5, 1.0, 2.0, 1.5});
  const Tensor rows_target = ops::from_vector<int64_t>({3, kIgnore, 0, 2});
  const Tensor spatial_target = ops::from_vector<int64_t>({3, kIgnore, 0, 1, 2, 2}, {2, 3});
  for (double smoothing : {0.0, 0.25}) {
    for (Reduction reduction : {Reduction::none, Reduction::mean}) {
      SCOPED_TRACE(fmt::format("smoothing {} reduction {}", smoothing, static_cast<int>(reduction)));
      const CrossEntropyOptions options{
          .weight = w, .ignore_index = kIgnore, .reduction = reduction, .label_smoothing = smoothing};
      const auto rows =
          one_output([&](const std::vector<Tensor>& in) { return cross_entropy(in[0], rows_target, options); });
      const auto spatial =
          one_output([&](const std::vector<Tensor>& in) { return cross_entropy(in[0], spatial_target, options); });
      EXPECT_GRADCHECK(rows, {leaf({4, 4}, 11)});
      EXPECT_GRADCHECK(spatial, {leaf({2, 4, 3}, 12)});
      EXPECT_GRADGRADCHECK(rows, {leaf({4, 4}, 13)});
    }
  }
}

TEST(FusedCrossEntropy, RowsOpGradientIsTheSavedGradientScaledPerRow) {
  const Tensor x = leaf({3, 5}, 14);
  const Tensor target = ops::from_vector<int64_t>({4, 0, kIgnore});
  const Tensor loss = cross_entropy_rows(x, target, Tensor(), kIgnore, 0.1);
  const Tensor grad_out = ops::from_vector<double>({2.0, -1.0, 3.0});
  mini::sum(loss * grad_out).backward();
  const CrossEntropyRows rows = ops::cross_entropy_rows(x.detach(), target, Tensor(), kIgnore, 0.1, true);
  testing::expect_tensors_near(x.grad(), ops::mul(rows.grad_logits, ops::unsqueeze(grad_out, 1)), 1e-15, 0, "gradient");
}

TEST(FusedCrossEntropy, ClassWeightsAreConstantsEvenWhenTheyRequireGrad) {
  const Tensor x = leaf({4, 3}, 15);
  const Tensor target = ops::from_vector<int64_t>({2, 0, 1, 1});
  const Tensor constant_weight = ops::from_vector<double>({0.5, 1.0, 2.0});
  const Tensor weight = ops::from_vector<double>({0.5, 1.0, 2.0}).requires_grad_();
  const Tensor loss = cross_entropy(x, target, {.weight = weight, .label_smoothing = 0.1});
  testing::expect_close(loss, cross_entropy(x, target, {.weight = constant_weight, .label_smoothing = 0.1}));
  loss.backward();
  EXPECT_TRUE(x.grad().defined());
  EXPECT_FALSE(weight.grad().defined());  // as the composite did; PyTorch refuses a weight gradient outright
  EXPECT_THROW(cross_entropy_rows(x, target, weight), ValueError);
}

}  // namespace
}  // namespace mini::nn
