// Autocast (autograd/autocast.h, nn/amp/autocast.h): which ops run in 16
// bits, which in f32, how guards nest, and that gradients of f32 parameters
// come back in f32 and match an f32 run within bf16 tolerance.
#include <gmock/gmock.h>

#include <algorithm>

#include "nn/amp/autocast.h"
#include "nn_testing.h"

namespace mini::testing {
namespace {

using ::testing::HasSubstr;

Tensor f32_input(const Shape& sizes, uint64_t seed) { return random_tensor(sizes, DType::f32, seed); }

double max_abs(const Tensor& t) { return ops::amax(ops::abs(ops::to_dtype(t, DType::f64))).item<double>(); }

// |actual - expected| within a few bf16 roundings of the largest value: the
// error of a 16-bit product is relative to the operands, not to each output.
void expect_near_at_scale(const Tensor& actual, const Tensor& expected, DType dtype, const std::string& what) {
  const double scale = std::max(max_abs(expected), 1e-3);
  expect_tensors_near(actual, expected, 0.0, 4 * rtol_for(dtype) * scale, what);
}

TEST(Autocast, IsOffByDefault) {
  EXPECT_FALSE(autocast_enabled(DeviceType::cpu));
  EXPECT_FALSE(autocast_enabled(DeviceType::cuda));
  const Tensor y = matmul(f32_input({3, 4}, 1), f32_input({4, 2}, 2));
  EXPECT_EQ(y.dtype(), DType::f32);
}

TEST(Autocast, LinearRunsInBf16AndParameterGradientsComeBackInF32MatchingAnF32Run) {
  manual_seed(3);
  nn::Linear first(16, 32), second(32, 5);
  const Tensor x = f32_input({7, 16}, 4);
  const Tensor labels = ops::from_vector(std::vector<int64_t>{0, 1, 2, 3, 4, 0, 1}, {7});
  auto run = [&](bool autocast) {
    first.zero_grad();
    second.zero_grad();
    Tensor loss;
    {
      AutocastGuard guard(DeviceType::cpu, DType::bf16, autocast);
      const Tensor hidden = first(x);
      EXPECT_EQ(hidden.dtype(), autocast ? DType::bf16 : DType::f32);
      // NOTE: tanh, not relu: a unit near relu's kink can flip under bf16 rounding and change a whole row.
      const Tensor logits = second(tanh(hidden));
      EXPECT_EQ(logits.dtype(), autocast ? DType::bf16 : DType::f32);
      loss = nn::cross_entropy(logits, labels);
      EXPECT_EQ(loss.dtype(), DType::f32);  // losses are on the float32 list
    }
    loss.backward();
    return std::vector<Tensor>{ops::clone(first.weight().grad()), ops::clone(first.bias().grad()),
                               ops::clone(second.weight().grad()), ops::clone(second.bias().grad())};
  };
  const std::vector<Tensor> reference = run(false);
  const std::vector<Tensor> mixed = run(true);
  for (size_t i = 0; i < mixed.size(); ++i) {
    EXPECT_EQ(mixed[i].dtype(), DType::f32) << "gradient " << i;
    expect_near_at_scale(mixed[i], reference[i], DType::bf16, "gradient " + std::to_string(i));
  }
  EXPECT_EQ(first.weight().dtype(), DType::f32);  // the parameters themselves are never cast
}

TEST(Autocast, MatmulConvAndAttentionTakeTheAutocastDtype) {
  for (DType dtype : {DType::bf16, DType::f16}) {
    AutocastGuard guard(DeviceType::cpu, dtype);
    EXPECT_EQ(matmul(f32_input({2, 3, 4}, 1), f32_input({4, 5}, 2)).dtype(), dtype);
    EXPECT_EQ(matmul(f32_input({4}, 1), f32_input({4}, 2)).dtype(), dtype);  // 1-D: a dot product
    EXPECT_EQ(linear(f32_input({3, 4}, 1), f32_input({2, 4}, 2), f32_input({2}, 3)).dtype(), dtype);
    EXPECT_EQ(conv2d(f32_input({1, 2, 5, 5}, 1), f32_input({3, 2, 3, 3}, 2), f32_input({3}, 3)).dtype(), dtype);
    EXPECT_EQ(conv1d(f32_input({2, 2, 6}, 1), f32_input({3, 2, 3}, 2), f32_input({3}, 3)).dtype(), dtype);
    const Tensor q = f32_input({1, 2, 3, 4}, 5), k = f32_input({1, 2, 6, 4}, 6), v = f32_input({1, 2, 6, 4}, 7);
    EXPECT_EQ(attention(q, k, v, Tensor(), 0.5, false).dtype(), dtype);
  }
}

TEST(Autocast, ConvGradientsComeBackInF32) {
  manual_seed(5);
  nn::Conv2d conv(2, 3, {3, 3}, {.padding = {1, 1}});
  const Tensor x = f32_input({2, 2, 5, 4}, 8).requires_grad_();
  Tensor y;
  {
    AutocastGuard guard(DeviceType::cpu, DType::bf16);
    y = conv(x);
  }
  EXPECT_EQ(y.dtype(), DType::bf16);
  sum(y).backward();
  EXPECT_EQ(conv.weight().grad().dtype(), DType::f32);
  EXPECT_EQ(conv.bias().grad().dtype(), DType::f32);
  EXPECT_EQ(x.grad().dtype(), DType::f32);
  // d sum(y) / d bias = the number of output positions per channel.
  expect_values_near(conv.bias().grad(), {40.0, 40.0, 40.0}, 0, 0, "bias gradient");
}

TEST(Autocast, Float32ListOpsReturnF32FromBf16Inputs) {
  const Tensor x = random_tensor({4, 6}, DType::bf16, 11);
  const Tensor x_f32 = ops::to_dtype(x, DType::f32);  // the same values, widened
  const Tensor images = random_tensor({2, 4, 3, 3}, DType::bf16, 12);
  const Tensor labels = ops::from_vector(std::vector<int64_t>{0, 5, 2, 3}, {4});
  AutocastGuard guard(DeviceType::cpu, DType::bf16);
  struct Case {
    const char* name;
    Tensor out, expected;
  };
  const std::vector<Case> cases = {
      {"softmax", softmax(x, 1), ops::softmax(x_f32, 1)},
      {"log_softmax", log_softmax(x, 1), ops::log_softmax(x_f32, 1)},
      {"layer_norm", layer_norm(x, {6}), layer_norm(x_f32, {6})},
      {"group_norm", nn::functional::group_norm(images, 2), Tensor()},
      {"rms_norm", nn::functional::rms_norm(x, {6}), Tensor()},
      {"batch_norm", nn::functional::batch_norm(images, Tensor(), Tensor(), Tensor(), Tensor(), true), Tensor()},
      {"cross_entropy", nn::cross_entropy(x, labels), nn::cross_entropy(x_f32, labels)},
      {"nll_loss", nn::nll_loss(x, labels), nn::nll_loss(x_f32, labels)},
      {"mse_loss", nn::mse_loss(x, ops::zeros_like(x)), ops::mean(ops::mul(x_f32, x_f32))},
      {"sum", sum(x), ops::sum(x_f32)},
      {"mean", mean(x, {1}), ops::mean(x_f32, {1})},
      {"exp", exp(x), ops::exp(x_f32)},
      {"log", log(abs(x)), ops::log(ops::abs(x_f32))},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.out.dtype(), DType::f32) << c.name;
    if (c.expected.defined())
      expect_tensors_near(c.out, c.expected, rtol_for(DType::f32), atol_for(DType::f32), c.name);
  }
}

TEST(Autocast, OpsOffBothListsKeepTheirDtypeAndBinaryOpsPromote) {
  const Tensor x = random_tensor({3, 4}, DType::bf16, 13);
  AutocastGuard guard(DeviceType::cpu, DType::bf16);
  EXPECT_EQ(relu(x).dtype(), DType::bf16);
  EXPECT_EQ(gelu(x).dtype(), DType::bf16);
  EXPECT_EQ((x + x).dtype(), DType::bf16);
  EXPECT_EQ((x * f32_input({3, 4}, 14)).dtype(), DType::f32);
  EXPECT_EQ(relu(f32_input({3, 4}, 15)).dtype(), DType::f32);  // f32 inputs of unlisted ops stay f32
}

TEST(Autocast, NestedGuardsRestoreTheOuterStateAndDisabledGuardsTurnItOff) {
  const Tensor a = f32_input({2, 3}, 1), b = f32_input({3, 2}, 2);
  {
    AutocastGuard outer(DeviceType::cpu, DType::bf16);
    EXPECT_EQ(matmul(a, b).dtype(), DType::bf16);
    {
      AutocastGuard inner(DeviceType::cpu, DType::f16);
      EXPECT_EQ(matmul(a, b).dtype(), DType::f16);
      {
        AutocastGuard off(DeviceType::cpu, DType::f16, /*enabled=*/false);
        EXPECT_FALSE(autocast_enabled(DeviceType::cpu));
        EXPECT_EQ(matmul(a, b).dtype(), DType::f32);
      }
      EXPECT_EQ(matmul(a, b).dtype(), DType::f16);
    }
    EXPECT_TRUE(autocast_enabled(DeviceType::cpu));
    EXPECT_EQ(autocast_dtype(DeviceType::cpu), DType::bf16);
    EXPECT_EQ(matmul(a, b).dtype(), DType::bf16);
    {
      AutocastGuard keeps_dtype(DeviceType::cpu, /*enabled=*/true);
      EXPECT_EQ(matmul(a, b).dtype(), DType::bf16);
    }
  }
  EXPECT_FALSE(autocast_enabled(DeviceType::cpu));
  EXPECT_EQ(autocast_dtype(DeviceType::cpu), DType::bf16);
  EXPECT_EQ(matmul(a, b).dtype(), DType::f32);
}

TEST(Autocast, OnlyTheDeviceTypeItWasEnabledForIsAffected) {
  AutocastGuard cuda_only(DeviceType::cuda, DType::f16);
  EXPECT_TRUE(autocast_enabled(DeviceType::cuda));
  EXPECT_FALSE(autocast_enabled(DeviceType::cpu));
  EXPECT_EQ(matmul(f32_input({2, 3}, 1), f32_input({3, 2}, 2)).dtype(), DType::f32);
  EXPECT_EQ(softmax(random_tensor({2, 3}, DType::bf16, 3), 1).dtype(), DType::bf16);
}

TEST(Autocast, Float64IsNeverCastSoGradcheckWorksUnderAutocast) {
  AutocastGuard guard(DeviceType::cpu, DType::bf16);
  const Tensor a = leaf({3, 4}, 1), b = leaf({4, 2}, 2);
  EXPECT_EQ(matmul(a, b).dtype(), DType::f64);
  EXPECT_GRADCHECK(one_output([](const std::vector<Tensor>& in) { return softmax(matmul(in[0], in[1]), 1); }), {a, b});
}

TEST(Autocast, BackwardRunsWithAutocastOffWhereverItIsCalled) {
  manual_seed(7);
  nn::Linear layer(6, 4);
  const Tensor x = f32_input({5, 6}, 3);
  auto gradient = [&](bool backward_inside) {
    layer.zero_grad();
    bool enabled_in_backward = true;
    const Tensor hook_target = x.detach().requires_grad_();
    hook_target.register_hook([&](const Tensor& grad) {
      enabled_in_backward = autocast_enabled(DeviceType::cpu);
      return grad;
    });
    std::optional<AutocastGuard> guard(std::in_place, DeviceType::cpu, DType::bf16);
    const Tensor loss = sum(square(layer(hook_target)));
    if (!backward_inside) guard.reset();
    loss.backward();
    EXPECT_FALSE(enabled_in_backward);
    return ops::clone(layer.weight().grad());
  };
  const Tensor outside = gradient(false), inside = gradient(true);
  expect_tensors_near(inside, outside, 0, 0, "weight gradient");
}

TEST(Autocast, CheckpointRecomputesUnderTheForwardsAutocastState) {
  manual_seed(9);
  nn::Linear layer(8, 8);
  const Tensor x = f32_input({4, 8}, 5).requires_grad_();
  auto run = [&](bool checkpointed) {
    layer.zero_grad();
    x.zero_grad();
    Tensor loss;
    {
      AutocastGuard guard(DeviceType::cpu, DType::bf16);
      auto block = [&](const Tensor& input) { return relu(layer(input)); };
      const Tensor y = checkpointed ? checkpoint(block, x) : block(x);
      EXPECT_EQ(y.dtype(), DType::bf16);
      loss = sum(y);
    }
    loss.backward();
    return std::vector<Tensor>{ops::clone(layer.weight().grad()), ops::clone(x.grad())};
  };
  const std::vector<Tensor> direct = run(false), recomputed = run(true);
  expect_tensors_near(recomputed[0], direct[0], 0, 0, "weight gradient");
  expect_tensors_near(recomputed[1], direct[1], 0, 0, "input gradient");
}

TEST(Autocast, RejectsDtypesOtherThanFloat16AndBfloat16) {
  try {
    AutocastGuard guard(DeviceType::cpu, DType::f32);
    FAIL() << "expected an error";
  } catch (const ValueError& error) {
    EXPECT_THAT(error.what(), HasSubstr("float16 or bfloat16"));
  }
  EXPECT_FALSE(autocast_enabled(DeviceType::cpu));
}

TEST(AmpDtypeNames, ParseMmengineNamesAndDefaultPerDevice) {
  EXPECT_EQ(nn::amp::autocast_dtype_from_name("float16"), DType::f16);
  EXPECT_EQ(nn::amp::autocast_dtype_from_name("bfloat16"), DType::bf16);
  EXPECT_EQ(nn::amp::autocast_dtype_from_name("bf16"), DType::bf16);
  EXPECT_THROW(nn::amp::autocast_dtype_from_name("float32"), ValueError);
  EXPECT_EQ(nn::amp::default_autocast_dtype(DeviceType::cpu), DType::bf16);
  EXPECT_EQ(nn::amp::default_autocast_dtype(DeviceType::cuda), DType::f16);
}

}  // namespace
}  // namespace mini::testing
