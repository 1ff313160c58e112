// In-place ops with autograd.
//
// NOTE [in-place ops and autograd]: an in-place op always bumps the version
// counter (the tensor layer does it), which turns any later use of a saved
// copy of the old value into an error (saved_tensor.h). When grad mode is on
// and self or the other operand requires grad:
//   - self is a leaf that requires grad: error, as PyTorch (the leaf's value
//     is what the gradient is taken with respect to);
//   - self is a view made by a differentiable view op: error, not supported
//     (PyTorch rewrites the base's history; mini-engine does not);
//   - otherwise self's history is rebased: a new node whose first edge is
//     self's old history becomes self's grad_fn.
// In InferenceMode none of this runs.
#include <memory>

#include "autograd/functions/elementwise.h"
#include "autograd/functions/grad_target.h"
#include "autograd/record.h"
#include "tensor/error.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"

namespace mini {

namespace {

// True when the in-place op must be recorded; throws for the unsupported cases.
bool check_inplace(const char* op, const Tensor& self, const Tensor* other = nullptr) {
  if (!GradMode::is_enabled()) return false;
  const bool self_requires = tensor_requires_grad(self);
  const bool other_requires = other != nullptr && tensor_requires_grad(*other);
  if (!self_requires && !other_requires) return false;
  const AutogradMeta* meta = self.autograd_meta();
  MINI_CHECK(!(self_requires && meta->grad_fn == nullptr),
             "{}: a leaf tensor of shape {} that requires grad is being used in an in-place operation; use the "
             "out-of-place op, or do the update under NoGradGuard",
             op, shape_str(self.sizes()));
  MINI_CHECK(meta == nullptr || !meta->is_view,
             "{}: in-place operations on a view (shape {}) of a tensor that requires grad are not supported; clone() "
             "the view first or use the out-of-place op",
             op, shape_str(self.sizes()));
  return true;
}

// Makes self the output of a new node `name` whose inputs are self's old history and `others`.
template <typename Backward>
void rebase_history(const char* name, const Tensor& self, TensorRefs inputs, Backward&& backward) {
  auto node = detail::make_graph_object<LambdaNode<std::decay_t<Backward>>>(name, 1, std::forward<Backward>(backward));
  detail::connect_inputs(*node, inputs);
  std::shared_ptr<AutogradMeta> meta = self.impl()->autograd;
  if (!meta) {
    meta = std::make_shared<AutogradMeta>();
    self.set_autograd_meta(meta);
  }
  meta->grad_fn = std::move(node);
  meta->output_nr = 0;
  meta->requires_grad = false;
}

}  // namespace

const Tensor& add_(const Tensor& self, const Tensor& other) {
  const bool recorded = check_inplace("add_", self, &other);
  ops::add_(self, other);
  if (recorded) {
    rebase_history("add_", self, {self, other}, [to = GradTarget(other)](const GradList& g) -> GradList {
      return {g[0], to.reduce(g[0])};
    });
  }
  return self;
}

const Tensor& add_(const Tensor& self, Scalar other) {
  const bool recorded = check_inplace("add_", self);
  ops::add_(self, other);
  if (recorded) rebase_history("add_", self, {self}, [](const GradList& g) -> GradList { return {g[0]}; });
  return self;
}

const Tensor& sub_(const Tensor& self, const Tensor& other) {
  const bool recorded = check_inplace("sub_", self, &other);
  ops::sub_(self, other);
  if (recorded) {
    rebase_history("sub_", self, {self, other}, [to = GradTarget(other)](const GradList& g) -> GradList {
      return {g[0], to.needed ? to.reduce(-g[0]) : Tensor()};
    });
  }
  return self;
}

const Tensor& sub_(const Tensor& self, Scalar other) {
  const bool recorded = check_inplace("sub_", self);
  ops::sub_(self, other);
  if (recorded) rebase_history("sub_", self, {self}, [](const GradList& g) -> GradList { return {g[0]}; });
  return self;
}

const Tensor& mul_(const Tensor& self, const Tensor& other) {
  const bool recorded = check_inplace("mul_", self, &other);
  GradTarget to(other);
  // other's gradient needs self's value from before the write.
  SavedTensor old_self = recorded && to.needed ? save(alias_without_autograd(ops::clone(self))) : SavedTensor();
  ops::mul_(self, other);
  if (recorded) {
    rebase_history("mul_", self, {self, other},
                   [to, old_self, other = save(other)](const GradList& g) -> GradList {
                     return {g[0] * other.unpack(), to.needed ? to.reduce(g[0] * old_self.unpack()) : Tensor()};
                   });
  }
  return self;
}

const Tensor& mul_(const Tensor& self, Scalar other) {
  const bool recorded = check_inplace("mul_", self);
  ops::mul_(self, other);
  if (recorded) rebase_history("mul_", self, {self}, [other](const GradList& g) -> GradList { return {g[0] * other}; });
  return self;
}

const Tensor& div_(const Tensor& self, const Tensor& other) {
  const bool recorded = check_inplace("div_", self, &other);
  ops::div_(self, other);
  if (recorded) {
    // d(a / b)/db = -(a / b) / b: uses the new value of self, saved as this node's output.
    GradTarget to(other);
    rebase_history("div_", self, {self, other},
                   [to, other = save(other), result = to.needed ? save_output(self) : SavedTensor()](
                       const GradList& g) -> GradList {
                     const Tensor other_value = other.unpack();
                     return {g[0] / other_value,
                             to.needed ? to.reduce(-(g[0] * result.unpack()) / other_value) : Tensor()};
                   });
  }
  return self;
}

const Tensor& div_(const Tensor& self, Scalar other) {
  const bool recorded = check_inplace("div_", self);
  ops::div_(self, other);
  if (recorded) rebase_history("div_", self, {self}, [other](const GradList& g) -> GradList { return {g[0] / other}; });
  return self;
}

const Tensor& fill_(const Tensor& self, Scalar value) {
  const bool recorded = check_inplace("fill_", self);
  ops::copy_(self, ops::scalar_tensor(value, {.dtype = self.dtype(), .device = self.device()}));
  // The old value no longer matters: its gradient is zero (undefined).
  if (recorded) rebase_history("fill_", self, {self}, [](const GradList&) -> GradList { return {Tensor()}; });
  return self;
}

const Tensor& zero_(const Tensor& self) { return fill_(self, 0); }

const Tensor& copy_(const Tensor& self, const Tensor& source) {
  const bool recorded = check_inplace("copy_", self, &source);
  ops::copy_(self, source);
  if (recorded) {
    rebase_history("copy_", self, {self, source}, [to = GradTarget(source)](const GradList& g) -> GradList {
      return {Tensor(), to.reduce(g[0])};
    });
  }
  return self;
}

}  // namespace mini
