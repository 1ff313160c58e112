#pragma once
// The CUDA caching allocator: cudaMalloc is slow (and synchronises the
// device), so freed blocks are kept and reused.
//
// NOTE [ device block sizes ]: requests are rounded up to 512 bytes. Requests
// of at most 1 MiB ("small") are carved out of 2 MiB segments; larger ones get
// a segment of their size rounded up to 2 MiB. A cached block bigger than a
// request is split, and the remainder stays cached (for large blocks only
// when it is at least 1 MiB, so large segments do not fragment into slivers).
// A freed block merges with free neighbours of its segment. Blocks are reused
// only by the stream they were allocated on (a block freed on one stream may
// still be read by queued work there).
//
// NOTE [ cross-stream frees ]: stream order protects a block only on its own
// stream. When record_stream() says another stream also uses it, freeing it
// records an event on each such stream, and the block rejoins the cache only
// once all those events have completed (checked, without waiting, at the next
// allocation; waited for by empty_cache and before reporting out of memory).
// The host never blocks on a free. empty_cache() returns whole free
// segments to the device; an allocation that fails first empties the cache
// and retries, then throws an out-of-memory error naming requested, in-use and
// reserved bytes.
#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>
#include <vector>

#include "cuda/runtime/device_api.h"
#include "tensor/allocator.h"

MINI_CUDA_BEGIN_NAMESPACE

class DeviceCachingAllocator final : public Allocator {
 public:
  static constexpr size_t kRoundBytes = 512;
  static constexpr size_t kSmallLimit = size_t{1} << 20;    // 1 MiB
  static constexpr size_t kSegmentBytes = size_t{2} << 20;  // 2 MiB
  static constexpr size_t kLargeSplitRemainder = kSmallLimit;

  explicit DeviceCachingAllocator(int device);
  ~DeviceCachingAllocator() override;

  void* allocate(size_t nbytes) override;
  void deallocate(void* ptr, size_t nbytes) override;
  AllocatorStats stats() const override;
  void reset_peak() override;
  void empty_cache() override;

  // The size a request of `nbytes` takes from the cache.
  static size_t rounded_size(size_t nbytes);

  // Work queued on `stream` uses the allocation starting at `ptr`: when it is
  // freed, its memory waits for that work (see NOTE [ cross-stream frees ]).
  void record_stream(void* ptr, StreamHandle stream);
  // Freed blocks still waiting for other streams' events.
  size_t pending_frees() const;

 private:
  struct Block;
  struct BySizeThenAddress {
    bool operator()(const Block* a, const Block* b) const;
  };
  using Pool = std::set<Block*, BySizeThenAddress>;

  struct PendingFree {
    EventHandle event;
    Block* block;
  };

  Block* take_free_block(Pool& pool, size_t size, StreamHandle stream);
  Block* new_segment(size_t segment_bytes, bool small, StreamHandle stream, size_t requested);
  void release_free_segments();
  // Returns a block no tensor uses any more to its pool, merged with free neighbours.
  void return_to_pool(Block* block);
  // Returns the blocks whose events have completed; with `wait`, waits for all first.
  void process_pending_frees(bool wait);

  int device_;
  mutable std::mutex mutex_;
  Pool small_pool_;
  Pool large_pool_;
  std::unordered_map<void*, Block*> allocated_;
  std::vector<PendingFree> pending_;
  std::vector<EventHandle> idle_events_;  // recycled: creating events costs a driver call
  AllocatorStats stats_;
};

MINI_CUDA_END_NAMESPACE
