// Embedding mini-engine in a C++ program: register your own model and hook,
// then train from a YAML config with the same Runner the CLI uses.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "autograd/autograd.h"
#include "config/load.h"
#include "nn/nn.h"
#include "runtime/hooks/register.h"
#include "runtime/models/register.h"
#include "runtime/register.h"
#include "runtime/runner.h"

using namespace mini;

// A model of your own: two linear layers with a residual connection. The
// runtime contract: take a batch of named tensors, return named outputs with
// "loss" (and "logits" for the Accuracy metric).
class ResidualMlp : public runtime::Model {
 public:
  ResidualMlp(int64_t features, int64_t classes) : Model("ResidualMlp"), classes_(classes) {
    hidden = register_module("hidden", std::make_shared<nn::Linear>(features, features));
    head = register_module("head", std::make_shared<nn::Linear>(features, classes));
  }
  runtime::Outputs forward_batch(const runtime::Batch& batch) override {
    const Tensor& x = batch.at("input");
    Tensor logits = (*head)(mini::add(x, mini::relu((*hidden)(x))));
    return {{"logits", logits}, {"loss", nn::cross_entropy(logits, batch.at("label"))}};
  }
  int64_t num_classes() const override { return classes_; }

  std::shared_ptr<nn::Linear> hidden, head;

 private:
  int64_t classes_;
};

// A hook of your own: prints the loss at the end of every epoch.
class EpochLossPrinter : public runtime::Hook {
 public:
  EpochLossPrinter() : Hook("EpochLossPrinter", runtime::kPriorityLow) {}
  void after_train_epoch(runtime::Runner& runner) override {
    std::printf("epoch %lld done, loss %.4f\n", static_cast<long long>(runner.counters().epoch),
                runner.message_hub().mean("loss", 10));
  }
};

constexpr const char* kConfig = R"(model: {type: ResidualMlp, features: 8, classes: 3}
train_dataloader:
  batch_size: 16
  sampler: {type: DefaultSampler, shuffle: true}
  dataset: {type: SyntheticClassification, num_samples: 256, num_features: 8, num_classes: 3, seed: 1}
val_dataloader:
  batch_size: 64
  sampler: {type: DefaultSampler, shuffle: false}
  dataset: {type: SyntheticClassification, num_samples: 128, num_features: 8, num_classes: 3, seed: 1}
val_evaluator: {type: Accuracy}
optim_wrapper: {type: OptimWrapper, optimizer: {type: AdamW, lr: 0.01}}
train_cfg: {type: EpochBasedTrainLoop, max_epochs: 3}
custom_hooks: [{type: EpochLossPrinter}]
default_hooks: {logger: {type: LoggerHook, interval: 8}}
randomness: {seed: 0}
)";

int main() {
  runtime::register_builtin_components();
  runtime::model_registry().add(
      {.type = "ResidualMlp",
       .doc = "example: a residual MLP classifier",
       .args = {config::required("features", config::ArgType::Int, "input width"),
                config::required("classes", config::ArgType::Int, "number of classes")}},
      [](const config::Args& args) -> std::shared_ptr<runtime::Model> {
        return std::make_shared<ResidualMlp>(args.get_int("features"), args.get_int("classes"));
      });
  runtime::hook_registry().add({.type = "EpochLossPrinter", .doc = "example: prints the loss per epoch", .args = {}},
                               [](const config::Args&) -> runtime::HookPtr {
                                 return std::make_shared<EpochLossPrinter>();
                               });

  const std::filesystem::path config_file = std::filesystem::temp_directory_path() / "embedding_example.yaml";
  std::ofstream(config_file) << kConfig;
  try {
    config::Node cfg = config::load_config(config_file.string(), {"train_cfg.max_epochs=4"});
    runtime::RunnerOptions options;
    options.work_dir = "work_dirs/embedding_example";
    auto runner = runtime::Runner::from_config(cfg, options);
    runner->train();
    std::printf("final accuracy: %.2f%%\n", runner->message_hub().latest("val/accuracy/top1"));
  } catch (const Error& error) {
    std::fprintf(stderr, "error: %s\n", error.what());
    return 1;
  }
  return 0;
}
