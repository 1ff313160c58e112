#pragma once
// mini::cuda::launch: the one way shared code launches a kernel.
//
//   launch(kernel, grid, block, shared_bytes, stream, args...)
//
// Under nvcc it is kernel<<<grid, block, shared_bytes, stream>>>(args...) plus a
// cudaGetLastError check; under g++ it runs the kernel on the SIMT emulator
// (cuda/emu). Shared code never writes <<<>>> itself, so every kernel header
// compiles with both compilers. Both paths validate the configuration first,
// with CUDA's limits, so a bad launch fails the same way in CI as on a GPU.
//
// Arguments are converted to the kernel's parameter types at the call, as CUDA
// does. In the emulator, every pointer argument must point into memory from
// emu::malloc (or be null): a GPU would fault on a host pointer.

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "cuda/emu/host_error.h"

#if defined(__CUDACC__)
#include <cuda_runtime.h>
#else
#include "cuda/emu/device_memory.h"
#include "cuda/emu/scheduler.h"
#include "cuda/emu/simt.h"
#include "cuda/emu/stream.h"
#endif

namespace mini::cuda {

#if defined(__CUDACC__)
using Stream = cudaStream_t;
#else
using Stream = emu::Stream;
#endif

// Limits of every GPU from compute capability 7.0 on; the opt-in shared-memory
// maximum is the H100's (sm_90), the largest of the supported targets.
inline constexpr unsigned max_threads_per_block = 1024;
inline constexpr unsigned max_block_xy = 1024;
inline constexpr unsigned max_block_z = 64;
inline constexpr unsigned max_grid_x = 2147483647u;
inline constexpr unsigned max_grid_yz = 65535;
inline constexpr std::size_t default_max_dynamic_shared_bytes = 48 * 1024;
inline constexpr std::size_t opt_in_max_dynamic_shared_bytes = 227 * 1024;

namespace detail {

// Out of line (cuda/emu/host_error.cpp, plain g++) because it throws
// mini::Error, whose header includes fmt, and fmt 9 does not compile under
// nvcc in C++20 mode.
[[noreturn]] inline void throw_launch_error(const std::string& message) { emu::throw_host_error(message); }

// Joins message pieces by appending (g++ 12 warns falsely, -Wrestrict, on
// chains like "text" + std::to_string(n) at -O3: GCC bug 105329).
template <typename... Parts>
std::string concat(const Parts&... parts) {
  std::string text;
  (text.append(std::string_view(parts)), ...);
  return text;
}

inline std::string format_dims(dim3 d) {
  return concat("(", std::to_string(d.x), ", ", std::to_string(d.y), ", ", std::to_string(d.z), ")");
}

// Per-kernel dynamic shared memory limits raised by set_max_dynamic_shared_memory.
struct SharedMemoryLimits {
  std::mutex mutex;
  std::map<const void*, std::size_t> bytes_by_kernel;
};

inline SharedMemoryLimits& shared_memory_limits() {
  static SharedMemoryLimits limits;
  return limits;
}

inline std::size_t max_dynamic_shared_bytes(const void* kernel) {
  SharedMemoryLimits& limits = shared_memory_limits();
  std::lock_guard lock(limits.mutex);
  const auto found = limits.bytes_by_kernel.find(kernel);
  return found == limits.bytes_by_kernel.end() ? default_max_dynamic_shared_bytes : found->second;
}

template <typename Kernel>
const void* kernel_address(Kernel* kernel) {
  return reinterpret_cast<const void*>(kernel);
}

#if !defined(__CUDACC__)
template <typename Tuple, std::size_t... I>
void check_pointer_arguments(const Tuple& parameters, std::index_sequence<I...>) {
  auto check = [](std::size_t index, const auto& value) {
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_pointer_v<T> && !std::is_function_v<std::remove_pointer_t<T>>) {
      emu::check_kernel_pointer_argument(index, const_cast<const void*>(static_cast<const volatile void*>(value)));
    }
  };
  (check(I, std::get<I>(parameters)), ...);
}
#endif

}  // namespace detail

