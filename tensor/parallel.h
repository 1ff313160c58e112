#pragma once
// parallel_for over a persistent thread pool sized to the machine's cores.
// Work below `grain` items runs on the calling thread; nested calls (from
// inside a parallel region) and calls while another thread holds the pool
// run serially, so ops may be called from any thread (DataLoader workers).
#include <cstdint>
#include <type_traits>
#include <utility>

namespace mini {

// Threads used by CPU kernels (default: hardware cores, or MINI_NUM_THREADS).
int num_threads();
void set_num_threads(int count);

// While alive, parallel_for on this thread runs serially and never takes the
// pool. DataLoader workers use it: the training thread then always gets the
// whole pool, so its results (the chunking of reductions and GEMMs) never
// depend on what the workers happen to be doing.
class SerialThreadGuard {
 public:
  SerialThreadGuard();
  ~SerialThreadGuard();
  SerialThreadGuard(const SerialThreadGuard&) = delete;
  SerialThreadGuard& operator=(const SerialThreadGuard&) = delete;

 private:
  bool previous_;
};

namespace detail {
// A non-owning reference to a callable taking (begin, end): no allocation per call.
struct RangeFnRef {
  void* object;
  void (*invoke)(void*, int64_t, int64_t);
};
void parallel_for_impl(int64_t begin, int64_t end, int64_t grain, RangeFnRef fn);
}  // namespace detail

// Calls fn(chunk_begin, chunk_end) over disjoint chunks covering [begin, end).
template <typename Fn>
void parallel_for(int64_t begin, int64_t end, int64_t grain, Fn&& fn) {
  if (end <= begin) return;
  using F = std::remove_reference_t<Fn>;
  detail::RangeFnRef ref{const_cast<void*>(static_cast<const void*>(&fn)),
                         [](void* object, int64_t b, int64_t e) { (*static_cast<F*>(object))(b, e); }};
  detail::parallel_for_impl(begin, end, grain, ref);
}

}  // namespace mini
