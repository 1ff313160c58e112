// Cross-entropy rows with class-index targets (Backend::cross_entropy), plus
// the composite default every backend gets:
//   log p = log_softmax(logits), t = target, w = weight (or ones),
//   loss = -(1 - s) w_t log p_t - (s / C) sum_c w_c log p_c   (0 where t is ignored),
//   grad_logits = p * sum(a) - a,  a = (1 - s) w_t one_hot(t) + (s / C) w.
// The fused form exists for speed and memory: the composite keeps log p,
// p, a and several (N, C) temporaries, and its backward runs log_softmax's
// backward over the gather/scatter; a fused kernel reads each row three
// times while it is in cache and writes the loss and the gradient once.
#include "tensor/ops/cross_entropy.h"

#include "tensor/backend.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/factory.h"
#include "tensor/ops/index.h"
#include "tensor/ops/nn.h"
#include "tensor/ops/reduce.h"
#include "tensor/ops/view.h"

namespace mini::ops {

CrossEntropyRows cross_entropy_rows(const Tensor& logits, const Tensor& target, const Tensor& weight,
                                    int64_t ignore_index, double label_smoothing, bool with_grad) {
  MINI_CHECK(logits.defined() && logits.dim() == 2 && is_floating(logits.dtype()),
             "cross_entropy_rows: logits must be a floating (N, C) tensor, got {} of dtype {}",
             logits.defined() ? shape_str(logits.sizes()) : std::string("undefined"),
             logits.defined() ? logits.dtype() : DType::f32);
  const int64_t rows = logits.size(0), classes = logits.size(1);
  MINI_CHECK(target.defined() && target.dim() == 1 && target.size(0) == rows && !is_floating(target.dtype()) &&
                 target.dtype() != DType::b8,
             "cross_entropy_rows: target must hold {} integer class indices (shape ({})), got {} of dtype {}", rows,
             rows, target.defined() ? shape_str(target.sizes()) : std::string("undefined"),
             target.defined() ? target.dtype() : DType::i64);
  MINI_CHECK(!weight.defined() || (weight.dim() == 1 && weight.size(0) == classes && is_floating(weight.dtype())),
             "cross_entropy_rows: weight must be a floating ({}) tensor for {} classes, got {}", classes, classes,
             weight.defined() ? shape_str(weight.sizes()) : std::string("undefined"));
  MINI_CHECK(target.device() == logits.device() && (!weight.defined() || weight.device() == logits.device()),
             "cross_entropy_rows: logits, target and weight must be on one device");
  MINI_CHECK(label_smoothing >= 0 && label_smoothing <= 1,
             "cross_entropy_rows: label_smoothing must be in [0, 1], got {}", label_smoothing);
  const TensorOptions options{.dtype = logits.dtype(), .device = logits.device()};
  CrossEntropyRows result{empty({rows}, options), with_grad ? empty({rows, classes}, options) : Tensor()};
  if (rows == 0) return result;
  backend_for(logits.device())
      .cross_entropy(result.loss, result.grad_logits, contiguous(logits), contiguous(to_dtype(target, DType::i64)),
                     weight.defined() ? contiguous(to_dtype(weight, logits.dtype())) : Tensor(), ignore_index,
                     label_smoothing);
  return result;
}

Tensor cross_entropy_target_mass(const Tensor& target, const Tensor& weight, int64_t classes, int64_t ignore_index,
                                 double label_smoothing, const TensorOptions& options) {
  const int64_t rows = target.size(0);
  const double s = label_smoothing;
  const Tensor valid = ne(target, Scalar(ignore_index));                   // (N)
  const Tensor valid_mass = unsqueeze(to_dtype(valid, options.dtype), 1);  // (N, 1)
  Tensor mass = zeros({rows, classes}, options);
  if (classes == 0) return mass;
  const Tensor class_weight = weight.defined() ? to_dtype(weight, options.dtype) : Tensor();
  if (s > 0) {
    // (s / C) w_c on every valid row.
    const Tensor spread =
        class_weight.defined() ? mul(valid_mass, unsqueeze(class_weight, 0)) : expand(valid_mass, {rows, classes});
    mass = mul(spread, s / static_cast<double>(classes));
  }
  const Tensor safe_target = where(valid, target, Scalar(int64_t{0}));
  Tensor target_mass = mul(valid_mass, 1 - s);  // (1 - s) w_t, (N, 1)
  if (class_weight.defined()) target_mass = mul(target_mass, unsqueeze(index_select(class_weight, 0, safe_target), 1));
  return scatter_add(mass, 1, unsqueeze(safe_target, 1), target_mass);
}

void throw_target_out_of_range(int64_t target, int64_t classes, int64_t ignore_index) {
  throw ValueError(fmt::format("cross_entropy: target {} is outside [0, {}) for {} classes and is not ignore_index {}",
                               target, classes, classes, ignore_index));
}

}  // namespace mini::ops

namespace mini {

// The composite every backend gets unless it fuses it (tensor/backend.h).
void Backend::cross_entropy(const Tensor& loss, const Tensor& grad_logits, const Tensor& logits, const Tensor& target,
                            const Tensor& weight, int64_t ignore_index, double label_smoothing) {
  const int64_t classes = logits.size(1);
  const double s = label_smoothing;
  const Tensor valid = ops::ne(target, Scalar(ignore_index));  // (N)
  const Tensor out_of_range =
      ops::logical_and(valid, ops::logical_or(ops::lt(target, Scalar(int64_t{0})), ops::ge(target, Scalar(classes))));
  if (ops::any(out_of_range).item<bool>()) {
    const Tensor first_bad = ops::narrow(ops::masked_select(target, out_of_range), 0, 0, 1);
    ops::throw_target_out_of_range(first_bad.item<int64_t>(), classes, ignore_index);
  }
  if (classes == 0) {  // every row is ignored; grad_logits is empty
    fill(loss, 0);
    return;
  }
  const TensorOptions options{.dtype = logits.dtype(), .device = logits.device()};
  const Tensor safe_target = ops::where(valid, target, Scalar(int64_t{0}));  // (N)
  const Tensor log_probs = ops::log_softmax(logits, 1);                      // (N, C)
  const Tensor target_weight =                                               // w_t (N, 1)
      weight.defined() ? ops::unsqueeze(ops::index_select(weight, 0, safe_target), 1)
                       : ops::ones({logits.size(0), 1}, options);
  Tensor row_loss =
      ops::mul(ops::mul(target_weight, ops::gather(log_probs, 1, ops::unsqueeze(safe_target, 1))), -(1 - s));
  if (s > 0) {
    const Tensor weighted = weight.defined() ? ops::mul(log_probs, ops::unsqueeze(weight, 0)) : log_probs;
    row_loss = ops::sub(row_loss, ops::mul(ops::sum(weighted, {1}, true), s / static_cast<double>(classes)));
  }
  // NOTE: where, not a multiply by `valid`: an ignored row's log p_t may be -inf, and 0 * -inf is NaN.
  copy(loss, ops::where(valid, ops::squeeze(row_loss, 1), Scalar(0.0)));
  if (!grad_logits.defined()) return;

  const Tensor a = ops::cross_entropy_target_mass(target, weight, classes, ignore_index, s, options);
  copy(grad_logits, ops::sub(ops::mul(ops::exp(log_probs), ops::sum(a, {1}, true)), a));
}

}  // namespace mini
