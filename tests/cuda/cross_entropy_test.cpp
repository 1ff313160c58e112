// Fused cross-entropy on the cuda backend against the CPU backend: short rows
// (a warp each) and long rows (a block each), weights, label smoothing,
// ignored rows, the loss-only form, nn::cross_entropy end to end, and the
// out-of-range target error on both devices.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "autograd/autograd.h"
#include "nn/losses.h"
#include "tests/cuda/cuda_testing.h"

namespace mini::cuda {
namespace {

using namespace mini::testing;
using namespace mini::cuda::testing;
using ::testing::HasSubstr;

constexpr DType kFloating[] = {DType::f32, DType::f64, DType::f16, DType::bf16};
constexpr int64_t kIgnore = -100;

// Row r targets class (7 r) % classes, except every third row, which is ignored.
Tensor targets_for(int64_t rows, int64_t classes) {
  std::vector<int64_t> targets(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) targets[r] = r % 3 == 1 ? kIgnore : (7 * r) % classes;
  return ops::from_vector(targets);
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

struct RowsCase {
  int64_t rows, classes;
  const char* layout;
};
const RowsCase kCases[] = {{9, 37, "warp rows"}, {3, 1500, "block rows"}, {5, 1, "one class"}};

class CudaCrossEntropy : public EveryOrder {};

TEST_P(CudaCrossEntropy, LossAndGradientMatchTheCpu) {
  for (const RowsCase& c : kCases) {
    const Tensor target = targets_for(c.rows, c.classes);
    for (DType dtype : kFloating) {
      for (bool weighted : {false, true}) {
        for (double smoothing : {0.0, 0.3}) {
          const std::string what =
              fmt::format("{} {} weighted {} smoothing {}", c.layout, name_of(dtype), weighted, smoothing);
          const Tensor x = random_tensor({c.rows, c.classes}, dtype, 101, -4, 4);
          const Tensor weight = weighted ? random_tensor({c.classes}, dtype, 102, 0.25, 2) : Tensor();
          const Tensor expected_loss = empty_on({c.rows}, dtype, Device::cpu());
          const Tensor expected_grad = empty_on({c.rows, c.classes}, dtype, Device::cpu());
          cpu_backend().cross_entropy(expected_loss, expected_grad, x, target, weight, kIgnore, smoothing);

          const Tensor loss = empty_on({c.rows}, dtype, Device::cuda());
          const Tensor grad = empty_on({c.rows, c.classes}, dtype, Device::cuda());
          cuda_backend().cross_entropy(loss, grad, to_cuda(x), to_cuda(target), weighted ? to_cuda(weight) : Tensor(),
                                       kIgnore, smoothing);
          expect_tensors_near(loss, expected_loss, 8 * rtol_for(dtype), 8 * atol_for(dtype), "loss " + what);
          expect_tensors_near(grad, expected_grad, 8 * rtol_for(dtype), 8 * atol_for(dtype), "grad " + what);

          const Tensor loss_alone = empty_on({c.rows}, dtype, Device::cuda());
          cuda_backend().cross_entropy(loss_alone, Tensor(), to_cuda(x), to_cuda(target),
                                       weighted ? to_cuda(weight) : Tensor(), kIgnore, smoothing);
          expect_tensors_near(loss_alone, loss, 0, 0, "loss alone " + what);
        }
      }
    }
  }
}

TEST_P(CudaCrossEntropy, NnCrossEntropyMatchesTheCpuInValueAndGradient) {
  // (N, C, d): the class dim moves last before the fused kernel.
  const Tensor values = random_tensor({2, 5, 3}, DType::f32, 103, -3, 3);
  const Tensor target = ops::from_vector<int64_t>({4, kIgnore, 0, 1, 2, 3}, {2, 3});
  const nn::CrossEntropyOptions options{.weight = ops::from_vector<float>({0.5f, 1.0f, 2.0f, 1.5f, 1.0f}),
                                        .label_smoothing = 0.1};
  Tensor host = values.detach().requires_grad_();
  Tensor device = to_cuda(values).requires_grad_();
  const Tensor expected = nn::cross_entropy(host, target, options);
  nn::CrossEntropyOptions device_options = options;
  device_options.weight = to_cuda(options.weight);
  const Tensor actual = nn::cross_entropy(device, to_cuda(target), device_options);
  expect_tensors_near(actual, expected, 8 * rtol_for(DType::f32), 8 * atol_for(DType::f32), "loss");
  expected.backward();
  actual.backward();
  expect_tensors_near(device.grad(), host.grad(), 8 * rtol_for(DType::f32), 8 * atol_for(DType::f32), "gradient");
}

TEST_P(CudaCrossEntropy, OutOfRangeTargetIsNamedOnBothDevices) {
  for (int64_t classes : {int64_t{4}, int64_t{1100}}) {  // the warp and the block kernel
    for (int64_t bad : {classes, int64_t{-2}}) {
      const Tensor x = random_tensor({3, classes}, DType::f32, 104);
      const Tensor target = ops::from_vector<int64_t>({0, kIgnore, bad});
      const std::string expected = fmt::format("target {} is outside [0, {})", bad, classes);
      for (Device device : {Device::cpu(), Device::cuda()}) {
        SCOPED_TRACE(device.str());
        const Tensor on_device = ops::to_device(x, device), target_on_device = ops::to_device(target, device);
        EXPECT_THAT(error_of([&] { nn::cross_entropy(on_device, target_on_device); }), HasSubstr(expected));
      }
    }
  }
}

MINI_CUDA_EVERY_ORDER(CudaCrossEntropy);

}  // namespace
}  // namespace mini::cuda
