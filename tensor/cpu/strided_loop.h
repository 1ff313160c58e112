#pragma once
// The CPU's one strided-iteration engine.
//
// for_each_element(operands, loop) visits every element of operands[0]'s
// shape (the output; inputs already broadcast to it) and calls
//   loop(char* const* data, const int64_t* byte_strides, int64_t n)
// on runs of n elements along the innermost dimension. Before iterating it
// drops size-1 dims, orders dims so the output is walked in memory order, and
// merges dims that are contiguous for every operand, so a contiguous tensor
// of any shape is a single run and the inner loop vectorises. Work is split
// over the thread pool by flat element index above `grain` elements.
#include <algorithm>
#include <array>
#include <cstdint>
#include <numeric>

#include "tensor/parallel.h"
#include "tensor/tensor.h"

namespace mini::cpu {

// Below this many elements an op runs on one thread: waking a second thread
// costs about as much as processing 32K floats.
inline constexpr int64_t kParallelGrain = 32768;

template <size_t N>
struct StridedLayout {
  Shape sizes;                          // coalesced, innermost last; empty for a single element
  std::array<Shape, N> byte_strides;    // per operand, per dim
  std::array<char*, N> data{};          // element 0 of each operand
  int64_t numel = 0;
};

template <size_t N>
StridedLayout<N> make_strided_layout(const std::array<const Tensor*, N>& operands) {
  StridedLayout<N> layout;
  const Tensor& out = *operands[0];
  layout.numel = out.numel();
  for (size_t k = 0; k < N; ++k) layout.data[k] = static_cast<char*>(operands[k]->data_ptr());
  // Keep the dims with size > 1, ordered by the output's stride (largest first).
  SmallVector<int64_t, 6> dims;
  for (int64_t d = 0; d < out.dim(); ++d) {
    if (out.sizes()[d] != 1) dims.push_back(d);
  }
  std::stable_sort(dims.begin(), dims.end(),
                   [&](int64_t a, int64_t b) { return out.strides()[a] > out.strides()[b]; });
  for (int64_t d : dims) {
    const int64_t size = out.sizes()[d];
    const bool mergeable = !layout.sizes.empty() && [&] {
      for (size_t k = 0; k < N; ++k) {
        const int64_t element = static_cast<int64_t>(operands[k]->element_size());
        if (layout.byte_strides[k].back() != operands[k]->strides()[d] * element * size) return false;
      }
      return true;
    }();
    if (mergeable) {
      layout.sizes.back() *= size;
      for (size_t k = 0; k < N; ++k) {
        layout.byte_strides[k].back() =
            operands[k]->strides()[d] * static_cast<int64_t>(operands[k]->element_size());
      }
    } else {
      layout.sizes.push_back(size);
      for (size_t k = 0; k < N; ++k) {
        layout.byte_strides[k].push_back(operands[k]->strides()[d] *
                                         static_cast<int64_t>(operands[k]->element_size()));
      }
    }
  }
  return layout;
}

// Visits elements [begin, end) (flat, in the layout's order).
template <size_t N, typename Loop>
void run_strided_range(const StridedLayout<N>& layout, int64_t begin, int64_t end, Loop& loop) {
  const size_t rank = layout.sizes.size();
  if (rank == 0) {
    std::array<int64_t, N> zero{};
    loop(layout.data.data(), zero.data(), int64_t{1});
    return;
  }
  const int64_t inner = layout.sizes[rank - 1];
  std::array<int64_t, N> inner_strides;
  for (size_t k = 0; k < N; ++k) inner_strides[k] = layout.byte_strides[k][rank - 1];

  SmallVector<int64_t, 6> index(rank, 0);
  int64_t remainder = begin;
  for (size_t d = rank; d-- > 0;) {
    index[d] = remainder % layout.sizes[d];
    remainder /= layout.sizes[d];
  }
  std::array<char*, N> pointers;
  while (begin < end) {
    for (size_t k = 0; k < N; ++k) {
      char* p = layout.data[k];
      for (size_t d = 0; d < rank; ++d) p += index[d] * layout.byte_strides[k][d];
      pointers[k] = p;
    }
    const int64_t n = std::min(inner - index[rank - 1], end - begin);
    loop(pointers.data(), inner_strides.data(), n);
    begin += n;
    index[rank - 1] += n;
    for (size_t d = rank - 1; d > 0 && index[d] == layout.sizes[d]; --d) {
      index[d] = 0;
      ++index[d - 1];
    }
  }
}

template <size_t N, typename Loop>
void for_each_element(const std::array<const Tensor*, N>& operands, Loop&& loop,
                      int64_t grain = kParallelGrain) {
  const StridedLayout<N> layout = make_strided_layout(operands);
  if (layout.numel == 0) return;
  parallel_for(0, layout.numel, grain, [&](int64_t begin, int64_t end) { run_strided_range(layout, begin, end, loop); });
}

}  // namespace mini::cpu
