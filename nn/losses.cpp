#include "nn/losses.h"

#include "autograd/autocast.h"
#include "autograd/autograd.h"
#include "autograd/functions/cross_entropy.h"
#include "tensor/error.h"

namespace mini::nn {

namespace {

std::string shape_text(const Shape& sizes) { return fmt::format("({})", fmt::join(sizes, ", ")); }

Tensor reduce(const Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::none:
      return loss;
    case Reduction::sum:
      return mini::sum(loss);
    case Reduction::mean:
      return mini::mean(loss);
  }
  return loss;
}

void check_same_shape(const char* op, const Tensor& input, const Tensor& target) {
  MINI_CHECK(input.sizes() == target.sizes(), "{}: input {} and target {} must have the same shape", op,
             shape_text(input.sizes()), shape_text(target.sizes()));
}

// (C) per-class weights shaped to broadcast along `class_dim` of a rank-`rank` tensor.
Tensor class_weight_view(const Tensor& weight, int64_t class_dim, int64_t rank) {
  Shape sizes(static_cast<size_t>(rank), 1);
  sizes[static_cast<size_t>(class_dim)] = weight.numel();
  return ops::reshape(weight, sizes);
}

void check_class_weight(const char* op, const Tensor& weight, int64_t classes) {
  MINI_CHECK(!weight.defined() || (weight.dim() == 1 && weight.size(0) == classes),
             "{}: weight must have shape ({}) for {} classes, got {}", op, classes, classes,
             shape_text(weight.sizes()));
}

// The weight each target counts with in a mean: weight[target] (1 without
// class weights), 0 where the target is ignore_index. valid = target !=
// ignore_index; safe_target has the ignored entries set to 0.
Tensor target_weights(const Tensor& valid, const Tensor& safe_target, const Tensor& weight, DType dtype) {
  const Tensor counted = ops::to_dtype(valid, dtype);
  // An empty weight (no classes) leaves no valid target to look up.
  if (!weight.defined() || weight.numel() == 0) return counted;
  const Tensor picked =
      ops::reshape(ops::index_select(weight, 0, ops::reshape(safe_target, {-1})), safe_target.sizes());
  return ops::mul(counted, ops::to_dtype(picked, dtype));
}

// Class-index targets through the fused op (autograd/functions/cross_entropy.h):
// the class dim moves last and every position becomes a row,
// (N, C, d1, ...) -> (N * d1 * ..., C), then the reduction is applied here.
bool fused_cross_entropy_applies(const Tensor& input, const Tensor& target, const CrossEntropyOptions& options) {
  return is_floating(input.dtype()) && !is_floating(target.dtype()) && target.dtype() != DType::b8 &&
         (!options.weight.defined() || is_floating(options.weight.dtype()));
}

Tensor fused_cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& options) {
  Shape expected = input.sizes();
  expected.erase(input.dim() == 1 ? 0 : 1);
  MINI_CHECK(target.sizes() == expected, "cross_entropy: target {} does not match input {} (expected target {})",
             shape_text(target.sizes()), shape_text(input.sizes()), shape_text(expected));
  // A single sample (C) with a 0-d target is a batch of one.
  const int64_t classes = input.size(input.dim() == 1 ? 0 : 1), positions = target.numel();
  const Tensor rows = input.dim() == 2   ? input
                      : input.dim() == 1 ? mini::unsqueeze(input, 0)
                                         : mini::reshape(mini::movedim(input, 1, -1), {positions, classes});
  const Tensor flat_target = ops::reshape(target, {positions});
  // NOTE: the class weights are constants, as in the composite (and PyTorch, which refuses their gradient).
  const Tensor weight = options.weight.defined() ? options.weight.detach() : Tensor();
  const Tensor loss =
      mini::cross_entropy_rows(rows, flat_target, weight, options.ignore_index, options.label_smoothing);
  switch (options.reduction) {
    case Reduction::none:
      return mini::reshape(loss, target.sizes());
    case Reduction::sum:
      return mini::sum(loss);
    case Reduction::mean:
      break;
  }
  // PyTorch's mean: divided by the total weight of the targets that are not ignored.
  const Tensor valid = ops::ne(flat_target, Scalar(options.ignore_index));
  const Tensor safe_target = ops::where(valid, ops::to_dtype(flat_target, DType::i64), Scalar(int64_t{0}));
  return mini::sum(loss) / ops::sum(target_weights(valid, safe_target, options.weight, input.dtype()));
}

}  // namespace

