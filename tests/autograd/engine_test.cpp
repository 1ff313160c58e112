// The backward engine: graph traversal, accumulation, retain_graph, errors,
// hooks, memory release and deep graphs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "autograd_testing.h"

namespace mini {
namespace {

using ::testing::HasSubstr;
using testing::expect_close;
using testing::leaf;
using testing::to_doubles;

TEST(Engine, LeafGradientOfAProduct) {
  Tensor a = leaf({3}, 1), b = leaf({3}, 2);
  (a * b).sum().backward();
  expect_close(a.grad(), b.detach());
  expect_close(b.grad(), a.detach());
}

TEST(Engine, RepeatedUseOfOneInputSumsItsGradients) {
  Tensor x = leaf({4}, 3);
  Tensor y = x * x + x;  // dy/dx = 2x + 1
  y.sum().backward();
  expect_close(x.grad(), ops::add(ops::mul(x.detach(), 2.0), 1.0));
}

TEST(Engine, GradAccumulatesAcrossBackwardCalls) {
  Tensor x = leaf({2, 3}, 4);
  (x * 2.0).sum().backward();
  (x * 3.0).sum().backward();
  expect_close(x.grad(), ops::full({2, 3}, 5.0, {.dtype = DType::f64}));
}

TEST(Engine, ZeroGradClearsTheGradient) {
  Tensor x = leaf({2}, 5);
  x.sum().backward();
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
  x.sum().backward();
  x.zero_grad(/*set_to_none=*/false);
  expect_close(x.grad(), ops::zeros({2}, {.dtype = DType::f64}));
}

TEST(Engine, GradDoesNotTouchDotGrad) {
  Tensor x = leaf({3}, 6), w = leaf({3}, 7);
  Tensor y = (x * w).sum();
  std::vector<Tensor> grads = grad({y}, {x});
  expect_close(grads[0], w.detach());
  EXPECT_FALSE(x.grad().defined());
  EXPECT_FALSE(w.grad().defined());
}

TEST(Engine, GradOfANonLeafInput) {
  Tensor x = leaf({3}, 8);
  Tensor h = x * 2.0;
  Tensor y = (h * h).sum();
  expect_close(grad({y}, {h})[0], ops::mul(h.detach(), 2.0));
}

TEST(Engine, GradOfAnUnusedInputIsAnErrorUnlessAllowed) {
  Tensor x = leaf({2}, 9), unused = leaf({2}, 10);
  Tensor y = x.sum();
  EXPECT_THAT([&] { grad({y}, {unused}, {}, true); },
              ::testing::ThrowsMessage<ValueError>(HasSubstr("was not used in the graph")));
  EXPECT_FALSE(grad({y}, {unused}, {}, true, false, /*allow_unused=*/true)[0].defined());
}

TEST(Engine, BackwardTwiceWithoutRetainGraphFails) {
  Tensor x = leaf({3}, 11);
  Tensor y = x.exp().sum();
  y.backward();
  EXPECT_THAT([&] { y.backward(); },
              ::testing::ThrowsMessage<Error>(HasSubstr("Trying to backward through the graph a second time")));
}

TEST(Engine, RetainGraphAllowsASecondBackward) {
  Tensor x = leaf({3}, 12);
  Tensor y = x.exp().sum();
  y.backward(Tensor(), /*retain_graph=*/true);
  y.backward();
  expect_close(x.grad(), ops::mul(ops::exp(x.detach()), 2.0));
}

TEST(Engine, BackwardOnATensorThatDoesNotRequireGradFails) {
  Tensor x = ops::ones({2}, {.dtype = DType::f64});
  EXPECT_THAT([&] { x.sum().backward(); },
              ::testing::ThrowsMessage<ValueError>(HasSubstr("does not require grad and does not have a grad_fn")));
}

TEST(Engine, ImplicitGradientNeedsAOneElementOutput) {
  Tensor x = leaf({2, 3}, 13);
  EXPECT_THAT([&] { (x * 2.0).backward(); },
              ::testing::ThrowsMessage<ValueError>(HasSubstr("only for one-element outputs")));
}

TEST(Engine, ExplicitGradientShapeMismatchNamesBothShapes) {
  Tensor x = leaf({2, 3}, 14);
  Tensor y = x * 2.0;
  EXPECT_THAT([&] { y.backward(ops::ones({3}, {.dtype = DType::f64})); },
              ::testing::ThrowsMessage<ValueError>(AllOf(HasSubstr("Mismatch in shape"), HasSubstr("(3,)"),
                                                         HasSubstr("(2, 3)"))));
}

TEST(Engine, ExplicitGradientIsUsed) {
  Tensor x = leaf({2, 3}, 15);
  Tensor v = testing::random_tensor({2, 3}, DType::f64, 16);
  (x * 3.0).backward(v);
  expect_close(x.grad(), ops::mul(v, 3.0));
}

TEST(Engine, InPlaceChangeOfASavedTensorNamesTheOpAndVersions) {
  Tensor x = leaf({3}, 17);
  Tensor y = x.exp();  // saves its output
  Tensor loss = y.sum();
  ops::add_(y, 1.0);  // bumps y's version behind autograd's back
  EXPECT_THAT([&] { loss.backward(); },
              ::testing::ThrowsMessage<Error>(
                  AllOf(HasSubstr("modified by an inplace operation"), HasSubstr("[op 'exp' output 0]"),
                        HasSubstr("is at version 1; expected version 0"))));
}

TEST(Engine, InPlaceChangeOfASavedInputIsDetected) {
  Tensor x = leaf({3}, 18);
  Tensor h = x * 1.0;
  Tensor loss = (h * h).sum();  // mul saves h
  ops::mul_(h, 2.0);
  EXPECT_THAT([&] { loss.backward(); },
              ::testing::ThrowsMessage<Error>(AllOf(HasSubstr("saved by op 'mul'"), HasSubstr("expected version 0"))));
}

TEST(Engine, NoGradGuardResultsDoNotRequireGrad) {
  Tensor x = leaf({3}, 19);
  {
    NoGradGuard no_grad;
    Tensor y = x * 2.0;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(y.is_leaf());
    {
      EnableGradGuard enable;
      EXPECT_TRUE((x * 2.0).requires_grad());
    }
  }
  EXPECT_TRUE((x * 2.0).requires_grad());
}

TEST(Engine, InferenceModeRecordsNothing) {
  Tensor x = leaf({3}, 20);
  InferenceMode guard;
  EXPECT_TRUE(InferenceMode::is_enabled());
  EXPECT_FALSE(GradMode::is_enabled());
  EXPECT_FALSE(x.exp().requires_grad());
}

TEST(Engine, NonFloatTensorsCannotRequireGrad) {
  Tensor i = ops::arange(4);
  EXPECT_THAT([&] { i.requires_grad_(); },
              ::testing::ThrowsMessage<ValueError>(HasSubstr("only tensors of floating point dtype")));
}

TEST(Engine, DetachCutsTheGraphButSharesData) {
  Tensor x = leaf({3}, 21);
  Tensor d = x.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_EQ(d.data_ptr(), x.data_ptr());
}

TEST(Engine, TensorHookReplacesTheGradient) {
  Tensor x = leaf({3}, 22);
  Tensor h = x * 2.0;
  h.register_hook([](const Tensor& g) { return g * 10.0; });
  h.sum().backward();
  expect_close(x.grad(), ops::full({3}, 20.0, {.dtype = DType::f64}));
}

TEST(Engine, LeafHookReplacesTheAccumulatedGradient) {
  Tensor x = leaf({3}, 23);
  HookHandle handle = x.register_hook([](const Tensor& g) { return g * -1.0; });
  x.sum().backward();
  expect_close(x.grad(), ops::full({3}, -1.0, {.dtype = DType::f64}));
  handle.remove();
  x.zero_grad();
  x.sum().backward();
  expect_close(x.grad(), ops::full({3}, 1.0, {.dtype = DType::f64}));
}

TEST(Engine, PostAccumulateHookFiresOncePerLeafPerBackward) {
  Tensor x = leaf({3}, 24);
  int calls = 0;
  x.register_post_accumulate_grad_hook([&](const Tensor& t) {
    ++calls;
    EXPECT_TRUE(t.grad().defined());
  });
  // x reaches the loss along three paths; the hook still fires once.
  Tensor loss = (x * 2.0 + x.exp() + x).sum();
  loss.backward();
  EXPECT_EQ(calls, 1);
  (x * 1.0).sum().backward();
  EXPECT_EQ(calls, 2);
}

TEST(Engine, RetainGradKeepsANonLeafGradient) {
  Tensor x = leaf({3}, 25);
  Tensor h = x * 3.0;
  h.retain_grad();
  (h * h).sum().backward();
  expect_close(h.grad(), ops::mul(h.detach(), 2.0));
  EXPECT_FALSE((x * 1.0).grad().defined());
}

TEST(Engine, NodePreAndPostHooksSeeTheGradients) {
  Tensor x = leaf({2}, 26);
  Tensor y = x.exp();
  int pre = 0, post = 0;
  y.grad_fn()->add_pre_hook([&](GradList& grads) {
    ++pre;
    grads[0] = grads[0] * 0.0;
  });
  y.grad_fn()->add_post_hook([&](const GradList& grad_inputs, const GradList&) {
    ++post;
    EXPECT_EQ(grad_inputs.size(), 1u);
  });
  y.sum().backward();
  EXPECT_EQ(pre, 1);
  EXPECT_EQ(post, 1);
  expect_close(x.grad(), ops::zeros({2}, {.dtype = DType::f64}));
}

TEST(Engine, GradFnNamesTheOp) {
  Tensor x = leaf({2}, 27);
  EXPECT_STREQ(x.exp().grad_fn()->name(), "exp");
  EXPECT_EQ(x.grad_fn(), nullptr);
  EXPECT_TRUE(x.is_leaf());
  EXPECT_FALSE(x.exp().is_leaf());
}

TEST(Engine, CreateGraphGivesADifferentiableGradient) {
  Tensor x = leaf({3}, 28);
  Tensor y = (x * x * x).sum();
  Tensor dx = grad({y}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];  // 3 x^2
  EXPECT_TRUE(dx.requires_grad());
  dx.sum().backward();  // d/dx sum(3 x^2) = 6 x
  expect_close(x.grad(), ops::mul(x.detach(), 6.0));
}

TEST(Engine, BackwardWithCreateGraphMakesDotGradDifferentiable) {
  Tensor x = leaf({2}, 29);
  (x * x).sum().backward(Tensor(), false, /*create_graph=*/true);
  EXPECT_TRUE(x.grad().requires_grad());
  Tensor penalty = (x.grad() * x.grad()).sum();  // sum(4 x^2)
  std::vector<Tensor> g = grad({penalty}, {x});
  expect_close(g[0], ops::mul(x.detach(), 8.0));
}

TEST(Engine, DeepChainBackwardDoesNotOverflowTheStack) {
  // 100,000 recorded ops: recursion anywhere (traversal, execution or
  // destruction of the graph) would overflow the stack.
  Tensor x = leaf({1}, 30);
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y * 1.0;
  y.sum().backward();
  expect_close(x.grad(), ops::ones({1}, {.dtype = DType::f64}));
}

TEST(Engine, DeepChainGraphIsFreedWithoutBackward) {
  Tensor x = leaf({1}, 31);
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y + 1.0;
  y = Tensor();  // destroys 100,000 nodes
  SUCCEED();
}

TEST(Engine, MemoryReturnsToParametersAndGradsAfterBackward) {
  Allocator& allocator = cpu_allocator();
  Tensor w1 = leaf({64, 64}, 32), w2 = leaf({64, 64}, 33);
  Tensor input = testing::random_tensor({32, 64}, DType::f64, 34);
  const int64_t before = allocator.stats().bytes_in_use;
  {
    Tensor loss = mini::tanh(mini::relu(input.matmul(w1)).matmul(w2)).pow(2.0).mean();
    loss.backward();
  }
  const int64_t grads = 2 * 64 * 64 * 8;
  EXPECT_EQ(allocator.stats().bytes_in_use, before + grads);
  // A second step reuses .grad in place: nothing new stays alive.
  {
    Tensor loss = mini::tanh(mini::relu(input.matmul(w1)).matmul(w2)).pow(2.0).mean();
    loss.backward();
  }
  EXPECT_EQ(allocator.stats().bytes_in_use, before + grads);
}

TEST(Engine, SavedActivationsAreFreedDuringBackwardEvenIfTheLossLives) {
  Allocator& allocator = cpu_allocator();
  Tensor w = leaf({128, 128}, 35);
  Tensor input = testing::random_tensor({128, 128}, DType::f64, 36);
  const int64_t before = allocator.stats().bytes_in_use;
  Tensor loss = mini::exp(mini::tanh(input.matmul(w)) * 0.1).sum();
  loss.backward();
  // Left: loss (one element) and w.grad; the saved activations are gone.
  EXPECT_LE(allocator.stats().bytes_in_use, before + 128 * 128 * 8 + 64);
}

}  // namespace
}  // namespace mini
