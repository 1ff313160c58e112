// CPU indexing kernels: index_select, index_add, gather, scatter, nonzero.
//
// The frontend (tensor/ops/index.cpp) has checked every index, so these
// kernels only move data. index_select and index_add view each operand as
// `count` slices (the tensor with `dim` removed) and walk a slice with the
// strided-loop engine, re-basing the operands' pointers per index.
#include <cstring>
#include <type_traits>
#include <vector>

#include "tensor/cpu/convert.h"
#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/strided_loop.h"
#include "tensor/ops/factory.h"

namespace mini::cpu {
namespace {

// `tensor` with `dim` removed, or with sizes `sizes` (dim removed) over
// tensor's strides: the geometry of one slice at index 0 along dim.
Tensor slice_geometry(const Tensor& tensor, const Shape& sizes, int64_t dim) {
  Shape slice_sizes, slice_strides;
  for (int64_t d = 0; d < tensor.dim(); ++d) {
    if (d == dim) continue;
    slice_sizes.push_back(sizes[d]);
    slice_strides.push_back(tensor.strides()[d]);
  }
  return Tensor(tensor.storage(), tensor.dtype(), slice_sizes, slice_strides, tensor.offset());
}

int64_t byte_stride(const Tensor& tensor, int64_t dim) {
  return tensor.dim() == 0 ? 0 : tensor.strides()[dim] * static_cast<int64_t>(tensor.element_size());
}

// How work over (count slices) x (slice elements) is split between threads.
enum class Split {
  any,           // slices write disjoint memory: split the flat (slice, element) range
  elements_only  // slices may write the same memory (duplicate indices): every
                 // thread walks all slices in order, over its own elements
};

// Calls loop(data, byte_strides, n) over every element of `count` slices.
// rebase(k, base, data) sets data[j] to slice k's element 0 for operand j,
// given `base` (slice 0's pointers).
template <size_t N, typename Rebase, typename Loop>
void for_each_slice(const std::array<const Tensor*, N>& slice_operands, int64_t count, Split split, Rebase&& rebase,
                    Loop&& loop) {
  const StridedLayout<N> slice = make_strided_layout(slice_operands);
  const int64_t per_slice = slice.numel;
  if (per_slice == 0 || count == 0) return;
  if (split == Split::any) {
    parallel_for(0, count * per_slice, kParallelGrain, [&](int64_t begin, int64_t end) {
      StridedLayout<N> local = slice;
      while (begin < end) {
        const int64_t k = begin / per_slice;
        const int64_t start = begin % per_slice;
        const int64_t stop = std::min(per_slice, start + (end - begin));
        rebase(k, slice.data, local.data);
        run_strided_range(local, start, stop, loop);
        begin += stop - start;
      }
    });
  } else {
    const int64_t grain = std::max<int64_t>(1, kParallelGrain / count);
    parallel_for(0, per_slice, grain, [&](int64_t begin, int64_t end) {
      StridedLayout<N> local = slice;
      for (int64_t k = 0; k < count; ++k) {
        rebase(k, slice.data, local.data);
        run_strided_range(local, begin, end, loop);
      }
    });
  }
}

// Reads index[k] of a 1-D int64 tensor of any stride.
struct IndexReader {
  const int64_t* data;
  int64_t stride;
  explicit IndexReader(const Tensor& index)
      : data(static_cast<const int64_t*>(index.data_ptr())), stride(index.dim() == 0 ? 0 : index.strides()[0]) {}
  int64_t operator[](int64_t k) const { return data[k * stride]; }
};

}  // namespace

// dst: src's shape with index.numel() at dim; dst.select(dim, k) = src.select(dim, index[k]).
void CpuBackend::index_select(const Tensor& dst, const Tensor& src, int64_t dim, const Tensor& index) {
  const Tensor dst_slice = slice_geometry(dst, dst.sizes(), dim);
  const Tensor src_slice = slice_geometry(src, dst.sizes(), dim);
  const IndexReader indices(index);
  const int64_t dst_step = byte_stride(dst, dim), src_step = byte_stride(src, dim);
  const int64_t element = static_cast<int64_t>(dst.element_size());
  for_each_slice<2>(
      {&dst_slice, &src_slice}, index.numel(), Split::any,
      [&](int64_t k, const std::array<char*, 2>& base, std::array<char*, 2>& data) {
        data[0] = base[0] + k * dst_step;
        data[1] = base[1] + indices[k] * src_step;
      },
      [element](char* const* data, const int64_t* strides, int64_t n) {
        if (strides[0] == element && strides[1] == element) {
          std::memcpy(data[0], data[1], static_cast<size_t>(n * element));
        } else {
          for (int64_t i = 0; i < n; ++i) {
            std::memcpy(data[0] + i * strides[0], data[1] + i * strides[1], static_cast<size_t>(element));
          }
        }
      });
}

// dst.select(dim, index[k]) += src.select(dim, k). Duplicate indices add up,
// so threads split the slice's elements, never the index list.
void CpuBackend::index_add(const Tensor& dst, int64_t dim, const Tensor& index, const Tensor& src) {
  const Tensor dst_slice = slice_geometry(dst, src.sizes(), dim);
  const Tensor src_slice = slice_geometry(src, src.sizes(), dim);
  const IndexReader indices(index);
  const int64_t dst_step = byte_stride(dst, dim), src_step = byte_stride(src, dim);
  dispatch(dst.dtype(), [&]<typename T>() {
    for_each_slice<2>(
        {&dst_slice, &src_slice}, index.numel(), Split::elements_only,
        [&](int64_t k, const std::array<char*, 2>& base, std::array<char*, 2>& data) {
          data[0] = base[0] + indices[k] * dst_step;
          data[1] = base[1] + k * src_step;
        },
        [](char* const* data, const int64_t* strides, int64_t n) {
          if constexpr (std::is_same_v<T, compute_t<T>> && !std::is_same_v<T, bool>) {
            // Contiguous rows (an embedding's gradient rows): a plain loop GCC vectorises.
            if (strides[0] == sizeof(T) && strides[1] == sizeof(T)) {
              T* out = reinterpret_cast<T*>(data[0]);
              const T* in = reinterpret_cast<const T*>(data[1]);
              for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(out[i] + in[i]);
              return;
            }
          }
          for (int64_t i = 0; i < n; ++i) {
            auto* out = reinterpret_cast<T*>(data[0] + i * strides[0]);
            const T in = *reinterpret_cast<const T*>(data[1] + i * strides[1]);
            *out = convert<T>(static_cast<compute_t<T>>(*out) + static_cast<compute_t<T>>(in));
          }
        });
  });
}

// dst[..., j, ...] = src[..., index[..., j, ...], ...] along dim; index has dst's shape.
void CpuBackend::gather(const Tensor& dst, const Tensor& src, int64_t dim, const Tensor& index) {
  // src restricted to dst's shape with stride 0 along dim: points at src[..., 0, ...].
  Shape src_strides = src.strides();
  if (src.dim() > 0) src_strides[dim] = 0;
  const Tensor src_rows(src.storage(), src.dtype(), dst.sizes(), src_strides, src.offset());
  const int64_t src_step = byte_stride(src, dim);
  const int64_t element = static_cast<int64_t>(dst.element_size());
  for_each_element<3>({&dst, &src_rows, &index}, [&](char* const* data, const int64_t* strides, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      const int64_t position = *reinterpret_cast<const int64_t*>(data[2] + i * strides[2]);
      std::memcpy(data[0] + i * strides[0], data[1] + i * strides[1] + position * src_step,
                  static_cast<size_t>(element));
    }
  });
}

