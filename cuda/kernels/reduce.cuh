#pragma once
// Reductions (sum, prod, max, min, all, any) and arg reductions.
//
// The host splits src's dims into kept dims (dst has them) and reduced dims,
// each coalesced. Three kernels:
//  - reduce_thread_kernel: one thread per output, a serial loop over the
//    reduced elements. Used when the kept dims are innermost, so neighbouring
//    threads read neighbouring elements (a sum over dim 0 of a matrix).
//  - reduce_block_kernel: one block per output (or per slice of an output's
//    range), threads stride over the reduced elements, then a warp-shuffle
//    block reduction. With `splits` > 1 each block writes a partial
//    accumulator and reduce_partials_kernel folds them (a full sum of many
//    elements would otherwise run on one SM).
// Accumulators follow the CPU backend: floating sums in double, floating
// products in float (double for f64), integer sums and products in int64
// (wrapping), max/min in compute_t with NaN sticky.
#include "cuda/kernels/block_reduce.cuh"
#include "cuda/kernels/geometry.cuh"
#include "cuda/kernels/math.cuh"
#include "cuda/kernels/op_codes.h"

MINI_CUDA_BEGIN_NAMESPACE

template <typename T>
using floating_product_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

template <ReduceCode Op, typename T>
struct Reducer;

template <typename T>
struct Reducer<ReduceCode::sum, T> {
  using Acc = std::conditional_t<is_floating_v<T>, double, int64_t>;
  MINI_KERNEL_INLINE static Acc identity() { return 0; }
  MINI_KERNEL_INLINE static Acc combine(Acc a, Acc b) {
    if constexpr (std::is_integral_v<Acc>) {
      return static_cast<Acc>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
    } else {
      return a + b;
    }
  }
};

template <typename T>
struct Reducer<ReduceCode::prod, T> {
  using Acc = std::conditional_t<is_floating_v<T>, floating_product_t<compute_t<T>>, int64_t>;
  MINI_KERNEL_INLINE static Acc identity() { return 1; }
  MINI_KERNEL_INLINE static Acc combine(Acc a, Acc b) {
    if constexpr (std::is_integral_v<Acc>) {
      return static_cast<Acc>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
    } else {
      return a * b;
    }
  }
};

// NOTE: the NaN term makes NaN sticky (max of anything with NaN is NaN).
template <typename T>
struct Reducer<ReduceCode::max, T> {
  using Acc = compute_t<T>;
  MINI_KERNEL_INLINE static Acc identity() {
    if constexpr (std::numeric_limits<Acc>::has_infinity) return -std::numeric_limits<Acc>::infinity();
    return std::numeric_limits<Acc>::lowest();
  }
  MINI_KERNEL_INLINE static Acc combine(Acc a, Acc b) { return (b > a || m_isnan(b)) && !m_isnan(a) ? b : a; }
};

template <typename T>
struct Reducer<ReduceCode::min, T> {
  using Acc = compute_t<T>;
  MINI_KERNEL_INLINE static Acc identity() {
    if constexpr (std::numeric_limits<Acc>::has_infinity) return std::numeric_limits<Acc>::infinity();
    return std::numeric_limits<Acc>::max();
  }
  MINI_KERNEL_INLINE static Acc combine(Acc a, Acc b) { return (b < a || m_isnan(b)) && !m_isnan(a) ? b : a; }
};

template <typename T>
struct Reducer<ReduceCode::all, T> {
  using Acc = bool;
  MINI_KERNEL_INLINE static Acc identity() { return true; }
  MINI_KERNEL_INLINE static Acc combine(Acc a, Acc b) { return a && b; }
};

template <typename T>
struct Reducer<ReduceCode::any, T> {
  using Acc = bool;
  MINI_KERNEL_INLINE static Acc identity() { return false; }
  MINI_KERNEL_INLINE static Acc combine(Acc a, Acc b) { return a || b; }
};

template <typename R>
struct CombineWith {
  template <typename A>
  MINI_DEVICE_INLINE A operator()(A a, A b) const {
    return R::combine(a, b);
  }
};

template <typename R, typename T>
MINI_DEVICE_INLINE typename R::Acc accumulate_range(const ReduceGeometry& g, const T* base, int64_t begin, int64_t end,
                                                    int64_t step) {
  using Acc = typename R::Acc;
  Acc acc = R::identity();
  for (int64_t r = begin; r < end; r += step) {
    acc = R::combine(acc, static_cast<Acc>(load(base[offsets_of(g.reduced, r).at[0]])));
  }
  return acc;
}

template <typename T, ReduceCode Op>
__global__ void reduce_thread_kernel(ReduceGeometry g, T* dst, const T* src) {
  using R = Reducer<Op, T>;
  for (int64_t o = global_thread_index(); o < g.kept.numel; o += grid_thread_count()) {
    const Offsets<2> out = offsets_of(g.kept, o);
    dst[out.at[1]] = convert<T>(accumulate_range<R>(g, src + out.at[0], 0, g.reduced.numel, 1));
  }
}

