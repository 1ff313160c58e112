// AmpOptimWrapper on the cuda device (the emulated backend in CI): with dtype
// left out it autocasts to float16 with dynamic loss scaling, as
// torch.autocast("cuda") does, and trains close to the same float16 run on the CPU.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/load.h"
#include "cuda_testing.h"
#include "runtime/amp_optim_wrapper.h"
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
optim_wrapper:
  type: AmpOptimWrapper
  loss_scale: {init_scale: 1024, growth_interval: 3}
  optimizer: {type: AdamW, lr: 0.01}
  clip_grad: {max_norm: 1.0}
train_cfg: {type: EpochBasedTrainLoop, max_epochs: 2}
default_hooks: {checkpoint: null}
randomness: {seed: 5}
)";

// Records the dtype of the logits of the last training step.
class LogitsDtype : public runtime::Hook {
 public:
  LogitsDtype() : Hook("LogitsDtype", runtime::kPriorityNormal) {}
  void after_train_iter(runtime::Runner&, const runtime::Batch&, const runtime::Outputs& outputs) override {
    dtype = outputs.at("logits").dtype();
  }
  std::optional<DType> dtype;
};

struct Run {
  std::unique_ptr<runtime::Runner> runner;
  std::shared_ptr<LogitsDtype> probe;
};

Run train_on(const std::vector<std::string>& overrides, const std::filesystem::path& dir) {
  runtime::register_builtin_components();
  std::filesystem::create_directories(dir);
  const auto path = dir / "cfg.yaml";
  std::ofstream(path) << kConfig;
  runtime::RunnerOptions options;
  options.work_dir = (dir / "work").string();
  options.quiet = true;
  auto runner = runtime::Runner::from_config(config::load_config(path.string(), overrides), options);
  auto probe = std::make_shared<LogitsDtype>();
  runner->register_hook(probe);
  runner->train();
  return {std::move(runner), probe};
}

TEST(CudaAmp, Float16IsTheCudaDefaultAndTracksTheCpuRun) {
  use_cuda_backend();
  const auto dir = std::filesystem::temp_directory_path() / ("mini_cuda_amp_" + std::to_string(getpid()));
  auto [cpu, cpu_probe] = train_on({"env_cfg.device=cpu", "optim_wrapper.dtype=float16"}, dir / "cpu");
  auto [gpu, gpu_probe] = train_on({"env_cfg.device=cuda"}, dir / "cuda");
  const auto& amp = dynamic_cast<const runtime::AmpOptimWrapper&>(gpu->optim_wrapper());
  EXPECT_EQ(amp.amp_options().device_type, DeviceType::cuda);
  EXPECT_EQ(amp.amp_options().dtype, DType::f16);
  EXPECT_TRUE(amp.loss_scaler().is_enabled());
  EXPECT_EQ(gpu_probe->dtype, DType::f16);
  EXPECT_EQ(cpu_probe->dtype, DType::f16);
  const auto& cpu_amp = dynamic_cast<const runtime::AmpOptimWrapper&>(cpu->optim_wrapper());
  EXPECT_EQ(amp.loss_scaler().get_scale(), cpu_amp.loss_scaler().get_scale());
  EXPECT_GT(amp.loss_scaler().get_scale(), 1024.0);  // 8 clean steps at growth_interval 3

  const auto cpu_params = cpu->model().named_parameters();
  const auto gpu_params = gpu->model().named_parameters();
  ASSERT_EQ(cpu_params.size(), gpu_params.size());
  for (size_t i = 0; i < cpu_params.size(); ++i) {
    EXPECT_TRUE(gpu_params[i].second.device().is_cuda());
    EXPECT_EQ(gpu_params[i].second.dtype(), DType::f32);
    const Tensor gpu_on_host = ops::to_device(gpu_params[i].second, Device::cpu());
    const double diff = ops::amax(ops::abs(ops::sub(gpu_on_host, cpu_params[i].second))).item<double>();
    // Both round the same products to f16; only the kernels' summation order differs.
    EXPECT_LT(diff, 1e-4) << cpu_params[i].first;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mini::cuda::testing