// dst[..., index[..., j, ...], ...] = (or +=) src[..., j, ...] along dim; index
// shape drives the loop. Several j may hit one dst element, so the loop runs
// over index's slices along dim in order (the last write wins for assign) and
// threads split only the other dims.
void CpuBackend::scatter(const Tensor& dst, int64_t dim, const Tensor& index, const Tensor& src, ScatterMode mode) {
  const Tensor dst_slice = slice_geometry(dst, index.sizes(), dim);
  const Tensor src_slice = slice_geometry(src, index.sizes(), dim);
  const Tensor index_slice = slice_geometry(index, index.sizes(), dim);
  const int64_t count = index.dim() == 0 ? 1 : index.sizes()[dim];
  const int64_t dst_step = byte_stride(dst, dim), src_step = byte_stride(src, dim);
  const int64_t index_step = byte_stride(index, dim);
  dispatch(dst.dtype(), [&]<typename T>() {
    auto rebase = [&](int64_t k, const std::array<char*, 3>& base, std::array<char*, 3>& data) {
      data[0] = base[0];
      data[1] = base[1] + k * src_step;
      data[2] = base[2] + k * index_step;
    };
    auto at = [dst_step](char* const* data, const int64_t* strides, int64_t i) {
      const int64_t position = *reinterpret_cast<const int64_t*>(data[2] + i * strides[2]);
      return reinterpret_cast<T*>(data[0] + i * strides[0] + position * dst_step);
    };
    if (mode == ScatterMode::assign) {
      for_each_slice<3>({&dst_slice, &src_slice, &index_slice}, count, Split::elements_only, rebase,
                        [&](char* const* data, const int64_t* strides, int64_t n) {
                          for (int64_t i = 0; i < n; ++i) {
                            *at(data, strides, i) = *reinterpret_cast<const T*>(data[1] + i * strides[1]);
                          }
                        });
    } else {
      for_each_slice<3>({&dst_slice, &src_slice, &index_slice}, count, Split::elements_only, rebase,
                        [&](char* const* data, const int64_t* strides, int64_t n) {
                          for (int64_t i = 0; i < n; ++i) {
                            T* out = at(data, strides, i);
                            const T in = *reinterpret_cast<const T*>(data[1] + i * strides[1]);
                            *out = convert<T>(static_cast<compute_t<T>>(*out) + static_cast<compute_t<T>>(in));
                          }
                        });
    }
  });
}

