// Parameter schedulers built from config (runtime/optim/register.h), checked
// against the nn schedulers constructed directly.
#include "builders_testing.h"

namespace mini::testing {
namespace {

using nn::optim::kInfiniteStep;
using nn::optim::Optimizer;
using nn::optim::ParamScheduler;
using nn::optim::SchedulerWindow;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::unique_ptr<Optimizer> make_sgd(double lr = 1.0, double momentum = 0.9) {
  return std::make_unique<nn::optim::SGD>(std::vector<Tensor>{ops::zeros({2}).requires_grad_()},
                                          nn::optim::SGDOptions{.lr = lr, .momentum = momentum});
}

double option(const Optimizer& optimizer, const std::string& name) { return optimizer.param_groups()[0].get(name); }

struct SchedulerCase {
  std::string name;
  std::string yaml;
  int64_t iters_per_epoch;
  std::function<std::unique_ptr<ParamScheduler>(Optimizer&)> direct;
};

void PrintTo(const SchedulerCase& c, std::ostream* out) { *out << c.name; }

class SchedulerMatchesNn : public ::testing::TestWithParam<SchedulerCase> {
 protected:
  void SetUp() override { runtime::register_optim_components(); }
};

TEST_P(SchedulerMatchesNn, FirstLearningRatesEqualTheDirectlyBuiltScheduler) {
  const SchedulerCase& c = GetParam();
  auto from_config = make_sgd();
  auto direct = make_sgd();
  runtime::BuiltSchedulers built = runtime::build_schedulers(yaml(c.yaml), *from_config, c.iters_per_epoch);
  auto reference = c.direct(*direct);
  ASSERT_EQ(built.list.size(), 1u);
  EXPECT_EQ(built.by_epoch[0], reference->by_epoch());
  EXPECT_EQ(built.list[0].begin(), reference->begin());
  EXPECT_EQ(built.list[0].end(), reference->end());
  EXPECT_DOUBLE_EQ(option(*from_config, "lr"), option(*direct, "lr")) << "after construction";
  for (int step = 1; step <= 10; ++step) {
    built.list.step();
    reference->step();
    EXPECT_DOUBLE_EQ(option(*from_config, "lr"), option(*direct, "lr")) << "step " << step;
  }
}

std::vector<SchedulerCase> scheduler_cases() {
  using namespace nn::optim;
  return {
      {"ConstantLR", "{type: ConstantLR, factor: 0.5, end: 4}", 0,
       [](Optimizer& o) {
         return std::make_unique<ConstantLR>(o, ConstantLROptions{.factor = 0.5}, SchedulerWindow{.end = 4});
       }},
      {"StepLR", "{type: StepLR, step_size: 3, gamma: 0.5}", 0,
       [](Optimizer& o) { return std::make_unique<StepLR>(o, StepLROptions{.step_size = 3, .gamma = 0.5}); }},
      {"MultiStepLR", "{type: MultiStepLR, milestones: [2, 5], gamma: 0.2, begin: 1}", 0,
       [](Optimizer& o) {
         return std::make_unique<MultiStepLR>(o, MultiStepLROptions{.milestones = {2, 5}, .gamma = 0.2},
                                              SchedulerWindow{.begin = 1});
       }},
      {"ExponentialLR", "{type: ExponentialLR, gamma: 0.8, by_epoch: false}", 0,
       [](Optimizer& o) {
         return std::make_unique<ExponentialLR>(o, ExponentialLROptions{.gamma = 0.8},
                                                SchedulerWindow{.by_epoch = false});
       }},
      {"LinearLR", "{type: LinearLR, start_factor: 0.1, end: 5, by_epoch: false}", 0,
       [](Optimizer& o) {
         return std::make_unique<LinearLR>(o, LinearLROptions{.start_factor = 0.1},
                                           SchedulerWindow{.end = 5, .by_epoch = false});
       }},
      {"CosineAnnealingLR", "{type: CosineAnnealingLR, T_max: 6, eta_min: 0.01}", 0,
       [](Optimizer& o) {
         return std::make_unique<CosineAnnealingLR>(o, CosineAnnealingLROptions{.T_max = 6, .eta_min = 0.01});
       }},
      {"CosineAnnealingLRWithoutTmax", "{type: CosineAnnealingLR, begin: 2, end: 10}", 0,
       [](Optimizer& o) {
         return std::make_unique<CosineAnnealingLR>(o, CosineAnnealingLROptions{},
                                                    SchedulerWindow{.begin = 2, .end = 10});
       }},
      {"CosineRestartLR", "{type: CosineRestartLR, periods: [3, 5], restart_weights: [1.0, 0.5], eta_min: 0.1}", 0,
       [](Optimizer& o) {
         return std::make_unique<CosineRestartLR>(
             o, CosineRestartLROptions{.periods = {3, 5}, .restart_weights = {1.0, 0.5}, .eta_min = 0.1});
       }},
      {"PolyLR", "{type: PolyLR, power: 2.0, eta_min: 0.05, end: 10}", 0,
       [](Optimizer& o) {
         return std::make_unique<PolyLR>(o, PolyLROptions{.power = 2.0, .eta_min = 0.05}, SchedulerWindow{.end = 10});
       }},
      {"OneCycleLR", "{type: OneCycleLR, eta_max: 2.0, total_steps: 12, three_phase: true, by_epoch: false}", 0,
       [](Optimizer& o) {
         return std::make_unique<OneCycleLR>(
             o, OneCycleLROptions{.max_value = {2.0}, .total_steps = 12, .three_phase = true},
             SchedulerWindow{.by_epoch = false});
       }},
      {"OneCycleLRTotalStepsFromTheWindow", "{type: OneCycleLR, eta_max: [2.0], end: 12, anneal_strategy: linear}", 0,
       [](Optimizer& o) {
         return std::make_unique<OneCycleLR>(
             o, OneCycleLROptions{.max_value = {2.0}, .total_steps = 12, .anneal_strategy = "linear"},
             SchedulerWindow{.end = 12});
       }},
      {"ReduceOnPlateauLR", "{type: ReduceOnPlateauLR, rule: greater, patience: 1, factor: 0.5}", 0,
       [](Optimizer& o) {
         return std::make_unique<ReduceOnPlateauLR>(
             o, ReduceOnPlateauLROptions{.mode = "max", .factor = 0.5, .patience = 1});
       }},
      // convert_to_iter_based: epoch counts times iters_per_epoch, stepped per iteration.
      {"ConvertedCosineAnnealingLR",
       "{type: CosineAnnealingLR, T_max: 2, begin: 1, end: 3, convert_to_iter_based: true}", 4,
       [](Optimizer& o) {
         return std::make_unique<CosineAnnealingLR>(o, CosineAnnealingLROptions{.T_max = 8},
                                                    SchedulerWindow{.begin = 4, .end = 12, .by_epoch = false});
       }},
      {"ConvertedMultiStepLR", "{type: MultiStepLR, milestones: [1, 2], convert_to_iter_based: true}", 3,
       [](Optimizer& o) {
         return std::make_unique<MultiStepLR>(o, MultiStepLROptions{.milestones = {3, 6}},
                                              SchedulerWindow{.by_epoch = false});
       }},
      {"ConvertedStepLR", "{type: StepLR, step_size: 1, gamma: 0.5, convert_to_iter_based: true}", 2,
       [](Optimizer& o) {
         return std::make_unique<StepLR>(o, StepLROptions{.step_size = 2, .gamma = 0.5},
                                         SchedulerWindow{.by_epoch = false});
       }},
      {"ConvertedCosineRestartLR",
       "{type: CosineRestartLR, periods: [1, 2], restart_weights: [1, 1], "
       "convert_to_iter_based: true}",
       2,
       [](Optimizer& o) {
         return std::make_unique<CosineRestartLR>(o,
                                                  CosineRestartLROptions{.periods = {2, 4}, .restart_weights = {1, 1}},
                                                  SchedulerWindow{.by_epoch = false});
       }},
      {"ConvertedOneCycleLR", "{type: OneCycleLR, eta_max: 1.0, total_steps: 3, convert_to_iter_based: true}", 4,
       [](Optimizer& o) {
         return std::make_unique<OneCycleLR>(o, OneCycleLROptions{.max_value = {1.0}, .total_steps = 12},
                                             SchedulerWindow{.by_epoch = false});
       }},
  };
}

INSTANTIATE_TEST_SUITE_P(EachType, SchedulerMatchesNn, ::testing::ValuesIn(scheduler_cases()),
                         [](const ::testing::TestParamInfo<SchedulerCase>& info) { return info.param.name; });

class SchedulerBuilders : public ::testing::Test {
 protected:
  void SetUp() override { runtime::register_optim_components(); }
};

TEST_F(SchedulerBuilders, EveryFamilyHasLrMomentumAndParamSchedulerVariants) {
  std::vector<std::string> types;
  for (const config::ComponentInfo* info : runtime::scheduler_registry().components()) types.push_back(info->type);
  for (const std::string stem : {"Constant", "Step", "MultiStep", "Exponential", "Linear", "CosineAnnealing",
                                 "CosineRestart", "Poly", "OneCycle", "ReduceOnPlateau"}) {
    EXPECT_THAT(types, ::testing::Contains(stem + "LR"));
    EXPECT_THAT(types, ::testing::Contains(stem + "ParamScheduler"));
    if (stem != "OneCycle") {
      EXPECT_THAT(types, ::testing::Contains(stem + "Momentum"));
    }
  }
  EXPECT_EQ(types.size(), 29u);
}

TEST_F(SchedulerBuilders, NullConfigBuildsNoSchedulers) {
  auto sgd = make_sgd();
  EXPECT_EQ(runtime::build_schedulers(config::Node(), *sgd, 10).list.size(), 0u);
}

TEST_F(SchedulerBuilders, AListBuildsSchedulersInOrderAndReportsHowEachSteps) {
  auto sgd = make_sgd(1.0);
  runtime::BuiltSchedulers built = runtime::build_schedulers(yaml(R"(
- {type: LinearLR, start_factor: 0.5, end: 10, by_epoch: false}
- {type: MultiStepLR, milestones: [3]}
- {type: ReduceOnPlateauLR, monitor: accuracy, rule: greater}
)"),
                                                             *sgd, 10);
  ASSERT_EQ(built.list.size(), 3u);
  EXPECT_THAT(built.by_epoch, ElementsAre(false, true, true));
  EXPECT_THAT(built.monitor, ElementsAre("", "", "accuracy"));
  EXPECT_EQ(built.list[0].name(), "LinearLR");
  EXPECT_DOUBLE_EQ(option(*sgd, "lr"), 0.5);  // the warm-up's first step already applied
}

TEST_F(SchedulerBuilders, MomentumVariantSchedulesSgdMomentum) {
  auto sgd = make_sgd(1.0, 0.8);
  runtime::BuiltSchedulers built =
      runtime::build_schedulers(yaml("{type: StepMomentum, step_size: 1, gamma: 0.5}"), *sgd, 0);
  built.list.step();
  EXPECT_DOUBLE_EQ(option(*sgd, "momentum"), 0.4);
  EXPECT_DOUBLE_EQ(option(*sgd, "lr"), 1.0);
}

TEST_F(SchedulerBuilders, MomentumVariantSchedulesAdamBeta1) {
  nn::optim::Adam adam({ops::zeros({2}).requires_grad_()}, {.beta1 = 0.9});
  runtime::BuiltSchedulers built =
      runtime::build_schedulers(yaml("{type: LinearMomentum, start_factor: 0.5, end: 3}"), adam, 0);
  EXPECT_DOUBLE_EQ(option(adam, "beta1"), 0.45);
  EXPECT_EQ(built.list[0].param_name(), "beta1");
}

TEST_F(SchedulerBuilders, MomentumVariantNeedsAnOptimizerWithMomentum) {
  nn::optim::Adagrad adagrad({ops::zeros({2}).requires_grad_()}, {});
  EXPECT_THAT(error_of([&] { runtime::build_schedulers(yaml("{type: ConstantMomentum}"), adagrad, 0); }),
              HasSubstr("ConstantMomentum needs an optimizer with momentum or betas"));
}

TEST_F(SchedulerBuilders, ParamSchedulerVariantSchedulesTheNamedOption) {
  nn::optim::SGD sgd({ops::zeros({2}).requires_grad_()}, {.lr = 1.0, .weight_decay = 0.1});
  runtime::build_schedulers(yaml("{type: ConstantParamScheduler, param_name: weight_decay, factor: 0.5}"), sgd, 0);
  EXPECT_DOUBLE_EQ(option(sgd, "weight_decay"), 0.05);
  EXPECT_DOUBLE_EQ(option(sgd, "lr"), 1.0);
}

TEST_F(SchedulerBuilders, ParamSchedulerVariantSuggestsAnExistingOption) {
  auto sgd = make_sgd();
  EXPECT_THAT(error_of([&] {
                runtime::build_schedulers(yaml("{type: LinearParamScheduler, param_name: weight_decy}"), *sgd, 0);
              }),
              HasSubstr("did you mean 'weight_decay'"));
}

TEST_F(SchedulerBuilders, UnknownSchedulerTypeSuggestsTheClosest) {
  auto sgd = make_sgd();
  EXPECT_THAT(error_of([&] { runtime::build_schedulers(yaml("{type: CosineAnealingLR, T_max: 3}"), *sgd, 0); }),
              HasSubstr("did you mean 'CosineAnnealingLR'"));
}

TEST_F(SchedulerBuilders, EveryEntryIsValidatedBeforeAnyIsBuilt) {
  auto sgd = make_sgd(1.0);
  EXPECT_THAT(error_of([&] {
                runtime::build_schedulers(yaml(R"(
- {type: LinearLR, start_factor: 0.5, end: 4}
- {type: StepLR, step_sise: 2}
)"),
                                          *sgd, 0);
              }),
              HasSubstr("did you mean 'step_size'"));
  EXPECT_DOUBLE_EQ(option(*sgd, "lr"), 1.0);  // the warm-up never ran
}

TEST_F(SchedulerBuilders, ConvertToIterBasedNeedsAnEpochBasedSchedule) {
  auto sgd = make_sgd();
  EXPECT_THAT(error_of([&] {
                runtime::build_schedulers(
                    yaml("{type: LinearLR, end: 2, by_epoch: false, convert_to_iter_based: true}"), *sgd, 10);
              }),
              HasSubstr("needs by_epoch: true"));
}

TEST_F(SchedulerBuilders, ConvertToIterBasedNeedsTheEpochLength) {
  auto sgd = make_sgd();
  EXPECT_THAT(error_of([&] {
                runtime::build_schedulers(yaml("{type: LinearLR, end: 2, convert_to_iter_based: true}"), *sgd, 0);
              }),
              HasSubstr("needs the number of iterations per epoch, got 0"));
}

TEST_F(SchedulerBuilders, ConvertedEndOfNeverStaysNever) {
  auto sgd = make_sgd();
  runtime::BuiltSchedulers built = runtime::build_schedulers(
      yaml("{type: ExponentialLR, gamma: 0.9, begin: 2, convert_to_iter_based: true}"), *sgd, 5);
  EXPECT_EQ(built.list[0].begin(), 10);
  EXPECT_EQ(built.list[0].end(), kInfiniteStep);
  EXPECT_FALSE(built.by_epoch[0]);
}

TEST_F(SchedulerBuilders, CosineAnnealingWithoutTmaxNeedsAFiniteEnd) {
  auto sgd = make_sgd();
  EXPECT_THAT(error_of([&] { runtime::build_schedulers(yaml("{type: CosineAnnealingLR}"), *sgd, 0); }),
              HasSubstr("give T_max or a finite end"));
}

TEST_F(SchedulerBuilders, EndNotAfterBeginIsAConfigError) {
  auto sgd = make_sgd();
  EXPECT_THAT(error_of([&] { runtime::build_schedulers(yaml("{type: LinearLR, begin: 5, end: 5}"), *sgd, 0); }),
              HasSubstr("end (5) must be larger than begin (5)"));
}

TEST_F(SchedulerBuilders, SchedulerRangeErrorsPointAtTheConfigEntry) {
  auto sgd = make_sgd();
  const std::string message =
      error_of([&] { runtime::build_schedulers(yaml("{type: LinearLR, start_factor: 2.0, end: 3}"), *sgd, 0); });
  EXPECT_THAT(message, HasSubstr("test.yaml:1"));
  EXPECT_THAT(message, HasSubstr("start_factor 2 must be in (0, 1]"));
}

TEST_F(SchedulerBuilders, ReduceOnPlateauCannotBeConverted) {
  auto sgd = make_sgd();
  EXPECT_THAT(error_of([&] {
                runtime::build_schedulers(yaml("{type: ReduceOnPlateauLR, convert_to_iter_based: true}"), *sgd, 4);
              }),
              HasSubstr("is not supported by this scheduler"));
}

TEST_F(SchedulerBuilders, ReduceOnPlateauMonitorDefaultsToLoss) {
  auto sgd = make_sgd();
  EXPECT_THAT(runtime::build_schedulers(yaml("{type: ReduceOnPlateauLR}"), *sgd, 0).monitor, ElementsAre("loss"));
}

TEST_F(SchedulerBuilders, ScalarConfigIsRejected) {
  auto sgd = make_sgd();
  EXPECT_THAT(error_of([&] { runtime::build_schedulers(yaml("cosine"), *sgd, 0); }),
              HasSubstr("param_scheduler must be a scheduler (a map), a list of them or null"));
}

TEST_F(SchedulerBuilders, EveryArgumentHasADoc) {
  for (const config::ComponentInfo* info : runtime::scheduler_registry().components()) {
    EXPECT_FALSE(info->doc.empty()) << info->type;
    for (const config::ArgSpec& arg : info->args) EXPECT_FALSE(arg.doc.empty()) << info->type << "." << arg.name;
  }
  for (const config::ComponentInfo* info : runtime::optimizer_registry().components()) {
    for (const config::ArgSpec& arg : info->args) EXPECT_FALSE(arg.doc.empty()) << info->type << "." << arg.name;
  }
}

}  // namespace
}  // namespace mini::testing
