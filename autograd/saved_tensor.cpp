#include "autograd/saved_tensor.h"

#include "autograd/autograd_meta.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "tensor/error.h"

namespace mini {

Tensor alias_without_autograd(const Tensor& tensor) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = tensor.storage();
  impl->offset = tensor.offset();
  impl->sizes = tensor.sizes();
  impl->strides = tensor.strides();
  impl->dtype = tensor.dtype();
  return Tensor(std::move(impl));
}

SavedTensor::SavedTensor(const Tensor& tensor, bool is_output, uint32_t output_nr)
    : output_nr_(output_nr), is_output_(is_output) {
  if (!tensor.defined()) return;
  data_ = is_output ? alias_without_autograd(tensor) : tensor;
  version_ = tensor.version();
}

Tensor SavedTensor::unpack() const {
  if (!data_.defined()) return data_;
  if (data_.version() != version_) {
    const Node* node = current_node();
    const char* op = node != nullptr ? node->name() : "?";
    const std::string what = is_output_ ? fmt::format("op '{}' output {}", op, output_nr_)
                                        : fmt::format("a {} tensor saved by op '{}'", shape_str(data_.sizes()), op);
    throw Error(fmt::format(
        "one of the variables needed for gradient computation has been modified by an inplace operation: [{}] is at "
        "version {}; expected version {}. Hint: clone() the tensor before changing it in place, or change it after "
        "the backward.",
        what, data_.version(), version_));
  }
  if (!is_output_ || !GradMode::is_enabled()) return data_;
  // create_graph: reconnect the output to its node so the double backward flows through it.
  Node* node = current_node();
  MINI_ASSERT(node != nullptr, "a saved output was unpacked outside the backward of its op");
  Tensor output = alias_without_autograd(data_);
  auto meta = std::make_shared<AutogradMeta>();
  meta->grad_fn = node->shared_from_this();
  meta->output_nr = output_nr_;
  output.set_autograd_meta(std::move(meta));
  return output;
}

}  // namespace mini
