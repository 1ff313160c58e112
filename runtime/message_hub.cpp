#include "runtime/message_hub.h"

#include "tensor/error.h"

namespace mini::runtime {

void MessageHub::update_scalar(const std::string& name, double value) {
  auto& values = history_[name];
  values.push_back(value);
  if (values.size() > kMaxHistory) values.pop_front();
}

bool MessageHub::has(std::string_view name) const { return history_.find(name) != history_.end(); }

double MessageHub::latest(std::string_view name) const {
  auto it = history_.find(name);
  MINI_CHECK(it != history_.end(), "message hub: no scalar named '{}'", name);
  return it->second.back();
}

double MessageHub::mean(std::string_view name, size_t window) const {
  auto it = history_.find(name);
  MINI_CHECK(it != history_.end(), "message hub: no scalar named '{}'", name);
  const auto& values = it->second;
  const size_t n = std::min(window == 0 ? values.size() : window, values.size());
  double sum = 0;
  for (size_t i = values.size() - n; i < values.size(); ++i) sum += values[i];
  return sum / static_cast<double>(n);
}

std::map<std::string, double> MessageHub::latest_all() const {
  std::map<std::string, double> out;
  for (const auto& [name, values] : history_) out[name] = values.back();
  return out;
}

void MessageHub::clear() { history_.clear(); }

}  // namespace mini::runtime
