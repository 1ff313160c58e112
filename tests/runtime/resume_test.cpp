// Exact resume: a run interrupted mid-epoch (and mid gradient-accumulation
// window) and resumed ends with the same parameter bytes as a run that was
// never interrupted.
#include <csignal>

#include <gmock/gmock.h>

#include "runtime/amp_optim_wrapper.h"
#include "runtime/hooks/register.h"
#include "runtime_testing.h"

namespace mini::runtime::testing {
namespace {

// Stops the run after a given micro-step, by request or by raising a signal.
class StopAtHook : public Hook {
 public:
  StopAtHook(int64_t micro_step, bool raise_signal)
      : Hook("StopAtHook", kPriorityLowest), micro_step_(micro_step), raise_signal_(raise_signal) {}
  void after_train_iter(Runner& runner, const Batch&, const Outputs&) override {
    if (runner.counters().micro_step != micro_step_) return;
    if (raise_signal_) {
      std::raise(SIGINT);
    } else {
      runner.request_stop("test stop");
    }
  }

 private:
  int64_t micro_step_;
  bool raise_signal_;
};

void register_stop_hook() {
  static bool done = false;
  if (done) return;
  done = true;
  register_builtin_components();
  hook_registry().add({.type = "StopAtHook",
                       .doc = "test: stops after a micro-step",
                       .args = {config::required("micro_step", config::ArgType::Int, "when"),
                                config::optional("signal", config::ArgType::Bool, config::Node::from(false), "raise SIGINT")}},
                      [](const config::Args& args) -> HookPtr {
                        return std::make_shared<StopAtHook>(args.get_int("micro_step"), args.get_bool("signal"));
                      });
}

// Returns the uninterrupted and the resumed runner, for checks beyond the parameters.
std::pair<std::unique_ptr<Runner>, std::unique_ptr<Runner>> expect_resume_is_exact(
    const std::vector<std::string>& overrides, int64_t stop_at, bool by_signal) {
  register_stop_hook();
  TempDir straight_dir;
  auto straight = make_runner(straight_dir, kSyntheticConfig, overrides);
  straight->train();
  const auto expected = parameter_bytes(straight->model());

  TempDir resumed_dir;
  std::vector<std::string> stopping = overrides;
  stopping.push_back(fmt::format("custom_hooks=[{{type: StopAtHook, micro_step: {}, signal: {}}}]", stop_at,
                                 by_signal ? "true" : "false"));
  auto first = make_runner(resumed_dir, kSyntheticConfig, stopping);
  first->train();
  EXPECT_EQ(first->counters().micro_step, stop_at);
  EXPECT_NE(parameter_bytes(first->model()), expected);

  auto second = make_runner(resumed_dir, kSyntheticConfig, overrides, resume_auto());
  second->train();
  EXPECT_EQ(second->counters().micro_step, straight->counters().micro_step);
  EXPECT_EQ(second->counters().optimizer_step, straight->counters().optimizer_step);
  EXPECT_EQ(second->counters().samples_seen, straight->counters().samples_seen);
  const auto actual = parameter_bytes(second->model());
  EXPECT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < std::min(actual.size(), expected.size()); ++i) {
    EXPECT_EQ(actual[i].first, expected[i].first);
    EXPECT_TRUE(actual[i].second == expected[i].second) << "parameter " << expected[i].first << " differs";
  }
  return {std::move(straight), std::move(second)};
}

TEST(Resume, MidEpochResumeIsBitIdentical) { expect_resume_is_exact({}, 15, false); }

TEST(Resume, ResumeAtAnEpochBoundaryIsBitIdentical) { expect_resume_is_exact({}, 20, false); }

TEST(Resume, MidAccumulationWindowWithWorkersAndEmaIsBitIdentical) {
  expect_resume_is_exact({"optim_wrapper.accumulative_counts=4", "train_dataloader.num_workers=2",
                          "default_hooks.ema={type: EMAHook, decay: 0.9}"},
                         13, false);
}

TEST(Resume, IterationBasedRunResumesBitIdentical) {
  expect_resume_is_exact({"train_cfg={type: IterBasedTrainLoop, max_iters: 25, val_interval: 10}",
                          "param_scheduler=[{type: CosineAnnealingLR, T_max: 25, by_epoch: false}]"},
                         12, false);
}

TEST(Resume, SigintSavesACheckpointAndTheRunResumesBitIdentical) { expect_resume_is_exact({}, 17, true); }

TEST(Resume, AmpWithADynamicLossScaleResumesBitIdentical) {
  // float16 with a small growth interval: by micro-step 15 the scale has moved
  // and the growth tracker is mid-interval, so both must come back.
  const auto [straight, resumed] = expect_resume_is_exact(
      {"optim_wrapper.type=AmpOptimWrapper", "optim_wrapper.dtype=float16",
       "optim_wrapper.loss_scale={init_scale: 256, growth_interval: 4}", "optim_wrapper.accumulative_counts=2"},
      15, false);
  const auto& expected = dynamic_cast<const AmpOptimWrapper&>(straight->optim_wrapper()).loss_scaler();
  const auto& actual = dynamic_cast<const AmpOptimWrapper&>(resumed->optim_wrapper()).loss_scaler();
  EXPECT_NE(expected.get_scale(), 256.0);
  EXPECT_EQ(actual.get_scale(), expected.get_scale());
  EXPECT_EQ(actual.growth_tracker(), expected.growth_tracker());
}

TEST(Resume, AutoWithNoCheckpointStartsFresh) {
  TempDir dir;
  auto runner = make_runner(dir, kSyntheticConfig, {"train_cfg.max_epochs=1"}, resume_auto());
  runner->train();
  EXPECT_EQ(runner->counters().epoch, 1);
}

TEST(Resume, MidEpochResumeWithAnotherBatchSizeIsAnError) {
  register_stop_hook();
  TempDir dir;
  make_runner(dir, kSyntheticConfig, {"custom_hooks=[{type: StopAtHook, micro_step: 5}]"})->train();
  auto changed = make_runner(dir, kSyntheticConfig, {"train_dataloader.batch_size=16"}, resume_auto());
  try {
    changed->train();
    FAIL() << "expected an error";
  } catch (const ValueError& error) {
    EXPECT_THAT(error.what(), ::testing::HasSubstr("batches per epoch"));
  }
}

}  // namespace
}  // namespace mini::runtime::testing
