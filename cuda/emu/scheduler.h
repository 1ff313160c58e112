#pragma once
// Runs a whole grid on the CPU: blocks are handed out to a small pool of
// persistent worker threads (plus the launching thread), and each block runs
// to completion on one of them (see block_runner.h). A launch returns when every
// block has finished, so emulated launches are synchronous.
//
// One grid runs at a time; concurrent launches from several host threads queue.
// MINI_EMU_WORKERS sets the number of OS threads running blocks (default: the
// hardware concurrency, at most 8).

#include "cuda/emu/grid_launch.h"

namespace mini::cuda::emu {

void run_grid(dim3 grid, dim3 block, std::size_t shared_bytes, KernelBody body);

// How many OS threads run blocks, the launching thread included.
unsigned worker_count();

}  // namespace mini::cuda::emu
