#include "runtime/counters.h"

#include <nlohmann/json.hpp>

#include "tensor/error.h"

namespace mini::runtime {

nlohmann::json Counters::to_json() const {
  return {{"micro_step", micro_step},
          {"optimizer_step", optimizer_step},
          {"samples_seen", samples_seen},
          {"epoch", epoch},
          {"batch_in_epoch", batch_in_epoch}};
}

Counters Counters::from_json(const nlohmann::json& json) {
  auto read = [&](const char* key) {
    MINI_CHECK(json.contains(key) && json.at(key).is_number_integer(),
               "checkpoint state: counters.{} is missing or not an integer", key);
    int64_t value = json.at(key).get<int64_t>();
    MINI_CHECK(value >= 0, "checkpoint state: counters.{} is negative ({})", key, value);
    return value;
  };
  Counters counters;
  counters.micro_step = read("micro_step");
  counters.optimizer_step = read("optimizer_step");
  counters.samples_seen = read("samples_seen");
  counters.epoch = read("epoch");
  counters.batch_in_epoch = read("batch_in_epoch");
  return counters;
}

CountUnit parse_count_unit(std::string_view text) {
  if (text == "epoch") return CountUnit::Epoch;
  if (text == "iter" || text == "micro_step") return CountUnit::MicroStep;
  if (text == "optimizer_step") return CountUnit::OptimizerStep;
  MINI_CHECK(false, "unknown interval unit '{}' (expected epoch, iter, micro_step or optimizer_step)", text);
  return CountUnit::Epoch;
}

std::string_view count_unit_name(CountUnit unit) {
  switch (unit) {
    case CountUnit::Epoch: return "epoch";
    case CountUnit::MicroStep: return "micro_step";
    case CountUnit::OptimizerStep: return "optimizer_step";
  }
  return "?";
}

int64_t counter_value(const Counters& counters, CountUnit unit) {
  switch (unit) {
    case CountUnit::Epoch: return counters.epoch;
    case CountUnit::MicroStep: return counters.micro_step;
    case CountUnit::OptimizerStep: return counters.optimizer_step;
  }
  return 0;
}

}  // namespace mini::runtime
