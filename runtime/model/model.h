#pragma once
// The model contract of the runtime: a registered model is an nn::Module that
// takes a batch of named tensors and returns named outputs. In training mode
// the outputs include "loss" (a 0-d tensor to backpropagate); in eval mode
// they include whatever the metrics read ("logits", and "loss" when the batch
// carries targets).
//
//   class Classifier : public runtime::Model {
//     Outputs forward_batch(const Batch& batch) override {
//       Tensor logits = (*backbone_)(batch.at("input"));
//       return {{"logits", logits}, {"loss", (*loss_)(logits, batch.at("label"))}};
//     }
//   };
#include <string>

#include "nn/module.h"
#include "runtime/batch.h"

namespace mini::runtime {

class Model : public nn::Module {
 public:
  using nn::Module::Module;
  virtual Outputs forward_batch(const Batch& batch) = 0;
  // The number of classes a "label" field may index (checked against the
  // dataset before training), or -1 when the model does not classify.
  virtual int64_t num_classes() const { return -1; }
};

}  // namespace mini::runtime
