#include "cuda/emu/failure.h"

#include <cstdio>
#include <cstdlib>

namespace mini::cuda::emu {

void kernel_failure(const std::string& message) {
  std::fprintf(stderr, "mini-engine CUDA emulator: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace mini::cuda::emu
