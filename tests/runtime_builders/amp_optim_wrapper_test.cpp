// AmpOptimWrapper (runtime/amp_optim_wrapper.h) built from MMEngine-shaped
// configs: its arguments and errors, the autocast context, the scaler's place
// around clipping and stepping, and its state in the optim_wrapper state_dict.
#include "runtime/amp_optim_wrapper.h"

#include "autograd/autograd.h"
#include "builders_testing.h"
#include "nn/amp/autocast.h"
#include "runtime/optim_wrapper_builder.h"

namespace mini::testing {
namespace {

using runtime::AmpOptimWrapper;
using runtime::OptimContext;
using runtime::OptimWrapper;
using ::testing::HasSubstr;

class AmpOptimWrapperBuilder : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime::register_optim_components();
    runtime::register_optim_wrapper_components();
  }
  std::unique_ptr<OptimWrapper> build(const std::string& text, uint64_t seed = 0) {
    manual_seed(seed);
    nets.push_back(std::make_shared<TinyNet>());
    return runtime::optim_wrapper_registry().build(yaml(text), *nets.back());
  }
  static const AmpOptimWrapper& amp(const std::unique_ptr<OptimWrapper>& wrapper) {
    const auto* amp = dynamic_cast<const AmpOptimWrapper*>(wrapper.get());
    EXPECT_NE(amp, nullptr) << "not an AmpOptimWrapper";
    return *amp;
  }
  // One micro-step of TinyNet on fixed data: forward in the wrapper's context, then update_params.
  void train_step(OptimWrapper& wrapper, TinyNet& net, double loss_multiplier = 1.0) {
    const Tensor x = random_tensor({6, 4}, DType::f32, 21);
    const Tensor labels = ops::from_vector(std::vector<int64_t>{0, 1, 2, 0, 1, 2}, {6});
    Tensor loss;
    {
      const OptimContext context = wrapper.optim_context();
      loss = nn::cross_entropy(net(x), labels) * loss_multiplier;
    }
    wrapper.update_params(loss);
  }
  std::vector<std::shared_ptr<TinyNet>> nets;
};

constexpr const char* kSgd = "optimizer: {type: SGD, lr: 0.1, momentum: 0.9}\n";

TEST_F(AmpOptimWrapperBuilder, TakesMmenginesArgumentsAndOptimWrappers) {
  auto wrapper = build(std::string("type: AmpOptimWrapper\ndtype: float16\naccumulative_counts: 2\n"
                                   "clip_grad: {max_norm: 1.0}\n") +
                       kSgd);
  EXPECT_EQ(amp(wrapper).amp_options().dtype, DType::f16);
  EXPECT_EQ(amp(wrapper).amp_options().device_type, DeviceType::cpu);
  EXPECT_TRUE(amp(wrapper).loss_scaler().is_enabled());  // float16: dynamic by default
  EXPECT_TRUE(amp(wrapper).loss_scaler().options().dynamic);
  EXPECT_EQ(amp(wrapper).loss_scaler().get_scale(), 65536.0);
  EXPECT_EQ(wrapper->options().accumulative_counts, 2);
  ASSERT_TRUE(wrapper->options().clip.has_value());
  EXPECT_EQ(wrapper->options().clip->max_norm, 1.0);
}

TEST_F(AmpOptimWrapperBuilder, Bfloat16ScalesOnlyWhenAskedAndIsTheCpuDefault) {
  auto bf16 = build(std::string("type: AmpOptimWrapper\ndtype: bfloat16\n") + kSgd);
  EXPECT_FALSE(amp(bf16).loss_scaler().is_enabled());
  auto by_default = build(std::string("type: AmpOptimWrapper\n") + kSgd);
  EXPECT_EQ(amp(by_default).amp_options().dtype, DType::bf16);  // torch.autocast's cpu default
  EXPECT_FALSE(amp(by_default).loss_scaler().is_enabled());
  auto asked = build(std::string("type: AmpOptimWrapper\ndtype: bfloat16\nloss_scale: dynamic\n") + kSgd);
  EXPECT_TRUE(amp(asked).loss_scaler().is_enabled());
}

