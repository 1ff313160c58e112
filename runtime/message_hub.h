#pragma once
// MessageHub: the latest scalars of a run (loss, lr, time, metrics), shared by
// the loops and hooks. Each scalar keeps a bounded history so loggers can
// print a smoothed value (the mean over the last `window` updates) like
// MMEngine's log processor.
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>

namespace mini::runtime {

class MessageHub {
 public:
  void update_scalar(const std::string& name, double value);
  bool has(std::string_view name) const;
  // Throws mini::ValueError naming the scalar if it was never set.
  double latest(std::string_view name) const;
  // Mean of the last `window` values (fewer if fewer were recorded).
  double mean(std::string_view name, size_t window) const;
  // Latest value of every scalar.
  std::map<std::string, double> latest_all() const;
  void clear();

 private:
  static constexpr size_t kMaxHistory = 1000;
  std::map<std::string, std::deque<double>, std::less<>> history_;
};

}  // namespace mini::runtime
