#pragma once
// AmpOptimWrapper: mixed-precision training as MMEngine's AmpOptimWrapper.
// The forward runs under autocast (optim_context), the loss is scaled
// before backward, the gradients are unscaled before clipping, the step goes
// through the GradScaler (skipped on inf/NaN gradients) and the scale adapts.
// Parameters and optimizer state stay f32 (the master weights).
//
//   optim_wrapper:
//     type: AmpOptimWrapper
//     dtype: bfloat16          # float16 | bfloat16 | null: bf16 on cpu, f16 on cuda (torch.autocast's default)
//     loss_scale: dynamic      # dynamic | 512.0 (static) | {init_scale: 1024, growth_interval: 100}
//     optimizer: {type: AdamW, lr: 1.0e-3}
//     clip_grad: {max_norm: 1.0}
//
// NOTE: loss_scale defaults to null, which scales dynamically for float16 and
// not at all for bfloat16 (bf16 has f32's range, so small gradients do not
// underflow; PyTorch's bf16 recipe uses no scaler). MMEngine defaults to
// 'dynamic' for both; say `loss_scale: dynamic` to get that with bf16.
#include <memory>

#include "nn/amp/grad_scaler.h"
#include "runtime/optim_wrapper.h"

namespace mini::runtime {

struct AmpOptions {
  DeviceType device_type = DeviceType::cpu;  // the device type autocast applies to (the model's)
  DType dtype = DType::bf16;                 // f16 or bf16
  nn::amp::GradScalerOptions loss_scale{.enabled = false};
};

class AmpOptimWrapper : public OptimWrapper {
 public:
  AmpOptimWrapper(std::unique_ptr<nn::optim::Optimizer> optimizer, OptimWrapperOptions options, AmpOptions amp_options);

  const AmpOptions& amp_options() const { return amp_options_; }
  const nn::amp::GradScaler& loss_scaler() const { return loss_scaler_; }

  OptimContext optim_context() const override;
  // The optimizer's state plus "loss_scaler.<key>" (nothing more without loss scaling).
  nn::StateDict state_dict() const override;
  // A state without "loss_scaler." entries (a plain wrapper's) keeps the
  // current scale; with loss scaling off, such entries are ignored.
  void load_state_dict(const nn::StateDict& state) override;

 protected:
  void backward(const Tensor& loss) override;
  void step() override;

 private:
  AmpOptions amp_options_;
  nn::amp::GradScaler loss_scaler_;
};

}  // namespace mini::runtime
