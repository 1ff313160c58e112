// CPU softmax / log-softmax and their backward, along any dim.
//
// Inputs are viewed as contiguous (outer, n, inner) with the softmax over n.
//  - rows (inner == 1, the common last-dim case): three passes over a row
//    that stays in L1: max, exp(x - max) written to dst while summing, scale.
//    A 4096x1024 float softmax moves 16 MiB in and 16 MiB out (~1.5 ms at
//    ~22 GB/s); exp_f32 vectorises, so the passes keep up with memory.
//  - columns (inner > 1): the same three passes over a tile of `inner`
//    columns, vectorised across the columns.
// Non-contiguous operands are copied to contiguous buffers first.
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/row_math.h"
#include "tensor/cpu/strided_loop.h"
#include "tensor/cpu/vec_math.h"
#include "tensor/ops/factory.h"

namespace mini::cpu {
namespace {

// exp of anything (the log-softmax backward exponentiates its output, which is <= 0 only up to rounding).
template <typename C>
inline C exp_c(C x) {
  if constexpr (std::is_same_v<C, float>) {
    return exp_f32(x);
  } else {
    return std::exp(x);
  }
}

// Softmax of each row of x (rows, n) into y. NOTE: a NaN anywhere in a row
// makes the sum NaN, so the whole row comes out NaN, as in PyTorch.
template <typename T>
void softmax_rows(const T* x, T* y, int64_t rows, int64_t n, bool log) {
  using C = compute_t<T>;
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n, 1));
  parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
    // 16-bit outputs go through a float row so the result is rounded once.
    std::vector<C> scratch(std::is_same_v<T, C> ? 0 : static_cast<size_t>(n));
    for (int64_t r = begin; r < end; ++r) {
      const T* in = x + r * n;
      T* out_row = y + r * n;
      C* out = nullptr;
      if constexpr (std::is_same_v<T, C>) {
        out = out_row;
      } else {
        out = scratch.data();
      }
      // Subtract the row max so exp() cannot overflow.
      const C max = row_max<C>(in, n);
      if (log) {
        const C sum = static_cast<C>(lane_sum<C>(n, [&](int64_t i) { return exp_shifted(load<C>(in[i]) - max); }));
        // NOTE: (x - max) - log(sum), not x - (max + log(sum)): the latter
        // rounds log(sum) to the ulp of max (6e-5 at max = 1000).
        const C log_sum = std::log(sum);
        for (int64_t i = 0; i < n; ++i) out[i] = (load<C>(in[i]) - max) - log_sum;
      } else {
        const C sum = static_cast<C>(lane_sum<C>(n, [&](int64_t i) {
          const C e = exp_shifted(load<C>(in[i]) - max);
          out[i] = e;
          return e;
        }));
        const C inverse = C(1) / sum;
        for (int64_t i = 0; i < n; ++i) out[i] *= inverse;
      }
      if constexpr (!std::is_same_v<T, C>) {
        for (int64_t i = 0; i < n; ++i) out_row[i] = static_cast<T>(out[i]);
      }
    }
  });
}

// Columns handled together in the (outer, n, inner) layout.
constexpr int64_t kColumnTile = 256;

// Softmax over the middle dim of contiguous (outer, n, inner), inner > 1.
template <typename T>
void softmax_columns(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, bool log) {
  using C = compute_t<T>;
  const int64_t tiles = (inner + kColumnTile - 1) / kColumnTile;
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / (n * std::min(inner, kColumnTile)));
  parallel_for(0, outer * tiles, grain, [&](int64_t begin, int64_t end) {
    C max[kColumnTile], sum[kColumnTile];
    for (int64_t unit = begin; unit < end; ++unit) {
      const int64_t first = unit % tiles * kColumnTile;
      const int64_t width = std::min(kColumnTile, inner - first);
      const T* in = x + unit / tiles * n * inner + first;
      T* out = y + unit / tiles * n * inner + first;
      std::fill_n(max, width, -std::numeric_limits<C>::infinity());
      std::fill_n(sum, width, C(0));
      for (int64_t r = 0; r < n; ++r) {
        for (int64_t j = 0; j < width; ++j) {
          const C value = load<C>(in[r * inner + j]);
          max[j] = value > max[j] ? value : max[j];
        }
      }
      for (int64_t r = 0; r < n; ++r) {
        for (int64_t j = 0; j < width; ++j) sum[j] += exp_shifted(load<C>(in[r * inner + j]) - max[j]);
      }
      for (int64_t j = 0; j < width; ++j) sum[j] = log ? std::log(sum[j]) : C(1) / sum[j];
      for (int64_t r = 0; r < n; ++r) {
        for (int64_t j = 0; j < width; ++j) {
          const C shifted = load<C>(in[r * inner + j]) - max[j];
          out[r * inner + j] = static_cast<T>(log ? shifted - sum[j] : exp_shifted(shifted) * sum[j]);
        }
      }
    }
  });
}

