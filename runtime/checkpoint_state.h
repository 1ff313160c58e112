#pragma once
// What the Runner and its hooks put into (and read back from) a checkpoint:
// tensors grouped by file ("model", "optimizer", "ema", ... -> <name>.safetensors)
// and a JSON object for everything else (counters, RNG and sampler state,
// scheduler and hook states, the best metric, the resolved config).
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "nn/module.h"

namespace mini::runtime {

struct CheckpointState {
  std::map<std::string, nn::StateDict> tensors;
  nlohmann::json state = nlohmann::json::object();
};

}  // namespace mini::runtime