// Unit u = (output u / splits, slice u % splits). splits == 1 writes dst;
// otherwise partials[u] gets the slice's accumulator.
template <typename T, ReduceCode Op>
__global__ void reduce_block_kernel(ReduceGeometry g, int64_t splits, T* dst, const T* src,
                                    typename Reducer<Op, T>::Acc* partials) {
  using R = Reducer<Op, T>;
  const int64_t n = g.reduced.numel;
  for (int64_t unit = blockIdx.x; unit < g.kept.numel * splits; unit += gridDim.x) {
    const int64_t o = unit / splits, slice = unit % splits;
    const Offsets<2> out = offsets_of(g.kept, o);
    const int64_t begin = n * slice / splits, end = n * (slice + 1) / splits;
    const auto acc = block_all_reduce(accumulate_range<R>(g, src + out.at[0], begin + threadIdx.x, end, blockDim.x),
                                      CombineWith<R>{}, R::identity());
    if (threadIdx.x == 0) {
      if (splits == 1) {
        dst[out.at[1]] = convert<T>(acc);
      } else {
        partials[unit] = acc;
      }
    }
  }
}

// dst over the kept dims (g.kept's dst strides) from partials (outputs, splits).
template <typename T, ReduceCode Op>
__global__ void reduce_partials_kernel(Strided<2> kept, int64_t splits, T* dst,
                                       const typename Reducer<Op, T>::Acc* partials) {
  using R = Reducer<Op, T>;
  for (int64_t o = global_thread_index(); o < kept.numel; o += grid_thread_count()) {
    auto acc = R::identity();
    for (int64_t s = 0; s < splits; ++s) acc = R::combine(acc, partials[o * splits + s]);
    dst[offsets_of(kept, o).at[1]] = convert<T>(acc);
  }
}

// ---- arg reductions ------------------------------------------------------

// Whether candidate (value, index) beats best: strictly better, or the
// first NaN (NaN counts as both the max and the min), or equal with a
// smaller index (the first occurrence wins ties whatever the thread order).
template <bool ArgMax, typename C>
MINI_DEVICE_INLINE bool arg_better(C value, int64_t index, C best, int64_t best_index) {
  const bool value_nan = m_isnan(value), best_nan = m_isnan(best);
  if (value_nan || best_nan) return value_nan && (!best_nan || index < best_index);
  if (value == best) return index < best_index;
  return ArgMax ? value > best : value < best;
}

// kept: (src, values, indices) over the kept dims; the reduced dim has
// `length` elements `step` apart in src. One block per output.
template <typename T, bool ArgMax>
__global__ void arg_reduce_kernel(Strided<3> kept, int64_t length, int64_t step, T* values, int64_t* indices,
                                  const T* src) {
  using C = compute_t<T>;
  const int64_t no_index = std::numeric_limits<int64_t>::max();  // loses every tie
  for (int64_t o = blockIdx.x; o < kept.numel; o += gridDim.x) {
    const Offsets<3> out = offsets_of(kept, o);
    const T* row = src + out.at[0];
    C best = load(row[0]);
    int64_t best_index = no_index;
    for (int64_t r = threadIdx.x; r < length; r += blockDim.x) {
      const C value = load(row[r * step]);
      if (best_index == no_index || arg_better<ArgMax>(value, r, best, best_index)) {
        best = value;
        best_index = r;
      }
    }
    // Two rounds through the block: the winning value, then the smallest index holding it.
    for (int lane_mask = 16; lane_mask > 0; lane_mask /= 2) {
      const C other = shuffle_xor(best, lane_mask);
      const int64_t other_index = shuffle_xor(best_index, lane_mask);
      if (other_index != no_index &&
          (best_index == no_index || arg_better<ArgMax>(other, other_index, best, best_index))) {
        best = other;
        best_index = other_index;
      }
    }
    __shared__ C warp_best[32];
    __shared__ int64_t warp_index[32];
    __syncthreads();
    if (threadIdx.x % 32 == 0) {
      warp_best[threadIdx.x / 32] = best;
      warp_index[threadIdx.x / 32] = best_index;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      for (unsigned w = 1; w < blockDim.x / 32; ++w) {
        if (warp_index[w] != no_index && arg_better<ArgMax>(warp_best[w], warp_index[w], best, best_index)) {
          best = warp_best[w];
          best_index = warp_index[w];
        }
      }
      indices[out.at[2]] = best_index;
      values[out.at[1]] = row[best_index * step];  // the element itself, bit for bit
    }
  }
}

MINI_CUDA_END_NAMESPACE
