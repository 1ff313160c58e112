// The CUDA caching allocator; see NOTE [ device block sizes ] in caching_allocator.h.
#include "cuda/runtime/caching_allocator.h"

#include <tuple>
#include <vector>

#include "cuda/runtime/stream.h"
#include "tensor/error.h"

MINI_CUDA_BEGIN_NAMESPACE

// A piece of a segment (one device_malloc). prev/next link the pieces of one
// segment in address order, so a freed block can merge with its neighbours.
// `allocated` means "not in a pool": in use, or freed but waiting for events.
struct DeviceCachingAllocator::Block {
  char* pointer;
  size_t size;
  bool small;
  bool allocated;
  StreamHandle stream;
  Block* prev;
  Block* next;
  std::vector<StreamHandle> other_streams;  // from record_stream
  int pending_events;
};

bool DeviceCachingAllocator::BySizeThenAddress::operator()(const Block* a, const Block* b) const {
  return std::make_tuple(a->stream, a->size, a->pointer) < std::make_tuple(b->stream, b->size, b->pointer);
}

namespace {

size_t round_up(size_t value, size_t multiple) { return (value + multiple - 1) / multiple * multiple; }

}  // namespace

DeviceCachingAllocator::DeviceCachingAllocator(int device) : device_(device) {}

DeviceCachingAllocator::~DeviceCachingAllocator() {
  // Blocks still allocated belong to tensors that outlive the allocator (static
  // objects at exit): leave their segments alone.
  std::lock_guard lock(mutex_);
  process_pending_frees(/*wait=*/true);
  release_free_segments();
  for (EventHandle event : idle_events_) event_destroy(event);
}

size_t DeviceCachingAllocator::rounded_size(size_t nbytes) { return round_up(nbytes, kRoundBytes); }

DeviceCachingAllocator::Block* DeviceCachingAllocator::take_free_block(Pool& pool, size_t size, StreamHandle stream) {
  Block key{nullptr, size, false, false, stream, nullptr, nullptr, {}, 0};
  const auto found = pool.lower_bound(&key);
  if (found == pool.end() || (*found)->stream != stream) return nullptr;
  Block* block = *found;
  pool.erase(found);
  return block;
}

DeviceCachingAllocator::Block* DeviceCachingAllocator::new_segment(size_t segment_bytes, bool small,
                                                                   StreamHandle stream, size_t requested) {
  // cudaMalloc serves the thread's current device, which need not be ours
  // (ops::empty on cuda:1 can be a thread's first CUDA call).
  set_device(device_);
  void* pointer = device_malloc(segment_bytes);
  if (pointer == nullptr) {
    process_pending_frees(/*wait=*/true);
    release_free_segments();  // retry once with the cache returned to the device
    pointer = device_malloc(segment_bytes);
  }
  if (pointer == nullptr) {
    const DeviceMemoryInfo info = device_memory_info();
    throw Error(fmt::format(
        "CUDA out of memory on cuda:{}: tried to allocate {} bytes ({:.2f} MiB); {} bytes in use by tensors, {} "
        "bytes reserved by the caching allocator, {} bytes free of {} on the device",
        device_, requested, static_cast<double>(requested) / (1 << 20), stats_.bytes_in_use, stats_.bytes_reserved,
        info.free_bytes, info.total_bytes));
  }
  ++stats_.system_allocations;
  stats_.bytes_reserved += static_cast<int64_t>(segment_bytes);
  return new Block{static_cast<char*>(pointer), segment_bytes, small, false, stream, nullptr, nullptr, {}, 0};
}

void* DeviceCachingAllocator::allocate(size_t nbytes) {
  if (nbytes == 0) return nullptr;
  const size_t size = rounded_size(nbytes);
  const bool small = size <= kSmallLimit;
  const StreamHandle stream = current_stream(device_);
  std::lock_guard lock(mutex_);
  if (!pending_.empty()) process_pending_frees(/*wait=*/false);
  Pool& pool = small ? small_pool_ : large_pool_;
  Block* block = take_free_block(pool, size, stream);
  if (block == nullptr)
    block = new_segment(small ? kSegmentBytes : round_up(size, kSegmentBytes), small, stream, nbytes);
  // Split off the rest when it is worth keeping as a block of its own.
  const size_t remainder = block->size - size;
  if (remainder >= (small ? kRoundBytes : kLargeSplitRemainder)) {
    auto* rest = new Block{block->pointer + size, remainder, small, false, stream, block, block->next, {}, 0};
    if (block->next != nullptr) block->next->prev = rest;
    block->next = rest;
    block->size = size;
    pool.insert(rest);
  }
  block->allocated = true;
  allocated_.emplace(block->pointer, block);
  ++stats_.allocation_count;
  stats_.bytes_in_use += static_cast<int64_t>(block->size);
  if (stats_.bytes_in_use > stats_.peak_bytes_in_use) stats_.peak_bytes_in_use = stats_.bytes_in_use;
  return block->pointer;
}

