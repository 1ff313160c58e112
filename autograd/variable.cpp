// The autograd members of Tensor (declared in tensor/tensor.h).
#include <algorithm>
#include <atomic>

#include "autograd/autograd.h"
#include "autograd/autograd_meta.h"
#include "autograd/record.h"
#include "tensor/error.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"

namespace mini {

namespace {
std::atomic<uint64_t> next_leaf_hook_id{1};

AutogradMeta& meta_of(const Tensor& tensor) {
  if (tensor.autograd_meta() == nullptr) tensor.set_autograd_meta(std::make_shared<AutogradMeta>());
  return *tensor.autograd_meta();
}
}  // namespace

bool Tensor::requires_grad() const { return tensor_requires_grad(*this); }

const Tensor& Tensor::requires_grad_(bool requires_grad) const {
  MINI_CHECK(defined(), "requires_grad_: the tensor is undefined");
  if (!requires_grad && autograd_meta() == nullptr) return *this;
  AutogradMeta& meta = meta_of(*this);
  MINI_CHECK(meta.grad_fn == nullptr || requires_grad,
             "requires_grad_: you can only change requires_grad flags of leaf tensors; this tensor was produced by "
             "'{}' (use detach() to get a tensor without history)",
             meta.grad_fn ? meta.grad_fn->name() : "");
  MINI_CHECK(!requires_grad || is_floating(dtype()),
             "requires_grad_: only tensors of floating point dtype can require gradients, got {}", dtype());
  if (meta.grad_fn == nullptr) meta.requires_grad = requires_grad;
  return *this;
}

Tensor Tensor::grad() const {
  const AutogradMeta* meta = defined() ? autograd_meta() : nullptr;
  return meta != nullptr ? meta->grad : Tensor();
}

void Tensor::set_grad(const Tensor& grad) const {
  if (grad.defined()) {
    MINI_CHECK(grad.sizes() == sizes(), "set_grad: gradient of shape {} for a tensor of shape {}",
               shape_str(grad.sizes()), shape_str(sizes()));
  }
  meta_of(*this).grad = grad;
}

void Tensor::zero_grad(bool set_to_none) const {
  AutogradMeta* meta = autograd_meta();
  if (meta == nullptr || !meta->grad.defined()) return;
  if (set_to_none || tensor_requires_grad(meta->grad)) {
    meta->grad = Tensor();
  } else {
    ops::copy_(meta->grad, ops::zeros_like(meta->grad));
  }
}

bool Tensor::is_leaf() const {
  const AutogradMeta* meta = autograd_meta();
  return meta == nullptr || meta->grad_fn == nullptr;
}

std::shared_ptr<Node> Tensor::grad_fn() const {
  const AutogradMeta* meta = autograd_meta();
  return meta != nullptr ? meta->grad_fn : nullptr;
}

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
  mini::backward({*this}, {gradient}, retain_graph, create_graph);
}

Tensor Tensor::detach() const { return alias_without_autograd(*this); }

void Tensor::retain_grad() const {
  MINI_CHECK(requires_grad(), "retain_grad: can't retain_grad on a tensor that does not require grad");
  AutogradMeta& meta = *autograd_meta();
  if (meta.grad_fn == nullptr || meta.retains_grad) return;  // leaves keep .grad anyway
  meta.grad_fn->add_retain_grad(meta.output_nr, impl_ptr());
  meta.retains_grad = true;
}

bool Tensor::retains_grad() const {
  const AutogradMeta* meta = autograd_meta();
  return meta != nullptr && meta->retains_grad;
}

HookHandle Tensor::register_hook(std::function<Tensor(const Tensor&)> hook) const {
  MINI_CHECK(requires_grad(), "register_hook: cannot register a hook on a tensor that does not require grad");
  AutogradMeta& meta = *autograd_meta();
  if (meta.grad_fn) return meta.grad_fn->add_tensor_pre_hook(meta.output_nr, std::move(hook));
  const uint64_t id = next_leaf_hook_id++;
  meta.hooks.emplace_back(id, std::move(hook));
  return HookHandle([weak = std::weak_ptr<AutogradMeta>(impl()->autograd), id] {
    if (auto alive = weak.lock()) std::erase_if(alive->hooks, [id](const auto& entry) { return entry.first == id; });
  });
}

HookHandle Tensor::register_post_accumulate_grad_hook(std::function<void(const Tensor&)> hook) const {
  MINI_CHECK(requires_grad() && is_leaf(),
             "register_post_accumulate_grad_hook: only leaf tensors that require grad accept this hook");
  AutogradMeta& meta = *autograd_meta();
  const uint64_t id = next_leaf_hook_id++;
  meta.post_accumulate_hooks.emplace_back(id, std::move(hook));
  return HookHandle([weak = std::weak_ptr<AutogradMeta>(impl()->autograd), id] {
    if (auto alive = weak.lock()) {
      std::erase_if(alive->post_accumulate_hooks, [id](const auto& entry) { return entry.first == id; });
    }
  });
}

Tensor Tensor::sum() const { return mini::sum(*this); }
Tensor Tensor::mean() const { return mini::mean(*this); }
Tensor Tensor::matmul(const Tensor& other) const { return mini::matmul(*this, other); }
Tensor Tensor::relu() const { return mini::relu(*this); }
Tensor Tensor::exp() const { return mini::exp(*this); }
Tensor Tensor::log() const { return mini::log(*this); }
Tensor Tensor::pow(Scalar exponent) const { return mini::pow(*this, exponent); }
Tensor Tensor::reshape(const Shape& sizes) const { return mini::reshape(*this, sizes); }
Tensor Tensor::view(const Shape& sizes) const { return mini::view(*this, sizes); }
Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const { return mini::transpose(*this, dim0, dim1); }
Tensor Tensor::permute(const Shape& dims) const { return mini::permute(*this, dims); }
Tensor Tensor::t() const { return mini::t(*this); }
Tensor Tensor::to(DType dtype) const { return mini::to_dtype(*this, dtype); }
Tensor Tensor::contiguous() const { return mini::contiguous(*this); }
Tensor Tensor::clone() const { return mini::clone(*this); }

const Tensor& Tensor::add_(const Tensor& other) const { return mini::add_(*this, other); }
const Tensor& Tensor::add_(Scalar other) const { return mini::add_(*this, other); }
const Tensor& Tensor::sub_(const Tensor& other) const { return mini::sub_(*this, other); }
const Tensor& Tensor::mul_(const Tensor& other) const { return mini::mul_(*this, other); }
const Tensor& Tensor::mul_(Scalar other) const { return mini::mul_(*this, other); }
const Tensor& Tensor::div_(Scalar other) const { return mini::div_(*this, other); }
const Tensor& Tensor::zero_() const { return mini::zero_(*this); }
const Tensor& Tensor::fill_(Scalar value) const { return mini::fill_(*this, value); }
const Tensor& Tensor::copy_(const Tensor& source) const { return mini::copy_(*this, source); }

}  // namespace mini
