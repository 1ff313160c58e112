#pragma once
// Random generator state for checkpoints: a Generator is (seed, offset)
// (tensor/random.h), so its whole state is two integers. Restoring them makes
// every later random op produce the same numbers as in the original run.
//
//   state["rng"] = runtime::capture_rng_state();     // {"default": {"seed": 42, "offset": 1024}}
//   ...
//   runtime::restore_rng_state(state.at("rng"));
//
// The process holds one global generator, mini::default_generator() (used by
// every random op not given its own, CPU and CUDA alike); components with
// their own Generator (samplers, dropout with a generator) save it with
// generator_state().
#include <nlohmann/json.hpp>
#include <string_view>

#include "tensor/random.h"

namespace mini::runtime {

nlohmann::json generator_state(const Generator& generator);
// Throws mini::ValueError naming `what` and the bad field.
void set_generator_state(Generator& generator, const nlohmann::json& state, std::string_view what = "generator");

// Every global generator, by name.
nlohmann::json capture_rng_state();
void restore_rng_state(const nlohmann::json& state);

}  // namespace mini::runtime
