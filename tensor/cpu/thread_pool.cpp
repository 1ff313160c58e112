// The persistent pool behind parallel_for.
// NOTE: workers spin briefly before sleeping because ops arrive back to back
// during training; waking a sleeping thread costs ~10-50 us, more than a
// small op. The spin is bounded so an idle process uses no CPU.
// NOTE: the caller waiting for the workers spins only briefly too, then
// sleeps on the counter (futex). An unbounded spin is fast on an idle machine
// but disastrous on a busy one: when a worker is descheduled (DataLoader
// threads, other processes on a 2-core machine) the caller burns its whole
// time slice, and the worker cannot run on the core the caller occupies.
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "tensor/error.h"
#include "tensor/parallel.h"

namespace mini {
namespace {

thread_local bool in_parallel_region = false;

int default_thread_count() {
  if (const char* env = std::getenv("MINI_NUM_THREADS")) {
    const int count = std::atoi(env);
    if (count > 0) return count;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

class ThreadPool {
 public:
  explicit ThreadPool(int threads) { resize(threads); }
  ~ThreadPool() { stop_workers(); }

  int size() const { return thread_count_; }

  void resize(int threads) {
    std::lock_guard submit(submit_mutex_);
    stop_workers();
    thread_count_ = std::max(1, threads);
    stopping_ = false;
    // NOTE: the starting generation is read here, not by the new thread: a
    // thread that starts late would otherwise see the first job's generation
    // as already "seen", skip that job, and leave the caller spinning.
    const uint64_t start = generation_.load(std::memory_order_acquire);
    for (int i = 1; i < thread_count_; ++i) workers_.emplace_back([this, i, start] { worker_loop(i, start); });
  }

  // Runs fn over `chunks` chunks of [begin, end); the caller does chunk 0.
  bool try_run(int64_t begin, int64_t end, int chunks, detail::RangeFnRef fn) {
    std::unique_lock submit(submit_mutex_, std::try_to_lock);
    if (!submit.owns_lock()) return false;
    const Job job{begin, end, chunks, fn};
    remaining_.store(chunks - 1, std::memory_order_relaxed);
    {
      std::lock_guard lock(wake_mutex_);
      job_ = job;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    run_chunk(job, 0);
    for (int spin = 0; spin < kCallerSpins && remaining_.load(std::memory_order_acquire) > 0; ++spin) _mm_pause();
    for (int left = remaining_.load(std::memory_order_acquire); left > 0;
         left = remaining_.load(std::memory_order_acquire)) {
      remaining_.wait(left, std::memory_order_acquire);
    }
    if (error_) {
      std::exception_ptr error = std::exchange(error_, nullptr);
      std::rethrow_exception(error);
    }
    return true;
  }

 private:
  // About 50 us and 5 us of pause instructions.
  static constexpr int kWorkerSpins = 5000;
  static constexpr int kCallerSpins = 500;

  struct Job {
    int64_t begin = 0, end = 0;
    int chunks = 0;
    detail::RangeFnRef fn{};
  };

  void run_chunk(const Job& job, int chunk) {
    const int64_t total = job.end - job.begin;
    const int64_t chunk_begin = job.begin + total * chunk / job.chunks;
    const int64_t chunk_end = job.begin + total * (chunk + 1) / job.chunks;
    in_parallel_region = true;
    try {
      if (chunk_begin < chunk_end) job.fn.invoke(job.fn.object, chunk_begin, chunk_end);
    } catch (...) {
      std::lock_guard lock(error_mutex_);
      if (!error_) error_ = std::current_exception();
    }
    in_parallel_region = false;
  }

  void worker_loop(int index, uint64_t seen) {
    while (true) {
      // Spin a little, then sleep until the generation changes.
      for (int spin = 0; spin < kWorkerSpins && generation_.load(std::memory_order_acquire) == seen; ++spin) {
        _mm_pause();
      }
      Job job;
      {
        // The job is copied under the lock it was published with, so a
        // worker never reads a job that is being replaced.
        std::unique_lock lock(wake_mutex_);
        wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen || stopping_; });
        if (stopping_) return;
        seen = generation_.load(std::memory_order_acquire);
        job = job_;
      }
      if (index < job.chunks) {
        run_chunk(job, index);
        if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) remaining_.notify_all();
      }
    }
  }

  void stop_workers() {
    {
      std::lock_guard lock(wake_mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& worker : workers_) worker.join();
    workers_.clear();
  }

  int thread_count_ = 1;
  std::vector<std::thread> workers_;
  std::mutex submit_mutex_;
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> remaining_{0};
  bool stopping_ = false;
  Job job_;
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

ThreadPool& pool() {
  static auto* instance = new ThreadPool(default_thread_count());  // leaked: workers must outlive static tensors
  return *instance;
}

}  // namespace

int num_threads() { return pool().size(); }

SerialThreadGuard::SerialThreadGuard() : previous_(in_parallel_region) { in_parallel_region = true; }
SerialThreadGuard::~SerialThreadGuard() { in_parallel_region = previous_; }

void set_num_threads(int count) {
  MINI_CHECK(count >= 1, "set_num_threads: expected at least 1 thread, got {}", count);
  if (count != pool().size()) pool().resize(count);
}

namespace detail {

void parallel_for_impl(int64_t begin, int64_t end, int64_t grain, RangeFnRef fn) {
  const int64_t total = end - begin;
  const int64_t max_chunks = grain > 0 ? (total + grain - 1) / grain : total;
  const int chunks = static_cast<int>(std::min<int64_t>(pool().size(), max_chunks));
  if (chunks <= 1 || in_parallel_region || !pool().try_run(begin, end, chunks, fn)) {
    fn.invoke(fn.object, begin, end);
  }
}

}  // namespace detail
}  // namespace mini