TEST_F(AmpOptimWrapperBuilder, LossScaleTakesANumberOrGradScalerArguments) {
  auto fixed = build(std::string("type: AmpOptimWrapper\ndtype: float16\nloss_scale: 512\n") + kSgd);
  EXPECT_EQ(amp(fixed).loss_scaler().get_scale(), 512.0);
  EXPECT_FALSE(amp(fixed).loss_scaler().options().dynamic);
  auto mapped = build(std::string("type: AmpOptimWrapper\ndtype: float16\n"
                                  "loss_scale: {init_scale: 1024, growth_factor: 4, growth_interval: 100}\n") +
                      kSgd);
  const nn::amp::GradScalerOptions& options = amp(mapped).loss_scaler().options();
  EXPECT_EQ(options.init_scale, 1024.0);
  EXPECT_EQ(options.growth_factor, 4.0);
  EXPECT_EQ(options.growth_interval, 100);
  EXPECT_TRUE(options.dynamic);
  auto off = build(std::string("type: AmpOptimWrapper\ndtype: float16\nloss_scale: {enabled: false}\n") + kSgd);
  EXPECT_FALSE(amp(off).loss_scaler().is_enabled());
}

TEST_F(AmpOptimWrapperBuilder, BadArgumentsAreConfigErrorsWithTheirLocation) {
  const std::string head = "type: AmpOptimWrapper\n";
  EXPECT_THAT(error_of([&] { build(head + "use_fsdp: true\n" + kSgd); }),
              HasSubstr("unknown argument 'use_fsdp' for AmpOptimWrapper"));
  EXPECT_THAT(error_of([&] { build(head + "dtpye: float16\n" + kSgd); }), HasSubstr("did you mean 'dtype'?"));
  EXPECT_THAT(error_of([&] { build(head + "dtype: float32\n" + kSgd); }),
              HasSubstr("must be one of 'float16', 'bfloat16'"));
  EXPECT_THAT(error_of([&] { build(head + "loss_scale: dynamik\n" + kSgd); }),
              HasSubstr("loss_scale must be 'dynamic'"));
  EXPECT_THAT(error_of([&] { build(head + "loss_scale: -4\n" + kSgd); }), HasSubstr("a positive number"));
  EXPECT_THAT(error_of([&] { build(head + "loss_scale: {init_scael: 8}\n" + kSgd); }),
              HasSubstr("did you mean 'init_scale'?"));
  const std::string backoff = error_of([&] { build(head + "loss_scale: {backoff_factor: 2}\n" + kSgd); });
  EXPECT_THAT(backoff, HasSubstr("backoff_factor must be in (0, 1)"));
  EXPECT_THAT(backoff, HasSubstr("test.yaml:2"));
}

TEST_F(AmpOptimWrapperBuilder, ConfigValidationSeesLossScaleAndClipGradValues) {
  // What `mini-engine config check` runs: nothing is built.
  EXPECT_THAT(error_of([&] {
                runtime::validate_optim_wrapper_config(
                    yaml(std::string("type: AmpOptimWrapper\nloss_scale: {growth_intervl: 5}\n") + kSgd));
              }),
              HasSubstr("did you mean 'growth_interval'?"));
  EXPECT_THAT(error_of([&] {
                runtime::validate_optim_wrapper_config(
                    yaml(std::string("type: OptimWrapper\nclip_grad: {max_norm: 1, norm: 2}\n") + kSgd));
              }),
              HasSubstr("unknown clip_grad key 'norm'"));
  EXPECT_NO_THROW(runtime::validate_optim_wrapper_config(
      yaml(std::string("type: AmpOptimWrapper\ndtype: float16\nloss_scale: 128.0\n") + kSgd)));
}

TEST_F(AmpOptimWrapperBuilder, OptimContextTurnsAutocastOnAndThePlainWrappersChangesNothing) {
  auto amp_wrapper = build(std::string("type: AmpOptimWrapper\ndtype: float16\n") + kSgd);
  auto plain = build(std::string("type: OptimWrapper\n") + kSgd);
  {
    const OptimContext context = amp_wrapper->optim_context();
    EXPECT_TRUE(autocast_enabled(DeviceType::cpu));
    EXPECT_EQ(autocast_dtype(DeviceType::cpu), DType::f16);
    EXPECT_EQ((*nets[0])(random_tensor({2, 4}, DType::f32, 3)).dtype(), DType::f16);  // head is a Linear
    EXPECT_EQ(nets[0]->norm->forward(random_tensor({2, 8}, DType::f16, 3)).dtype(), DType::f32);
  }
  EXPECT_FALSE(autocast_enabled(DeviceType::cpu));
  {
    AutocastGuard outer(DeviceType::cpu, DType::bf16);
    const OptimContext context = plain->optim_context();
    EXPECT_TRUE(autocast_enabled(DeviceType::cpu));  // left as the caller set it
  }
  EXPECT_FALSE(autocast_enabled(DeviceType::cpu));
}

