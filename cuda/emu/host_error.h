#pragma once
// Errors from the host side (bad launch configurations, bad pointers to free
// or memcpy, misuse of streams and events): thrown as mini::Error, the way the
// CUDA backend turns a cudaError_t into one. Bugs inside kernels abort instead
// (see failure.h). Declared here without tensor/error.h so that nvcc
// translation units can include it: that header pulls in fmt, which fails to
// compile under nvcc -std=c++20.

#include <string>

namespace mini::cuda::emu {

[[noreturn]] void throw_host_error(const std::string& message);

}  // namespace mini::cuda::emu
