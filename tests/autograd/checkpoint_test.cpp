// Activation checkpointing: less memory in the forward, bitwise-identical
// gradients (dropout masks replayed from the generator state).
#include <gtest/gtest.h>

#include "autograd_testing.h"

namespace mini {
namespace {

struct Mlp {
  std::vector<Tensor> weights, biases, norm_weights;
};

Mlp make_mlp(int64_t depth, int64_t width) {
  Mlp mlp;
  for (int64_t i = 0; i < depth; ++i) {
    const uint64_t seed = 1000 + static_cast<uint64_t>(i);
    mlp.weights.push_back(ops::mul(testing::random_tensor({width, width}, DType::f32, seed), 0.3).requires_grad_());
    mlp.biases.push_back(testing::random_tensor({width}, DType::f32, seed + 500).requires_grad_());
    mlp.norm_weights.push_back(testing::random_tensor({width}, DType::f32, seed + 900, 0.5, 1.5).requires_grad_());
  }
  return mlp;
}

// x: (batch, width) -> (batch, width)
Tensor block(const Mlp& mlp, size_t i, const Tensor& x) {
  Tensor h = linear(x, mlp.weights[i], mlp.biases[i]);
  h = layer_norm(h, {h.size(-1)}, mlp.norm_weights[i]);
  return dropout(gelu(h), 0.1);
}

Tensor loss_of(const Mlp& mlp, const Tensor& x, bool checkpointed) {
  Tensor h = x;
  for (size_t i = 0; i < mlp.weights.size(); ++i) {
    if (checkpointed) {
      h = checkpoint([&mlp, i](const Tensor& in) { return block(mlp, i, in); }, h);
    } else {
      h = block(mlp, i, h);
    }
  }
  return (h * h).mean();
}

struct RunResult {
  int64_t forward_peak_bytes;
  std::vector<Tensor> grads;
};

RunResult run(const Mlp& mlp, const Tensor& x, bool checkpointed) {
  Allocator& allocator = cpu_allocator();
  manual_seed(1234);
  const int64_t before = allocator.stats().bytes_in_use;
  allocator.reset_peak();
  Tensor loss = loss_of(mlp, x, checkpointed);
  RunResult result{allocator.stats().peak_bytes_in_use - before, {}};
  loss.backward();
  for (const auto* params : {&mlp.weights, &mlp.biases, &mlp.norm_weights}) {
    for (const Tensor& p : *params) {
      result.grads.push_back(ops::clone(p.grad()));
      p.zero_grad();
    }
  }
  return result;
}

TEST(Checkpoint, FiftyLayerMlpUsesLessMemoryAndGivesBitwiseEqualGradients) {
  const Mlp mlp = make_mlp(50, 32);
  const Tensor x = testing::random_tensor({64, 32}, DType::f32, 7);
  const RunResult plain = run(mlp, x, false);
  const RunResult checkpointed = run(mlp, x, true);
  EXPECT_GE(plain.forward_peak_bytes, 3 * checkpointed.forward_peak_bytes)
      << "plain " << plain.forward_peak_bytes << " bytes, checkpointed " << checkpointed.forward_peak_bytes;
  ASSERT_EQ(plain.grads.size(), checkpointed.grads.size());
  for (size_t i = 0; i < plain.grads.size(); ++i) {
    EXPECT_TRUE(ops::equal(plain.grads[i], checkpointed.grads[i])) << "parameter " << i;
  }
}

TEST(Checkpoint, GradientFlowsToInputsThatRequireGrad) {
  Tensor x = testing::leaf({3, 4}, 10);
  Tensor w = testing::leaf({4, 4}, 11);
  auto fn = [&w](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{mini::tanh(matmul(in[0], w)), in[0] * 2.0};
  };
  EXPECT_GRADCHECK([&](const std::vector<Tensor>& in) {
    std::vector<Tensor> outs = checkpoint(fn, in);
    return std::vector<Tensor>{outs[0] + outs[1] * outs[1]};
  },
                   {x});
}

TEST(Checkpoint, BackwardLeavesTheGeneratorWhereItWas) {
  Tensor x = testing::leaf({100}, 12);
  manual_seed(5);
  Tensor y = checkpoint([](const Tensor& in) { return dropout(in, 0.5); }, x);
  const uint64_t offset = default_generator().offset();
  y.sum().backward();
  EXPECT_EQ(default_generator().offset(), offset);
  // The replayed mask is the forward's: the gradient is y / x.
  testing::expect_close(x.grad(), ops::div(y.detach(), x.detach()));
}

TEST(Checkpoint, ParameterUsedInsideAndOutsideGetsBothContributions) {
  // The nested backward meets w's AccumulateGrad, which the outer backward also uses.
  Tensor w = testing::leaf({3}, 14);
  Tensor x = testing::leaf({3}, 15);
  auto loss = [&](bool checkpointed) {
    auto inner = [&w](const Tensor& in) { return mini::sin(in * w); };
    Tensor h = checkpointed ? checkpoint(inner, x) : inner(x);
    return (h * w).sum();
  };
  loss(false).backward();
  const Tensor expected_w = ops::clone(w.grad()), expected_x = ops::clone(x.grad());
  w.zero_grad();
  x.zero_grad();
  loss(true).backward();
  testing::expect_close(w.grad(), expected_w);
  testing::expect_close(x.grad(), expected_x);
}

TEST(Checkpoint, UnderNoGradNothingIsRecorded) {
  Tensor x = testing::leaf({3}, 13);
  NoGradGuard no_grad;
  EXPECT_FALSE(checkpoint([](const Tensor& in) { return in * 2.0; }, x).requires_grad());
}

}  // namespace
}  // namespace mini
