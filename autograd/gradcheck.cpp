#include "autograd/gradcheck.h"

#include <cmath>
#include <limits>

#include "autograd/engine.h"
#include "autograd/record.h"
#include "tensor/error.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"
#include "tensor/random.h"

namespace mini {

namespace {

std::vector<double> values_of(const Tensor& tensor) {
  const Tensor host = ops::contiguous(ops::to_dtype(tensor.detach(), DType::f64));
  const double* data = host.data<double>();
  return std::vector<double>(data, data + host.numel());
}

// Address of flat (row-major) element `flat` of a float64 tensor, following its strides.
double* element_address(const Tensor& tensor, int64_t flat) {
  int64_t offset = 0;
  for (int64_t d = tensor.dim() - 1; d >= 0; --d) {
    const int64_t size = tensor.size(d);
    offset += (flat % size) * tensor.stride(d);
    flat /= size;
  }
  return static_cast<double*>(tensor.data_ptr()) + offset;
}

void check_input(const Tensor& input, size_t index) {
  MINI_CHECK(input.dtype() == DType::f64, "gradcheck: input {} has dtype {}; gradcheck needs float64 inputs", index,
             input.dtype());
  MINI_CHECK(input.device().is_cpu(), "gradcheck: input {} is on {}; gradcheck runs on the CPU", index,
             input.device());
  for (int64_t d = 0; d < input.dim(); ++d) {
    MINI_CHECK(input.stride(d) != 0 || input.size(d) <= 1,
               "gradcheck: input {} (shape {}) has overlapping elements (stride 0 at dim {}); pass a copy", index,
               shape_str(input.sizes()), d);
  }
}

}  // namespace

GradcheckResult gradcheck(const GradcheckFunction& fn, const std::vector<Tensor>& inputs, double eps, double atol,
                          double rtol) {
  std::vector<size_t> diff_inputs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad()) continue;
    check_input(inputs[i], i);
    diff_inputs.push_back(i);
  }
  MINI_CHECK(!diff_inputs.empty(), "gradcheck: no input requires grad");

  const std::vector<Tensor> outputs = fn(inputs);
  std::vector<size_t> float_outputs;
  for (size_t o = 0; o < outputs.size(); ++o) {
    if (outputs[o].defined() && is_floating(outputs[o].dtype())) float_outputs.push_back(o);
  }

  // analytic[o][k][j][e]: d output o element k / d input diff_inputs[j] element e, one grad() per (o, k).
  std::vector<Tensor> wrt;
  for (size_t i : diff_inputs) wrt.push_back(inputs[i]);
  std::vector<std::vector<std::vector<std::vector<double>>>> analytic(outputs.size());
  for (size_t o : float_outputs) {
    const Tensor& output = outputs[o];
    analytic[o].resize(static_cast<size_t>(output.numel()));
    for (int64_t k = 0; k < output.numel(); ++k) {
      auto& row = analytic[o][static_cast<size_t>(k)];
      if (!output.requires_grad()) {
        for (size_t i : diff_inputs) row.emplace_back(static_cast<size_t>(inputs[i].numel()), 0.0);
        continue;
      }
      Tensor unit = ops::zeros(output.sizes(), {.dtype = DType::f64});
      *element_address(unit, k) = 1.0;
      unit = ops::to_dtype(unit, output.dtype());
      const std::vector<Tensor> grads = grad({output}, wrt, {unit}, /*retain_graph=*/true, false, /*allow_unused=*/true);
      for (size_t j = 0; j < diff_inputs.size(); ++j) {
        row.push_back(grads[j].defined() ? values_of(grads[j])
                                         : std::vector<double>(static_cast<size_t>(wrt[j].numel()), 0.0));
      }
    }
  }

  GradcheckResult result;
  double worst_ratio = -1;
  int64_t failures = 0, compared = 0;
  for (size_t j = 0; j < diff_inputs.size(); ++j) {
    const Tensor& input = inputs[diff_inputs[j]];
    for (int64_t e = 0; e < input.numel(); ++e) {
      double* address = element_address(input, e);
      const double original = *address;
      // Read the outputs before the next write: an output may alias an input.
      auto evaluate_at = [&](double value) {
        *address = value;
        const std::vector<Tensor> outs = fn(inputs);
        std::vector<std::vector<double>> values(outs.size());
        for (size_t o : float_outputs) values[o] = values_of(outs[o]);
        return values;
      };
      const std::vector<std::vector<double>> plus = evaluate_at(original + eps);
      const std::vector<std::vector<double>> minus = evaluate_at(original - eps);
      *address = original;
      for (size_t o : float_outputs) {
        const std::vector<double>& high = plus[o];
        const std::vector<double>& low = minus[o];
        for (size_t k = 0; k < high.size(); ++k) {
          const double numeric = (high[k] - low[k]) / (2 * eps);
          const double exact = analytic[o][k][j][static_cast<size_t>(e)];
          const double error = std::abs(exact - numeric);
          const double tolerance = atol + rtol * std::abs(numeric);
          const bool ok = error <= tolerance;  // NaN fails
          ++compared;
          if (!ok) ++failures;
          const double ratio = ok ? error / tolerance : std::numeric_limits<double>::infinity();
          if (ratio > worst_ratio || (!ok && result.ok)) {
            worst_ratio = ratio;
            result.max_error = error;
            result.analytic = exact;
            result.numeric = numeric;
            result.input_index = static_cast<int64_t>(diff_inputs[j]);
            result.input_element = e;
            result.output_index = static_cast<int64_t>(o);
            result.output_element = static_cast<int64_t>(k);
          }
          result.ok = result.ok && ok;
        }
      }
    }
  }
  const std::string where =
      fmt::format("d output {} [element {}] / d input {} [element {}]: analytic {:.10g}, numeric {:.10g}, |diff| {:.3g}",
                  result.output_index, result.output_element, result.input_index, result.input_element,
                  result.analytic, result.numeric, result.max_error);
  result.report = result.ok ? fmt::format("gradcheck passed: {} Jacobian entries; worst {}", compared, where)
                            : fmt::format("gradcheck failed: {} of {} Jacobian entries out of tolerance (atol {}, rtol "
                                          "{}, eps {}); worst {}",
                                          failures, compared, atol, rtol, eps, where);
  return result;
}

