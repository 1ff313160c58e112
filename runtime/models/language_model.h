#pragma once
// LanguageModel: a next-token predictor around a GPT-like backbone.
//   batch "input" (N, T) int64 -> backbone -> "logits" (N, T, V)
//   batch "target" (N, T) int64 -> "loss" = loss(logits as (N*T, V), target as (N*T))
// As the Classifier, the loss is computed whenever "target" is present, and
// targets outside [0, V) (other than ignore_index) fail with the bad value.
//
//   auto lm = std::make_shared<runtime::LanguageModel>(std::make_shared<nn::GPT>(nn::GPTConfig{}),
//                                                      std::make_shared<nn::CrossEntropyLoss>());
#include <cstdint>
#include <memory>

#include "nn/losses.h"
#include "runtime/model/model.h"

namespace mini::runtime {

class LanguageModel : public Model {
 public:
  LanguageModel(nn::ModulePtr backbone, std::shared_ptr<nn::Loss> loss, int64_t ignore_index = -100);
  Outputs forward_batch(const Batch& batch) override;
  // num_classes() stays -1: there is no "label" field (targets are checked against the vocabulary per batch).

  const nn::ModulePtr& backbone() const { return backbone_; }

 private:
  nn::ModulePtr backbone_;
  std::shared_ptr<nn::Loss> loss_;
  int64_t ignore_index_;
};

}  // namespace mini::runtime
