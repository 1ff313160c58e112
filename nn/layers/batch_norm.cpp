#include "nn/layers/batch_norm.h"

#include <algorithm>

#include "autograd/autograd.h"
#include "nn/functional.h"

namespace mini::nn {

BatchNorm::BatchNorm(std::string type_name, int64_t num_features, BatchNormOptions options,
                     std::vector<int64_t> input_ranks)
    : Module(std::move(type_name)),
      num_features_(num_features),
      options_(options),
      input_ranks_(std::move(input_ranks)) {
  MINI_CHECK(num_features > 0, "{}: num_features must be positive, got {}", this->type_name(), num_features);
  if (options.affine) {
    weight_ = register_parameter("weight", ops::ones({num_features}, options.tensor));
    bias_ = register_parameter("bias", ops::zeros({num_features}, options.tensor));
  }
  if (options.track_running_stats) {
    running_mean_ = register_buffer("running_mean", ops::zeros({num_features}, options.tensor));
    running_var_ = register_buffer("running_var", ops::ones({num_features}, options.tensor));
    num_batches_tracked_ =
        register_buffer("num_batches_tracked", ops::zeros({}, {.dtype = DType::i64, .device = options.tensor.device}));
  }
}

Tensor BatchNorm::forward(const Tensor& x) {
  MINI_CHECK(std::find(input_ranks_.begin(), input_ranks_.end(), x.dim()) != input_ranks_.end(),
             "{}: expected input with {} dims, got ({})", type_name(), fmt::join(input_ranks_, " or "),
             fmt::join(x.sizes(), ", "));
  MINI_CHECK(x.size(1) == num_features_, "{}: expected {} channels (dim 1), got input ({})", type_name(), num_features_,
             fmt::join(x.sizes(), ", "));
  // Without running statistics, eval mode also uses the batch statistics (as PyTorch).
  const bool use_batch_stats = is_training() || !running_mean_.defined();
  double momentum = options_.momentum.value_or(0.0);
  if (is_training() && running_mean_.defined()) {
    NoGradGuard no_grad;
    ops::add_(num_batches_tracked_, 1);
    if (!options_.momentum) momentum = 1.0 / static_cast<double>(num_batches_tracked_.item<int64_t>());
  }
  // In training, the running statistics are updated; in eval, they normalize.
  const bool pass_running = !use_batch_stats || is_training();
  return functional::batch_norm(x, pass_running ? running_mean_ : Tensor(), pass_running ? running_var_ : Tensor(),
                                weight_, bias_, use_batch_stats, momentum, options_.eps);
}

std::string BatchNorm::extra_repr() const {
  return fmt::format("{}, eps={}, momentum={}, affine={}, track_running_stats={}", num_features_, options_.eps,
                     options_.momentum ? fmt::format("{}", *options_.momentum) : "None", weight_.defined(),
                     running_mean_.defined());
}

}  // namespace mini::nn