// Two passes over a contiguous copy of the mask: count the true elements of
// each chunk, then each chunk writes its rows from its prefix-sum position,
// so the rows come out in row-major order whatever the thread count.
Tensor CpuBackend::nonzero(const Tensor& mask) {
  Tensor flat = mask;
  if (!mask.is_contiguous()) {
    flat = ops::empty(mask.sizes(), {.dtype = DType::b8});
    copy(flat, mask);
  }
  const auto* values = static_cast<const bool*>(flat.data_ptr());
  const int64_t numel = flat.numel();
  const int64_t rank = flat.dim();
  const int64_t chunk_size = std::max<int64_t>(kParallelGrain, (numel + 63) / 64);
  const int64_t chunks = (numel + chunk_size - 1) / chunk_size;
  std::vector<int64_t> counts(static_cast<size_t>(chunks) + 1, 0);
  parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      int64_t count = 0;
      for (int64_t i = c * chunk_size; i < std::min(numel, (c + 1) * chunk_size); ++i) count += values[i];
      counts[static_cast<size_t>(c) + 1] = count;
    }
  });
  for (size_t c = 1; c < counts.size(); ++c) counts[c] += counts[c - 1];
  Tensor result = ops::empty({counts.back(), rank}, {.dtype = DType::i64});
  auto* rows = result.data<int64_t>();
  const Shape& sizes = flat.sizes();
  parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      int64_t* row = rows + counts[static_cast<size_t>(c)] * rank;
      const int64_t first = c * chunk_size, last = std::min(numel, (c + 1) * chunk_size);
      // Multi-index of `first`, then advanced like an odometer.
      Shape position(static_cast<size_t>(rank), 0);
      for (int64_t d = rank - 1, remainder = first; d >= 0; --d) {
        position[d] = remainder % sizes[d];
        remainder /= sizes[d];
      }
      for (int64_t i = first; i < last; ++i) {
        if (values[i]) {
          for (int64_t d = 0; d < rank; ++d) row[d] = position[d];
          row += rank;
        }
        for (int64_t d = rank - 1; d >= 0 && ++position[d] == sizes[d]; --d) position[d] = 0;
      }
    }
  });
  return result;
}

}  // namespace mini::cpu
