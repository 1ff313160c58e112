// CPU reductions (sum, prod, max, min, all, any) and arg reductions (argmax, argmin).
//
// A reduction splits src's dims into two groups: the kept dims (dst has them)
// and the reduced dims (size 1 in dst). Each group is coalesced on its own,
// and the loop shape follows where src's stride-1 dim is:
//  - inner: a reduced dim has stride 1, so every output reduces contiguous
//    runs, summed in several independent vector lanes (reduce_run);
//  - outer: a kept dim has stride 1, so whole rows of src are folded into a
//    row of accumulators, dst_row += src_row, vectorised across the row;
//  - anything else (no stride-1 dim at all) is first copied to a contiguous buffer.
// Work is split over outputs when there are enough of them; otherwise (a full
// reduction, or a few long ones) the reduced range is split over the threads
// and their partial results are combined in order at the end.
//
// Napkin math: summing 16M floats reads 64 MiB; at ~20-25 GB/s for two
// threads that is ~2.7-3.2 ms, so the inner loops only need to keep up with memory.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "tensor/cpu/convert.h"
#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/strided_loop.h"
#include "tensor/ops/factory.h"

namespace mini::cpu {
namespace {

// ---- geometry ----------------------------------------------------------

// A coalesced group of dims, outermost first (the last has the smallest src stride).
struct DimGroup {
  Shape sizes;
  Shape src_strides;  // in elements
  Shape dst_strides;  // in elements; kept dims only
  int64_t numel() const { return numel_of(sizes); }
  int64_t rank() const { return static_cast<int64_t>(sizes.size()); }
};

struct ReduceGeometry {
  DimGroup kept;
  DimGroup reduced;
};

// `reduced_shape` has src's rank with size 1 in the reduced dims. Dims of size
// 1 in src take part in neither group.
ReduceGeometry make_geometry(const Shape& reduced_shape, const Tensor& dst, const Tensor& src) {
  SmallVector<int64_t, 6> kept_dims, reduced_dims;
  for (int64_t d = 0; d < src.dim(); ++d) {
    if (src.sizes()[d] == 1) continue;
    (reduced_shape[d] == 1 ? reduced_dims : kept_dims).push_back(d);
  }
  auto build = [&](SmallVector<int64_t, 6>& dims, bool with_dst) {
    std::stable_sort(dims.begin(), dims.end(),
                     [&](int64_t a, int64_t b) { return src.strides()[a] > src.strides()[b]; });
    DimGroup group;
    for (int64_t d : dims) {
      const int64_t size = src.sizes()[d];
      const bool mergeable = !group.sizes.empty() && group.src_strides.back() == src.strides()[d] * size &&
                             (!with_dst || group.dst_strides.back() == dst.strides()[d] * size);
      if (mergeable) {
        group.sizes.back() *= size;
        group.src_strides.back() = src.strides()[d];
        if (with_dst) group.dst_strides.back() = dst.strides()[d];
      } else {
        group.sizes.push_back(size);
        group.src_strides.push_back(src.strides()[d]);
        if (with_dst) group.dst_strides.push_back(dst.strides()[d]);
      }
    }
    return group;
  };
  return {build(kept_dims, true), build(reduced_dims, false)};
}

// Walks the first `rank` dims of a group in row-major order, tracking the
// element offset into src (and dst for kept dims).
struct Odometer {
  const DimGroup& group;
  int64_t rank;
  Shape index;
  int64_t src_offset = 0;
  int64_t dst_offset = 0;

