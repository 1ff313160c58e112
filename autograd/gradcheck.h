#pragma once
// gradcheck: compares the gradients autograd computes with central finite
// differences, in float64.
//
//   auto result = gradcheck([](const std::vector<Tensor>& in) { return std::vector{mini::exp(in[0])}; }, {x});
//   EXPECT_TRUE(result.ok) << result.report;
//
// Every floating input that requires grad is perturbed element by element
// (x +- eps); each output element's gradient row comes from one mini::grad
// call. An element passes when |analytic - numeric| <= atol + rtol * |numeric|.
// Inputs must be float64 and must not have overlapping elements (stride 0).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace mini {

using GradcheckFunction = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

struct GradcheckResult {
  bool ok = true;
  // The worst element: largest error relative to its tolerance.
  double max_error = 0;      // |analytic - numeric| there
  double analytic = 0, numeric = 0;
  int64_t input_index = -1, input_element = -1;    // which input and flat element
  int64_t output_index = -1, output_element = -1;  // which output and flat element
  std::string report;  // readable summary, names the worst element
};

GradcheckResult gradcheck(const GradcheckFunction& fn, const std::vector<Tensor>& inputs, double eps = 1e-6,
                          double atol = 1e-5, double rtol = 1e-3);

// Checks the gradient of the gradient: gradcheck of (inputs, v) -> grad(fn(inputs), inputs, v,
// create_graph) for a fixed random v (seeded by `seed`).
GradcheckResult gradgradcheck(const GradcheckFunction& fn, const std::vector<Tensor>& inputs, double eps = 1e-6,
                              double atol = 1e-5, double rtol = 1e-3, uint64_t seed = 0);

}  // namespace mini
