#include "cuda/emu/run_order.h"

#include <atomic>
#include <cstdlib>
#include <string>

#include "cuda/emu/failure.h"

namespace mini::cuda::emu {
namespace {

RunOrder order_from_environment() {
  const char* text = std::getenv("MINI_EMU_ORDER");
  if (text == nullptr || *text == '\0') return RunOrder::forward;
  const std::string_view value(text);
  for (RunOrder order : {RunOrder::forward, RunOrder::reverse, RunOrder::random}) {
    if (value == to_string(order)) return order;
  }
  kernel_failure(concat("MINI_EMU_ORDER=", value, " is not one of forward, reverse, random"));
}

std::uint64_t seed_from_environment() {
  const char* text = std::getenv("MINI_EMU_SEED");
  if (text == nullptr || *text == '\0') return 0x6d696e69;  // "mini"
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 0);
  if (*end != '\0') kernel_failure(concat("MINI_EMU_SEED=", text, " is not a number"));
  return value;
}

std::atomic<RunOrder>& current_order() {
  static std::atomic<RunOrder> order{order_from_environment()};
  return order;
}

}  // namespace

RunOrder run_order() { return current_order().load(std::memory_order_relaxed); }

void set_run_order(RunOrder order) { current_order().store(order, std::memory_order_relaxed); }

std::string_view to_string(RunOrder order) {
  switch (order) {
    case RunOrder::forward:
      return "forward";
    case RunOrder::reverse:
      return "reverse";
    case RunOrder::random:
      return "random";
  }
  return "unknown";
}

std::uint64_t next_launch_seed() {
  static const std::uint64_t base = seed_from_environment();
  static std::atomic<std::uint64_t> launches{0};
  std::uint64_t state = base + launches.fetch_add(1, std::memory_order_relaxed);
  return mix_bits(state);
}

}  // namespace mini::cuda::emu
