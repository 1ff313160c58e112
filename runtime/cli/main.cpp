// The `mini-engine` executable: everything lives in the library (runtime/cli)
// so the tests can drive the same commands. The CUDA device backend is part
// of the library when it was built with nvcc; a static link must register it
// itself (nothing else references its object files).
#include "runtime/cli/commands.h"

#ifdef MINI_HAS_CUDA_DEVICE
#include "cuda/cuda.h"
#endif

int main(int argc, char** argv) {
#ifdef MINI_HAS_CUDA_DEVICE
  mini::runtime::cli::set_backend_initializer([] { mini::cuda::register_device_backend(); });
#endif
  return mini::runtime::cli::run_cli(argc, argv);
}
