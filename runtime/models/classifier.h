#pragma once
// Classifier: backbone + loss.
//   batch "input" (N, ...) -> backbone -> "logits" (N, C)
//   batch "label" (N,) int64 -> "loss" = loss(logits, label)   (0-d)
// The loss is computed whenever the batch has "label" (eval mode too, so the
// val loop can log it); training without a label is an error.
//
//   auto model = std::make_shared<runtime::Classifier>(backbone, std::make_shared<nn::CrossEntropyLoss>());
//   runtime::Outputs out = model->forward_batch({{"input", x}, {"label", y}});
//   out.at("loss").backward();
//
// Labels outside [0, C) (other than the loss's ignore_index) fail with the
// bad value and C before the loss runs.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "nn/losses.h"
#include "runtime/model/model.h"

namespace mini::runtime {

class Classifier : public Model {
 public:
  // Registers `backbone` as child "backbone" and `loss` as child "loss" (a
  // loss with class weights keeps them as a buffer, so they checkpoint).
  Classifier(nn::ModulePtr backbone, std::shared_ptr<nn::Loss> loss, int64_t ignore_index = -100);
  Outputs forward_batch(const Batch& batch) override;
  // The backbone's class count when it is a runtime::Backbone, else -1.
  int64_t num_classes() const override;

  const nn::ModulePtr& backbone() const { return backbone_; }
  const std::shared_ptr<nn::Loss>& loss() const { return loss_; }

 private:
  nn::ModulePtr backbone_;
  std::shared_ptr<nn::Loss> loss_;
  int64_t ignore_index_;
};

// A batch field by name; a missing one names the fields the batch has.
const Tensor& batch_field(const Batch& batch, const std::string& name, std::string_view model);

}  // namespace mini::runtime