  Odometer(const DimGroup& group_, int64_t rank_, int64_t flat_start)
      : group(group_), rank(rank_), index(static_cast<size_t>(rank_), 0) {
    for (int64_t d = rank; d-- > 0;) {
      index[d] = flat_start % group.sizes[d];
      flat_start /= group.sizes[d];
      src_offset += index[d] * group.src_strides[d];
      if (!group.dst_strides.empty()) dst_offset += index[d] * group.dst_strides[d];
    }
  }
  void next() {
    for (int64_t d = rank; d-- > 0;) {
      src_offset += group.src_strides[d];
      if (!group.dst_strides.empty()) dst_offset += group.dst_strides[d];
      if (++index[d] < group.sizes[d]) return;
      src_offset -= group.src_strides[d] * group.sizes[d];
      if (!group.dst_strides.empty()) dst_offset -= group.dst_strides[d] * group.sizes[d];
      index[d] = 0;
    }
  }
};

// ---- reducers ----------------------------------------------------------
// Lane: the type of the vectorised accumulators. Total: the type lanes are
// combined in. They differ only for floating sums: blocks accumulate in float
// (fast, 16 lanes per AVX-512 register) and blocks are combined in double, so
// a 16M-element sum keeps float's relative accuracy instead of losing ~log2(n) bits.

// `value != value` without a self-comparison warning for integer types.
template <typename A>
inline bool is_nan(A value) {
  if constexpr (std::is_floating_point_v<A>) return value != value;
  return false;
}

template <typename T>
using floating_lane_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

template <typename T>
struct SumReducer {
  using Lane = std::conditional_t<std::is_floating_point_v<compute_t<T>>, floating_lane_t<T>, int64_t>;
  using Total = std::conditional_t<std::is_floating_point_v<compute_t<T>>, double, int64_t>;
  static Lane identity() { return 0; }
  template <typename A>
  static A step(A acc, A value) { return acc + value; }
};

template <typename T>
struct ProdReducer {
  using Lane = std::conditional_t<std::is_floating_point_v<compute_t<T>>, floating_lane_t<T>, int64_t>;
  using Total = Lane;
  static Lane identity() { return 1; }
  template <typename A>
  static A step(A acc, A value) { return acc * value; }
};

// NOTE: the is_nan term makes NaN sticky (PyTorch's max of anything with NaN
// is NaN); a plain `value > acc` would let a later number replace the NaN.
template <typename T>
struct MaxReducer {
  using Lane = compute_t<T>;
  using Total = Lane;
  static Lane identity() {
    if constexpr (std::numeric_limits<Lane>::has_infinity) return -std::numeric_limits<Lane>::infinity();
    return std::numeric_limits<Lane>::lowest();
  }
  template <typename A>
  static A step(A acc, A value) { return ((value > acc) | is_nan(value)) ? value : acc; }
};

template <typename T>
struct MinReducer {
  using Lane = compute_t<T>;
  using Total = Lane;
  static Lane identity() {
    if constexpr (std::numeric_limits<Lane>::has_infinity) return std::numeric_limits<Lane>::infinity();
    return std::numeric_limits<Lane>::max();
  }
  template <typename A>
  static A step(A acc, A value) { return ((value < acc) | is_nan(value)) ? value : acc; }
};

struct AllReducer {
  using Lane = bool;
  using Total = bool;
  static Lane identity() { return true; }
  template <typename A>
  static A step(A acc, A value) { return acc & value; }
};

struct AnyReducer {
  using Lane = bool;
  using Total = bool;
  static Lane identity() { return false; }
  template <typename A>
  static A step(A acc, A value) { return acc | value; }
};

template <typename Lane, typename T>
inline Lane load(T value) {
  return static_cast<Lane>(static_cast<compute_t<T>>(value));
}

// Reduces a contiguous run p[0, n). Four vector registers' worth of
// independent lanes hide the add latency; each block of kBlock elements is
// folded into the Total.
template <typename R, typename T>
typename R::Total reduce_run(const T* p, int64_t n) {
  using Lane = typename R::Lane;
  using Total = typename R::Total;
  constexpr int64_t kLanes = 4 * 64 / static_cast<int64_t>(sizeof(Lane));
  constexpr int64_t kBlock = kLanes * 64;
  Total total = R::identity();
  int64_t i = 0;
  while (n - i >= kLanes) {
    Lane lanes[kLanes];
    for (int64_t j = 0; j < kLanes; ++j) lanes[j] = R::identity();
    const int64_t block_end = i + std::min(kBlock, (n - i) / kLanes * kLanes);
    for (; i < block_end; i += kLanes) {
      for (int64_t j = 0; j < kLanes; ++j) lanes[j] = R::step(lanes[j], load<Lane>(p[i + j]));
    }
    // Pairwise fold keeps the lanes' rounding errors from piling up in one sum.
    for (int64_t width = kLanes / 2; width > 0; width /= 2) {
      for (int64_t j = 0; j < width; ++j) lanes[j] = R::step(lanes[j], lanes[j + width]);
    }
    total = R::step(total, static_cast<Total>(lanes[0]));
  }
  Lane tail = R::identity();
  for (; i < n; ++i) tail = R::step(tail, load<Lane>(p[i]));
  return R::step(total, static_cast<Total>(tail));
}

// Reduces the flat positions [begin, end) of `reduced`, whose last dim has stride 1.
template <typename R, typename T>
typename R::Total reduce_range(const T* base, const DimGroup& reduced, int64_t begin, int64_t end) {
  const int64_t run_length = reduced.sizes.back();
  Odometer runs(reduced, reduced.rank() - 1, begin / run_length);
  int64_t position = begin % run_length;
  typename R::Total total = R::identity();
  while (begin < end) {
    const int64_t n = std::min(run_length - position, end - begin);
    total = R::step(total, reduce_run<R>(base + runs.src_offset + position, n));
    begin += n;
    position = 0;
    runs.next();
  }
  return total;
}

// Columns handled by one accumulator row in the outer loop shape: 1024 lanes
// stay in L1 next to the src rows streaming through.
constexpr int64_t kTile = 1024;
// Rows summed in float before a floating sum flushes into its double totals.
constexpr int64_t kFlushRows = 64;

// totals[j] (combined with) the reduction over reduced positions [begin, end)
// of columns base[0, width), width <= kTile.
template <typename R, typename T>
void reduce_columns(const T* base, const DimGroup& reduced, int64_t begin, int64_t end, int64_t width,
                    typename R::Total* totals) {
  using Lane = typename R::Lane;
  constexpr bool kTwoLevel = !std::is_same_v<Lane, typename R::Total>;
  Lane acc[kTile];
  for (int64_t j = 0; j < width; ++j) acc[j] = R::identity();
  Odometer rows(reduced, reduced.rank(), begin);
  int64_t since_flush = 0;
  auto flush = [&] {
    for (int64_t j = 0; j < width; ++j) {
      totals[j] = R::step(totals[j], static_cast<typename R::Total>(acc[j]));
      acc[j] = R::identity();
    }
  };
  for (int64_t r = begin; r < end; ++r) {
    const T* row = base + rows.src_offset;
    for (int64_t j = 0; j < width; ++j) acc[j] = R::step(acc[j], load<Lane>(row[j]));
    rows.next();
    if (kTwoLevel && ++since_flush == kFlushRows) {
      flush();
      since_flush = 0;
    }
  }
  flush();
}

// A heap array (std::vector<bool> would not give addressable elements).
template <typename Total>
std::unique_ptr<Total[]> make_filled(int64_t count, Total value) {
  auto array = std::make_unique<Total[]>(static_cast<size_t>(count));
  std::fill_n(array.get(), count, value);
  return array;
}

// Splits [0, length) into one chunk per thread (fewer when short) and calls
// fn(chunk, begin, end) for each; returns the chunk count.
template <typename Fn>
int64_t for_each_chunk(int64_t length, int64_t work_per_item, Fn&& fn) {
  const int64_t by_work = std::max<int64_t>(1, length * work_per_item / kParallelGrain);
  const int64_t chunks = std::min<int64_t>({num_threads(), by_work, std::max<int64_t>(length, 1)});
  parallel_for(0, chunks, 1, [&](int64_t chunk_begin, int64_t chunk_end) {
    for (int64_t c = chunk_begin; c < chunk_end; ++c) fn(c, length * c / chunks, length * (c + 1) / chunks);
  });
  return chunks;
}

template <typename R, typename T>
void run_reduce(const ReduceGeometry& geometry, const Tensor& dst, const Tensor& src) {
  using Total = typename R::Total;
  const DimGroup& kept = geometry.kept;
  const DimGroup& reduced = geometry.reduced;
  const T* src_base = static_cast<const T*>(src.data_ptr());
  T* dst_base = static_cast<T*>(dst.data_ptr());
  const int64_t outputs = kept.numel();
  const int64_t reduced_numel = reduced.numel();
  const int64_t threads = num_threads();

  if (reduced.src_strides.back() == 1) {
    if (outputs >= threads || outputs * reduced_numel < 2 * kParallelGrain) {
      const int64_t grain = std::max<int64_t>(1, kParallelGrain / reduced_numel);
      parallel_for(0, outputs, grain, [&](int64_t begin, int64_t end) {
        Odometer out(kept, kept.rank(), begin);
        for (int64_t o = begin; o < end; ++o, out.next()) {
          dst_base[out.dst_offset] =
              convert<T>(reduce_range<R>(src_base + out.src_offset, reduced, 0, reduced_numel));
        }
      });
      return;
    }
    // Few long reductions (a full sum): split each one over the threads.
    std::unique_ptr<Total[]> partial = make_filled<Total>(threads * outputs, R::identity());
    const int64_t chunks = for_each_chunk(reduced_numel, outputs, [&](int64_t c, int64_t begin, int64_t end) {
      Odometer out(kept, kept.rank(), 0);
      for (int64_t o = 0; o < outputs; ++o, out.next()) {
        partial[c * outputs + o] = reduce_range<R>(src_base + out.src_offset, reduced, begin, end);
      }
    });
    Odometer out(kept, kept.rank(), 0);
    for (int64_t o = 0; o < outputs; ++o, out.next()) {
      Total total = R::identity();
      for (int64_t c = 0; c < chunks; ++c) total = R::step(total, partial[c * outputs + o]);
      dst_base[out.dst_offset] = convert<T>(total);
    }
    return;
  }

  // Outer shape: kept's last dim (stride 1) is the row; rows are indexed by
  // the outer kept dims (`outer`) times column tiles.
  MINI_ASSERT(kept.src_strides.back() == 1, "reduce: no stride-1 dim");
  const int64_t row_length = kept.sizes.back();
  const int64_t dst_column_stride = kept.dst_strides.back();
  const int64_t outer = outputs / row_length;
  const int64_t tiles = (row_length + kTile - 1) / kTile;
  auto store = [&](int64_t dst_offset, int64_t first_column, int64_t width, const Total* totals) {
    for (int64_t j = 0; j < width; ++j) {
      dst_base[dst_offset + (first_column + j) * dst_column_stride] = convert<T>(totals[j]);
    }
  };
  if (outer * tiles >= threads || outputs * reduced_numel < 2 * kParallelGrain) {
    const int64_t grain = std::max<int64_t>(1, kParallelGrain / (reduced_numel * std::min(row_length, kTile)));
    parallel_for(0, outer * tiles, grain, [&](int64_t begin, int64_t end) {
      Total totals[kTile];
      for (int64_t unit = begin; unit < end; ++unit) {
        const Odometer row(kept, kept.rank() - 1, unit / tiles);
        const int64_t first_column = unit % tiles * kTile;
        const int64_t width = std::min(kTile, row_length - first_column);
        std::fill_n(totals, width, R::identity());
        reduce_columns<R>(src_base + row.src_offset + first_column, reduced, 0, reduced_numel, width, totals);
        store(row.dst_offset, first_column, width, totals);
      }
    });
    return;
  }
  // Few rows (a sum over dim 0 of a matrix): each thread folds a block of
  // consecutive src rows, which streams memory in order.
  std::unique_ptr<Total[]> partial = make_filled<Total>(threads * outputs, R::identity());
  const int64_t chunks = for_each_chunk(reduced_numel, outputs, [&](int64_t c, int64_t begin, int64_t end) {
    for (int64_t unit = 0; unit < outer * tiles; ++unit) {
      const Odometer row(kept, kept.rank() - 1, unit / tiles);
      const int64_t first_column = unit % tiles * kTile;
      const int64_t width = std::min(kTile, row_length - first_column);
      reduce_columns<R>(src_base + row.src_offset + first_column, reduced, begin, end, width,
                        &partial[c * outputs + unit / tiles * row_length + first_column]);
    }
  });
  for (int64_t c = 1; c < chunks; ++c) {
    for (int64_t o = 0; o < outputs; ++o) partial[o] = R::step(partial[o], partial[c * outputs + o]);
  }
  for (int64_t o = 0; o < outer; ++o) {
    const Odometer row(kept, kept.rank() - 1, o);
    store(row.dst_offset, 0, row_length, &partial[o * row_length]);
  }
}

// A contiguous copy of src (for layouts with no stride-1 dim).
Tensor contiguous_copy(Backend& backend, const Tensor& src) {
  Tensor copy = ops::empty(src.sizes(), {.dtype = src.dtype(), .device = src.device()});
  backend.copy(copy, src);
  return copy;
}

bool has_unit_stride(const ReduceGeometry& geometry) {
  return (!geometry.reduced.sizes.empty() && geometry.reduced.src_strides.back() == 1) ||
         (!geometry.kept.sizes.empty() && geometry.kept.src_strides.back() == 1);
}

// ---- arg reductions ----------------------------------------------------

// True when `value` should replace `best`: strictly better (so the first
// index wins ties), or the first NaN (NaN counts as both the max and the min).
template <ArgReduceOp Op, typename A>
inline bool replaces(A value, A best) {
  const bool better = Op == ArgReduceOp::argmax ? value > best : value < best;
  return better | (is_nan(value) & !is_nan(best));
}

template <ArgReduceOp Op, typename T>
struct ArgResult {
  compute_t<T> value;
  int64_t index;
};

// Best element of the run p[begin, end): a vectorised max/min first, then
// the first position holding it.
template <ArgReduceOp Op, typename T>
ArgResult<Op, T> arg_reduce_run(const T* p, int64_t begin, int64_t end) {
  using R = std::conditional_t<Op == ArgReduceOp::argmax, MaxReducer<T>, MinReducer<T>>;
  const compute_t<T> best = reduce_run<R>(p + begin, end - begin);
  int64_t i = begin;
  if (is_nan(best)) {
    while (!is_nan(static_cast<compute_t<T>>(p[i]))) ++i;
  } else {
    while (!(static_cast<compute_t<T>>(p[i]) == best)) ++i;
  }
  return {best, i};
}

template <ArgReduceOp Op, typename T>
void run_arg_reduce(const ReduceGeometry& geometry, const Tensor& values, const Tensor& indices, const Tensor& src) {
  using Value = compute_t<T>;
  const DimGroup& kept = geometry.kept;
  const DimGroup& reduced = geometry.reduced;  // exactly one dim
  const T* src_base = static_cast<const T*>(src.data_ptr());
  T* values_base = static_cast<T*>(values.data_ptr());
  auto* indices_base = static_cast<int64_t*>(indices.data_ptr());
  const int64_t outputs = kept.numel();
  const int64_t length = reduced.sizes[0];
  const int64_t threads = num_threads();
  // kept.dst_strides index both outputs (they share strides); the value is
  // copied from src, so it is exactly the chosen element.
  auto write = [&](int64_t offset, const T* row, int64_t stride, int64_t index) {
    indices_base[offset] = index;
    values_base[offset] = row[index * stride];
  };

  if (reduced.src_strides[0] == 1) {
    if (outputs >= threads || outputs * length < 2 * kParallelGrain) {
      const int64_t grain = std::max<int64_t>(1, kParallelGrain / length);
      parallel_for(0, outputs, grain, [&](int64_t begin, int64_t end) {
        Odometer out(kept, kept.rank(), begin);
        for (int64_t o = begin; o < end; ++o, out.next()) {
          const T* row = src_base + out.src_offset;
          write(out.dst_offset, row, 1, arg_reduce_run<Op>(row, 0, length).index);
        }
      });
      return;
    }
    std::vector<ArgResult<Op, T>> partial(static_cast<size_t>(threads * outputs));
    const int64_t chunks = for_each_chunk(length, outputs, [&](int64_t c, int64_t begin, int64_t end) {
      Odometer out(kept, kept.rank(), 0);
      for (int64_t o = 0; o < outputs; ++o, out.next()) {
        partial[c * outputs + o] = arg_reduce_run<Op>(src_base + out.src_offset, begin, end);
      }
    });
    Odometer out(kept, kept.rank(), 0);
    for (int64_t o = 0; o < outputs; ++o, out.next()) {
      ArgResult<Op, T> best = partial[o];
      for (int64_t c = 1; c < chunks; ++c) {
        if (replaces<Op>(partial[c * outputs + o].value, best.value)) best = partial[c * outputs + o];
      }
      write(out.dst_offset, src_base + out.src_offset, 1, best.index);
    }
    return;
  }

  // Outer shape: track the best value and its index per column.
  const int64_t row_length = kept.sizes.back();
  const int64_t column_stride = kept.dst_strides.back();
  const int64_t step = reduced.src_strides[0];
  const int64_t outer = outputs / row_length;
  const int64_t tiles = (row_length + kTile - 1) / kTile;
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / (length * std::min(row_length, kTile)));
  parallel_for(0, outer * tiles, grain, [&](int64_t begin, int64_t end) {
    Value best[kTile];
    int64_t best_index[kTile];
    for (int64_t unit = begin; unit < end; ++unit) {
      const Odometer row(kept, kept.rank() - 1, unit / tiles);
      const int64_t first_column = unit % tiles * kTile;
      const int64_t width = std::min(kTile, row_length - first_column);
      const T* base = src_base + row.src_offset + first_column;
      for (int64_t j = 0; j < width; ++j) {
        best[j] = static_cast<Value>(base[j]);
        best_index[j] = 0;
      }
      for (int64_t r = 1; r < length; ++r) {
        const T* src_row = base + r * step;
        for (int64_t j = 0; j < width; ++j) {
          const Value value = static_cast<Value>(src_row[j]);
          const bool take = replaces<Op>(value, best[j]);
          best[j] = take ? value : best[j];
          best_index[j] = take ? r : best_index[j];
        }
      }
      for (int64_t j = 0; j < width; ++j) {
        const int64_t offset = row.dst_offset + (first_column + j) * column_stride;
        write(offset, base + j, step, best_index[j]);
      }
    }
  });
}

}  // namespace

