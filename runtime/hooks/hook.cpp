#include "runtime/hooks/hook.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace mini::runtime {
namespace {

constexpr std::array<std::pair<std::string_view, int>, 9> kLevels = {{
    {"HIGHEST", kPriorityHighest},
    {"VERY_HIGH", kPriorityVeryHigh},
    {"HIGH", kPriorityHigh},
    {"ABOVE_NORMAL", kPriorityAboveNormal},
    {"NORMAL", kPriorityNormal},
    {"BELOW_NORMAL", kPriorityBelowNormal},
    {"LOW", kPriorityLow},
    {"VERY_LOW", kPriorityVeryLow},
    {"LOWEST", kPriorityLowest},
}};

}  // namespace

std::optional<int> priority_from_name(std::string_view name) {
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  for (const auto& [level, value] : kLevels) {
    if (level == upper) return value;
  }
  return std::nullopt;
}

std::string metric_names(const Metrics& metrics) {
  std::string names;
  for (const auto& [name, value] : metrics) {
    if (!names.empty()) names += ", ";
    names += name;
  }
  return names;
}

std::string priority_name(int priority) {
  for (const auto& [level, value] : kLevels) {
    if (value == priority) return std::string(level);
  }
  return std::to_string(priority);
}

}  // namespace mini::runtime
