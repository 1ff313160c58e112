// Differentiable cross_entropy_rows: the forward's fused kernel also writes
// d loss[n] / d logits[n], so the backward only scales each row by its
// incoming gradient: grad_logits (N, C) * g (N, 1).
#include "autograd/functions/cross_entropy.h"

#include "autograd/autocast.h"
#include "autograd/functions/elementwise.h"
#include "autograd/functions/nn.h"
#include "autograd/functions/view.h"
#include "autograd/record.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/reduce.h"
#include "tensor/ops/view.h"

namespace mini {

Tensor cross_entropy_rows(const Tensor& logits_arg, const Tensor& target, const Tensor& weight_arg,
                          int64_t ignore_index, double label_smoothing) {
  const Tensor logits = autocast_input(AutocastOp::loss, logits_arg);
  const Tensor weight = autocast_input(AutocastOp::loss, weight_arg);
  MINI_CHECK(!tensor_requires_grad(weight), "cross_entropy_rows: weight must not require grad (it gets none)");
  const bool with_grad = should_record(logits);
  CrossEntropyRows rows = ops::cross_entropy_rows(logits, target, weight, ignore_index, label_smoothing, with_grad);
  if (!with_grad) return rows.loss;
  // NOTE: logits are saved for create_graph alone, where the gradient must be a
  // function of them (grad_logits is a constant to the graph); this keeps an
  // (N, C) tensor alive until the backward, as the composite's saved log-probs did.
  return record("cross_entropy_rows", {logits}, rows.loss,
                [grad_logits = rows.grad_logits, logits = save(logits), target, weight, ignore_index,
                 label_smoothing](const GradList& g) -> GradList {
                  const Tensor row_grad = unsqueeze(g[0], 1);  // (N, 1)
                  if (!GradMode::is_enabled()) return {ops::mul(grad_logits, row_grad)};
                  // create_graph: softmax(logits) * sum(a) - a, differentiable in logits.
                  const Tensor logits_value = logits.unpack();
                  const Tensor mass = ops::cross_entropy_target_mass(
                      ops::to_dtype(target, DType::i64), weight, logits_value.size(1), ignore_index, label_smoothing,
                      {.dtype = logits_value.dtype(), .device = logits_value.device()});
                  const Tensor grad = softmax(logits_value, 1) * ops::sum(mass, {1}, true) - mass;
                  return {grad * row_grad};
                });
}

}  // namespace mini
