// CPU caching allocator.
// NOTE: a training step allocates the same sizes in the same order every
// iteration, so exact-size free lists (sizes rounded up to 64 bytes) reach a
// steady state with no system allocation after the first step.
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "tensor/allocator.h"
#include "tensor/error.h"

namespace mini {
namespace {

constexpr size_t kAlignment = 64;  // a cache line, and the widest SIMD load (AVX-512)

class CpuCachingAllocator final : public Allocator {
 public:
  ~CpuCachingAllocator() override { release_cached(); }

  void* allocate(size_t nbytes) override {
    if (nbytes == 0) return nullptr;
    const size_t rounded = round_up(nbytes);
    std::lock_guard lock(mutex_);
    ++stats_.allocation_count;
    void* ptr = nullptr;
    auto it = free_blocks_.find(rounded);
    if (it != free_blocks_.end() && !it->second.empty()) {
      ptr = it->second.back();
      it->second.pop_back();
    } else {
      ptr = std::aligned_alloc(kAlignment, rounded);
      if (ptr == nullptr) {
        release_cached_locked();  // retry once with the cache returned to the system
        ptr = std::aligned_alloc(kAlignment, rounded);
      }
      MINI_CHECK(ptr != nullptr, "out of CPU memory: asked for {} bytes with {} bytes in use", nbytes,
                 stats_.bytes_in_use);
      ++stats_.system_allocations;
      stats_.bytes_reserved += static_cast<int64_t>(rounded);
    }
    stats_.bytes_in_use += static_cast<int64_t>(rounded);
    if (stats_.bytes_in_use > stats_.peak_bytes_in_use) stats_.peak_bytes_in_use = stats_.bytes_in_use;
    return ptr;
  }

  void deallocate(void* ptr, size_t nbytes) override {
    if (ptr == nullptr) return;
    const size_t rounded = round_up(nbytes);
    std::lock_guard lock(mutex_);
    stats_.bytes_in_use -= static_cast<int64_t>(rounded);
    free_blocks_[rounded].push_back(ptr);
  }

  AllocatorStats stats() const override {
    std::lock_guard lock(mutex_);
    return stats_;
  }
  void reset_peak() override {
    std::lock_guard lock(mutex_);
    stats_.peak_bytes_in_use = stats_.bytes_in_use;
  }
  void empty_cache() override { release_cached(); }

 private:
  static size_t round_up(size_t nbytes) { return (nbytes + kAlignment - 1) / kAlignment * kAlignment; }

  void release_cached() {
    std::lock_guard lock(mutex_);
    release_cached_locked();
  }
  void release_cached_locked() {
    for (auto& [size, blocks] : free_blocks_) {
      for (void* block : blocks) std::free(block);
      stats_.bytes_reserved -= static_cast<int64_t>(size * blocks.size());
      blocks.clear();
    }
  }

  mutable std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_blocks_;
  AllocatorStats stats_;
};

}  // namespace

Allocator& cpu_allocator() {
  // Leaked on purpose: tensors held by static objects may be freed after main().
  static auto* allocator = new CpuCachingAllocator();
  return *allocator;
}

}  // namespace mini
