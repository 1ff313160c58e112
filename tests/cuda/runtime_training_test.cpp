// The Runner trains on the cuda device (the emulated backend in CI) and ends
// close to the same run on the CPU.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/load.h"
#include "cuda_testing.h"
#include "runtime/register.h"
#include "runtime/runner.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/reduce.h"

namespace mini::cuda::testing {
namespace {

constexpr const char* kConfig = R"(model:
  type: Classifier
  backbone: {type: MLP, in_features: 6, hidden: [8], num_classes: 3}
train_dataloader:
  batch_size: 8
  sampler: {type: DefaultSampler, shuffle: true}
  dataset: {type: SyntheticClassification, num_samples: 32, num_features: 6, num_classes: 3, seed: 3}
val_dataloader:
  batch_size: 16
  sampler: {type: DefaultSampler, shuffle: false}
  dataset: {type: SyntheticClassification, num_samples: 16, num_features: 6, num_classes: 3, seed: 3}
val_evaluator: {type: Accuracy}
optim_wrapper:
  type: OptimWrapper
  optimizer: {type: AdamW, lr: 0.01}
  clip_grad: {max_norm: 1.0}
train_cfg: {type: EpochBasedTrainLoop, max_epochs: 2}
default_hooks: {checkpoint: null}
randomness: {seed: 5}
)";

std::unique_ptr<runtime::Runner> train_on(const std::string& device, const std::filesystem::path& dir) {
  runtime::register_builtin_components();
  std::filesystem::create_directories(dir);
  const auto path = dir / "cfg.yaml";
  std::ofstream(path) << kConfig;
  runtime::RunnerOptions options;
  options.work_dir = (dir / "work").string();
  options.quiet = true;
  auto runner = runtime::Runner::from_config(config::load_config(path.string(), {"env_cfg.device=" + device}), options);
  runner->train();
  return runner;
}

TEST(CudaRuntime, TrainingOnCudaMatchesTheCpu) {
  use_cuda_backend();
  const auto dir = std::filesystem::temp_directory_path() / ("mini_cuda_runtime_" + std::to_string(getpid()));
  auto cpu = train_on("cpu", dir / "cpu");
  auto gpu = train_on("cuda", dir / "cuda");
  EXPECT_EQ(gpu->counters().micro_step, 8);
  const auto cpu_params = cpu->model().named_parameters();
  const auto gpu_params = gpu->model().named_parameters();
  ASSERT_EQ(cpu_params.size(), gpu_params.size());
  for (size_t i = 0; i < cpu_params.size(); ++i) {
    EXPECT_TRUE(gpu_params[i].second.device().is_cuda());
    const Tensor gpu_on_host = ops::to_device(gpu_params[i].second, Device::cpu());
    const double diff = ops::amax(ops::abs(ops::sub(gpu_on_host, cpu_params[i].second))).item<double>();
    EXPECT_LT(diff, 1e-4) << cpu_params[i].first;
  }
  EXPECT_NEAR(gpu->message_hub().latest("val/accuracy/top1"), cpu->message_hub().latest("val/accuracy/top1"), 1e-9);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mini::cuda::testing