TEST_F(AmpOptimWrapperBuilder, GradientsAreUnscaledBeforeClippingSoScalingChangesNoUpdate) {
  // Scaling by a power of two is exact, so with and without the scaler the
  // clipped updates agree bit for bit (and the clip sees the true norm).
  const std::string rest = std::string("dtype: bfloat16\nclip_grad: {max_norm: 0.05}\n") + kSgd;
  auto scaled = build("type: AmpOptimWrapper\nloss_scale: dynamic\n" + rest, 5);
  auto unscaled = build("type: AmpOptimWrapper\n" + rest, 5);
  for (int step = 0; step < 3; ++step) {
    train_step(*scaled, *nets[0]);
    train_step(*unscaled, *nets[1]);
    ASSERT_TRUE(scaled->last_grad_norm().has_value());
    EXPECT_EQ(*scaled->last_grad_norm(), *unscaled->last_grad_norm());
    EXPECT_GT(*scaled->last_grad_norm(), 0.05);   // the clip was active
    EXPECT_LT(*scaled->last_grad_norm(), 100.0);  // and saw unscaled gradients
  }
  const auto first = nets[0]->named_parameters(), second = nets[1]->named_parameters();
  for (size_t i = 0; i < first.size(); ++i) {
    expect_tensors_near(first[i].second, second[i].second, 0, 0, first[i].first);
    EXPECT_EQ(first[i].second.dtype(), DType::f32);
  }
}

TEST_F(AmpOptimWrapperBuilder, AnOverflowSkipsTheStepAndBacksOff) {
  auto wrapper =
      build(std::string("type: AmpOptimWrapper\ndtype: bfloat16\nloss_scale: {init_scale: 1.0e38}\n") + kSgd);
  TinyNet& net = *nets.back();
  const Tensor before = ops::clone(net.head->weight());
  train_step(*wrapper, net, /*loss_multiplier=*/1e3);  // loss * 1e38 * 1e3: the gradients overflow
  expect_tensors_near(net.head->weight(), before, 0, 0, "head.weight after a skipped step");
  EXPECT_EQ(amp(wrapper).loss_scaler().get_scale(), static_cast<double>(static_cast<float>(1e38) * 0.5));
  EXPECT_FALSE(net.head->weight().grad().defined());  // the window still closed: gradients were zeroed
  train_step(*wrapper, net);                          // the backed-off scale no longer overflows
  EXPECT_FALSE(ops::equal(net.head->weight(), before));
}

TEST_F(AmpOptimWrapperBuilder, StateDictCarriesTheScalerAndAPlainWrapperSkipsIt) {
  auto trained = build(std::string("type: AmpOptimWrapper\ndtype: float16\n"
                                   "loss_scale: {init_scale: 256, growth_interval: 2}\n") +
                       kSgd);
  for (int i = 0; i < 5; ++i) train_step(*trained, *nets.back());
  const double scale = amp(trained).loss_scaler().get_scale();
  ASSERT_GT(scale, 256.0);  // it grew
  const nn::StateDict state = trained->state_dict();
  ASSERT_NE(state.find("loss_scaler.scale"), nullptr);
  EXPECT_NE(state.find("loss_scaler._growth_tracker"), nullptr);
  EXPECT_NE(state.find("state.0.momentum_buffer"), nullptr);

  auto restored = build(std::string("type: AmpOptimWrapper\ndtype: float16\n") + kSgd);
  restored->load_state_dict(state);
  EXPECT_EQ(amp(restored).loss_scaler().get_scale(), scale);
  EXPECT_EQ(amp(restored).loss_scaler().growth_tracker(), amp(trained).loss_scaler().growth_tracker());
  EXPECT_EQ(amp(restored).loss_scaler().options().growth_interval, 2);

  auto plain = build(std::string("type: OptimWrapper\n") + kSgd);
  EXPECT_NO_THROW(plain->load_state_dict(state));  // AMP -> f32 resume, as in MMEngine
  EXPECT_EQ(plain->state_dict().find("loss_scaler.scale"), nullptr);
  auto from_plain = build(std::string("type: AmpOptimWrapper\ndtype: float16\n") + kSgd);
  from_plain->load_state_dict(plain->state_dict());  // f32 -> AMP: a fresh scale
  EXPECT_EQ(amp(from_plain).loss_scaler().get_scale(), 65536.0);
}

}  // namespace
}  // namespace mini::testing
