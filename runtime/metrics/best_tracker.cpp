#include "runtime/metrics/best_tracker.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include "tensor/error.h"

namespace mini::runtime {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

BestTracker BestTracker::make(std::string metric, std::string_view rule_name) {
  const Rule rule = parse_rule(rule_name, metric);
  return BestTracker{std::move(metric), rule, std::nullopt};
}

BestTracker::Rule BestTracker::parse_rule(std::string_view rule_name, std::string_view metric) {
  if (rule_name == "greater") return Greater;
  if (rule_name == "less") return Less;
  MINI_CHECK(rule_name == "auto", "unknown rule '{}' for metric '{}' (expected greater, less or auto)", rule_name,
             metric);
  return infer_rule(metric);
}

BestTracker::Rule BestTracker::infer_rule(std::string_view metric) {
  // Loss-like words are checked first: "top1_error" is an error rate, lower is better.
  static constexpr std::array<std::string_view, 6> kLess = {"loss", "mse", "mae", "perplexity", "error", "ppl"};
  static constexpr std::array<std::string_view, 9> kGreater = {"acc", "top", "precision", "recall", "f1",
                                                               "auc", "map", "iou",       "dice"};
  const std::string name = lower(metric);
  for (std::string_view word : kLess) {
    if (name.find(word) != std::string::npos) return Less;
  }
  for (std::string_view word : kGreater) {
    if (name.find(word) != std::string::npos) return Greater;
  }
  throw ValueError(
      fmt::format("cannot tell whether a higher or a lower '{}' is better; set rule: greater or rule: less", metric));
}

bool BestTracker::is_better(double value) const {
  if (std::isnan(value)) return false;
  if (!best) return true;
  return rule == Greater ? value > *best : value < *best;
}

bool BestTracker::update(double value) {
  if (!is_better(value)) return false;
  best = value;
  return true;
}

}  // namespace mini::runtime