// grad_input rows from grad_output and the forward's output y:
// softmax: gi = y * (go - sum(go * y)); log-softmax: gi = go - exp(y) * sum(go).
template <typename T>
void softmax_backward_rows(const T* go, const T* y, T* gi, int64_t rows, int64_t n, bool log) {
  using C = compute_t<T>;
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n, 1));
  parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* g = go + r * n;
      const T* out = y + r * n;
      T* grad = gi + r * n;
      if (log) {
        const C sum = static_cast<C>(lane_sum<C>(n, [&](int64_t i) { return load<C>(g[i]); }));
        for (int64_t i = 0; i < n; ++i) grad[i] = static_cast<T>(load<C>(g[i]) - exp_c(load<C>(out[i])) * sum);
      } else {
        const C dot = static_cast<C>(lane_sum<C>(n, [&](int64_t i) { return load<C>(g[i]) * load<C>(out[i]); }));
        for (int64_t i = 0; i < n; ++i) grad[i] = static_cast<T>(load<C>(out[i]) * (load<C>(g[i]) - dot));
      }
    }
  });
}

template <typename T>
void softmax_backward_columns(const T* go, const T* y, T* gi, int64_t outer, int64_t n, int64_t inner, bool log) {
  using C = compute_t<T>;
  const int64_t tiles = (inner + kColumnTile - 1) / kColumnTile;
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / (n * std::min(inner, kColumnTile)));
  parallel_for(0, outer * tiles, grain, [&](int64_t begin, int64_t end) {
    C sum[kColumnTile];
    for (int64_t unit = begin; unit < end; ++unit) {
      const int64_t first = unit % tiles * kColumnTile;
      const int64_t width = std::min(kColumnTile, inner - first);
      const int64_t base = unit / tiles * n * inner + first;
      std::fill_n(sum, width, C(0));
      for (int64_t r = 0; r < n; ++r) {
        for (int64_t j = 0; j < width; ++j) {
          const int64_t k = base + r * inner + j;
          sum[j] += log ? load<C>(go[k]) : load<C>(go[k]) * load<C>(y[k]);
        }
      }
      for (int64_t r = 0; r < n; ++r) {
        for (int64_t j = 0; j < width; ++j) {
          const int64_t k = base + r * inner + j;
          const C g = load<C>(go[k]), out = load<C>(y[k]);
          gi[k] = static_cast<T>(log ? g - exp_c(out) * sum[j] : out * (g - sum[j]));
        }
      }
    }
  });
}

// (outer, n, inner) of a tensor's shape around `dim`; a 0-d tensor is (1, 1, 1).
struct SoftmaxShape {
  int64_t outer = 1, n = 1, inner = 1;
};
SoftmaxShape softmax_shape(const Tensor& tensor, int64_t dim) {
  SoftmaxShape shape;
  for (int64_t d = 0; d < tensor.dim(); ++d) {
    const int64_t size = tensor.sizes()[d];
    if (d < dim) shape.outer *= size;
    if (d == dim) shape.n = size;
    if (d > dim) shape.inner *= size;
  }
  return shape;
}

Tensor contiguous_input(Backend& backend, const Tensor& tensor) {
  if (tensor.is_contiguous()) return tensor;
  Tensor copy = ops::empty(tensor.sizes(), {.dtype = tensor.dtype(), .device = tensor.device()});
  backend.copy(copy, tensor);
  return copy;
}

Tensor contiguous_output(const Tensor& tensor) {
  return tensor.is_contiguous() ? tensor
                                : ops::empty(tensor.sizes(), {.dtype = tensor.dtype(), .device = tensor.device()});
}

}  // namespace

void CpuBackend::softmax(const Tensor& dst, const Tensor& src, int64_t dim, bool log) {
  MINI_ASSERT(dst.sizes() == src.sizes() && dst.dtype() == src.dtype(), "softmax: dst {} {} and src {} {} differ",
              shape_str(dst.sizes()), dst.dtype(), shape_str(src.sizes()), src.dtype());
  if (src.numel() == 0) return;
  const Tensor in = contiguous_input(*this, src);
  const Tensor out = contiguous_output(dst);
  const SoftmaxShape shape = softmax_shape(src, dim);
  dispatch_floating(src.dtype(), "softmax", [&]<typename T>() {
    const T* x = static_cast<const T*>(in.data_ptr());
    T* y = static_cast<T*>(out.data_ptr());
    if (shape.inner == 1) {
      softmax_rows(x, y, shape.outer, shape.n, log);
    } else {
      softmax_columns(x, y, shape.outer, shape.n, shape.inner, log);
    }
  });
  if (!out.is_same(dst)) copy(dst, out);
}

void CpuBackend::softmax_backward(const Tensor& grad_input, const Tensor& grad_output, const Tensor& output,
                                  int64_t dim, bool log) {
  MINI_ASSERT(grad_input.sizes() == output.sizes() && grad_output.sizes() == output.sizes() &&
                  grad_input.dtype() == output.dtype() && grad_output.dtype() == output.dtype(),
              "softmax_backward: operands differ in shape or dtype");
  if (output.numel() == 0) return;
  const Tensor go = contiguous_input(*this, grad_output);
  const Tensor y = contiguous_input(*this, output);
  const Tensor gi = contiguous_output(grad_input);
  const SoftmaxShape shape = softmax_shape(output, dim);
  dispatch_floating(output.dtype(), "softmax_backward", [&]<typename T>() {
    const T* g = static_cast<const T*>(go.data_ptr());
    const T* out = static_cast<const T*>(y.data_ptr());
    T* grad = static_cast<T*>(gi.data_ptr());
    if (shape.inner == 1) {
      softmax_backward_rows(g, out, grad, shape.outer, shape.n, log);
    } else {
      softmax_backward_columns(g, out, grad, shape.outer, shape.n, shape.inner, log);
    }
  });
  if (!gi.is_same(grad_input)) copy(grad_input, gi);
}

}  // namespace mini::cpu
