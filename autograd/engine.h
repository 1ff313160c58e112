#pragma once
// The backward engine: runs the recorded graph from some outputs back to the
// leaves (backward) or to given inputs (grad).
//
// It is iterative (an explicit stack and a ready queue), so graphs of any
// depth work. A node runs once all gradients for it have arrived
// (dependency counting); gradients for one tensor are summed in the node's
// input buffer; among ready nodes the most recently recorded runs first.
// Without retain_graph each node frees its saved tensors and edges as soon as
// it has run.
//
// NOTE: one backward at a time per graph: two threads must not backward
// through a shared part of a graph concurrently (nested backward on the same
// thread, as checkpoint does, is fine).
#include <optional>
#include <vector>

#include "tensor/tensor.h"

namespace mini {

// Accumulates d(outputs)/d(leaf) . grad_outputs into leaf.grad for every leaf
// reached. An undefined grad_outputs entry (or an empty list) means ones for a
// one-element output.
void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs = {},
              bool retain_graph = false, bool create_graph = false);

// The gradients of `outputs` w.r.t. `inputs`, without touching any .grad.
// retain_graph defaults to create_graph. An input the outputs do not depend on
// is an error unless allow_unused (then its gradient is undefined).
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, std::optional<bool> retain_graph = std::nullopt,
                         bool create_graph = false, bool allow_unused = false);

}  // namespace mini
