#pragma once
// Helpers for the Runner tests: temporary work dirs, configs written to disk
// (so `_base_` and file:line locations are real), and byte-exact parameter
// snapshots for the resume tests.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "config/load.h"
#include "runtime/register.h"
#include "runtime/runner.h"
#include "tensor/ops/copy.h"

namespace mini::runtime::testing {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("mini_runtime_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline std::filesystem::path write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
  return path;
}

// A small classification run on synthetic data: 80 samples, batch 8 (10
// batches per epoch), 3 epochs, dropout, momentum, two schedulers.
inline const char* kSyntheticConfig = R"(model:
  type: Classifier
  backbone: {type: MLP, in_features: 8, hidden: [16], num_classes: 3, dropout: 0.1}
train_dataloader:
  batch_size: 8
  num_workers: 0
  sampler: {type: DefaultSampler, shuffle: true}
  dataset: {type: SyntheticClassification, num_samples: 80, num_features: 8, num_classes: 3, seed: 1}
val_dataloader:
  batch_size: 20
  sampler: {type: DefaultSampler, shuffle: false}
  dataset: {type: SyntheticClassification, num_samples: 40, num_features: 8, num_classes: 3, seed: 1}
val_evaluator: {type: Accuracy}
optim_wrapper:
  type: OptimWrapper
  optimizer: {type: SGD, lr: 0.1, momentum: 0.9}
param_scheduler:
  - {type: LinearLR, start_factor: 0.5, by_epoch: false, end: 5}
  - {type: MultiStepLR, milestones: [2], gamma: 0.5}
train_cfg: {type: EpochBasedTrainLoop, max_epochs: 3}
default_hooks:
  logger: {type: LoggerHook, interval: 5}
randomness: {seed: 7}
)";

inline config::Node load_config_text(const TempDir& dir, const std::string& text,
                                     const std::vector<std::string>& overrides = {},
                                     const std::string& name = "config.yaml") {
  return config::load_config(write_file(dir / name, text).string(), overrides);
}

inline std::unique_ptr<Runner> make_runner(const TempDir& dir, const std::string& text,
                                           const std::vector<std::string>& overrides = {},
                                           RunnerOptions options = {}) {
  register_builtin_components();
  if (!options.work_dir) options.work_dir = (dir / "work").string();
  options.quiet = true;
  return Runner::from_config(load_config_text(dir, text, overrides), options);
}

inline RunnerOptions resume_auto() {
  RunnerOptions options;
  options.resume = "auto";
  return options;
}

// Every parameter's bytes, by name.
inline std::vector<std::pair<std::string, std::vector<char>>> parameter_bytes(nn::Module& model) {
  std::vector<std::pair<std::string, std::vector<char>>> out;
  for (const auto& [name, param] : model.named_parameters()) {
    Tensor data = ops::contiguous(param);
    const char* begin = static_cast<const char*>(data.data_ptr());
    out.emplace_back(name, std::vector<char>(begin, begin + data.numel() * element_size(data.dtype())));
  }
  return out;
}

}  // namespace mini::runtime::testing
