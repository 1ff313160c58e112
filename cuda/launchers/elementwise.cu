// Launchers for copy, fill, arange, unary, binary and where (cuda/kernels/elementwise.cuh).
#include "cuda/kernels/elementwise.cuh"
#include "cuda/launchers/dispatch.cuh"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE
namespace {

bool aligned_16(const void* pointer) { return reinterpret_cast<uintptr_t>(pointer) % 16 == 0; }

// Whether operand j of g walks memory contiguously (see NOTE [ packed elementwise ]).
template <int N>
bool contiguous_operand(const Strided<N>& g, int j) {
  return g.rank == 1 && g.strides[j][0] == 1;
}

template <int N>
bool broadcast_operand(const Strided<N>& g, int j) {
  return g.rank == 1 && g.strides[j][0] == 0;
}

}  // namespace

void launch_copy(ScalarKind to, ScalarKind from, const Strided<2>& g, void* dst, const void* src, StreamHandle stream) {
  dispatch_kind(to, [&](auto to_tag) {
    using To = typename decltype(to_tag)::type;
    dispatch_kind(from, [&](auto from_tag) {
      using From = typename decltype(from_tag)::type;
      launch(copy_kernel<To, From>, grid_for(g.numel), dim3(kBlockThreads), 0, as_stream(stream), g,
             static_cast<To*>(dst), static_cast<const From*>(src));
    });
  });
}

void launch_fill(size_t element_size, const Strided<1>& g, void* dst, uint64_t value_bits, StreamHandle stream) {
  dispatch_bits(element_size, [&](auto tag) {
    using Bits = typename decltype(tag)::type;
    launch(fill_kernel<Bits>, grid_for(g.numel), dim3(kBlockThreads), 0, as_stream(stream), g, static_cast<Bits*>(dst),
           static_cast<Bits>(value_bits));
  });
}

void launch_arange(ScalarKind kind, void* dst, int64_t stride, int64_t n, double start, double step,
                   StreamHandle stream) {
  dispatch_kind(kind, [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch(arange_kernel<T>, grid_for(n), dim3(kBlockThreads), 0, as_stream(stream), static_cast<T*>(dst), stride, n,
           start, step);
  });
}

void launch_unary(ScalarKind kind, const UnaryArgs& args, const Strided<2>& g, void* dst, const void* src,
                  StreamHandle stream) {
  dispatch_kind(kind, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      emu::throw_host_error("cuda unary: not defined for bool");
    } else {
      if (contiguous_operand(g, 0) && contiguous_operand(g, 1) && aligned_16(dst) && aligned_16(src)) {
        launch(unary_packed_kernel<T>, grid_for(g.numel / Pack<T>::width + 1), dim3(kBlockThreads), 0,
               as_stream(stream), g.numel, args, static_cast<T*>(dst), static_cast<const T*>(src));
        return;
      }
      launch(unary_kernel<T>, grid_for(g.numel), dim3(kBlockThreads), 0, as_stream(stream), g, args,
             static_cast<T*>(dst), static_cast<const T*>(src));
    }
  });
}

void launch_logical_not(ScalarKind src_kind, const Strided<2>& g, void* dst, const void* src, StreamHandle stream) {
  dispatch_kind(src_kind, [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch(logical_not_kernel<T>, grid_for(g.numel), dim3(kBlockThreads), 0, as_stream(stream), g,
           static_cast<bool*>(dst), static_cast<const T*>(src));
  });
}

void launch_binary(ScalarKind kind, BinaryCode op, const Strided<3>& g, void* dst, const void* a, const void* b,
                   int* divided_by_zero, StreamHandle stream) {
  dispatch_kind(kind, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const bool b_scalar = broadcast_operand(g, 2);
    if (contiguous_operand(g, 0) && contiguous_operand(g, 1) && (b_scalar || contiguous_operand(g, 2)) &&
        aligned_16(dst) && aligned_16(a) && (b_scalar || aligned_16(b))) {
      launch(binary_packed_kernel<T>, grid_for(g.numel / Pack<T>::width + 1), dim3(kBlockThreads), 0,
             as_stream(stream), g.numel, op, static_cast<T*>(dst), static_cast<const T*>(a), static_cast<const T*>(b),
             b_scalar, divided_by_zero);
      return;
    }
    launch(binary_kernel<T>, grid_for(g.numel), dim3(kBlockThreads), 0, as_stream(stream), g, op, static_cast<T*>(dst),
           static_cast<const T*>(a), static_cast<const T*>(b), divided_by_zero);
  });
}

void launch_compare(ScalarKind kind, BinaryCode op, const Strided<3>& g, void* dst, const void* a, const void* b,
                    StreamHandle stream) {
  dispatch_kind(kind, [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch(compare_kernel<T>, grid_for(g.numel), dim3(kBlockThreads), 0, as_stream(stream), g, op,
           static_cast<bool*>(dst), static_cast<const T*>(a), static_cast<const T*>(b));
  });
}

void launch_where(size_t element_size, const Strided<4>& g, void* dst, const void* cond, const void* a, const void* b,
                  StreamHandle stream) {
  dispatch_bits(element_size, [&](auto tag) {
    using Bits = typename decltype(tag)::type;
    launch(where_kernel<Bits>, grid_for(g.numel), dim3(kBlockThreads), 0, as_stream(stream), g, static_cast<Bits*>(dst),
           static_cast<const bool*>(cond), static_cast<const Bits*>(a), static_cast<const Bits*>(b));
  });
}

MINI_CUDA_END_NAMESPACE
