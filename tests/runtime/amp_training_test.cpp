// AmpOptimWrapper in the Runner: the forward of every train, val and test
// step runs under autocast; a bf16 run trains about as well as the f32 one.
#include <cmath>

#include "runtime/amp_optim_wrapper.h"
#include "runtime_testing.h"
#include "tensor/ops/reduce.h"

namespace mini::runtime::testing {
namespace {

const std::vector<std::string> kBf16 = {"optim_wrapper.type=AmpOptimWrapper", "optim_wrapper.dtype=bfloat16"};

// Records the dtypes the model's outputs had, per stage.
class OutputDtypes : public Hook {
 public:
  OutputDtypes() : Hook("OutputDtypes", kPriorityNormal) {}
  void after_train_iter(Runner&, const Batch&, const Outputs& outputs) override {
    train_loss = outputs.at("loss").dtype();
    train_logits = outputs.at("logits").dtype();
  }
  void after_val_iter(Runner&, const Batch&, const Outputs& outputs) override {
    val_logits = outputs.at("logits").dtype();
  }
  void after_test_iter(Runner&, const Batch&, const Outputs& outputs) override {
    test_logits = outputs.at("logits").dtype();
  }
  std::optional<DType> train_loss, train_logits, val_logits, test_logits;
};

std::vector<std::string> with(std::vector<std::string> overrides, const std::vector<std::string>& more) {
  overrides.insert(overrides.end(), more.begin(), more.end());
  return overrides;
}

TEST(AmpTraining, EveryForwardRunsUnderAutocastAndTheWeightsStayFloat32) {
  TempDir dir;
  auto runner =
      make_runner(dir, kSyntheticConfig, with(kBf16, {"train_cfg.max_epochs=1", "test_dataloader=${val_dataloader}"}));
  auto dtypes = std::make_shared<OutputDtypes>();
  runner->register_hook(dtypes);
  runner->train();
  runner->test();
  EXPECT_EQ(dtypes->train_logits, DType::bf16);
  EXPECT_EQ(dtypes->train_loss, DType::f32);
  EXPECT_EQ(dtypes->val_logits, DType::bf16);
  EXPECT_EQ(dtypes->test_logits, DType::bf16);
  for (const auto& [name, param] : runner->model().named_parameters()) EXPECT_EQ(param.dtype(), DType::f32) << name;
  EXPECT_FALSE(autocast_enabled(DeviceType::cpu));  // the context ended with each forward
}

TEST(AmpTraining, Bf16TrainingReachesALossCloseToTheFloat32Run) {
  struct Losses {
    double whole_run, last_epoch;
  };
  auto train = [](const std::vector<std::string>& overrides) {
    TempDir dir;
    auto runner = make_runner(dir, kSyntheticConfig, with(overrides, {"train_cfg.max_epochs=2"}));
    runner->train();
    return Losses{runner->message_hub().mean("loss", 1000), runner->message_hub().mean("loss", 10)};
  };
  const Losses f32 = train({}), bf16 = train(kBf16);
  EXPECT_LT(f32.last_epoch, 0.5 * f32.whole_run);  // the f32 run learned something to compare against
  // Same data order and initial weights; bf16 rounding moves the loss by a fraction of a percent here.
  EXPECT_NEAR(bf16.whole_run, f32.whole_run, 0.02 * f32.whole_run);
  EXPECT_NEAR(bf16.last_epoch, f32.last_epoch, 0.05 * f32.last_epoch);
}

TEST(AmpTraining, Float16WithDynamicScalingTrainsAndKeepsAFiniteScale) {
  TempDir dir;
  auto runner = make_runner(dir, kSyntheticConfig,
                            {"optim_wrapper.type=AmpOptimWrapper", "optim_wrapper.dtype=float16",
                             "optim_wrapper.loss_scale={init_scale: 1024, growth_interval: 5}",
                             "optim_wrapper.clip_grad={max_norm: 5.0}", "train_cfg.max_epochs=2"});
  runner->train();
  const auto& amp = dynamic_cast<const AmpOptimWrapper&>(runner->optim_wrapper());
  // 20 clean steps at interval 5 would grow 1024 to 16384; overflows may have backed it off.
  EXPECT_GE(amp.loss_scaler().get_scale(), 1.0);
  EXPECT_LE(amp.loss_scaler().get_scale(), 16384.0);
  ASSERT_TRUE(runner->optim_wrapper().last_grad_norm().has_value());
  EXPECT_LT(*runner->optim_wrapper().last_grad_norm(), 1e3);  // clipping saw unscaled gradients
  for (const auto& [name, param] : runner->model().named_parameters()) {
    EXPECT_TRUE(std::isfinite(ops::sum(param).item<double>())) << name;
  }
}

}  // namespace
}  // namespace mini::runtime::testing
