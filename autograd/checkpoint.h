#pragma once
// Activation checkpointing: trade compute for memory.
//
//   y = checkpoint([&](const std::vector<Tensor>& in) { return std::vector{block(in[0])}; }, {x});
//
// The forward runs fn without recording, so none of its intermediate
// tensors stay alive; only `inputs` are kept. The backward restores the
// default generator to where the forward started (so dropout draws the same
// masks) and the forward's autocast state, re-runs fn with recording on, and
// backpropagates through that graph: gradients are bitwise identical to
// running fn directly.
//
// Parameters fn uses (captured, not passed as inputs) get their .grad
// accumulated by that inner backward, so outputs are recorded whenever grad
// mode is on, even if no input requires grad.
//
// NOTE: like PyTorch's reentrant checkpoint, the inner backward does not
// support create_graph through the checkpointed region (double backward).
#include <functional>
#include <vector>

#include "tensor/tensor.h"

namespace mini {

using CheckpointFunction = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

std::vector<Tensor> checkpoint(const CheckpointFunction& fn, const std::vector<Tensor>& inputs);
// One input, one output.
Tensor checkpoint(const std::function<Tensor(const Tensor&)>& fn, const Tensor& input);

}  // namespace mini
