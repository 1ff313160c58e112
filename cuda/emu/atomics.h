#pragma once
// CUDA atomics on global or shared memory, through std::atomic_ref.
//
// The threads of one block are fibers on one OS thread and never preempt each
// other, but different blocks run on different worker threads, so global-memory
// atomics must be real atomics. Relaxed order matches CUDA's atomics, which imply
// no fence. The value parameter is a non-deduced context so that
// atomicAdd(unsigned_ptr, 1) converts 1 as CUDA's overloads would.

#include <atomic>
#include <type_traits>

namespace mini::cuda::emu::detail {

template <typename T, typename Update>
T atomic_update(T* address, Update update) {
  std::atomic_ref<T> ref(*address);
  T old = ref.load(std::memory_order_relaxed);
  while (!ref.compare_exchange_weak(old, update(old), std::memory_order_relaxed)) {
  }
  return old;
}

}  // namespace mini::cuda::emu::detail

template <typename T>
T atomicAdd(T* address, std::type_identity_t<T> value) {
  return std::atomic_ref<T>(*address).fetch_add(value, std::memory_order_relaxed);
}

template <typename T>
T atomicSub(T* address, std::type_identity_t<T> value) {
  return std::atomic_ref<T>(*address).fetch_sub(value, std::memory_order_relaxed);
}

template <typename T>
T atomicExch(T* address, std::type_identity_t<T> value) {
  return std::atomic_ref<T>(*address).exchange(value, std::memory_order_relaxed);
}

template <typename T>
T atomicCAS(T* address, std::type_identity_t<T> compare, std::type_identity_t<T> value) {
  std::atomic_ref<T>(*address).compare_exchange_strong(compare, value, std::memory_order_relaxed);
  return compare;  // holds the old value whether or not the swap happened
}

template <typename T>
T atomicMax(T* address, std::type_identity_t<T> value) {
  return mini::cuda::emu::detail::atomic_update(address, [value](T old) { return old < value ? value : old; });
}

template <typename T>
T atomicMin(T* address, std::type_identity_t<T> value) {
  return mini::cuda::emu::detail::atomic_update(address, [value](T old) { return value < old ? value : old; });
}

template <typename T>
T atomicAnd(T* address, std::type_identity_t<T> value) {
  static_assert(std::is_integral_v<T>, "atomicAnd takes integers");
  return std::atomic_ref<T>(*address).fetch_and(value, std::memory_order_relaxed);
}

template <typename T>
T atomicOr(T* address, std::type_identity_t<T> value) {
  static_assert(std::is_integral_v<T>, "atomicOr takes integers");
  return std::atomic_ref<T>(*address).fetch_or(value, std::memory_order_relaxed);
}

template <typename T>
T atomicXor(T* address, std::type_identity_t<T> value) {
  static_assert(std::is_integral_v<T>, "atomicXor takes integers");
  return std::atomic_ref<T>(*address).fetch_xor(value, std::memory_order_relaxed);
}
