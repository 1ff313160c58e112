#include <string_view>

#include "runtime/checkpoint/checkpoint.h"
#include "tensor/error.h"

namespace mini::runtime {

nn::LoadStateResult load_model_state(nn::Module& model, const nn::StateDict& state, const std::string& source,
                                     bool strict) {
  try {
    return model.load_state_dict(state, strict);
  } catch (const ValueError& error) {
    // Module::load_state_dict already lists every missing key, unexpected key
    // and shape mismatch, one kind per line after a first line that names the
    // module; replace that first line with one that names the file.
    const std::string_view message = error.what();
    const size_t first_newline = message.find('\n');
    const std::string_view details = first_newline == std::string_view::npos ? message : message.substr(first_newline);
    throw ValueError(fmt::format("checkpoint {} does not match the model ({}){}{}", source, model.type_name(),
                                 first_newline == std::string_view::npos ? ": " : ":", details));
  }
}

}  // namespace mini::runtime
