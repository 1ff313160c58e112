#include "runtime/models/classifier.h"

#include <utility>

#include "runtime/models/backbones.h"
#include "runtime/models/class_targets.h"
#include "tensor/error.h"

namespace mini::runtime {

const Tensor& batch_field(const Batch& batch, const std::string& name, std::string_view model) {
  auto it = batch.find(name);
  if (it == batch.end()) {
    std::vector<std::string> fields;
    for (const auto& [field, tensor] : batch) fields.push_back(field);
    throw ValueError(fmt::format("{}: the batch has no '{}' field (it has: {})", model, name,
                                 fields.empty() ? std::string("none") : fmt::format("{}", fmt::join(fields, ", "))));
  }
  return it->second;
}

Classifier::Classifier(nn::ModulePtr backbone, std::shared_ptr<nn::Loss> loss, int64_t ignore_index)
    : Model("Classifier"), backbone_(std::move(backbone)), loss_(std::move(loss)), ignore_index_(ignore_index) {
  MINI_CHECK(backbone_ != nullptr && loss_ != nullptr, "Classifier: needs a backbone and a loss");
  register_module("backbone", backbone_);
  register_module("loss", loss_);
}

Outputs Classifier::forward_batch(const Batch& batch) {
  const Tensor logits = (*backbone_)(batch_field(batch, "input", "Classifier"));  // (N, C)
  Outputs outputs{{"logits", logits}};
  auto label = batch.find("label");
  if (label == batch.end()) {
    MINI_CHECK(!is_training(), "Classifier: training needs a 'label' field in the batch to compute the loss");
    return outputs;
  }
  if (logits.dim() >= 2) check_class_targets("Classifier", "label", label->second, logits.size(1), ignore_index_);
  outputs["loss"] = (*loss_)(logits, label->second);
  return outputs;
}

int64_t Classifier::num_classes() const {
  const auto* backbone = dynamic_cast<const Backbone*>(backbone_.get());
  return backbone != nullptr ? backbone->num_classes() : -1;
}

}  // namespace mini::runtime
