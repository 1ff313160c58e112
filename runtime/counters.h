#pragma once
// The training counters, explicit so every interval can say which one it
// counts (a frequent confusion in other engines: is "iter" a batch or an
// optimizer step once gradients accumulate?).
//
//   micro_step      batches trained on so far (MMEngine's "iter")
//   optimizer_step  optimizer updates so far (= micro_step / accumulative_counts)
//   samples_seen    training samples consumed so far
//   epoch           completed epochs; the epoch being trained is epoch + 1 in logs
//   batch_in_epoch  batches of the current epoch already trained on (the data
//                   cursor that an exact mid-epoch resume starts from)
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace mini::runtime {

struct Counters {
  int64_t micro_step = 0;
  int64_t optimizer_step = 0;
  int64_t samples_seen = 0;
  int64_t epoch = 0;
  int64_t batch_in_epoch = 0;

  nlohmann::json to_json() const;
  // Throws mini::ValueError naming a missing or negative counter.
  static Counters from_json(const nlohmann::json& json);
};

// What an interval counts.
enum class CountUnit { Epoch, MicroStep, OptimizerStep };
// "epoch", "iter" / "micro_step", "optimizer_step"; throws ValueError otherwise.
CountUnit parse_count_unit(std::string_view text);
std::string_view count_unit_name(CountUnit unit);
int64_t counter_value(const Counters& counters, CountUnit unit);

}  // namespace mini::runtime
