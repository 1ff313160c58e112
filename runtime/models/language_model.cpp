#include "runtime/models/language_model.h"

#include <utility>

#include "autograd/autograd.h"
#include "runtime/models/class_targets.h"
#include "runtime/models/classifier.h"
#include "tensor/error.h"

namespace mini::runtime {

LanguageModel::LanguageModel(nn::ModulePtr backbone, std::shared_ptr<nn::Loss> loss, int64_t ignore_index)
    : Model("LanguageModel"), backbone_(std::move(backbone)), loss_(std::move(loss)), ignore_index_(ignore_index) {
  MINI_CHECK(backbone_ != nullptr && loss_ != nullptr, "LanguageModel: needs a backbone and a loss");
  register_module("backbone", backbone_);
  register_module("loss", loss_);
}

Outputs LanguageModel::forward_batch(const Batch& batch) {
  const Tensor logits = (*backbone_)(batch_field(batch, "input", "LanguageModel"));  // (N, T, V)
  MINI_CHECK(logits.dim() == 3, "LanguageModel: the backbone must return logits (N, T, V), got {}",
             shape_str(logits.sizes()));
  Outputs outputs{{"logits", logits}};
  auto target = batch.find("target");
  if (target == batch.end()) {
    MINI_CHECK(!is_training(), "LanguageModel: training needs a 'target' field in the batch to compute the loss");
    return outputs;
  }
  const int64_t batch_size = logits.size(0), length = logits.size(1), vocab = logits.size(2);
  MINI_CHECK(target->second.sizes() == Shape({batch_size, length}),
             "LanguageModel: target {} must match the input tokens ({}, {})", shape_str(target->second.sizes()),
             batch_size, length);
  check_class_targets("LanguageModel", "target", target->second, vocab, ignore_index_);
  // Every position is one classification over the vocabulary.
  outputs["loss"] = (*loss_)(mini::reshape(logits, {batch_size * length, vocab}),
                             mini::reshape(target->second, {batch_size * length}));
  return outputs;
}

}  // namespace mini::runtime
