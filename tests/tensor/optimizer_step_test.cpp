// Backend::optimizer_step: the CPU backend's fused pass must give exactly
// (bit for bit) what the default sequence of elementwise ops gives, for every
// SGD and Adam variant, float32 and float64, sizes that leave ragged vector
// and thread chunks, and non-contiguous tensors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "support/tensor_testing.h"
#include "tensor/backend.h"
#include "tensor/ops/factory.h"

namespace mini {
namespace {

using testing::random_tensor;

struct Tensors {
  Tensor param, grad;
  std::vector<Tensor> state;
};

Tensors make_tensors(const Shape& sizes, DType dtype, size_t state_count, uint64_t seed) {
  Tensors t{random_tensor(sizes, dtype, seed), random_tensor(sizes, dtype, seed + 1), {}};
  for (size_t i = 0; i < state_count; ++i) {
    // Second moments must be non-negative.
    t.state.push_back(random_tensor(sizes, dtype, seed + 2 + i, i == 0 ? -1.0 : 0.0, 1.0));
  }
  return t;
}

Tensors clone_all(const Tensors& t) {
  Tensors copy{ops::clone(t.param), ops::clone(t.grad), {}};
  for (const Tensor& s : t.state) copy.state.push_back(ops::clone(s));
  return copy;
}

// Exact equality of the bytes (so -0 vs 0 and NaN payloads count too).
void expect_identical(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const Tensor a = ops::contiguous(got), b = ops::contiguous(want);
  const size_t bytes = static_cast<size_t>(a.numel()) * element_size(a.dtype());
  EXPECT_EQ(std::memcmp(a.data_ptr(), b.data_ptr(), bytes), 0) << what << ": fused and unfused results differ";
}

// Runs the CPU backend's (fused) step and the Backend default on copies.
void expect_fused_matches_default(const OptimizerStep& step, const Shape& sizes, DType dtype, size_t state_count,
                                  const std::string& what) {
  Backend& cpu = backend_for(Device::cpu());
  const Tensors fused = make_tensors(sizes, dtype, state_count, 7);
  const Tensors unfused = clone_all(fused);
  // Two steps: the second sees state the first one wrote.
  for (int i = 0; i < 2; ++i) {
    OptimizerStep current = step;
    current.first_step = step.first_step && i == 0;
    cpu.optimizer_step(current, fused.param, fused.grad, fused.state);
    cpu.Backend::optimizer_step(current, unfused.param, unfused.grad, unfused.state);
  }
  expect_identical(fused.param, unfused.param, what + " param");
  for (size_t i = 0; i < state_count; ++i) {
    expect_identical(fused.state[i], unfused.state[i], what + " state " + std::to_string(i));
  }
}

// 1 element, a ragged vector tail, and more than one thread chunk.
const Shape kSizes[] = {{1}, {3, 37}, {257, 301}};

TEST(OptimizerStep, FusedSgdMatchesTheUnfusedOpsBitForBit) {
  struct Variant {
    const char* name;
    OptimizerStep step;
  };
  const Variant variants[] = {
      {"plain", {.lr = 0.1}},
      {"weight decay", {.lr = 0.05, .weight_decay = 0.01}},
      {"momentum, first step", {.lr = 0.05, .momentum = 0.9, .first_step = true}},
      {"momentum", {.lr = 0.05, .momentum = 0.9}},
      {"dampening", {.lr = 0.3, .weight_decay = 0.2, .momentum = 0.5, .dampening = 0.25}},
      {"nesterov", {.lr = 0.07, .weight_decay = 1e-3, .momentum = 0.8, .nesterov = true}},
  };
  for (DType dtype : {DType::f32, DType::f64}) {
    for (const Variant& variant : variants) {
      for (const Shape& sizes : kSizes) {
        const size_t state_count = variant.step.momentum != 0 ? 1 : 0;
        expect_fused_matches_default(variant.step, sizes, dtype, state_count,
                                     fmt::format("sgd {} {} {}", variant.name, dtype_name(dtype), shape_str(sizes)));
      }
    }
  }
}

TEST(OptimizerStep, FusedAdamMatchesTheUnfusedOpsBitForBit) {
  for (DType dtype : {DType::f32, DType::f64}) {
    for (int decay = 0; decay < 3; ++decay) {
      for (bool amsgrad : {false, true}) {
        const OptimizerStep step{.kind = OptimizerKind::adam,
                                 .lr = 1e-3,
                                 .weight_decay = decay == 0 ? 0.0 : 0.1,
                                 .beta1 = 0.8,
                                 .beta2 = 0.95,
                                 .eps = 1e-6,
                                 .bias_correction1 = 1 - 0.8 * 0.8 * 0.8,
                                 .bias_correction2 = 1 - 0.95 * 0.95 * 0.95,
                                 .decoupled_weight_decay = decay == 2,
                                 .amsgrad = amsgrad};
        for (const Shape& sizes : kSizes) {
          expect_fused_matches_default(
              step, sizes, dtype, amsgrad ? 3 : 2,
              fmt::format("adam decay {} amsgrad {} {} {}", decay, amsgrad, dtype_name(dtype), shape_str(sizes)));
        }
      }
    }
  }
}

TEST(OptimizerStep, AmsgradKeepsNaNInTheRunningMaximum) {
  const OptimizerStep step{.kind = OptimizerKind::adam, .lr = 0.1, .amsgrad = true};
  Tensors t = make_tensors({5}, DType::f32, 3, 11);
  t.state[2].data<float>()[2] = std::numeric_limits<float>::quiet_NaN();
  const Tensors unfused = clone_all(t);
  backend_for(Device::cpu()).optimizer_step(step, t.param, t.grad, t.state);
  backend_for(Device::cpu()).Backend::optimizer_step(step, unfused.param, unfused.grad, unfused.state);
  EXPECT_TRUE(std::isnan(t.state[2].data<float>()[2]));
  EXPECT_TRUE(std::isnan(t.param.data<float>()[2]));
  expect_identical(t.param, unfused.param, "param");
}

TEST(OptimizerStep, NonContiguousTensorsGetTheContiguousResult) {
  const OptimizerStep step{.lr = 0.05, .weight_decay = 0.01, .momentum = 0.9, .nesterov = true};
  const Tensors contiguous = make_tensors({40, 30}, DType::f32, 1, 21);
  Tensors strided{testing::make_noncontiguous(contiguous.param),
                  testing::make_noncontiguous(contiguous.grad),
                  {testing::make_noncontiguous(contiguous.state[0])}};
  ASSERT_FALSE(strided.param.is_contiguous());
  backend_for(Device::cpu()).optimizer_step(step, contiguous.param, contiguous.grad, contiguous.state);
  backend_for(Device::cpu()).optimizer_step(step, strided.param, strided.grad, strided.state);
  expect_identical(strided.param, contiguous.param, "param");
  expect_identical(strided.state[0], contiguous.state[0], "momentum buffer");
}

TEST(OptimizerStep, MissingStateTensorsAreReported) {
  const OptimizerStep step{.kind = OptimizerKind::adam, .lr = 0.1, .amsgrad = true};
  const Tensors t = make_tensors({4}, DType::f32, 2, 31);
  try {
    backend_for(Device::cpu()).optimizer_step(step, t.param, t.grad, t.state);
    FAIL() << "expected ValueError";
  } catch (const ValueError& error) {
    EXPECT_THAT(error.what(), ::testing::HasSubstr("adam with amsgrad needs 3 state tensors, got 2"));
  }
}

}  // namespace
}  // namespace mini