void DeviceCachingAllocator::deallocate(void* ptr, size_t) {
  if (ptr == nullptr) return;
  std::lock_guard lock(mutex_);
  const auto found = allocated_.find(ptr);
  MINI_ASSERT(found != allocated_.end(), "cuda allocator: {} was not allocated here", fmt::ptr(ptr));
  Block* block = found->second;
  allocated_.erase(found);
  stats_.bytes_in_use -= static_cast<int64_t>(block->size);
  if (block->other_streams.empty()) {
    return_to_pool(block);
    return;
  }
  set_device(device_);  // events are created on, and recorded in streams of, the current device
  for (StreamHandle other : block->other_streams) {
    EventHandle event;
    if (idle_events_.empty()) {
      event = event_create();
    } else {
      event = idle_events_.back();
      idle_events_.pop_back();
    }
    event_record(event, other);
    pending_.push_back({event, block});
    ++block->pending_events;
  }
  block->other_streams.clear();
}

void DeviceCachingAllocator::return_to_pool(Block* block) {
  block->allocated = false;
  Pool& pool = block->small ? small_pool_ : large_pool_;
  // Merge with free neighbours, which leave the pool while they change size.
  if (Block* next = block->next; next != nullptr && !next->allocated) {
    pool.erase(next);
    block->size += next->size;
    block->next = next->next;
    if (next->next != nullptr) next->next->prev = block;
    delete next;
  }
  if (Block* prev = block->prev; prev != nullptr && !prev->allocated) {
    pool.erase(prev);
    prev->size += block->size;
    prev->next = block->next;
    if (block->next != nullptr) block->next->prev = prev;
    delete block;
    block = prev;
  }
  pool.insert(block);
}

void DeviceCachingAllocator::process_pending_frees(bool wait) {
  std::vector<PendingFree> still_pending;
  for (const PendingFree& pending : pending_) {
    if (wait) {
      event_synchronize(pending.event);
    } else if (!event_query(pending.event)) {
      still_pending.push_back(pending);
      continue;
    }
    idle_events_.push_back(pending.event);
    if (--pending.block->pending_events == 0) return_to_pool(pending.block);
  }
  pending_ = std::move(still_pending);
}

void DeviceCachingAllocator::record_stream(void* ptr, StreamHandle stream) {
  std::lock_guard lock(mutex_);
  const auto found = allocated_.find(ptr);
  MINI_CHECK(found != allocated_.end(), "cuda allocator: record_stream: {} is not the start of an allocation here",
             fmt::ptr(ptr));
  Block* block = found->second;
  if (stream == block->stream) return;  // its own stream orders it already
  for (StreamHandle other : block->other_streams) {
    if (other == stream) return;
  }
  block->other_streams.push_back(stream);
}

size_t DeviceCachingAllocator::pending_frees() const {
  std::lock_guard lock(mutex_);
  std::set<const Block*> blocks;
  for (const PendingFree& pending : pending_) blocks.insert(pending.block);
  return blocks.size();
}

void DeviceCachingAllocator::release_free_segments() {
  for (Pool* pool : {&small_pool_, &large_pool_}) {
    std::vector<Block*> whole;
    for (Block* block : *pool) {
      if (block->prev == nullptr && block->next == nullptr) whole.push_back(block);
    }
    if (!whole.empty()) {
      set_device(device_);
      device_synchronize();  // queued work may still use a cached block
    }
    for (Block* block : whole) {
      pool->erase(block);
      device_free(block->pointer);
      stats_.bytes_reserved -= static_cast<int64_t>(block->size);
      delete block;
    }
  }
}

AllocatorStats DeviceCachingAllocator::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void DeviceCachingAllocator::reset_peak() {
  std::lock_guard lock(mutex_);
  stats_.peak_bytes_in_use = stats_.bytes_in_use;
}

void DeviceCachingAllocator::empty_cache() {
  std::lock_guard lock(mutex_);
  process_pending_frees(/*wait=*/true);
  release_free_segments();
}

MINI_CUDA_END_NAMESPACE
