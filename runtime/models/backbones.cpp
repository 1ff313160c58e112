#include "runtime/models/backbones.h"

#include "autograd/autograd.h"
#include "nn/layers/activation.h"
#include "nn/layers/conv.h"
#include "nn/layers/dropout.h"
#include "nn/layers/linear.h"
#include "nn/layers/pooling.h"
#include "nn/layers/reshape.h"
#include "tensor/error.h"

namespace mini::runtime {

namespace {

nn::ModulePtr make_activation(const std::string& name) {
  if (name == "relu") return std::make_shared<nn::ReLU>();
  if (name == "gelu") return std::make_shared<nn::GELU>();
  if (name == "tanh") return std::make_shared<nn::Tanh>();
  throw ValueError(fmt::format("MLP: unknown activation '{}' (expected relu, gelu or tanh)", name));
}

}  // namespace

MLP::MLP(const MLPOptions& options) : Backbone("MLP"), options_(options) {
  MINI_CHECK(options.in_features > 0 && options.num_classes > 0,
             "MLP: in_features ({}) and num_classes ({}) must be positive", options.in_features, options.num_classes);
  MINI_CHECK(options.dropout >= 0 && options.dropout < 1, "MLP: dropout {} must be in [0, 1)", options.dropout);
  layers = register_module("layers", std::make_shared<nn::Sequential>());
  int64_t width = options.in_features;
  for (int64_t hidden : options.hidden) {
    MINI_CHECK(hidden > 0, "MLP: hidden widths [{}] must be positive", fmt::join(options.hidden, ", "));
    layers->push_back(std::make_shared<nn::Linear>(width, hidden));
    layers->push_back(make_activation(options.activation));
    if (options.dropout > 0) layers->push_back(std::make_shared<nn::Dropout>(options.dropout));
    width = hidden;
  }
  layers->push_back(std::make_shared<nn::Linear>(width, options.num_classes));
}

Tensor MLP::forward(const Tensor& x) {
  // x: (N, ...) -> (N, F); F must be in_features.
  MINI_CHECK(x.dim() >= 1, "MLP: expected a batch (N, ...), got a 0-d tensor");
  const int64_t batch = x.size(0);
  const int64_t features = batch == 0 ? options_.in_features : x.numel() / batch;
  MINI_CHECK(features == options_.in_features, "MLP: input {} has {} features per sample, but in_features is {}",
             shape_str(x.sizes()), features, options_.in_features);
  return (*layers)(mini::reshape(x, {batch, features}));
}

std::string MLP::extra_repr() const {
  return fmt::format("in_features={}, hidden=[{}], num_classes={}, activation={}, dropout={}", options_.in_features,
                     fmt::join(options_.hidden, ", "), options_.num_classes, options_.activation, options_.dropout);
}

LeNet::LeNet(int64_t in_channels, int64_t num_classes)
    : Backbone("LeNet"), in_channels_(in_channels), num_classes_(num_classes) {
  MINI_CHECK(in_channels > 0 && num_classes > 0, "LeNet: in_channels ({}) and num_classes ({}) must be positive",
             in_channels, num_classes);
  features = register_module(
      "features",
      std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
          std::make_shared<nn::Conv2d>(in_channels, 6, std::pair<int64_t, int64_t>{5, 5},
                                       nn::Conv2dOptions{.padding = {2, 2}}),
          std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(ops::Pool2dOptions{.kernel = {2, 2}}),
          std::make_shared<nn::Conv2d>(6, 16, std::pair<int64_t, int64_t>{5, 5}), std::make_shared<nn::ReLU>(),
          std::make_shared<nn::MaxPool2d>(ops::Pool2dOptions{.kernel = {2, 2}})}));
  classifier =
      register_module("classifier", std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
                                        std::make_shared<nn::Linear>(16 * 5 * 5, 120), std::make_shared<nn::ReLU>(),
                                        std::make_shared<nn::Linear>(120, 84), std::make_shared<nn::ReLU>(),
                                        std::make_shared<nn::Linear>(84, num_classes)}));
}

Tensor LeNet::forward(const Tensor& x) {
  // Grayscale datasets may hand over (N, 28, 28); give them their channel dim.
  const Tensor images = (x.dim() == 3 && in_channels_ == 1) ? mini::unsqueeze(x, 1) : x;
  MINI_CHECK(images.dim() == 4 && images.size(1) == in_channels_ && images.size(2) == 28 && images.size(3) == 28,
             "LeNet: expected images (N, {}, 28, 28), got {}", in_channels_, shape_str(x.sizes()));
  const Tensor feature_map = (*features)(images);  // (N, 16, 5, 5)
  return (*classifier)(mini::flatten(feature_map, 1));
}

std::string LeNet::extra_repr() const {
  return fmt::format("in_channels={}, num_classes={}", in_channels_, num_classes_);
}

}  // namespace mini::runtime
