#pragma once
// AutogradMeta: the autograd state of one tensor, kept in TensorImpl's
// `autograd` slot. Tensors that never took part in autograd have none.
//
// NOTE [leaves and non-leaves]: a leaf is a tensor the user created; when it
// requires grad, gradients are accumulated into `grad` by its AccumulateGrad
// node, which the leaf holds weakly (the graph holds it strongly, so it lives
// exactly as long as some graph can reach the leaf). A non-leaf was produced
// by a recorded op: `grad_fn` is that op's node and `output_nr` says which of
// its outputs this tensor is.
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "autograd/node.h"
#include "tensor/tensor.h"

namespace mini {

struct AutogradMeta {
  AutogradMeta() = default;
  // Defers grad_fn's destruction (NOTE [deferred destruction] in node.h).
  ~AutogradMeta();
  AutogradMeta(const AutogradMeta&) = delete;
  AutogradMeta& operator=(const AutogradMeta&) = delete;

  std::shared_ptr<Node> grad_fn;
  std::weak_ptr<Node> grad_accumulator;
  Tensor grad;
  uint32_t output_nr = 0;
  bool requires_grad = false;  // leaves only; non-leaves require grad through grad_fn
  bool is_view = false;        // made by a differentiable view op from a tensor requiring grad
  bool retains_grad = false;
  // Leaf hooks (non-leaf hooks live on grad_fn).
  std::vector<std::pair<uint64_t, TensorHook>> hooks;
  std::vector<std::pair<uint64_t, std::function<void(const Tensor&)>>> post_accumulate_hooks;
};

// The edge a gradient for `tensor` must flow into: (grad_fn, output_nr) for a
// non-leaf, the AccumulateGrad node for a leaf requiring grad, else empty.
Edge gradient_edge(const Tensor& tensor);
// The leaf's AccumulateGrad node, created on first use.
std::shared_ptr<Node> grad_accumulator(const Tensor& leaf);
// tensor.grad += grad (creates .grad on first use). Differentiable when grad
// mode is on (create_graph); otherwise in place on a .grad we own.
void accumulate_into_grad(const Tensor& tensor, Tensor grad);

}  // namespace mini