GradcheckResult gradgradcheck(const GradcheckFunction& fn, const std::vector<Tensor>& inputs, double eps, double atol,
                              double rtol, uint64_t seed) {
  std::vector<size_t> diff_inputs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].defined() && inputs[i].requires_grad()) diff_inputs.push_back(i);
  }
  MINI_CHECK(!diff_inputs.empty(), "gradgradcheck: no input requires grad");
  const std::vector<Tensor> outputs = fn(inputs);
  std::vector<size_t> diff_outputs;
  Generator generator(seed);
  std::vector<Tensor> all = inputs;
  for (size_t o = 0; o < outputs.size(); ++o) {
    if (!outputs[o].defined() || !outputs[o].requires_grad()) continue;
    diff_outputs.push_back(o);
    all.push_back(ops::randn(outputs[o].sizes(), {.dtype = DType::f64}, &generator).requires_grad_());
  }
  MINI_CHECK(!diff_outputs.empty(), "gradgradcheck: no output requires grad");
  const size_t input_count = inputs.size();
  // (inputs, v) -> v^T d fn / d inputs, built with create_graph so it is differentiable.
  auto first_order = [&fn, input_count, diff_inputs, diff_outputs](const std::vector<Tensor>& args) {
    const std::vector<Tensor> fn_inputs(args.begin(), args.begin() + static_cast<int64_t>(input_count));
    const std::vector<Tensor> outs = fn(fn_inputs);
    std::vector<Tensor> roots, wrt;
    for (size_t o : diff_outputs) roots.push_back(outs[o]);
    for (size_t i : diff_inputs) wrt.push_back(fn_inputs[i]);
    const std::vector<Tensor> vs(args.begin() + static_cast<int64_t>(input_count), args.end());
    std::vector<Tensor> grads = grad(roots, wrt, vs, /*retain_graph=*/true, /*create_graph=*/true, true);
    for (size_t j = 0; j < grads.size(); ++j) {
      if (!grads[j].defined()) grads[j] = ops::zeros_like(wrt[j]);
    }
    return grads;
  };
  return gradcheck(first_order, all, eps, atol, rtol);
}

}  // namespace mini
