#pragma once
// The golden cases' ops, keyed by the manifest's `op`: how to run each one on
// the case's inputs (PyTorch argument order) and `attrs`.
//
// Extension point for gradients: once autograd exists, make the inputs
// require grad (InputSpec::requires_grad), run `forward` through the
// differentiable mini:: API instead of mini::ops, call backward(grad_out) on
// the "out" result and compare each input's grad with the case's grad_inK
// outputs through expect_matches_reference (see GoldenGradient in
// golden_test.cpp).
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

struct GoldenOp {
  Forward forward;      // empty when mini-engine lacks the op
  std::string missing;  // then: what is missing, e.g. "needs nn losses"
};

// nullptr for an op the table does not know (a new case kind: add it).
const GoldenOp* find_golden_op(const std::string& op);

}  // namespace mini::golden
