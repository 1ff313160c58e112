#pragma once
// BestTracker: remembers the best value of one metric across evaluations
// (for CheckpointHook's save_best and EarlyStopping).
//
//   auto best = runtime::BestTracker::make("accuracy/top1");  // rule "auto": greater is better
//   if (best.update(results.at("accuracy/top1"))) save_checkpoint("best", true);
//
// Rule "auto" reads the metric's name as MMEngine does: loss-like names
// ("loss", "mse", "mae", "rmse", "perplexity", "error") are better when lower,
// accuracy-like names ("acc", "top", "precision", "recall", "f1", "auc",
// "map", "iou", "dice") when higher; anything else must name its rule.
#include <optional>
#include <string>
#include <string_view>

namespace mini::runtime {

struct BestTracker {
  enum Rule { Greater, Less };

  std::string metric{};
  Rule rule = Greater;
  std::optional<double> best{};

  // `rule_name`: "greater", "less" or "auto"; throws mini::ValueError for
  // another name, or when "auto" cannot tell from the metric's name.
  static BestTracker make(std::string metric, std::string_view rule_name = "auto");
  static Rule parse_rule(std::string_view rule_name, std::string_view metric);
  static Rule infer_rule(std::string_view metric);

  // Strictly better than the best so far (any finite value beats none; NaN never counts).
  bool is_better(double value) const;
  // Records `value` if it is better; returns whether it was.
  bool update(double value);
};

}  // namespace mini::runtime