Tensor nll_loss(const Tensor& input_arg, const Tensor& target_arg, const NllLossOptions& options) {
  const Tensor input = autocast_input(AutocastOp::loss, input_arg);
  const Tensor target = autocast_input(AutocastOp::loss, target_arg);
  MINI_CHECK(input.dim() >= 1 && !is_floating(target.dtype()) && target.dtype() != DType::b8,
             "nll_loss: expected input (N, C, ...) or (C) and integer class-index targets, got input {} and target "
             "of dtype {}",
             shape_text(input.sizes()), target.dtype());
  // A single sample (C) with a 0-d target is a batch of one.
  const bool unbatched = input.dim() == 1;
  const Tensor x = unbatched ? mini::unsqueeze(input, 0) : input;
  const Tensor y = ops::to_dtype(unbatched ? ops::unsqueeze(target, 0) : target, DType::i64);
  Shape expected = x.sizes();
  expected.erase(1);
  MINI_CHECK(y.sizes() == expected, "nll_loss: target {} does not match input {} (expected target {})",
             shape_text(target.sizes()), shape_text(input.sizes()), shape_text(expected));
  const int64_t classes = x.size(1);
  check_class_weight("nll_loss", options.weight, classes);

  const Tensor valid = ops::ne(y, Scalar(options.ignore_index));
  const Tensor safe_target = ops::where(valid, y, Scalar(int64_t{0}));
  const bool out_of_range =
      ops::any(ops::logical_and(valid, ops::logical_or(ops::lt(y, Scalar(int64_t{0})), ops::ge(y, Scalar(classes)))))
          .item<bool>();
  MINI_CHECK(!out_of_range, "nll_loss: a target is outside [0, {}) and is not ignore_index {}", classes,
             options.ignore_index);

  // picked[n, ...] = x[n, target[n, ...], ...]
  const Tensor picked = mini::squeeze(mini::gather(x, 1, ops::unsqueeze(safe_target, 1)), 1);
  const Tensor picked_weight = target_weights(valid, safe_target, options.weight, x.dtype());
  Tensor loss = -(picked * picked_weight);
  switch (options.reduction) {
    case Reduction::none:
      return unbatched ? mini::squeeze(loss, 0) : loss;
    case Reduction::sum:
      return mini::sum(loss);
    case Reduction::mean:
      return mini::sum(loss) / ops::sum(picked_weight);
  }
  return loss;
}

Tensor cross_entropy(const Tensor& input_arg, const Tensor& target_arg, const CrossEntropyOptions& options) {
  const Tensor input = autocast_input(AutocastOp::loss, input_arg);
  const Tensor target = autocast_input(AutocastOp::loss, target_arg);
  MINI_CHECK(input.dim() >= 1, "cross_entropy: input must have a class dim, got {}", shape_text(input.sizes()));
  MINI_CHECK(options.label_smoothing >= 0 && options.label_smoothing <= 1,
             "cross_entropy: label_smoothing must be in [0, 1], got {}", options.label_smoothing);
  const int64_t class_dim = input.dim() == 1 ? 0 : 1;
  const int64_t classes = input.size(class_dim);
  check_class_weight("cross_entropy", options.weight, classes);
  if (fused_cross_entropy_applies(input, target, options)) return fused_cross_entropy(input, target, options);
  const double smoothing = options.label_smoothing;
  const Tensor log_probs = mini::log_softmax(input, class_dim);
  const Tensor weight_view =
      options.weight.defined() ? class_weight_view(options.weight, class_dim, input.dim()) : Tensor();

  if (is_floating(target.dtype())) {
    // Class probabilities: -sum_c w_c t_c log p_c per position.
    check_same_shape("cross_entropy", input, target);
    Tensor probs = smoothing > 0 ? target * (1.0 - smoothing) + smoothing / static_cast<double>(classes) : target;
    Tensor terms = log_probs * probs;
    if (weight_view.defined()) terms = terms * weight_view;
    Tensor loss = -mini::sum(terms, {class_dim});
    if (options.reduction == Reduction::mean) {
      // NOTE: divided by the number of positions, not by the weights (PyTorch's rule for probabilities).
      return mini::sum(loss) / static_cast<double>(classes == 0 ? 0 : input.numel() / classes);
    }
    return reduce(loss, options.reduction);
  }

  const Tensor nll = nll_loss(log_probs, target, {options.weight, options.ignore_index, options.reduction});
  if (smoothing == 0) return nll;
  // Label smoothing mixes in the loss against the uniform distribution (PyTorch's formula).
  Tensor smooth = -mini::sum(weight_view.defined() ? log_probs * weight_view : log_probs, {class_dim});
  const Tensor valid = ops::ne(target, Scalar(options.ignore_index));
  smooth = mini::where(valid, smooth, Scalar(0.0));
  Tensor smooth_reduced;
  switch (options.reduction) {
    case Reduction::none:
      smooth_reduced = smooth;
      break;
    case Reduction::sum:
      smooth_reduced = mini::sum(smooth);
      break;
    case Reduction::mean: {
      const Tensor safe_target = ops::where(valid, ops::to_dtype(target, DType::i64), Scalar(int64_t{0}));
      smooth_reduced = mini::sum(smooth) / ops::sum(target_weights(valid, safe_target, options.weight, input.dtype()));
      break;
    }
  }
  return nll * (1.0 - smoothing) + smooth_reduced * (smoothing / static_cast<double>(classes));
}

Tensor mse_loss(const Tensor& input_arg, const Tensor& target_arg, Reduction reduction) {
  const Tensor input = autocast_input(AutocastOp::loss, input_arg);
  const Tensor target = autocast_input(AutocastOp::loss, target_arg);
  check_same_shape("mse_loss", input, target);
  const Tensor diff = input - target;
  return reduce(diff * diff, reduction);
}

