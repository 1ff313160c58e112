#pragma once
// Helpers shared by the launchers: dtype dispatch and launch geometry.
#include <string>

#include "cuda/kernels/op_codes.h"
#include "cuda/kernels/scalar.cuh"
#include "cuda/launch.h"

MINI_CUDA_BEGIN_NAMESPACE

template <typename T>
struct TypeTag {
  using type = T;
};

// Calls fn(TypeTag<T>{}) with T the kernel storage type of `kind`.
template <typename Fn>
void dispatch_kind(ScalarKind kind, Fn&& fn) {
  switch (kind) {
    case ScalarKind::f32:
      return fn(TypeTag<float>{});
    case ScalarKind::f64:
      return fn(TypeTag<double>{});
    case ScalarKind::f16:
      return fn(TypeTag<half_bits>{});
    case ScalarKind::bf16:
      return fn(TypeTag<bfloat16_bits>{});
    case ScalarKind::i32:
      return fn(TypeTag<int32_t>{});
    case ScalarKind::i64:
      return fn(TypeTag<int64_t>{});
    case ScalarKind::b8:
      return fn(TypeTag<bool>{});
    case ScalarKind::u8:
      return fn(TypeTag<uint8_t>{});
  }
}

// dispatch_kind for the floating kinds only (the backend rejects the others
// first; this keeps integer instantiations of floating kernels from compiling).
template <typename Fn>
void dispatch_floating_kind(ScalarKind kind, const char* op, Fn&& fn) {
  dispatch_kind(kind, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (is_floating_v<T>) {
      fn(tag);
    } else {
      emu::throw_host_error(std::string(op) + ": expected a floating-point tensor");
    }
  });
}

// Calls fn(TypeTag<Bits>{}) with Bits the unsigned integer of `element_size` bytes.
template <typename Fn>
void dispatch_bits(size_t element_size, Fn&& fn) {
  switch (element_size) {
    case 1:
      return fn(TypeTag<uint8_t>{});
    case 2:
      return fn(TypeTag<uint16_t>{});
    case 4:
      return fn(TypeTag<uint32_t>{});
    case 8:
      return fn(TypeTag<uint64_t>{});
    default:
      emu::throw_host_error("cuda: unsupported element size " + std::to_string(element_size));
  }
}

inline constexpr unsigned kBlockThreads = 256;
// Grid-stride kernels cap their grid: enough blocks to fill an H100 (132 SMs
// x 16 resident blocks of 256 threads) several times over, and few enough
// that the emulator does not create a fiber per element of big tensors.
inline constexpr int64_t kMaxBlocks = 4096;

inline dim3 grid_for(int64_t work_items, unsigned threads = kBlockThreads) {
  const int64_t blocks = (work_items + threads - 1) / threads;
  return dim3(static_cast<unsigned>(blocks < 1 ? 1 : blocks > kMaxBlocks ? kMaxBlocks : blocks));
}

inline cuda::Stream as_stream(void* stream) { return static_cast<cuda::Stream>(stream); }

MINI_CUDA_END_NAMESPACE
