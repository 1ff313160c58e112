#pragma once
// The metric registry (kind "metric") and building evaluators from configs.
//
//   runtime::register_metric_components();  // idempotent
//   // val_evaluator: {type: Accuracy, topk: [1, 5]}
//   // val_evaluator: [{type: Accuracy}, {type: Loss}]
//   // val_evaluator: {type: Evaluator, metrics: [{type: Accuracy}, {type: Loss}]}
//   auto evaluator = runtime::build_evaluator(cfg.at("val_evaluator"));
//
// Built-ins: Accuracy, Loss, MSE, MAE, Perplexity (see runtime/metrics/*.h).
// Users add their own with metric_registry().add(...).
#include <memory>

#include "config/registry.h"
#include "runtime/metrics/evaluator.h"
#include "runtime/metrics/metric.h"

namespace mini::runtime {

config::Registry<std::shared_ptr<Metric>>& metric_registry();
// Registers the built-in metrics (safe to call many times, from any thread).
void register_metric_components();

// A metric map, a list of them, or {type: Evaluator, metrics: <map or list>}.
// Throws config::ConfigError at the offending node.
std::unique_ptr<Evaluator> build_evaluator(const config::Node& cfg);
// The checks build_evaluator makes, without building (for config validation).
void validate_evaluator_config(const config::Node& cfg);

}  // namespace mini::runtime
