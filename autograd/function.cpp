#include "autograd/function.h"

#include <memory>

#include "autograd/grad_mode.h"
#include "autograd/record.h"
#include "tensor/error.h"
#include "tensor/ops/factory.h"

namespace mini {

std::vector<Tensor> FunctionContext::saved() const {
  std::vector<Tensor> tensors;
  tensors.reserve(saved_.size());
  for (const SavedTensor& saved : saved_) tensors.push_back(saved.unpack());
  return tensors;
}

std::vector<Tensor> FunctionRunner::apply(const char* name, const std::vector<Tensor>& inputs, FunctionForward forward,
                                          FunctionBackward backward) {
  auto ctx = std::make_shared<FunctionContext>();
  for (const Tensor& input : inputs) ctx->needs_input_grad.push_back(tensor_requires_grad(input));
  std::vector<Tensor> outputs;
  {
    NoGradGuard no_grad;
    outputs = forward(*ctx, inputs);
  }
  if (!should_record_list(inputs)) return outputs;

  // Saved outputs become aliases (NOTE [saving outputs] in saved_tensor.h).
  for (const Tensor& tensor : ctx->to_save_) {
    uint32_t output_nr = 0;
    while (output_nr < outputs.size() && !outputs[output_nr].is_same(tensor)) ++output_nr;
    const bool is_output = output_nr < outputs.size();
    ctx->saved_.emplace_back(tensor, is_output, is_output ? output_nr : 0);
  }
  ctx->to_save_.clear();

  struct Geometry {
    Shape sizes;
    DType dtype;
  };
  std::vector<Geometry> output_geometry, input_geometry;
  for (const Tensor& output : outputs) output_geometry.push_back({output.sizes(), output.dtype()});
  for (const Tensor& input : inputs) input_geometry.push_back({input.defined() ? input.sizes() : Shape(), input.dtype()});

  return record_outputs(
      name, inputs, std::move(outputs),
      [ctx, backward, name, output_geometry, input_geometry](const GradList& grads) -> GradList {
        GradList complete = grads;
        for (size_t i = 0; i < complete.size(); ++i) {
          if (!complete[i].defined()) {
            complete[i] = ops::zeros(output_geometry[i].sizes, {.dtype = output_geometry[i].dtype});
          }
        }
        GradList result = backward(*ctx, complete);
        MINI_CHECK(result.size() == input_geometry.size(), "{}: backward returned {} gradients for {} inputs", name,
                   result.size(), input_geometry.size());
        for (size_t i = 0; i < result.size(); ++i) {
          if (!ctx->needs_input_grad[i]) {
            result[i] = Tensor();
            continue;
          }
          MINI_CHECK(!result[i].defined() || result[i].sizes() == input_geometry[i].sizes,
                     "{}: backward returned a gradient of shape {} for input {} of shape {}", name,
                     shape_str(result[i].sizes()), i, shape_str(input_geometry[i].sizes));
        }
        return result;
      });
}

}  // namespace mini
