#pragma once
// Cross-entropy with class-index targets: each row's loss and logit gradient
// in one kernel (Backend::cross_entropy; formulas in tensor/ops/cross_entropy.cpp).
//
//  - classes <= kWarpRowLimit: one warp per row, lanes stride the row; warp
//    shuffles give every lane the max and the sums (no shared memory);
//  - longer rows: one block per row with block reductions.
// Per row: the max; the sum of exp(x - max) (with label smoothing also sum(w)
// and sum(w (x - max))); then lane 0 writes the loss and every lane writes
// grad = exp(x - max) * sum(a) / sum - a. x is read three times and the
// gradient written once: a (8192, 32000) f32 row block is 1 GiB in and 1 GiB
// out, ~0.7 ms at 3 TB/s when the re-reads hit L1/L2. The composite moves
// about five (N, C) tensors forward and as many backward.
// Sums accumulate in compute_t (float for f32/f16/bf16, double for f64).
// Rows whose target is ignore_index get loss 0 and a zero gradient. A target
// outside [0, classes) is reported through *bad_target (which the host set to
// ignore_index; the first writer wins) and its row is zeroed too.
#include "cuda/kernels/block_reduce.cuh"
#include "cuda/kernels/math.cuh"
#include "cuda/kernels/softmax.cuh"

MINI_CUDA_BEGIN_NAMESPACE

// One row with a group of `width` threads (a warp, or a block); every thread
// of the group calls this, as `reduce` needs them all.
template <typename T, typename Reduce>
MINI_DEVICE_INLINE void cross_entropy_row(const T* x, int64_t target, const T* weight, T* loss, T* grad, int64_t n,
                                          double smoothing, unsigned rank, unsigned width, Reduce reduce) {
  using C = compute_t<T>;
  constexpr C kLowest = -std::numeric_limits<C>::infinity();
  C max = kLowest;
  for (int64_t i = rank; i < n; i += width) max = Max{}(max, load(x[i]));
  max = reduce(max, Max{}, kLowest);  // subtracting the row max keeps exp() from overflowing
  const bool smoothed = smoothing > 0;
  C sum = 0, weight_sum = 0, weighted_shifted = 0;
  for (int64_t i = rank; i < n; i += width) {
    const C shifted = load(x[i]) - max;
    sum += m_exp(shifted);
    if (smoothed) {
      const C w = weight != nullptr ? load(weight[i]) : C(1);
      weight_sum += w;
      weighted_shifted += w * shifted;
    }
  }
  sum = reduce(sum, Add{}, C(0));
  if (smoothed) {  // uniform across the group, so every thread takes part in both reductions
    weight_sum = reduce(weight_sum, Add{}, C(0));
    weighted_shifted = reduce(weighted_shifted, Add{}, C(0));
  }
  const C log_sum = m_log(sum);
  const C keep = static_cast<C>(1 - smoothing), spread = static_cast<C>(smoothing / static_cast<double>(n));
  const C target_weight = weight != nullptr ? load(weight[target]) : C(1);
  if (rank == 0) {
    // -log p_t = log(sum) - (x_t - max);  -sum_c w_c log p_c = log(sum) sum(w) - sum_c w_c (x_c - max)
    C row_loss = keep * target_weight * (log_sum - (load(x[target]) - max));
    if (smoothed) row_loss += spread * (log_sum * weight_sum - weighted_shifted);
    *loss = store<T>(row_loss);
  }
  if (grad == nullptr) return;
  // grad = p * sum(a) - a, p = exp(x - max) / sum, a = (1 - s) w_t one_hot(t) + (s / C) w
  const C scale = (keep * target_weight + (smoothed ? spread * weight_sum : C(0))) / sum;
  for (int64_t i = rank; i < n; i += width) {
    C value = m_exp(load(x[i]) - max) * scale;
    if (smoothed) value -= spread * (weight != nullptr ? load(weight[i]) : C(1));
    if (i == target) value -= keep * target_weight;
    grad[i] = store<T>(value);
  }
}

// A row whose target is ignored (or out of range, which is also reported) gets zeros.
template <typename T, typename Reduce>
MINI_DEVICE_INLINE void cross_entropy_row_or_skip(const T* logits, const int64_t* targets, const T* weight, T* loss,
                                                  T* grad, int64_t row, int64_t n, int64_t ignore_index,
                                                  double smoothing, unsigned long long* bad_target, unsigned rank,
                                                  unsigned width, Reduce reduce) {
  const int64_t target = targets[row];
  T* grad_row = grad != nullptr ? grad + row * n : nullptr;
  if (target == ignore_index || target < 0 || target >= n) {
    if (rank == 0) {
      loss[row] = store<T>(compute_t<T>(0));
      if (target != ignore_index) {
        atomicCAS(bad_target, static_cast<unsigned long long>(ignore_index), static_cast<unsigned long long>(target));
      }
    }
    if (grad_row != nullptr) {
      for (int64_t i = rank; i < n; i += width) grad_row[i] = store<T>(compute_t<T>(0));
    }
    return;
  }
  cross_entropy_row(logits + row * n, target, weight, loss + row, grad_row, n, smoothing, rank, width, reduce);
}

// Blocks of kSoftmaxWarpsPerBlock warps; rows are uniform per warp, so whole warps skip together.
template <typename T>
__global__ void cross_entropy_warp_kernel(const T* logits, const int64_t* targets, const T* weight, T* loss, T* grad,
                                          int64_t rows, int64_t n, int64_t ignore_index, double smoothing,
                                          unsigned long long* bad_target) {
  const int64_t warps = static_cast<int64_t>(gridDim.x) * kSoftmaxWarpsPerBlock;
  for (int64_t row = blockIdx.x * kSoftmaxWarpsPerBlock + threadIdx.x / 32; row < rows; row += warps) {
    cross_entropy_row_or_skip(logits, targets, weight, loss, grad, row, n, ignore_index, smoothing, bad_target,
                              threadIdx.x % 32, 32, WarpReduce{});
  }
}

template <typename T>
__global__ void cross_entropy_block_kernel(const T* logits, const int64_t* targets, const T* weight, T* loss, T* grad,
                                           int64_t rows, int64_t n, int64_t ignore_index, double smoothing,
                                           unsigned long long* bad_target) {
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    cross_entropy_row_or_skip(logits, targets, weight, loss, grad, row, n, ignore_index, smoothing, bad_target,
                              threadIdx.x, blockDim.x, BlockReduce{});
  }
}

MINI_CUDA_END_NAMESPACE
