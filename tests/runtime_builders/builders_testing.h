#pragma once
// Helpers for the config-builder tests: YAML snippets to nodes, the message of
// an expected exception, and a small model with named parts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "config/load.h"
#include "nn/nn.h"
#include "runtime/models/register.h"
#include "runtime/optim/register.h"
#include "support/tensor_testing.h"
#include "tensor/ops/ops.h"

namespace mini::testing {

inline config::Node yaml(const std::string& text) { return config::parse_yaml(text, "test.yaml"); }

// The what() of the mini::Error `fn` throws; fails the test if it throws nothing.
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a mini::Error";
  return "";
}

// encoder (Linear 4->8) -> norm (LayerNorm 8) -> head (Linear 8->3): names
// encoder.weight, encoder.bias, norm.weight, norm.bias, head.weight, head.bias.
class TinyNet : public nn::Module {
 public:
  TinyNet() : Module("TinyNet") {
    encoder = register_module("encoder", std::make_shared<nn::Linear>(4, 8));
    norm = register_module("norm", std::make_shared<nn::LayerNorm>(Shape{8}));
    head = register_module("head", std::make_shared<nn::Linear>(8, 3));
  }
  Tensor forward(const Tensor& x) override { return (*head)((*norm)((*encoder)(x))); }
  std::shared_ptr<nn::Linear> encoder, head;
  std::shared_ptr<nn::LayerNorm> norm;
};

}  // namespace mini::testing
