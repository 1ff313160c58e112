// The layers above the tensor core run on `cuda` unchanged: a small MLP
// trained for a few SGD steps on the device (the emulator in CI) ends with
// the same parameters as the same run on the CPU.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "autograd/autograd.h"
#include "nn/nn.h"
#include "tests/cuda/cuda_testing.h"

namespace mini::cuda::testing {
namespace {

std::vector<Tensor> train_mlp(Device device, int steps) {
  manual_seed(11);
  auto model = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Linear>(12, 16), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(16, 3)});
  model->to(device);
  nn::optim::SGD optimizer(model->parameters(), {.lr = 0.1, .momentum = 0.9});
  const Tensor inputs = ops::to_device(mini::testing::random_tensor({8, 12}, DType::f32, 5), device);
  const Tensor labels = ops::to_device(ops::from_vector<int64_t>({0, 1, 2, 0, 1, 2, 0, 1}), device);
  for (int step = 0; step < steps; ++step) {
    optimizer.zero_grad();
    Tensor loss = nn::cross_entropy(model->forward(inputs), labels);
    loss.backward();
    optimizer.step();
  }
  std::vector<Tensor> parameters;
  for (const Tensor& parameter : model->parameters()) parameters.push_back(ops::to_device(parameter, Device::cpu()));
  return parameters;
}

TEST(CudaTraining, MlpStepsMatchTheCpu) {
  use_cuda_backend();
  const std::vector<Tensor> on_cpu = train_mlp(Device::cpu(), 5);
  const std::vector<Tensor> on_cuda = train_mlp(Device::cuda(), 5);
  ASSERT_EQ(on_cpu.size(), on_cuda.size());
  for (size_t i = 0; i < on_cpu.size(); ++i) {
    // Five steps of float32 arithmetic in a different order: allow a few ulps per step.
    mini::testing::expect_tensors_near(on_cuda[i], on_cpu[i], 1e-4, 1e-5, "parameter " + std::to_string(i));
  }
  // The run really trained: parameters moved away from their initial values.
  const std::vector<Tensor> initial = train_mlp(Device::cpu(), 0);
  EXPECT_FALSE(ops::allclose(on_cpu[0], initial[0]));
}

}  // namespace
}  // namespace mini::cuda::testing