void CpuBackend::reduce(ReduceOp op, const Tensor& dst, const Tensor& src) {
  MINI_ASSERT(dst.dim() == src.dim(), "reduce: dst {} and src {} differ in rank", shape_str(dst.sizes()),
              shape_str(src.sizes()));
  MINI_ASSERT(dst.dtype() == src.dtype(), "reduce: dst {} and src {} differ in dtype", dst.dtype(), src.dtype());
  if (dst.numel() == 0) return;
  ReduceGeometry geometry = make_geometry(dst.sizes(), dst, src);
  if (geometry.reduced.sizes.empty()) {  // nothing to reduce (size-1 dims only)
    copy(dst, src);
    return;
  }
  if (geometry.reduced.numel() == 0) {
    MINI_ASSERT(op != ReduceOp::max && op != ReduceOp::min, "reduce: max/min over an empty dim");
    fill(dst, op == ReduceOp::prod || op == ReduceOp::all ? 1 : 0);
    return;
  }
  Tensor input = src;
  if (!has_unit_stride(geometry)) {
    input = contiguous_copy(*this, src);
    geometry = make_geometry(dst.sizes(), dst, input);
  }
  dispatch(src.dtype(), [&]<typename T>() {
    switch (op) {
      case ReduceOp::sum: return run_reduce<SumReducer<T>, T>(geometry, dst, input);
      case ReduceOp::prod: return run_reduce<ProdReducer<T>, T>(geometry, dst, input);
      case ReduceOp::max: return run_reduce<MaxReducer<T>, T>(geometry, dst, input);
      case ReduceOp::min: return run_reduce<MinReducer<T>, T>(geometry, dst, input);
      case ReduceOp::all:
      case ReduceOp::any:
        if constexpr (std::is_same_v<T, bool>) {
          return op == ReduceOp::all ? run_reduce<AllReducer, T>(geometry, dst, input)
                                     : run_reduce<AnyReducer, T>(geometry, dst, input);
        }
        throw InternalError(fmt::format("reduce: all/any expects bool, got {}", src.dtype()));
    }
  });
}

