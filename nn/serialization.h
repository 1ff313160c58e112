#pragma once
// State dicts on disk, as safetensors files (tensor/io/safetensors.h):
//
//   nn::save(*model, "model.safetensors");
//   nn::load(*model, "model.safetensors");   // strict key check, see Module::load_state_dict
#include <map>
#include <string>

#include "nn/module.h"

namespace mini::nn {

// Writes the tensors in the dict's order (atomically, see save_safetensors).
void save_state_dict(const StateDict& state, const std::string& path,
                     const std::map<std::string, std::string>& metadata = {});
// The tensors of a file, in the file's order.
StateDict load_state_dict_file(const std::string& path);

void save(const Module& module, const std::string& path, const std::map<std::string, std::string>& metadata = {});
LoadStateResult load(Module& module, const std::string& path, bool strict = true);

}  // namespace mini::nn
