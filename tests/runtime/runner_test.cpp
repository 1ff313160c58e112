// The Runner built from a config: loops, hooks, schedulers, accumulation,
// freezing, activation checkpointing, logging outputs and bad input.
#include <gmock/gmock.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "runtime/data/data_loader.h"
#include "runtime/hooks/register.h"
#include "runtime_testing.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/reduce.h"

namespace mini::runtime::testing {
namespace {

using ::testing::HasSubstr;

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(Runner, TrainsAndValidatesSyntheticData) {
  TempDir dir;
  auto runner = make_runner(dir, kSyntheticConfig);
  runner->train();
  EXPECT_EQ(runner->counters().epoch, 3);
  EXPECT_EQ(runner->counters().micro_step, 30);
  EXPECT_EQ(runner->counters().optimizer_step, 30);
  EXPECT_EQ(runner->counters().samples_seen, 240);
  EXPECT_GT(runner->message_hub().latest("val/accuracy/top1"), 80.0);
}

TEST(Runner, HooksRunInPriorityOrderStableForTies) {
  TempDir dir;
  auto runner = make_runner(dir, kSyntheticConfig,
                            {"custom_hooks=[{type: ProfilerHook, priority: HIGHEST}, {type: NaNGuardHook, priority: 50},"
                             " {type: EMAHook, priority: VERY_LOW}]"});
  std::vector<std::string> names;
  for (const HookPtr& hook : runner->hooks()) names.push_back(hook->name() + ":" + std::to_string(hook->priority()));
  EXPECT_EQ(names, (std::vector<std::string>{"ProfilerHook:0", "RuntimeInfoHook:10", "IterTimerHook:50",
                                              "DistSamplerSeedHook:50", "NaNGuardHook:50", "LoggerHook:60",
                                              "ParamSchedulerHook:70", "CheckpointHook:90", "EMAHook:90"}));
}

TEST(Runner, NullRemovesADefaultHook) {
  TempDir dir;
  auto runner = make_runner(dir, kSyntheticConfig, {"default_hooks.checkpoint=null", "default_hooks.logger=null"});
  for (const HookPtr& hook : runner->hooks()) {
    EXPECT_NE(hook->name(), "CheckpointHook");
    EXPECT_NE(hook->name(), "LoggerHook");
  }
  runner->train();
  EXPECT_FALSE(std::filesystem::exists(dir / "work" / "checkpoints"));
}

TEST(Runner, SchedulersStepPerIterationAndPerEpoch) {
  TempDir dir;
  // LinearLR warms up over 5 iterations (0.05 -> 0.1, reached at the last one, as
  // MMEngine); MultiStepLR halves after epoch 2.
  auto runner = make_runner(dir, kSyntheticConfig);
  std::vector<double> lrs;
  class Record : public Hook {
   public:
    explicit Record(std::vector<double>& lrs) : Hook("Record", kPriorityLowest), lrs_(lrs) {}
    void before_train_iter(Runner& runner, const Batch&) override {
      lrs_.push_back(runner.optim_wrapper().learning_rates().front());
    }
    std::vector<double>& lrs_;
  };
  runner->register_hook(std::make_shared<Record>(lrs));
  runner->train();
  ASSERT_EQ(lrs.size(), 30u);
  EXPECT_DOUBLE_EQ(lrs[0], 0.05);
  EXPECT_NEAR(lrs[2], 0.1 * (0.5 + 0.5 * 2 / 4.0), 1e-12);
  EXPECT_NEAR(lrs[4], 0.1, 1e-12);
  EXPECT_NEAR(lrs[5], 0.1, 1e-12);
  EXPECT_NEAR(lrs[19], 0.1, 1e-12);
  EXPECT_NEAR(lrs[20], 0.05, 1e-12);  // epoch 3: after the milestone at epoch 2
}

TEST(Runner, ReduceOnPlateauStepsOnTheValidationMetric) {
  TempDir dir;
  // A metric that never improves by 1000 points: every validation is a plateau.
  auto runner = make_runner(dir, kSyntheticConfig,
                            {"param_scheduler=[{type: ReduceOnPlateauLR, monitor: accuracy/top1, rule: greater, "
                             "factor: 0.5, patience: 0, threshold: 1000, threshold_rule: abs}]"});
  runner->train();
  // The first validation sets the best; the next two halve the rate.
  EXPECT_NEAR(runner->optim_wrapper().learning_rates().front(), 0.1 * 0.25, 1e-12);
}

TEST(Runner, ReduceOnPlateauWithAnUnknownMetricIsAnError) {
  TempDir dir;
  auto runner = make_runner(dir, kSyntheticConfig,
                            {"param_scheduler=[{type: ReduceOnPlateauLR, monitor: acc, rule: greater}]"});
  EXPECT_THAT(error_of([&] { runner->train(); }), HasSubstr("'acc' is not among the validation metrics"));
}

TEST(Runner, GradientAccumulationMatchesALargerBatch) {
  // A linear model with a mean loss: two half batches of 8 accumulated equal one batch of 16.
  const std::vector<std::string> linear = {"model.backbone.hidden=[]", "model.backbone.dropout=0.0",
                                           "train_dataloader.sampler.shuffle=false", "param_scheduler=null",
                                           "optim_wrapper.optimizer.momentum=0.0", "train_cfg.max_epochs=1"};
  TempDir a, b;
  std::vector<std::string> big = linear;
  big.push_back("train_dataloader.batch_size=16");
  auto one = make_runner(a, kSyntheticConfig, big);
  one->train();
  std::vector<std::string> accumulated = linear;
  accumulated.push_back("optim_wrapper.accumulative_counts=2");
  auto two = make_runner(b, kSyntheticConfig, accumulated);
  two->train();
  EXPECT_EQ(one->counters().optimizer_step, 5);
  EXPECT_EQ(two->counters().optimizer_step, 5);
  EXPECT_EQ(two->counters().micro_step, 10);
  const auto pa = one->model().named_parameters();
  const auto pb = two->model().named_parameters();
  for (size_t i = 0; i < pa.size(); ++i) {
    const Tensor diff = ops::abs(ops::sub(pa[i].second, pb[i].second));
    EXPECT_LT(ops::amax(diff).item<float>(), 1e-5) << pa[i].first;
  }
}

TEST(Runner, FrozenParametersDoNotChange) {
  TempDir dir;
  auto runner = make_runner(dir, kSyntheticConfig, {"model.frozen=[backbone.layers.0]"});
  const auto before = parameter_bytes(runner->model());
  runner->train();
  const auto after = parameter_bytes(runner->model());
  EXPECT_EQ(before[0], after[0]);  // layers.0.weight
  EXPECT_EQ(before[1], after[1]);  // layers.0.bias
  EXPECT_NE(before[2], after[2]);
}

TEST(Runner, FrozenPatternMatchingNothingIsAnError) {
  TempDir dir;
  EXPECT_THAT(error_of([&] { make_runner(dir, kSyntheticConfig, {"model.frozen=[backbone.lyers]"}); }),
              HasSubstr("'backbone.lyers' matches no parameter"));
}

TEST(Runner, ActivationCheckpointingGivesTheSameParameters) {
  TempDir a, b;
  auto plain = make_runner(a, kSyntheticConfig);
  plain->train();
  auto checkpointed = make_runner(b, kSyntheticConfig, {"activation_checkpointing=[backbone]"});
  EXPECT_TRUE(checkpointed->model().get_submodule("backbone")->has_forward_wrapper());
  checkpointed->train();
  EXPECT_EQ(parameter_bytes(plain->model()), parameter_bytes(checkpointed->model()));
}

TEST(Runner, WritesScalarsTensorBoardTextLogAndConfig) {
  TempDir dir;
  auto runner = make_runner(dir, kSyntheticConfig);
  runner->train();
  const auto log_dir = runner->log_dir();
  EXPECT_TRUE(std::filesystem::exists(log_dir / "config.yaml"));
  EXPECT_TRUE(std::filesystem::exists(log_dir / (runner->timestamp() + ".log")));
  std::ifstream jsonl(log_dir / "scalars.jsonl");
  std::string line;
  int train_lines = 0, val_lines = 0;
  while (std::getline(jsonl, line)) {
    const auto json = nlohmann::json::parse(line);
    EXPECT_TRUE(json.contains("step"));
    if (json.contains("loss")) ++train_lines;
    if (json.contains("val/accuracy/top1")) ++val_lines;
  }
  EXPECT_EQ(train_lines, 6);  // every 5 of 30 micro-steps
  EXPECT_EQ(val_lines, 3);
  bool has_events = false;
  for (const auto& entry : std::filesystem::directory_iterator(log_dir)) {
    has_events = has_events || entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0;
  }
  EXPECT_TRUE(has_events);
  EXPECT_TRUE(std::filesystem::exists(dir / "work" / "checkpoints" / "epoch_3" / "model.safetensors"));
}

TEST(Runner, EarlyStoppingStopsAndLeavesACheckpoint) {
  TempDir dir;
  auto runner = make_runner(dir, kSyntheticConfig,
                            {"train_cfg.max_epochs=20",
                             "custom_hooks=[{type: EarlyStoppingHook, monitor: accuracy/top1, patience: 1, "
                             "min_delta: 100}]"});
  runner->train();
  EXPECT_EQ(runner->counters().epoch, 2);
  EXPECT_THAT(runner->stop_reason(), HasSubstr("early stopping"));
  EXPECT_TRUE(std::filesystem::exists(dir / "work" / "checkpoints" / "epoch_2"));
}

TEST(Runner, SaveBestKeepsTheBestCheckpoint) {
  TempDir dir;
  auto runner = make_runner(dir, kSyntheticConfig, {"default_hooks.checkpoint={save_best: auto, max_keep_ckpts: 1}"});
  runner->train();
  int best = 0, regular = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "work" / "checkpoints")) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("best_accuracy_top1_epoch_", 0) == 0) ++best;
    if (name.rfind("epoch_", 0) == 0) ++regular;
  }
  EXPECT_EQ(best, 1);
  EXPECT_EQ(regular, 1);
}

