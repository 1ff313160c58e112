#include "cuda/emu/host_error.h"

#include "tensor/error.h"

namespace mini::cuda::emu {

void throw_host_error(const std::string& message) { throw Error(message); }

}  // namespace mini::cuda::emu
