#pragma once
// Environment switches for the vendor libraries the device variant calls.
//
//   MINI_CUDA_CUBLAS=0  matmul runs the own GEMM kernel instead of cuBLAS
//   MINI_CUDA_CUDNN=0   conv2d and its backward run im2col + GEMM instead of cuDNN
//   MINI_CUDA_TF32=1    f32 GEMMs and convolutions may use TF32 tensor cores
//                       (10-bit mantissas: ~1e-3 relative error)
//
// NOTE: read at every call rather than once, so a test or benchmark can
// compare both paths in one process by setenv() between calls (getenv is a
// scan of a few dozen strings, nothing next to a kernel launch). Setting them
// while other threads run ops is a data race on the environment: don't.
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "cuda/variant.h"

MINI_CUDA_BEGIN_NAMESPACE

namespace detail {
inline bool env_equals(const char* name, const char* value) {
  const char* set = std::getenv(name);
  return set != nullptr && std::strcmp(set, value) == 0;
}
}  // namespace detail

inline bool cublas_enabled() { return !detail::env_equals("MINI_CUDA_CUBLAS", "0"); }
inline bool cudnn_enabled() { return !detail::env_equals("MINI_CUDA_CUDNN", "0"); }
inline bool tf32_allowed() { return detail::env_equals("MINI_CUDA_TF32", "1"); }

// Sets one switch for a scope, then restores it (tests and benchmarks that
// compare the vendor library with the own kernels).
class ScopedLibrarySwitch {
 public:
  ScopedLibrarySwitch(const char* name, const char* value) : name_(name) {
    if (const char* previous = std::getenv(name)) previous_ = previous;
    ::setenv(name, value, 1);
  }
  ScopedLibrarySwitch(const ScopedLibrarySwitch&) = delete;
  ScopedLibrarySwitch& operator=(const ScopedLibrarySwitch&) = delete;
  ~ScopedLibrarySwitch() {
    if (previous_) {
      ::setenv(name_, previous_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> previous_;
};

MINI_CUDA_END_NAMESPACE