TEST(Runner, NanLossStopsBeforeTheUpdateNamingTheStep) {
  TempDir dir;
  auto runner = make_runner(dir, kSyntheticConfig, {"optim_wrapper.optimizer.lr=1.0e30", "param_scheduler=null",
                                                    "default_hooks.checkpoint.interval=1"});
  const std::string message = error_of([&] { runner->train(); });
  EXPECT_THAT(message, HasSubstr("loss is"));
  EXPECT_THAT(message, HasSubstr("at micro-step"));
  EXPECT_THAT(message, HasSubstr("last finite loss"));
  EXPECT_FALSE(std::filesystem::exists(dir / "work" / "checkpoints" / "epoch_1"));
}

TEST(Runner, LabelsBeyondTheModelsClassesAreAnError) {
  TempDir dir;
  const std::string message = error_of([&] {
    make_runner(dir, kSyntheticConfig, {"train_dataloader.dataset.num_classes=5"});
  });
  EXPECT_THAT(message, HasSubstr("config.yaml:8"));
  EXPECT_THAT(message, HasSubstr("labels up to 4"));
  EXPECT_THAT(message, HasSubstr("3 classes"));
}

TEST(Runner, EmptyDatasetIsAnError) {
  TempDir dir;
  const auto csv = write_file(dir / "empty.csv", "a,b,label\n");
  EXPECT_THAT(error_of([&] {
    make_runner(dir, kSyntheticConfig,
                {"train_dataloader.dataset={type: CSVDataset, path: " + csv.string() + "}"});
  }),
              HasSubstr("empty"));
}

