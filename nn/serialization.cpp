#include "nn/serialization.h"

#include "tensor/io/safetensors.h"

namespace mini::nn {

void save_state_dict(const StateDict& state, const std::string& path,
                     const std::map<std::string, std::string>& metadata) {
  save_safetensors(path, state.items(), metadata);
}

StateDict load_state_dict_file(const std::string& path) {
  SafetensorsFile file = load_safetensors(path);
  StateDict state;
  for (auto& [name, tensor] : file.tensors) state.insert(name, tensor);
  return state;
}

void save(const Module& module, const std::string& path, const std::map<std::string, std::string>& metadata) {
  save_state_dict(module.state_dict(), path, metadata);
}

LoadStateResult load(Module& module, const std::string& path, bool strict) {
  return module.load_state_dict(load_state_dict_file(path), strict);
}

}  // namespace mini::nn
