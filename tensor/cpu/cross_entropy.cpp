// CPU cross-entropy with class-index targets: each row's loss and logit
// gradient in one visit to the row (Backend::cross_entropy, formulas in
// tensor/ops/cross_entropy.cpp). Per row, while it stays in L1:
//   1. max                         (so exp() cannot overflow)
//   2. sum of e_c = exp(x_c - max), e_c kept in the gradient row
//      (+ sum of w_c (x_c - max) with label smoothing)
//   3. loss from log(sum), then grad_c = e_c * sum(a) / sum(e) - a_c
// Three reads of x and one write of the gradient; the composite (log_softmax,
// gather, then log_softmax's backward over a scattered gradient) moves about
// five (N, C) tensors in the forward and as many again in the backward.
// Rows run in parallel; sums accumulate in float for f32/f16/bf16 (blocks
// folded into double, as softmax does) and in double for f64.
#include "tensor/ops/cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/row_math.h"
#include "tensor/cpu/strided_loop.h"
#include "tensor/cpu/vec_math.h"
#include "tensor/parallel.h"

namespace mini::cpu {
namespace {

struct RowsProblem {
  int64_t rows = 0, classes = 0, ignore_index = 0;
  double smoothing = 0;
};

// logits (rows, classes), target (rows), weight (classes) or null -> loss (rows), grad (rows, classes) or null.
template <typename T>
void cross_entropy_rows(const T* logits, const int64_t* target, const T* weight, T* loss, T* grad,
                        const RowsProblem& p) {
  using C = compute_t<T>;
  const int64_t n = p.classes;
  const C keep = static_cast<C>(1 - p.smoothing);
  const C spread = static_cast<C>(p.smoothing / static_cast<double>(n));  // s / C
  const bool smoothing = p.smoothing > 0;
  const C weight_sum = weight == nullptr
                           ? static_cast<C>(n)
                           : static_cast<C>(lane_sum<C>(n, [&](int64_t i) { return load<C>(weight[i]); }));
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n, 1));
  parallel_for(0, p.rows, grain, [&](int64_t begin, int64_t end) {
    // 16-bit gradients go through a float row so each value is rounded once.
    std::vector<C> scratch(std::is_same_v<T, C> || grad == nullptr ? 0 : static_cast<size_t>(n));
    for (int64_t r = begin; r < end; ++r) {
      const T* x = logits + r * n;
      T* grad_row = grad == nullptr ? nullptr : grad + r * n;
      const int64_t t = target[r];
      if (t == p.ignore_index) {
        loss[r] = static_cast<T>(C(0));
        if (grad_row != nullptr) std::fill_n(grad_row, n, static_cast<T>(C(0)));
        continue;
      }
      const C max = row_max<C>(x, n);
      C sum = 0;
      C* e = nullptr;
      if (grad_row != nullptr) {
        if constexpr (std::is_same_v<T, C>) {
          e = grad_row;
        } else {
          e = scratch.data();
        }
        sum = static_cast<C>(lane_sum<C>(n, [&](int64_t i) {
          const C value = exp_shifted(load<C>(x[i]) - max);
          e[i] = value;
          return value;
        }));
      } else {
        sum = static_cast<C>(lane_sum<C>(n, [&](int64_t i) { return exp_shifted(load<C>(x[i]) - max); }));
      }
      const C log_sum = std::log(sum);
      const C target_weight = weight == nullptr ? C(1) : load<C>(weight[t]);
      // -log p_t = log(sum) - (x_t - max)
      C row_loss = keep * target_weight * (log_sum - (load<C>(x[t]) - max));
      if (smoothing) {
        // -sum_c w_c log p_c = log(sum) sum(w) - sum_c w_c (x_c - max)
        const C shifted = static_cast<C>(lane_sum<C>(n, [&](int64_t i) {
          const C centered = load<C>(x[i]) - max;
          return weight == nullptr ? centered : load<C>(weight[i]) * centered;
        }));
        row_loss += spread * (log_sum * weight_sum - shifted);
      }
      loss[r] = static_cast<T>(row_loss);
      if (e == nullptr) continue;
      // grad = p * sum(a) - a with p = e / sum, a = (1 - s) w_t one_hot(t) + (s / C) w.
      const C scale = (keep * target_weight + spread * weight_sum) / sum;
      if (smoothing && weight != nullptr) {
        for (int64_t i = 0; i < n; ++i) e[i] = e[i] * scale - spread * load<C>(weight[i]);
      } else {
        const C uniform = smoothing ? spread : C(0);
        for (int64_t i = 0; i < n; ++i) e[i] = e[i] * scale - uniform;
      }
      e[t] -= keep * target_weight;
      if constexpr (!std::is_same_v<T, C>) {
        for (int64_t i = 0; i < n; ++i) grad_row[i] = static_cast<T>(e[i]);
      }
    }
  });
}

}  // namespace

void CpuBackend::cross_entropy(const Tensor& loss, const Tensor& grad_logits, const Tensor& logits,
                               const Tensor& target, const Tensor& weight, int64_t ignore_index,
                               double label_smoothing) {
  MINI_ASSERT(logits.dim() == 2 && logits.is_contiguous() && target.is_contiguous() && loss.is_contiguous() &&
                  (!grad_logits.defined() || grad_logits.is_contiguous()) &&
                  (!weight.defined() || weight.is_contiguous()),
              "cross_entropy: operands must be contiguous");
  const RowsProblem problem{
      .rows = logits.size(0), .classes = logits.size(1), .ignore_index = ignore_index, .smoothing = label_smoothing};
  const int64_t* targets = target.data<int64_t>();
  // Checked up front, serially: no exception has to leave the thread pool, and no output is half-written.
  for (int64_t r = 0; r < problem.rows; ++r) {
    const int64_t t = targets[r];
    if (t != ignore_index && (t < 0 || t >= problem.classes)) {
      ops::throw_target_out_of_range(t, problem.classes, ignore_index);
    }
  }
  dispatch_floating(logits.dtype(), "cross_entropy", [&]<typename T>() {
    cross_entropy_rows(static_cast<const T*>(logits.data_ptr()), targets,
                       weight.defined() ? static_cast<const T*>(weight.data_ptr()) : nullptr,
                       static_cast<T*>(loss.data_ptr()),
                       grad_logits.defined() ? static_cast<T*>(grad_logits.data_ptr()) : nullptr, problem);
  });
}

}  // namespace mini::cpu
