// The built-in metrics with the arguments `mini-engine list` prints. Names
// and arguments follow MMEngine / MMPretrain where they have a counterpart.
#include "runtime/metrics/register.h"

#include <mutex>

#include "runtime/metrics/accuracy.h"
#include "runtime/metrics/loss_metric.h"
#include "runtime/metrics/perplexity.h"
#include "runtime/metrics/regression.h"

namespace mini::runtime {

using config::Args;
using config::ArgSpec;
using config::ArgType;
using config::Node;

config::Registry<std::shared_ptr<Metric>>& metric_registry() {
  static config::Registry<std::shared_ptr<Metric>> registry("metric");
  return registry;
}

namespace {

ArgSpec key_arg(const char* name, const char* default_key, const char* doc) {
  return config::optional(name, ArgType::String, Node::from(default_key), doc);
}

ArgSpec ignore_index_arg() {
  return config::optional("ignore_index", ArgType::Int, Node::from(-100),
                          "targets with this value (padding) are not counted");
}

// `topk: 5` or `topk: [1, 5]`, as MMPretrain accepts.
std::vector<int64_t> topk_of(const Args& args) {
  const Node& node = args.node("topk");
  if (node.is_scalar()) {
    if (!node.is_int()) args.fail("topk", "expected an int or a list of ints, got " + node.type_name());
    return {node.as_int()};
  }
  if (!node.is_sequence() || node.size() == 0) args.fail("topk", "expected an int or a non-empty list of ints");
  std::vector<int64_t> topk;
  for (const Node& k : node.elements()) {
    if (!k.is_scalar() || !k.is_int()) args.fail("topk", "expected a list of ints, found " + k.type_name());
    topk.push_back(k.as_int());
  }
  return topk;
}

Node int_list(std::initializer_list<int> values) {
  Node list = Node::sequence();
  for (int value : values) list.push_back(Node::from(value));
  return list;
}

void register_builtin_metrics() {
  auto& metrics = metric_registry();
  metrics.add(
      {.type = "Accuracy",
       .doc = "percentage of samples whose label is among the top-k scores; logits (N, C) with labels (N), "
              "or per token for (N, T, V) with (N, T) -> accuracy/top<k>",
       .args = {config::optional("topk", ArgType::Any, int_list({1}), "k, or a list of k (int or list[int])"),
                key_arg("output_key", "logits", "the model output holding class scores (..., C)"),
                key_arg("label_key", "label", "the batch field holding class indices (...)"), ignore_index_arg()}},
      [](const Args& args) -> std::shared_ptr<Metric> {
        std::vector<int64_t> topk = topk_of(args);
        for (int64_t k : topk) {
          if (k < 1) args.fail("topk", "values must be >= 1, got " + std::to_string(k));
        }
        return std::make_shared<Accuracy>(AccuracyOptions{.topk = std::move(topk),
                                                          .output_key = args.get_string("output_key"),
                                                          .label_key = args.get_string("label_key"),
                                                          .ignore_index = args.get_int("ignore_index")});
      });
  metrics.add({.type = "Loss",
               .doc = "mean of the model's loss over the evaluation, weighted by batch size -> <output_key>",
               .args = {key_arg("output_key", "loss", "the model output holding the batch-mean loss")}},
              [](const Args& args) -> std::shared_ptr<Metric> {
                return std::make_shared<LossMetric>(LossMetricOptions{.output_key = args.get_string("output_key")});
              });
  const std::vector<ArgSpec> regression_args = {
      key_arg("output_key", "pred", "the model output holding predictions"),
      key_arg("target_key", "target", "the batch field holding targets (same shape up to size-1 dims)")};
  auto regression_options = [](const Args& args) {
    return RegressionMetricOptions{.output_key = args.get_string("output_key"),
                                   .target_key = args.get_string("target_key")};
  };
  metrics.add({.type = "MSE", .doc = "mean squared error over all elements -> mse", .args = regression_args},
              [regression_options](const Args& args) -> std::shared_ptr<Metric> {
                return std::make_shared<MeanSquaredError>(regression_options(args));
              });
  metrics.add({.type = "MAE", .doc = "mean absolute error over all elements -> mae", .args = regression_args},
              [regression_options](const Args& args) -> std::shared_ptr<Metric> {
                return std::make_shared<MeanAbsoluteError>(regression_options(args));
              });

  ArgSpec source = config::optional("source", ArgType::String, Node::from("loss"),
                                    "loss: weight the model's mean token loss by the token count; "
                                    "logits: compute the cross-entropy from logits (..., V)");
  source.choices = {"loss", "logits"};
  ArgSpec output_key = config::optional("output_key", ArgType::String, Node(),
                                        "the model output to read (null: 'loss' or 'logits' by source)");
  output_key.nullable = true;
  metrics.add({.type = "Perplexity",
               .doc = "exp of the mean per-token cross-entropy over the evaluation -> perplexity",
               .args = {source, output_key, key_arg("target_key", "target", "the batch field holding token ids"),
                        ignore_index_arg()}},
              [](const Args& args) -> std::shared_ptr<Metric> {
                PerplexityOptions options;
                options.source =
                    args.get_string("source") == "logits" ? PerplexitySource::Logits : PerplexitySource::Loss;
                if (!args.is_null("output_key")) options.output_key = args.get_string("output_key");
                options.target_key = args.get_string("target_key");
                options.ignore_index = args.get_int("ignore_index");
                return std::make_shared<Perplexity>(std::move(options));
              });
}

// The metric configs of an evaluator config, with the node to blame when there are none.
std::vector<const Node*> metric_nodes(const Node& cfg) {
  const Node* metrics = &cfg;
  if (cfg.is_map()) {
    const Node* type = cfg.find("type");
    if (type == nullptr) type = cfg.find("_target_");
    if (type != nullptr && type->is_scalar() && type->as_string() == "Evaluator") {
      for (const auto& [key, value] : cfg.items()) {
        if (key != "type" && key != "_target_" && key != "metrics") {
          value.fail("unknown Evaluator argument '" + key + "' (an Evaluator takes only 'metrics')");
        }
      }
      metrics = &cfg.at("metrics");
    }
  }
  std::vector<const Node*> nodes;
  if (metrics->is_map()) {
    nodes.push_back(metrics);
  } else if (metrics->is_sequence()) {
    for (const Node& element : metrics->elements()) nodes.push_back(&element);
  } else {
    metrics->fail("expected a metric ({type: Accuracy, ...}) or a list of metrics, got " + metrics->type_name());
  }
  if (nodes.empty()) metrics->fail("the list of metrics is empty");
  return nodes;
}

}  // namespace

void register_metric_components() {
  static std::once_flag once;
  std::call_once(once, register_builtin_metrics);
}

void validate_evaluator_config(const Node& cfg) {
  register_metric_components();
  for (const Node* metric : metric_nodes(cfg)) metric_registry().validate(*metric);
}

std::unique_ptr<Evaluator> build_evaluator(const Node& cfg) {
  register_metric_components();
  auto evaluator = std::make_unique<Evaluator>();
  for (const Node* metric : metric_nodes(cfg)) evaluator->add(metric_registry().build(*metric));
  return evaluator;
}

}  // namespace mini::runtime
