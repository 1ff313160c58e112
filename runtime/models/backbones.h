#pragma once
// Classification backbones: networks from an input batch to logits (N, C).
//
//   auto mlp = std::make_shared<runtime::MLP>(runtime::MLPOptions{.in_features = 784, .hidden = {128},
//                                                                  .num_classes = 10});
//   Tensor logits = (*mlp)(images);   // images (N, 1, 28, 28) -> (N, 10)
//
// Layers keep PyTorch's default initialisation (nn layers already do).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nn/layers/container.h"
#include "nn/module.h"

namespace mini::runtime {

// A backbone that knows its number of output classes, so a Classifier can
// report num_classes() (checked against the dataset's labels before training).
class Backbone : public nn::Module {
 public:
  using nn::Module::Module;
  virtual int64_t num_classes() const = 0;
};

struct MLPOptions {
  int64_t in_features = 0;
  std::vector<int64_t> hidden;  // widths of the hidden layers (none: a linear model)
  int64_t num_classes = 0;
  std::string activation = "relu";  // relu, gelu or tanh
  double dropout = 0.0;             // after each hidden activation
};

// x (N, ...) flattened to (N, in_features) -> Linear -> act [-> Dropout] ... -> Linear -> (N, num_classes).
// Parameters: layers.<i>.weight / .bias.
class MLP : public Backbone {
 public:
  explicit MLP(const MLPOptions& options);
  Tensor forward(const Tensor& x) override;
  int64_t num_classes() const override { return options_.num_classes; }
  std::string extra_repr() const override;

  std::shared_ptr<nn::Sequential> layers;

 private:
  MLPOptions options_;
};

// LeNet-5 for 28x28 images (x (N, C, 28, 28), or (N, 28, 28) when in_channels is 1):
//   features:   conv 6@5x5 pad 2 -> relu -> maxpool 2 -> conv 16@5x5 -> relu -> maxpool 2   (N, 16, 5, 5)
//   classifier: fc 400->120 -> relu -> fc 120->84 -> relu -> fc 84->num_classes
class LeNet : public Backbone {
 public:
  explicit LeNet(int64_t in_channels = 1, int64_t num_classes = 10);
  Tensor forward(const Tensor& x) override;
  int64_t num_classes() const override { return num_classes_; }
  std::string extra_repr() const override;

  std::shared_ptr<nn::Sequential> features, classifier;

 private:
  int64_t in_channels_, num_classes_;
};

}  // namespace mini::runtime
