#include "autograd/accumulate_grad.h"


#include "autograd/autograd_meta.h"
#include "autograd/functions/elementwise.h"
#include "autograd/grad_mode.h"
#include "autograd/record.h"
#include "tensor/error.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/elementwise.h"

namespace mini {

AccumulateGrad::AccumulateGrad(Tensor leaf) : Node("accumulate_grad", 1), leaf_(std::move(leaf)) { run_first(); }

void AccumulateGrad::run_pre_hooks(GradList& grad_outputs) {
  Node::run_pre_hooks(grad_outputs);
  const AutogradMeta* meta = leaf_.autograd_meta();
  if (meta == nullptr || !grad_outputs[0].defined()) return;
  // Copy: a hook may register or remove hooks while running.
  const auto hooks = meta->hooks;
  for (const auto& [id, hook] : hooks) {
    Tensor replaced = hook(grad_outputs[0]);
    if (replaced.defined()) grad_outputs[0] = std::move(replaced);
  }
}

GradList AccumulateGrad::apply(GradList&& grad_outputs) {
  Tensor& grad = grad_outputs[0];
  if (!grad.defined()) return {};
  MINI_ASSERT(grad.sizes() == leaf_.sizes(), "accumulate_grad: gradient of shape {} for a leaf of shape {}",
              shape_str(grad.sizes()), shape_str(leaf_.sizes()));
  accumulate_into_grad(leaf_, std::move(grad));
  AutogradMeta* meta = leaf_.autograd_meta();
  if (meta != nullptr && !meta->post_accumulate_hooks.empty()) {
    const auto hooks = meta->post_accumulate_hooks;
    for (const auto& [id, hook] : hooks) hook(leaf_);
  }
  return {};
}

namespace {
// The incoming gradient can become .grad without a copy only if nothing else
// refers to it: `add` passes one gradient to both inputs, and `sum` hands out
// a stride-0 expansion that a later in-place += must not write through.
bool can_steal(const Tensor& grad) {
  return grad.impl_ptr().use_count() == 1 && grad.storage().use_count() == 1 && grad.is_contiguous() &&
         grad.autograd_meta() == nullptr;
}
}  // namespace

void accumulate_into_grad(const Tensor& tensor, Tensor grad) {
  AutogradMeta* meta = tensor.autograd_meta();
  MINI_ASSERT(meta != nullptr, "accumulate_into_grad on a tensor without autograd state");
  Tensor incoming = grad.dtype() == tensor.dtype() ? std::move(grad) : ops::to_dtype(grad, tensor.dtype());
  if (GradMode::is_enabled()) {
    // create_graph: .grad keeps its history so it can be differentiated again.
    meta->grad = meta->grad.defined() ? mini::add(meta->grad, incoming) : incoming;
    return;
  }
  if (!meta->grad.defined()) {
    meta->grad = can_steal(incoming) ? incoming : ops::clone(incoming);
  } else if (tensor_requires_grad(meta->grad)) {
    meta->grad = ops::add(meta->grad, incoming);
  } else {
    ops::add_(meta->grad, incoming);
  }
}

}  // namespace mini
