// User-defined differentiable functions (autograd/function.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <any>

#include "autograd_testing.h"

namespace mini {
namespace {

using ::testing::HasSubstr;
using testing::leaf;

// y = scale * x^2 * w (w broadcast), saving an input and the scale.
struct ScaledSquareTimes : Function<ScaledSquareTimes> {
  static const char* name() { return "scaled_square_times"; }
  static std::vector<Tensor> forward(FunctionContext& ctx, const std::vector<Tensor>& inputs) {
    ctx.save_for_backward({inputs[0], inputs[1]});
    ctx.saved_data["scale"] = 1.5;
    return {ops::mul(ops::mul(ops::square(inputs[0]), inputs[1]), 1.5)};
  }
  static std::vector<Tensor> backward(FunctionContext& ctx, const std::vector<Tensor>& grads) {
    const double scale = std::any_cast<double>(ctx.saved_data["scale"]);
    const std::vector<Tensor> saved = ctx.saved();
    const Tensor& x = saved[0];
    const Tensor& w = saved[1];
    Tensor grad_x = grads[0] * x * w * (2.0 * scale);
    Tensor grad_w = ctx.needs_input_grad[1] ? sum_to(grads[0] * square(x) * scale, w.sizes()) : Tensor();
    return {grad_x, grad_w};
  }
};

// exp with its output saved (the saved output must not form a reference cycle).
struct MyExp : Function<MyExp> {
  static std::vector<Tensor> forward(FunctionContext& ctx, const std::vector<Tensor>& inputs) {
    Tensor y = ops::exp(inputs[0]);
    ctx.save_for_backward({y});
    return {y};
  }
  static std::vector<Tensor> backward(FunctionContext& ctx, const std::vector<Tensor>& grads) {
    return {grads[0] * ctx.saved()[0]};
  }
};

// A deliberately wrong backward: gradcheck must catch it.
struct WrongSquare : Function<WrongSquare> {
  static std::vector<Tensor> forward(FunctionContext& ctx, const std::vector<Tensor>& inputs) {
    ctx.save_for_backward({inputs[0]});
    return {ops::square(inputs[0])};
  }
  static std::vector<Tensor> backward(FunctionContext& ctx, const std::vector<Tensor>& grads) {
    return {grads[0] * ctx.saved()[0] * 3.0};  // should be 2
  }
};

struct BadShape : Function<BadShape> {
  static std::vector<Tensor> forward(FunctionContext&, const std::vector<Tensor>& inputs) {
    return {ops::mul(inputs[0], 2.0)};
  }
  static std::vector<Tensor> backward(FunctionContext&, const std::vector<Tensor>&) {
    return {ops::ones({7}, {.dtype = DType::f64})};
  }
};

TEST(CustomFunction, PassesGradcheck) {
  auto fn = [](const std::vector<Tensor>& in) { return ScaledSquareTimes::apply(in); };
  EXPECT_GRADCHECK(fn, {leaf({2, 3}, 900), leaf({3}, 901)});
}

TEST(CustomFunction, BackwardWrittenWithMiniOpsIsTwiceDifferentiable) {
  auto fn = [](const std::vector<Tensor>& in) { return ScaledSquareTimes::apply(in); };
  EXPECT_GRADGRADCHECK(fn, {leaf({2, 3}, 902), leaf({3}, 903)});
  EXPECT_GRADGRADCHECK([](const std::vector<Tensor>& in) { return MyExp::apply(in); }, {leaf({4}, 904)});
}

TEST(CustomFunction, SavingItsOutputDoesNotLeak) {
  Allocator& allocator = cpu_allocator();
  Tensor x = leaf({256}, 905);
  const int64_t before = allocator.stats().bytes_in_use;
  {
    Tensor y = MyExp::apply({x})[0];
    EXPECT_STREQ(y.grad_fn()->name(), "custom_function");
  }
  EXPECT_EQ(allocator.stats().bytes_in_use, before);
}

TEST(CustomFunction, GradcheckCatchesAWrongBackward) {
  const GradcheckResult result =
      gradcheck([](const std::vector<Tensor>& in) { return WrongSquare::apply(in); }, {leaf({3}, 906)});
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.report, HasSubstr("gradcheck failed"));
  EXPECT_NEAR(result.analytic, 1.5 * result.numeric, 1e-6);
}

TEST(CustomFunction, BackwardReturningAWrongShapeIsAnError) {
  Tensor x = leaf({2}, 907);
  Tensor y = BadShape::apply({x})[0];
  EXPECT_THAT([&] { y.sum().backward(); },
              ::testing::ThrowsMessage<ValueError>(HasSubstr("backward returned a gradient of shape (7,) for input 0")));
}

TEST(CustomFunction, ForwardDoesNotRecord) {
  Tensor x = leaf({2}, 908);
  Tensor y = ScaledSquareTimes::apply({x, ops::ones({2}, {.dtype = DType::f64})})[0];
  EXPECT_STREQ(y.grad_fn()->name(), "scaled_square_times");
  EXPECT_EQ(y.grad_fn()->next_edges().size(), 2u);
}

}  // namespace
}  // namespace mini
