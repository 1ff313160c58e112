#include "cuda/emu/fiber_stack.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "cuda/emu/failure.h"

namespace mini::cuda::emu {

std::size_t fiber_stack_bytes() {
#if defined(__SANITIZE_ADDRESS__)
  std::size_t kilobytes = 64;
#else
  std::size_t kilobytes = 16;
#endif
  if (const char* text = std::getenv("MINI_EMU_STACK_KB")) {
    char* end = nullptr;
    const unsigned long value = std::strtoul(text, &end, 10);
    if (end == text || *end != '\0' || value < 4) {
      kernel_failure(concat("MINI_EMU_STACK_KB=", text, " is not a whole number of kilobytes >= 4"));
    }
    kilobytes = value;
  }
  return kilobytes * 1024;
}

FiberStackPool::FiberStackPool(std::size_t usable_bytes) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  usable_bytes_ = (usable_bytes + page - 1) / page * page;
  mapping_bytes_ = usable_bytes_ + page;
}

FiberStackPool::~FiberStackPool() {
  for (void* mapping : mappings_) ::munmap(mapping, mapping_bytes_);
}

boost::context::stack_context FiberStackPool::take() {
  void* mapping = nullptr;
  if (!free_.empty()) {
    mapping = free_.back();
    free_.pop_back();
  } else {
    mapping = ::mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping == MAP_FAILED) kernel_failure("could not map a fiber stack (out of memory?)");
    // Stacks grow down, so the guard page is the lowest one.
    ::mprotect(mapping, mapping_bytes_ - usable_bytes_, PROT_NONE);
    mappings_.push_back(mapping);
  }
  boost::context::stack_context stack;
  stack.size = usable_bytes_;
  stack.sp = static_cast<char*>(mapping) + mapping_bytes_;
  return stack;
}

void FiberStackPool::give_back(const boost::context::stack_context& stack) {
  free_.push_back(static_cast<char*>(stack.sp) - mapping_bytes_);
}

}  // namespace mini::cuda::emu
