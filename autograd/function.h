#pragma once
// User-defined differentiable functions (torch.autograd.Function):
//
//   struct ScaledSquare : mini::Function<ScaledSquare> {
//     static const char* name() { return "scaled_square"; }  // optional
//     static std::vector<Tensor> forward(FunctionContext& ctx, const std::vector<Tensor>& inputs) {
//       ctx.save_for_backward({inputs[0]});
//       ctx.saved_data["scale"] = 3.0;
//       return {ops::mul(ops::square(inputs[0]), 3.0)};
//     }
//     static std::vector<Tensor> backward(FunctionContext& ctx, const std::vector<Tensor>& grads) {
//       const double scale = std::any_cast<double>(ctx.saved_data["scale"]);
//       return {grads[0] * ctx.saved()[0] * (2.0 * scale)};
//     }
//   };
//   std::vector<Tensor> y = ScaledSquare::apply({x});
//
// forward runs without recording; backward gets one gradient per output
// (zeros where none arrived) and returns one per input (undefined = none).
// backward may use differentiable mini:: ops, which makes it twice differentiable.
#include <any>
#include <string>
#include <unordered_map>
#include <vector>

#include "autograd/saved_tensor.h"
#include "tensor/tensor.h"

namespace mini {

class FunctionContext {
 public:
  // Tensors backward needs (inputs or outputs); version-checked like every saved tensor.
  void save_for_backward(std::vector<Tensor> tensors) { to_save_ = std::move(tensors); }
  std::vector<Tensor> saved() const;
  // needs_input_grad[i]: input i requires grad.
  std::vector<bool> needs_input_grad;
  // Anything else backward needs.
  std::unordered_map<std::string, std::any> saved_data;

 private:
  friend struct FunctionRunner;
  std::vector<Tensor> to_save_;
  std::vector<SavedTensor> saved_;
};

using FunctionForward = std::vector<Tensor> (*)(FunctionContext&, const std::vector<Tensor>&);
using FunctionBackward = std::vector<Tensor> (*)(FunctionContext&, const std::vector<Tensor>&);

struct FunctionRunner {
  static std::vector<Tensor> apply(const char* name, const std::vector<Tensor>& inputs, FunctionForward forward,
                                   FunctionBackward backward);
};

template <typename Derived>
struct Function {
  static std::vector<Tensor> apply(const std::vector<Tensor>& inputs) {
    const char* name = "custom_function";
    if constexpr (requires { Derived::name(); }) name = Derived::name();
    return FunctionRunner::apply(name, inputs, &Derived::forward, &Derived::backward);
  }
};

}  // namespace mini
