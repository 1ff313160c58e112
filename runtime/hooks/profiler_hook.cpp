#include "runtime/hooks/profiler_hook.h"

#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runtime/runner.h"

namespace mini::runtime {

void ProfilerHook::add(const std::string& stage, Clock::time_point since) {
  Stage& entry = stages_[stage];
  entry.seconds += std::chrono::duration<double>(Clock::now() - since).count();
  entry.calls += 1;
}

void ProfilerHook::before_train_epoch(Runner&) { iter_end_ = Clock::now(); }

void ProfilerHook::before_train_iter(Runner&, const Batch&) {
  add("data_wait", iter_end_);
  iter_start_ = Clock::now();
}

void ProfilerHook::after_train_iter(Runner&, const Batch&, const Outputs&) {
  add("train_iter", iter_start_);
  iter_end_ = Clock::now();
}

void ProfilerHook::before_val(Runner&) { val_start_ = Clock::now(); }
void ProfilerHook::after_val(Runner&) {
  add("val", val_start_);
  iter_end_ = Clock::now();  // validation time is not data wait of the next train iteration
}
void ProfilerHook::after_test(Runner&) { add("test", val_start_); }

void ProfilerHook::after_run(Runner& runner) {
  const double total = std::chrono::duration<double>(Clock::now() - run_start_).count();
  double accounted = 0;
  nlohmann::json json = nlohmann::json::object();
  std::string line = fmt::format("profile: total {:.3f} s", total);
  for (const auto& [name, stage] : stages_) {
    accounted += stage.seconds;
    json[name] = {{"seconds", stage.seconds}, {"calls", stage.calls}};
    line += fmt::format(" | {} {:.3f} s ({} calls, {:.3f} ms each)", name, stage.seconds, stage.calls,
                        stage.calls ? 1e3 * stage.seconds / static_cast<double>(stage.calls) : 0.0);
  }
  json["other"] = {{"seconds", total - accounted}};
  json["total"] = {{"seconds", total}};
  line += fmt::format(" | other {:.3f} s", total - accounted);
  runner.log(line);
  if (!runner.log_dir().empty()) {
    std::ofstream(runner.log_dir() / "profile.json") << json.dump(2) << '\n';
  }
}

}  // namespace mini::runtime