// Throws, like CUDA's "invalid configuration argument", naming the launch's dims.
inline void validate_launch(dim3 grid, dim3 block, std::size_t shared_bytes, std::size_t max_shared_bytes) {
  auto invalid = [&](const std::string& reason) {
    detail::throw_launch_error(detail::concat(
        "launch: invalid configuration argument: grid ", detail::format_dims(grid), ", block ",
        detail::format_dims(block), ", ", std::to_string(shared_bytes), " bytes of dynamic shared memory: ", reason));
  };
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || block.x == 0 || block.y == 0 || block.z == 0) {
    invalid("every grid and block dimension must be at least 1 (skip the launch for empty work)");
  }
  const unsigned long long threads = 1ull * block.x * block.y * block.z;
  if (threads > max_threads_per_block) {
    invalid(detail::concat("the block has ", std::to_string(threads), " threads, more than the ",
                           std::to_string(max_threads_per_block), " allowed"));
  }
  if (block.x > max_block_xy || block.y > max_block_xy || block.z > max_block_z) {
    invalid("block dims may be at most (1024, 1024, 64)");
  }
  if (grid.x > max_grid_x || grid.y > max_grid_yz || grid.z > max_grid_yz) {
    invalid("grid dims may be at most (2147483647, 65535, 65535)");
  }
  if (shared_bytes > max_shared_bytes) {
    invalid(detail::concat("more dynamic shared memory than the kernel's limit of ", std::to_string(max_shared_bytes),
                           " bytes (set_max_dynamic_shared_memory raises it up to ",
                           std::to_string(opt_in_max_dynamic_shared_bytes), ")"));
  }
}

// Lets `kernel` use more than 48 KB of dynamic shared memory, as
// cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes).
template <typename... Params>
void set_max_dynamic_shared_memory(void (*kernel)(Params...), std::size_t bytes) {
  if (bytes > opt_in_max_dynamic_shared_bytes) {
    detail::throw_launch_error(detail::concat("set_max_dynamic_shared_memory: ", std::to_string(bytes),
                                              " bytes is more than the ",
                                              std::to_string(opt_in_max_dynamic_shared_bytes), " a block can have"));
  }
#if defined(__CUDACC__)
  const cudaError_t status =
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes));
  if (status != cudaSuccess) {
    detail::throw_launch_error(detail::concat("set_max_dynamic_shared_memory: ", cudaGetErrorString(status)));
  }
#endif
  detail::SharedMemoryLimits& limits = detail::shared_memory_limits();
  std::lock_guard lock(limits.mutex);
  limits.bytes_by_kernel[detail::kernel_address(kernel)] = bytes;
}

template <typename... Params, typename... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block, std::size_t shared_bytes, Stream stream, Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "launch: the kernel takes a different number of arguments");
  validate_launch(grid, block, shared_bytes, detail::max_dynamic_shared_bytes(detail::kernel_address(kernel)));
#if defined(__CUDACC__)
  kernel<<<grid, block, shared_bytes, stream>>>(std::forward<Args>(args)...);
  const cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess) {
    detail::throw_launch_error(detail::concat("launch: ", cudaGetErrorString(status), " (grid ",
                                              detail::format_dims(grid), ", block ", detail::format_dims(block), ")"));
  }
#else
  (void)stream;  // emulated launches complete before returning, so every stream is in order
  // CUDA copies converted arguments into parameter memory once per launch; each
  // emulated thread then receives its own by-value copy, as each GPU thread does.
  std::tuple<std::decay_t<Params>...> parameters(std::forward<Args>(args)...);
  detail::check_pointer_arguments(parameters, std::index_sequence_for<Params...>{});
  auto run_thread = [&kernel, &parameters] { std::apply(kernel, parameters); };
  using RunThread = decltype(run_thread);
  emu::run_grid(grid, block, shared_bytes,
                emu::KernelBody{&run_thread, [](const void* body) { (*static_cast<const RunThread*>(body))(); }});
#endif
}

}  // namespace mini::cuda
