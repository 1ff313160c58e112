#pragma once
// Block barriers and warp-level intrinsics for emulated kernels.
//
// Every call takes a defaulted std::source_location so the runtime can name the
// call sites when threads diverge (two threads of a block at different
// __syncthreads, or lanes of a warp at different warp intrinsics).
//
// Warp intrinsics all go through one exchange: each lane publishes 64 bits, the
// lane waits until every lane named in the mask has published, then it reads the
// value it needs from the 32 published slots. Lanes that do not take part (not in
// the mask, or past the end of a partial warp) read as all-ones bits, a NaN for
// float/double, so code reading them — undefined in CUDA — gives visibly wrong results.

#include <cstdint>
#include <cstring>
#include <source_location>
#include <type_traits>

namespace mini::cuda::emu {

enum class WarpOp : std::uint8_t { syncwarp, shfl, shfl_up, shfl_down, shfl_xor, ballot, any, all };

struct WarpExchange {
  const std::uint64_t* values;  // 32 slots, indexed by lane
  unsigned participants;        // lanes named in the mask that exist in the block
};

// The runtime side, implemented in block_runner.cpp. They must be called from a
// kernel running under the emulator; anywhere else they abort with a message.
void block_barrier(std::source_location site);
WarpExchange warp_exchange(WarpOp op, unsigned mask, std::uint64_t value, std::source_location site);
unsigned lane_id();
unsigned active_lanes();
// The launch's dynamic shared memory: exactly shmem_bytes long (16-byte aligned),
// so AddressSanitizer reports any access past the size given to launch().
void* dynamic_shared_memory();
[[noreturn]] void invalid_warp_width(int width, std::source_location site);

namespace detail {

template <typename T>
std::uint64_t to_bits(T value) {
  static_assert(sizeof(T) <= sizeof(std::uint64_t) && std::is_trivially_copyable_v<T>,
                "warp shuffles move values of at most 8 bytes, as in CUDA");
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof(T));
  return bits;
}

template <typename T>
T from_bits(std::uint64_t bits) {
  T value;
  std::memcpy(&value, &bits, sizeof(T));
  return value;
}

// src_lane < 0 means "keep your own value", which CUDA defines for shuffles that
// would cross the edge of a width-wide segment.
template <typename T>
T shuffle(WarpOp op, unsigned mask, T var, int operand, int width, std::source_location site) {
  if (width <= 0 || width > 32 || (width & (width - 1)) != 0) invalid_warp_width(width, site);
  const int lane = static_cast<int>(lane_id());
  const int segment = lane & ~(width - 1);
  int src_lane = -1;
  switch (op) {
    case WarpOp::shfl:
      src_lane = segment + (operand & (width - 1));
      break;
    case WarpOp::shfl_up:
      src_lane = (lane - segment) - operand >= 0 ? lane - operand : -1;
      break;
    case WarpOp::shfl_down:
      src_lane = (lane - segment) + operand < width ? lane + operand : -1;
      break;
    // xor may read earlier segments but returns its own value for later ones.
    case WarpOp::shfl_xor:
      src_lane = (lane ^ operand) < segment + width ? lane ^ operand : -1;
      break;
    default:
      break;
  }
  const WarpExchange exchange = warp_exchange(op, mask, to_bits(var), site);
  if (src_lane < 0 || src_lane >= 32) return var;
  return from_bits<T>(exchange.values[src_lane]);
}

inline unsigned ballot(WarpOp op, unsigned mask, int predicate, std::source_location site) {
  const WarpExchange exchange = warp_exchange(op, mask, predicate != 0, site);
  unsigned votes = 0;
  for (unsigned lane = 0; lane < 32; ++lane) {
    if ((exchange.participants >> lane & 1u) && exchange.values[lane] == 1) votes |= 1u << lane;
  }
  if (op == WarpOp::any) return votes != 0;
  if (op == WarpOp::all) return votes == exchange.participants;
  return votes;
}

}  // namespace detail
}  // namespace mini::cuda::emu

inline void __syncthreads(std::source_location site = std::source_location::current()) {
  mini::cuda::emu::block_barrier(site);
}

inline void __syncwarp(unsigned mask = 0xffffffffu, std::source_location site = std::source_location::current()) {
  mini::cuda::emu::warp_exchange(mini::cuda::emu::WarpOp::syncwarp, mask, 0, site);
}

inline unsigned __activemask() { return mini::cuda::emu::active_lanes(); }

template <typename T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = 32,
              std::source_location site = std::source_location::current()) {
  return mini::cuda::emu::detail::shuffle(mini::cuda::emu::WarpOp::shfl, mask, var, src_lane, width, site);
}

template <typename T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = 32,
                 std::source_location site = std::source_location::current()) {
  return mini::cuda::emu::detail::shuffle(mini::cuda::emu::WarpOp::shfl_up, mask, var, static_cast<int>(delta), width,
                                          site);
}

template <typename T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = 32,
                   std::source_location site = std::source_location::current()) {
  return mini::cuda::emu::detail::shuffle(mini::cuda::emu::WarpOp::shfl_down, mask, var, static_cast<int>(delta), width,
                                          site);
}

template <typename T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = 32,
                  std::source_location site = std::source_location::current()) {
  return mini::cuda::emu::detail::shuffle(mini::cuda::emu::WarpOp::shfl_xor, mask, var, lane_mask, width, site);
}

inline unsigned __ballot_sync(unsigned mask, int predicate,
                              std::source_location site = std::source_location::current()) {
  return mini::cuda::emu::detail::ballot(mini::cuda::emu::WarpOp::ballot, mask, predicate, site);
}

inline int __any_sync(unsigned mask, int predicate, std::source_location site = std::source_location::current()) {
  return static_cast<int>(mini::cuda::emu::detail::ballot(mini::cuda::emu::WarpOp::any, mask, predicate, site));
}

inline int __all_sync(unsigned mask, int predicate, std::source_location site = std::source_location::current()) {
  return static_cast<int>(mini::cuda::emu::detail::ballot(mini::cuda::emu::WarpOp::all, mask, predicate, site));
}
