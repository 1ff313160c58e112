// Launchers for copy, fill, arange, unary, binary and where (cuda/kernels/elementwise.cuh).
#include "cuda/kernels/elementwise.cuh"
#include "cuda/launchers/dispatch.cuh"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE

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