Tensor l1_loss(const Tensor& input_arg, const Tensor& target_arg, Reduction reduction) {
  const Tensor input = autocast_input(AutocastOp::loss, input_arg);
  const Tensor target = autocast_input(AutocastOp::loss, target_arg);
  check_same_shape("l1_loss", input, target);
  return reduce(mini::abs(input - target), reduction);
}

Tensor smooth_l1_loss(const Tensor& input_arg, const Tensor& target_arg, Reduction reduction, double beta) {
  const Tensor input = autocast_input(AutocastOp::loss, input_arg);
  const Tensor target = autocast_input(AutocastOp::loss, target_arg);
  check_same_shape("smooth_l1_loss", input, target);
  MINI_CHECK(beta >= 0, "smooth_l1_loss: beta must be non-negative, got {}", beta);
  const Tensor diff = mini::abs(input - target);
  if (beta == 0) return reduce(diff, reduction);
  const Tensor quadratic = diff * diff * (0.5 / beta);
  const Tensor linear = diff - 0.5 * beta;
  return reduce(mini::where(ops::lt(diff.detach(), Scalar(beta)), quadratic, linear), reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input_arg, const Tensor& target_arg,
                                        const BceWithLogitsOptions& options) {
  const Tensor input = autocast_input(AutocastOp::loss, input_arg);
  const Tensor target = autocast_input(AutocastOp::loss, target_arg);
  check_same_shape("binary_cross_entropy_with_logits", input, target);
  // -log(1 - sigmoid(x)) = softplus(x) = x + softplus(-x), so
  // loss = (1 - y) x + (1 + (pos_weight - 1) y) softplus(-x), with no exp overflow.
  const Tensor log_one_plus = mini::softplus(-input);
  Tensor positive_scale = options.pos_weight.defined() ? (options.pos_weight - 1.0) * target + 1.0 : Tensor();
  Tensor loss = (1.0 - target) * input + (positive_scale.defined() ? positive_scale * log_one_plus : log_one_plus);
  if (options.weight.defined()) loss = loss * options.weight;
  return reduce(loss, options.reduction);
}

Tensor kl_div(const Tensor& input_arg, const Tensor& target_arg, KlReduction reduction, bool log_target) {
  const Tensor input = autocast_input(AutocastOp::loss, input_arg);
  const Tensor target = autocast_input(AutocastOp::loss, target_arg);
  check_same_shape("kl_div", input, target);
  Tensor loss;
  if (log_target) {
    loss = mini::exp(target) * (target - input);
  } else {
    // 0 * log 0 = 0; the log is taken of a safe value so its gradient is finite too.
    const Tensor positive = ops::gt(target.detach(), Scalar(0));
    const Tensor safe = mini::where(positive, target, Scalar(1.0));
    loss = mini::where(positive, target * (mini::log(safe) - input), Scalar(0.0)) -
           mini::where(positive, Scalar(0.0), target * input);
  }
  switch (reduction) {
    case KlReduction::none:
      return loss;
    case KlReduction::sum:
      return mini::sum(loss);
    case KlReduction::mean:
      return mini::mean(loss);
    case KlReduction::batch_mean:
      return mini::sum(loss) / static_cast<double>(input.dim() == 0 ? 1 : std::max<int64_t>(input.size(0), 1));
  }
  return loss;
}

// ---- modules -----------------------------------------------------------------

CrossEntropyLoss::CrossEntropyLoss(CrossEntropyOptions options) : Loss("CrossEntropyLoss"), options_(options) {
  if (options_.weight.defined()) register_buffer("weight", options_.weight);
}
Tensor CrossEntropyLoss::operator()(const Tensor& input, const Tensor& target) {
  return cross_entropy(input, target, options_);
}

NLLLoss::NLLLoss(NllLossOptions options) : Loss("NLLLoss"), options_(options) {
  if (options_.weight.defined()) register_buffer("weight", options_.weight);
}
Tensor NLLLoss::operator()(const Tensor& input, const Tensor& target) { return nll_loss(input, target, options_); }

Tensor MSELoss::operator()(const Tensor& input, const Tensor& target) { return mse_loss(input, target, reduction_); }
Tensor L1Loss::operator()(const Tensor& input, const Tensor& target) { return l1_loss(input, target, reduction_); }
Tensor SmoothL1Loss::operator()(const Tensor& input, const Tensor& target) {
  return smooth_l1_loss(input, target, reduction_, beta_);
}

BCEWithLogitsLoss::BCEWithLogitsLoss(BceWithLogitsOptions options) : Loss("BCEWithLogitsLoss"), options_(options) {
  if (options_.weight.defined()) register_buffer("weight", options_.weight);
  if (options_.pos_weight.defined()) register_buffer("pos_weight", options_.pos_weight);
}
Tensor BCEWithLogitsLoss::operator()(const Tensor& input, const Tensor& target) {
  return binary_cross_entropy_with_logits(input, target, options_);
}

Tensor KLDivLoss::operator()(const Tensor& input, const Tensor& target) {
  return kl_div(input, target, reduction_, log_target_);
}

}  // namespace mini::nn
