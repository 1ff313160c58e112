#include "autograd/record.h"

#include "autograd/accumulate_grad.h"
#include "tensor/error.h"

namespace mini {

namespace detail {

void connect_inputs(Node& node, TensorRefs inputs) {
  EdgeList& edges = node.mutable_next_edges();
  edges.reserve(inputs.size());
  for (const Tensor& input : inputs) edges.push_back(gradient_edge(input));
}

void connect_inputs(Node& node, const std::vector<Tensor>& inputs) {
  EdgeList& edges = node.mutable_next_edges();
  edges.reserve(inputs.size());
  for (const Tensor& input : inputs) edges.push_back(gradient_edge(input));
}

namespace {
template <typename Inputs>
Tensor set_history_impl(Tensor output, const std::shared_ptr<Node>& node, uint32_t output_nr, bool is_view,
                        const Inputs& inputs) {
  if (!output.defined() || !is_floating(output.dtype())) return output;
  bool aliased = output.autograd_meta() != nullptr;
  for (const Tensor& input : inputs) aliased = aliased || output.is_same(input);
  if (aliased) output = alias_without_autograd(output);
  auto meta = detail::make_graph_object<AutogradMeta>();
  meta->grad_fn = node;
  meta->output_nr = output_nr;
  meta->is_view = is_view;
  output.set_autograd_meta(std::move(meta));
  return output;
}
}  // namespace

Tensor set_history(Tensor output, const std::shared_ptr<Node>& node, uint32_t output_nr, bool is_view,
                   TensorRefs inputs) {
  return set_history_impl(std::move(output), node, output_nr, is_view, inputs);
}
Tensor set_history(Tensor output, const std::shared_ptr<Node>& node, uint32_t output_nr, bool is_view,
                   const std::vector<Tensor>& inputs) {
  return set_history_impl(std::move(output), node, output_nr, is_view, inputs);
}

}  // namespace detail

std::shared_ptr<Node> grad_accumulator(const Tensor& leaf) {
  AutogradMeta* meta = leaf.autograd_meta();
  MINI_ASSERT(meta != nullptr && meta->requires_grad && meta->grad_fn == nullptr,
              "grad_accumulator of a tensor that is not a leaf requiring grad");
  std::shared_ptr<Node> accumulator = meta->grad_accumulator.lock();
  if (!accumulator) {
    accumulator = std::make_shared<AccumulateGrad>(leaf);
    meta->grad_accumulator = accumulator;
  }
  return accumulator;
}

Edge gradient_edge(const Tensor& tensor) {
  const AutogradMeta* meta = tensor.defined() ? tensor.autograd_meta() : nullptr;
  if (meta == nullptr) return {};
  if (meta->grad_fn) return {meta->grad_fn, meta->output_nr};
  if (meta->requires_grad) return {grad_accumulator(tensor), 0};
  return {};
}

}  // namespace mini