void CpuBackend::arg_reduce(ArgReduceOp op, const Tensor& values, const Tensor& indices, const Tensor& src,
                            int64_t dim) {
  MINI_ASSERT(indices.dtype() == DType::i64 && values.dtype() == src.dtype(), "arg_reduce: bad dtypes");
  if (indices.numel() == 0) return;
  const int64_t length = src.dim() == 0 ? 1 : src.size(dim);
  MINI_ASSERT(length > 0, "arg_reduce: empty dim {}", dim);
  if (length == 1) {
    copy(values, src);
    fill(indices, 0);
    return;
  }
  Shape reduced_shape = src.sizes();
  reduced_shape[dim] = 1;
  // values and indices are written at the same element offsets, so both must share strides.
  Tensor values_out = values;
  if (values.strides() != indices.strides()) {
    values_out = ops::empty_strided(values.sizes(), indices.strides(), {.dtype = values.dtype()});
  }
  ReduceGeometry geometry = make_geometry(reduced_shape, indices, src);
  Tensor input = src;
  if (!has_unit_stride(geometry)) {
    input = contiguous_copy(*this, src);
    geometry = make_geometry(reduced_shape, indices, input);
  }
  dispatch(src.dtype(), [&]<typename T>() {
    if (op == ArgReduceOp::argmax) {
      run_arg_reduce<ArgReduceOp::argmax, T>(geometry, values_out, indices, input);
    } else {
      run_arg_reduce<ArgReduceOp::argmin, T>(geometry, values_out, indices, input);
    }
  });
  if (!values_out.is_same(values)) copy(values, values_out);
}

}  // namespace mini::cpu
