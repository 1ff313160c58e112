#pragma once
// The registries of config-buildable models and their parts:
//   "model"    -> std::shared_ptr<runtime::Model>  (Classifier, LanguageModel)
//   "backbone" -> nn::ModulePtr                     (MLP, LeNet, GPT)
//   "loss"     -> std::shared_ptr<nn::Loss>         (CrossEntropyLoss, MSELoss, L1Loss, SmoothL1Loss,
//   BCEWithLogitsLoss)
//
//   runtime::register_model_components();   // once, before building (idempotent)
//   config::Node cfg = config::parse_yaml(R"(
//     type: Classifier
//     backbone: {type: MLP, in_features: 784, hidden: [128], num_classes: 10}
//     loss: {type: CrossEntropyLoss, label_smoothing: 0.1}
//   )");
//   std::shared_ptr<runtime::Model> model = runtime::model_registry().build(cfg);
//
// Registration is an explicit call (not static initialisers, which a static
// link drops); users add their own types with registry().add(...).
#include <memory>

#include "config/registry.h"
#include "nn/losses.h"
#include "nn/module.h"
#include "runtime/model/model.h"

namespace mini::runtime {

config::Registry<std::shared_ptr<Model>>& model_registry();
config::Registry<nn::ModulePtr>& backbone_registry();
config::Registry<std::shared_ptr<nn::Loss>>& loss_registry();

// Registers the built-in models, backbones and losses (safe to call many times).
void register_model_components();

}  // namespace mini::runtime
