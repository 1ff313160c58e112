#include "runtime/checkpoint/rng_state.h"

#include <cstdint>

#include "tensor/error.h"

namespace mini::runtime {
namespace {

uint64_t read_counter(const nlohmann::json& state, const char* key, std::string_view what) {
  MINI_CHECK(state.contains(key), "{} state: missing \"{}\" in {}", what, key, state.dump());
  const nlohmann::json& value = state.at(key);
  MINI_CHECK(value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0),
             "{} state: \"{}\" must be a non-negative integer, got {}", what, key, value.dump());
  return value.get<uint64_t>();
}

}  // namespace

nlohmann::json generator_state(const Generator& generator) {
  return {{"seed", generator.seed()}, {"offset", generator.offset()}};
}

void set_generator_state(Generator& generator, const nlohmann::json& state, std::string_view what) {
  MINI_CHECK(state.is_object(), "{} state: expected an object with seed and offset, got {}", what, state.dump());
  const uint64_t seed = read_counter(state, "seed", what);
  const uint64_t offset = read_counter(state, "offset", what);
  generator.manual_seed(seed);
  generator.set_offset(offset);
}

nlohmann::json capture_rng_state() { return {{"default", generator_state(default_generator())}}; }

void restore_rng_state(const nlohmann::json& state) {
  MINI_CHECK(state.is_object() && state.contains("default"),
             "rng state: expected {{\"default\": {{\"seed\": ..., \"offset\": ...}}}}, got {}", state.dump());
  set_generator_state(default_generator(), state.at("default"), "rng default generator");
}

}  // namespace mini::runtime