TEST(Runner, UnknownOptimizerArgumentNamesFileLineAndSuggestion) {
  TempDir dir;
  const std::string message =
      error_of([&] { make_runner(dir, kSyntheticConfig, {"optim_wrapper.optimizer.lr_rate=0.1"}); });
  EXPECT_THAT(message, HasSubstr("unknown argument 'lr_rate' for SGD; did you mean 'lr'?"));
}

TEST(Runner, UnknownTopLevelKeySuggestsTheClosest) {
  TempDir dir;
  std::string text = kSyntheticConfig;
  text += "optim_wraper: {}\n";
  const std::string message = error_of([&] { make_runner(dir, text); });
  EXPECT_THAT(message, HasSubstr("config.yaml:24"));
  EXPECT_THAT(message, HasSubstr("did you mean 'optim_wrapper'?"));
}

TEST(Runner, WrongTypeInANestedComponentNamesItsPath) {
  TempDir dir;
  const std::string message =
      error_of([&] { make_runner(dir, kSyntheticConfig, {"train_dataloader.dataset.num_samples=many"}); });
  EXPECT_THAT(message, HasSubstr("train_dataloader.dataset.num_samples"));
  EXPECT_THAT(message, HasSubstr("many"));
}

TEST(Runner, CheckpointFromAnotherModelListsEveryMismatch) {
  TempDir a, b;
  auto small = make_runner(a, kSyntheticConfig, {"train_cfg.max_epochs=1"});
  small->train();
  auto other = make_runner(b, kSyntheticConfig, {"model.backbone.hidden=[32, 16]"});
  const std::string message = error_of(
      [&] { other->load_checkpoint(a / "work" / "checkpoints" / "epoch_1", /*weights_only=*/true); });
  EXPECT_THAT(message, HasSubstr("backbone.layers.0.weight"));
  EXPECT_THAT(message, HasSubstr("missing keys"));
  EXPECT_THAT(message, HasSubstr("(32, 8)"));
}

TEST(Runner, TruncatedCheckpointIsAClearError) {
  TempDir a;
  auto runner = make_runner(a, kSyntheticConfig, {"train_cfg.max_epochs=1"});
  runner->train();
  const auto model_file = a / "work" / "checkpoints" / "epoch_1" / "model.safetensors";
  std::filesystem::resize_file(model_file, std::filesystem::file_size(model_file) / 2);
  const std::string message = error_of([&] { runner->load_checkpoint(model_file.parent_path(), false); });
  EXPECT_THAT(message, HasSubstr("model.safetensors"));
}

TEST(Runner, IterationBasedLoopValidatesEveryInterval) {
  TempDir dir;
  auto runner = make_runner(dir, kSyntheticConfig,
                            {"train_cfg={type: IterBasedTrainLoop, max_iters: 25, val_interval: 10}",
                             "param_scheduler=null"});
  int validations = 0;
  class Count : public Hook {
   public:
    explicit Count(int& count) : Hook("Count", kPriorityNormal), count_(count) {}
    void after_val_epoch(Runner&, const Metrics&) override { ++count_; }
    int& count_;
  };
  runner->register_hook(std::make_shared<Count>(validations));
  runner->train();
  EXPECT_EQ(runner->counters().micro_step, 25);
  EXPECT_EQ(runner->counters().epoch, 2);  // 25 batches of 10 per pass
  EXPECT_EQ(validations, 3);               // at 10, 20 and the end (25)
}

}  // namespace
}  // namespace mini::runtime::testing
