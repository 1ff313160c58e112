#pragma once
// The golden cases' ops, keyed by the manifest's `op`: how to run each one on
// the case's inputs (PyTorch argument order) and `attrs`.
//
// `forward` goes through the differentiable mini:: API, so it records the
// backward for inputs that require grad: GoldenGradient (golden_test.cpp)
// calls backward(grad_out) on its "out" and compares the inputs' grads with
// the case's grad_inK outputs.
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace mini::golden {

// Named forward outputs: "out" and any extra ones ("out_running_mean", ...).
using ForwardOutputs = std::map<std::string, Tensor>;
using Forward = std::function<ForwardOutputs(const std::vector<Tensor>& inputs, const nlohmann::json& attrs)>;
// The training cases' optimizer steps, run by GoldenGradient after its
// backward: the inputs that require grad hold the gradients of the first
// step. Returns "stepN_inK" (input K after step N) and "out_stepN" (the loss
// recomputed before step N > 1).
using Steps = std::function<ForwardOutputs(const std::vector<Tensor>& inputs, const nlohmann::json& attrs)>;

struct GoldenOp {
  Forward forward;      // empty when mini-engine lacks the op
  std::string missing;  // then: what is missing, e.g. "needs nn losses"
  Steps steps{};        // only for the training cases (stepN_inK, out_stepN outputs)
};

// nullptr for an op the table does not know (a new case kind: add it).
const GoldenOp* find_golden_op(const std::string& op);

}  // namespace mini::golden
