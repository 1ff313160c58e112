// Backend::optimizer_step on the cuda backend's fused kernel against the CPU
// backend: every SGD and Adam/AdamW variant, several steps (later steps see
// the state earlier ones wrote), all floating dtypes, sizes 0 and 1, and
// non-contiguous, broadcast-grad and mixed-layout operands. Both backends
// compute what the unfused elementwise ops compute, so values must be equal
// exactly (NaN matching NaN).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tensor/ops/elementwise.h"
#include "tests/cuda/cuda_testing.h"

namespace mini::cuda {
namespace {

using namespace mini::testing;
using namespace mini::cuda::testing;

constexpr DType kFloating[] = {DType::f32, DType::f64, DType::f16, DType::bf16};

struct Variant {
  const char* name;
  OptimizerStep step;
};

const Variant kSgdVariants[] = {
    {"plain", {.lr = 0.1}},
    {"weight decay", {.lr = 0.05, .weight_decay = 0.01}},
    {"momentum", {.lr = 0.05, .momentum = 0.9}},
    {"momentum from the first step", {.lr = 0.05, .momentum = 0.9, .first_step = true}},
    {"dampening", {.lr = 0.3, .weight_decay = 0.2, .momentum = 0.5, .dampening = 0.25}},
    {"nesterov", {.lr = 0.07, .weight_decay = 1e-3, .momentum = 0.8, .nesterov = true}},
};

std::vector<Variant> adam_variants() {
  std::vector<Variant> variants;
  const char* decay_names[] = {"adam", "adam coupled decay", "adamw"};
  for (int decay = 0; decay < 3; ++decay) {
    for (bool amsgrad : {false, true}) {
      variants.push_back({decay_names[decay],
                          {.kind = OptimizerKind::adam,
                           .lr = 1e-2,
                           .weight_decay = decay == 0 ? 0.0 : 0.1,
                           .beta1 = 0.8,
                           .beta2 = 0.95,
                           .eps = 1e-6,
                           .decoupled_weight_decay = decay == 2,
                           .amsgrad = amsgrad}});
    }
  }
  return variants;
}

size_t state_count(const OptimizerStep& step) {
  if (step.kind == OptimizerKind::sgd) return step.momentum != 0 ? 1 : 0;
  return step.amsgrad ? 3 : 2;
}

// How the cuda operands are laid out; the CPU's are contiguous (its fused path).
enum class Layout { contiguous, noncontiguous, broadcast_grad };

const char* layout_name(Layout layout) {
  switch (layout) {
    case Layout::contiguous:
      return "contiguous";
    case Layout::noncontiguous:
      return "non-contiguous";
    case Layout::broadcast_grad:
      return "broadcast grad";
  }
  return "";
}

struct Operands {
  Tensor param, grad;
  std::vector<Tensor> state;
};

// Random host operands; second moments (state 1 and 2 of adam) non-negative.
// A broadcast grad has one row, expanded over the param's first dim.
Operands host_operands(const Shape& sizes, DType dtype, size_t states, Layout layout, uint64_t seed) {
  Shape grad_sizes = sizes;
  if (layout == Layout::broadcast_grad) grad_sizes[0] = 1;
  Operands host{random_tensor(sizes, dtype, seed), ops::expand(random_tensor(grad_sizes, dtype, seed + 1), sizes), {}};
  for (size_t i = 0; i < states; ++i)
    host.state.push_back(random_tensor(sizes, dtype, seed + 2 + i, i == 0 ? -1 : 0, 1));
  return host;
}

// The same values on the device: the param and every other state tensor
// transposed in memory, so the kernel sees operands with different strides.
Operands device_operands(const Operands& host, Layout layout) {
  const auto place = [&](const Tensor& t, bool strided) {
    return strided && layout != Layout::contiguous ? to_cuda_noncontiguous(t) : to_cuda(t);
  };
  Operands device{place(host.param, true), to_cuda(host.grad), {}};
  if (layout == Layout::broadcast_grad) {
    device.grad = ops::expand(to_cuda(ops::narrow(host.grad, 0, 0, 1)), host.grad.sizes());
  }
  for (size_t i = 0; i < host.state.size(); ++i) device.state.push_back(place(host.state[i], i % 2 == 1));
  return device;
}

Operands clone_contiguous(const Operands& host) {
  Operands copy{ops::clone(host.param), ops::contiguous(host.grad), {}};
  for (const Tensor& s : host.state) copy.state.push_back(ops::clone(s));
  return copy;
}

// Runs `steps` steps of `variant` on both backends and compares every output exactly.
void expect_steps_match_the_cpu(const Variant& variant, const Shape& sizes, DType dtype, Layout layout, int steps) {
  const std::string what = fmt::format("{}{} {} {} {}", variant.name, variant.step.amsgrad ? " amsgrad" : "",
                                       dtype_name(dtype), shape_str(sizes), layout_name(layout));
  const size_t states = state_count(variant.step);
  const Operands host = host_operands(sizes, dtype, states, layout, 41);
  const Operands device = device_operands(host, layout);
  const Operands cpu = clone_contiguous(host);
  for (int i = 0; i < steps; ++i) {
    OptimizerStep step = variant.step;
    step.first_step = variant.step.first_step && i == 0;
    const double t = i + 1;
    step.bias_correction1 = step.kind == OptimizerKind::adam ? 1 - std::pow(step.beta1, t) : 1;
    step.bias_correction2 = step.kind == OptimizerKind::adam ? 1 - std::pow(step.beta2, t) : 1;
    cpu_backend().optimizer_step(step, cpu.param, cpu.grad, cpu.state);
    cuda_backend().optimizer_step(step, device.param, device.grad, device.state);
  }
  expect_tensors_near(device.param, cpu.param, 0, 0, what + " param");
  for (size_t i = 0; i < states; ++i) {
    expect_tensors_near(device.state[i], cpu.state[i], 0, 0, what + " state " + std::to_string(i));
  }
  // The steps really moved the parameter (so equality above is not trivial).
  if (host.param.numel() > 0) {
    EXPECT_FALSE(ops::equal(cpu.param, host.param)) << what;
  }
}

// Empty, one element, a ragged grid-stride tail (more elements than one block),
// and a 2-D shape whose transposed layouts take the strided path.
const Shape kSizes[] = {{0}, {1}, {300}, {5, 7}};

class CudaOptimizerStep : public EveryOrder {};

TEST_P(CudaOptimizerStep, SgdVariantsMatchTheCpuExactly) {
  for (DType dtype : kFloating) {
    for (const Variant& variant : kSgdVariants) {
      for (const Shape& sizes : kSizes) expect_steps_match_the_cpu(variant, sizes, dtype, Layout::contiguous, 3);
      expect_steps_match_the_cpu(variant, {5, 7}, dtype, Layout::noncontiguous, 3);
      expect_steps_match_the_cpu(variant, {5, 7}, dtype, Layout::broadcast_grad, 2);
    }
  }
}

TEST_P(CudaOptimizerStep, AdamVariantsMatchTheCpuExactly) {
  for (DType dtype : kFloating) {
    for (const Variant& variant : adam_variants()) {
      for (const Shape& sizes : kSizes) expect_steps_match_the_cpu(variant, sizes, dtype, Layout::contiguous, 3);
      expect_steps_match_the_cpu(variant, {5, 7}, dtype, Layout::noncontiguous, 3);
      expect_steps_match_the_cpu(variant, {5, 7}, dtype, Layout::broadcast_grad, 2);
    }
  }
}

TEST_P(CudaOptimizerStep, AmsgradMaximumPropagatesNaNAsTheCpu) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor param = ops::from_vector<float>({1, 2, 3, 4}), grad = ops::from_vector<float>({0.5f, -1, 2, 0.25f});
  // NaN in the running maximum at 1, in the second moment (through the grad) at 2.
  const Tensor exp_avg = ops::zeros({4}), exp_avg_sq = ops::from_vector<float>({0.1f, 0.2f, 0.3f, 0.4f});
  const Tensor max_exp_avg_sq = ops::from_vector<float>({0.5f, static_cast<float>(nan), 0.1f, 0.1f});
  ops::copy_(ops::narrow(grad, 0, 2, 1), ops::full({1}, nan));
  const OptimizerStep step{.kind = OptimizerKind::adam, .lr = 0.1, .amsgrad = true};
  const std::vector<Tensor> cpu_state{ops::clone(exp_avg), ops::clone(exp_avg_sq), ops::clone(max_exp_avg_sq)};
  const std::vector<Tensor> cuda_state{to_cuda(exp_avg), to_cuda(exp_avg_sq), to_cuda(max_exp_avg_sq)};
  const Tensor cpu_param = ops::clone(param), cuda_param = to_cuda(param);
  cpu_backend().optimizer_step(step, cpu_param, grad, cpu_state);
  cuda_backend().optimizer_step(step, cuda_param, to_cuda(grad), cuda_state);
  expect_tensors_near(cuda_param, cpu_param, 0, 0, "param");
  for (size_t i = 0; i < 3; ++i) expect_tensors_near(cuda_state[i], cpu_state[i], 0, 0, "state " + std::to_string(i));
  EXPECT_TRUE(std::isnan(to_doubles(cuda_state[2])[1]));
  EXPECT_TRUE(std::isnan(to_doubles(cuda_param)[2]));
}

MINI_CUDA_EVERY_ORDER(CudaOptimizerStep);

TEST(CudaOptimizerStepErrors, BadOperandsNameWhatIsWrong) {
  use_cuda_backend();
  const Tensor param = to_cuda(ops::zeros({2, 3})), grad = to_cuda(ops::zeros({2, 3}));
  const OptimizerStep adam{.kind = OptimizerKind::adam, .lr = 0.1};
  EXPECT_THROW(
      {
        try {
          cuda_backend().optimizer_step(adam, param, grad, {to_cuda(ops::zeros({2, 3}))});
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("needs 2 state tensors, got 1"), std::string::npos) << e.what();
          throw;
        }
      },
      Error);
  EXPECT_THROW(
      {
        try {
          cuda_backend().optimizer_step({.lr = 0.1}, param, to_cuda(ops::zeros({3, 2})), {});
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("grad must match the parameter (2, 3)"), std::string::npos) << e.what();
          throw;
        }
      },
      Error);
  const Tensor integers = to_cuda(ops::zeros({2}, {.dtype = DType::i64}));
  EXPECT_THROW(cuda_backend().optimizer_step({.lr = 0.1}, integers, integers, {}), Error);
  const OptimizerStep momentum{.lr = 0.1, .momentum = 0.9};
  EXPECT_THROW(
      cuda_backend().optimizer_step(momentum, param, grad, {to_cuda(ops::zeros({2, 3}, {.dtype = DType::f64}))}),
      Error);
}

}  // namespace
}  // namespace mini::cuda
