#pragma once
// How a differentiable op records itself (used by autograd/functions/*.cpp):
//
//   Tensor exp(const Tensor& x) {
//     Tensor y = ops::exp(x);
//     if (!should_record(x)) return y;
//     return record("exp", {x}, y, [y = save_output(y)](const GradList& g) -> GradList {
//       return {g[0] * y.unpack()};
//     });
//   }
//
// The closure receives one gradient per output (undefined = zero; record()
// callers with one output always get a defined one) and returns one per input
// in the order given, undefined where not needed. It is written with the
// differentiable mini:: functions, so create_graph and double backward work.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <type_traits>
#include <vector>

#include "autograd/autograd_meta.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/saved_tensor.h"

namespace mini {

inline bool tensor_requires_grad(const Tensor& tensor) {
  const AutogradMeta* meta = tensor.defined() ? tensor.autograd_meta() : nullptr;
  return meta != nullptr && (meta->requires_grad || meta->grad_fn != nullptr);
}

// True when grad mode is on and some input requires grad: only then is a node built.
template <typename... Tensors>
bool should_record(const Tensors&... inputs) {
  return GradMode::is_enabled() && (tensor_requires_grad(inputs) || ...);
}
inline bool should_record_list(const std::vector<Tensor>& inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor& input : inputs) {
    if (tensor_requires_grad(input)) return true;
  }
  return false;
}

using TensorRefs = std::initializer_list<std::reference_wrapper<const Tensor>>;

namespace detail {
void connect_inputs(Node& node, TensorRefs inputs);
void connect_inputs(Node& node, const std::vector<Tensor>& inputs);
// Makes `output` (output `output_nr` of `node`) a non-leaf; returns an alias
// instead when `output` is one of the inputs (ops may return their input).
Tensor set_history(Tensor output, const std::shared_ptr<Node>& node, uint32_t output_nr, bool is_view,
                   TensorRefs inputs);
Tensor set_history(Tensor output, const std::shared_ptr<Node>& node, uint32_t output_nr, bool is_view,
                   const std::vector<Tensor>& inputs);
}  // namespace detail

// One output. `is_view`: the output shares the input's storage (view ops).
template <typename Backward>
Tensor record(const char* name, TensorRefs inputs, Tensor output, Backward&& backward, bool is_view = false) {
  auto node = detail::make_graph_object<LambdaNode<std::decay_t<Backward>>>(name, 1, std::forward<Backward>(backward));
  detail::connect_inputs(*node, inputs);
  return detail::set_history(std::move(output), node, 0, is_view, inputs);
}

// A variable number of inputs (cat, stack, custom functions).
template <typename Backward>
Tensor record(const char* name, const std::vector<Tensor>& inputs, Tensor output, Backward&& backward) {
  auto node = detail::make_graph_object<LambdaNode<std::decay_t<Backward>>>(name, 1, std::forward<Backward>(backward));
  detail::connect_inputs(*node, inputs);
  return detail::set_history(std::move(output), node, 0, false, inputs);
}

// Several outputs; non-floating outputs (indices) are left without history.
template <typename Backward>
std::vector<Tensor> record_outputs(const char* name, const std::vector<Tensor>& inputs, std::vector<Tensor> outputs,
                                   Backward&& backward) {
  auto node = detail::make_graph_object<LambdaNode<std::decay_t<Backward>>>(name, static_cast<uint32_t>(outputs.size()),
                                                                   std::forward<Backward>(backward));
  detail::connect_inputs(*node, inputs);
  for (size_t i = 0; i < outputs.size(); ++i) {
    outputs[i] = detail::set_history(std::move(outputs[i]), node, static_cast<uint32_t>(i), false, inputs);
  }
  return outputs;
}

}  // namespace mini
