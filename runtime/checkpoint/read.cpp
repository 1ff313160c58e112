#include <algorithm>
#include <system_error>

#include "nn/serialization.h"
#include "runtime/checkpoint/checkpoint.h"
#include "runtime/checkpoint/layout.h"
#include "tensor/error.h"

namespace mini::runtime {
namespace {

namespace fs = std::filesystem;

bool allowed_in_name(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '=' || c == '+' || c == '-';
}

// A bare .safetensors file, or nullopt for a directory. Throws if `path` is neither.
bool is_bare_weights_file(const fs::path& path) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  MINI_CHECK(fs::exists(status), "checkpoint {} does not exist", path.string());
  if (fs::is_directory(status)) return false;
  MINI_CHECK(fs::is_regular_file(status) && path.extension() == ".safetensors",
             "checkpoint {}: expected a checkpoint directory or a .safetensors file", path.string());
  return true;
}

nn::StateDict read_listed_file(const fs::path& dir, const std::string& stem) {
  const fs::path file = detail::tensor_file_path(dir, stem);
  std::error_code error;
  MINI_CHECK(fs::is_regular_file(file, error), "checkpoint {}: {} is missing (state.json lists it)", dir.string(),
             file.string());
  return nn::load_state_dict_file(file.string());
}

}  // namespace

void check_checkpoint_name(std::string_view name, std::string_view what) {
  MINI_CHECK(!name.empty(), "{} is empty", what);
  MINI_CHECK(name.size() <= 200, "{} \"{}\" is longer than 200 characters", what, name);
  for (char c : name) {
    MINI_CHECK(allowed_in_name(c), "{} \"{}\": '{}' is not allowed (use letters, digits and _ . = + -)", what, name, c);
  }
  MINI_CHECK(name.front() != '.', "{} \"{}\" must not start with '.'", what, name);
  MINI_CHECK(name != detail::kLastPointerName, "{} \"last\" is reserved for the latest-checkpoint pointer", what);
  MINI_CHECK(name.find(detail::kTempMarker) == std::string_view::npos &&
                 name.find(detail::kAsideMarker) == std::string_view::npos,
             "{} \"{}\" must not contain \"{}\" or \"{}\" (reserved for interrupted saves)", what, name,
             detail::kTempMarker, detail::kAsideMarker);
}

std::string sanitize_checkpoint_name(std::string_view text) {
  std::string name(text);
  for (char& c : name) {
    if (!allowed_in_name(c)) c = '_';
  }
  if (name.empty() || name.front() == '.') name.insert(name.begin(), '_');
  for (std::string_view marker : {detail::kTempMarker, detail::kAsideMarker}) {
    for (size_t at = name.find(marker); at != std::string::npos; at = name.find(marker, at)) name[at] = '_';
  }
  if (name == detail::kLastPointerName) name = "_last";
  return name.substr(0, 200);
}

CheckpointState read_checkpoint(const fs::path& path) {
  CheckpointState checkpoint;
  if (is_bare_weights_file(path)) {
    checkpoint.tensors.emplace("model", nn::load_state_dict_file(path.string()));
    return checkpoint;
  }
  detail::CheckpointHeader header = detail::read_checkpoint_header(path);
  for (const std::string& stem : header.files) checkpoint.tensors.emplace(stem, read_listed_file(path, stem));
  checkpoint.state = std::move(header.state);
  return checkpoint;
}

nn::StateDict read_model_weights(const fs::path& path) {
  if (is_bare_weights_file(path)) return nn::load_state_dict_file(path.string());
  const detail::CheckpointHeader header = detail::read_checkpoint_header(path);
  const bool has_model =
      std::find(header.files.begin(), header.files.end(), std::string("model")) != header.files.end();
  MINI_CHECK(has_model, "checkpoint {} holds no model weights (its files: {})", path.string(),
             fmt::join(header.files, ", "));
  return read_listed_file(path, "model");
}

}  // namespace mini::runtime
