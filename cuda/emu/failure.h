#pragma once
// How the emulator reports a bug in kernel code (divergent barriers, deadlocks,
// bad warp masks): print one clear message and abort, as a GPU kernel trap is
// fatal for the process. Throwing is not an option: the error is detected on a
// fiber's stack while the block's other fibers are suspended mid-kernel, and
// nothing can resume them consistently. Tests check these with EXPECT_DEATH.

#include <string>
#include <string_view>

namespace mini::cuda::emu {

[[noreturn]] void kernel_failure(const std::string& message);

// Joins message pieces by appending. NOTE: chains like "text" + std::to_string(n)
// trip g++ 12's false -Wrestrict warning at -O3 (GCC bug 105329), so the
// emulator builds its messages with this instead.
template <typename... Parts>
std::string concat(const Parts&... parts) {
  std::string text;
  (text.append(std::string_view(parts)), ...);
  return text;
}

}  // namespace mini::cuda::emu
