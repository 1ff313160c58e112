// CPU conv2d backward, one sample at a time so the columns matrix stays in
// cache (the composite default in tensor/ops/conv.cpp materialises it for the
// whole batch: 10 MiB for LeNet's first layer at batch 128, written and read
// back). Per sample n and group g (R = C/groups * kh * kw, P = oh * ow):
//   grad_input:  columns (R, P) = weight[g]^T (R, K/g) @ grad_out[n, g] (K/g, P), then col2im into grad_input[n];
//   grad_weight: partial[g] (K/g, R) += grad_out[n, g] (K/g, P) @ columns[n, g]^T (P, R).
// A 1x1 kernel with stride 1 and no padding needs no columns: the input
// plane is the columns matrix (and grad_input[n] receives the product).
//
// NOTE: the weight gradient sums over samples in blocks fixed by the batch
// size alone (each block in sample order, then the blocks in order), so the
// result does not depend on the thread count or on which thread ran a block.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/gemm.h"
#include "tensor/cpu/im2col.h"
#include "tensor/cpu/strided_loop.h"
#include "tensor/ops/factory.h"

namespace mini::cpu {
namespace {

// Partial sums of the weight gradient: at most this many, and no more than
// kPartialBytes of them (a big weight gets fewer, larger blocks).
constexpr int64_t kMaxWeightGradBlocks = 8;
constexpr int64_t kPartialBytes = 16 << 20;

struct ConvDims {
  int64_t batch, channels, kernels, groups;
  int64_t group_channels, group_kernels, window, rows, positions;
};

ConvDims conv_dims(int64_t batch, int64_t channels, int64_t kernels, int64_t groups, const ConvGeometry& g) {
  ConvDims d{};
  d.batch = batch;
  d.channels = channels;
  d.kernels = kernels;
  d.groups = groups;
  d.group_channels = channels / groups;
  d.group_kernels = kernels / groups;
  d.window = g.kernel_h * g.kernel_w;
  d.rows = d.group_channels * d.window;
  d.positions = g.out_h() * g.out_w();
  return d;
}

bool is_pointwise(const ConvGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 && g.pad_w == 0;
}

// Samples per parallel chunk so each chunk does about 2 MFLOP: tiny convolutions stay on one thread.
int64_t sample_grain(const ConvDims& d) {
  const double sample_flops = 2.0 * static_cast<double>(d.kernels * d.rows * d.positions);
  return std::max<int64_t>(1, static_cast<int64_t>(2.0 * 1024 * 1024 / std::max(1.0, sample_flops)));
}

// `tensor` itself when contiguous, else a contiguous copy.
Tensor compact(Backend& backend, const Tensor& tensor) {
  if (tensor.is_contiguous()) return tensor;
  Tensor copy = ops::empty(tensor.sizes(), {.dtype = tensor.dtype()});
  backend.copy(copy, tensor);
  return copy;
}

template <typename T>
void backward_input(Backend& backend, const Tensor& grad_input, const Tensor& grad_out, const Tensor& weight,
                    const ConvGeometry& g, int64_t groups) {
  const ConvDims d = conv_dims(grad_input.size(0), grad_input.size(1), weight.size(0), groups, g);
  const Tensor weight_compact = compact(backend, weight), grad_compact = compact(backend, grad_out);
  const T* weight_data = static_cast<const T*>(weight_compact.data_ptr());
  const T* grad_data = static_cast<const T*>(grad_compact.data_ptr());
  T* input_data = static_cast<T*>(grad_input.data_ptr());
  const int64_t plane = g.in_h * g.in_w;
  const bool pointwise = is_pointwise(g);
  parallel_for(0, d.batch, sample_grain(d), [&](int64_t first, int64_t last) {
    std::vector<T> columns(pointwise ? 0 : static_cast<size_t>(d.rows * d.positions));
    for (int64_t n = first; n < last; ++n) {
      for (int64_t group = 0; group < groups; ++group) {
        // weight[g]^T: the (K/g, R) row-major block read column-major.
        const MatrixRef<const T> a{weight_data + group * d.group_kernels * d.rows, d.rows, d.group_kernels, 1, d.rows};
        const MatrixRef<const T> b{grad_data + (n * d.kernels + group * d.group_kernels) * d.positions, d.group_kernels,
                                   d.positions, d.positions, 1};
        T* target = input_data + (n * d.channels + group * d.group_channels) * plane;
        if (pointwise) {
          gemm(a, b, MatrixRef<T>{target, d.rows, d.positions, d.positions, 1}, false);
          continue;
        }
        gemm(a, b, MatrixRef<T>{columns.data(), d.rows, d.positions, d.positions, 1}, false);
        for (int64_t c = 0; c < d.group_channels; ++c) {
          col2im_channel_fast(columns.data() + c * d.window * d.positions, target + c * plane, g, false);
        }
      }
    }
  });
}

template <typename T>
void backward_weight(Backend& backend, const Tensor& grad_weight, const Tensor& grad_out, const Tensor& input,
                     const ConvGeometry& g, int64_t groups) {
  const ConvDims d = conv_dims(input.size(0), input.size(1), grad_weight.size(0), groups, g);
  const Tensor grad_compact = compact(backend, grad_out);
  const T* grad_data = static_cast<const T*>(grad_compact.data_ptr());
  const T* input_data = static_cast<const T*>(input.data_ptr());
  const int64_t stride_n = input.stride(0), stride_c = input.stride(1);
  const int64_t stride_h = input.stride(2), stride_w = input.stride(3);
  const bool pointwise = is_pointwise(g) && stride_w == 1 && stride_h == g.in_w;
  const int64_t weight_numel = grad_weight.numel();
  const int64_t blocks = std::clamp<int64_t>(kPartialBytes / std::max<int64_t>(1, weight_numel * sizeof(T)), 1,
                                             std::min(kMaxWeightGradBlocks, d.batch));
  std::vector<T> partials(static_cast<size_t>(blocks > 1 ? blocks * weight_numel : 0));
  T* out = static_cast<T*>(grad_weight.data_ptr());
  parallel_for(0, blocks, 1, [&](int64_t first_block, int64_t last_block) {
    std::vector<T> columns(pointwise ? 0 : static_cast<size_t>(d.channels * d.window * d.positions));
    for (int64_t block = first_block; block < last_block; ++block) {
      T* sum = blocks > 1 ? partials.data() + block * weight_numel : out;
      const int64_t first = d.batch * block / blocks, last = d.batch * (block + 1) / blocks;
      for (int64_t n = first; n < last; ++n) {
        const T* sample = input_data + n * stride_n;
        const T* column_data = sample;
        int64_t column_stride = stride_c;  // between rows of the columns matrix
        if (!pointwise) {
          for (int64_t c = 0; c < d.channels; ++c) {
            im2col_channel_fast(sample + c * stride_c, stride_h, stride_w, columns.data() + c * d.window * d.positions,
                                g, T(0));
          }
          column_data = columns.data();
          column_stride = d.positions;
        }
        for (int64_t group = 0; group < groups; ++group) {
          const MatrixRef<const T> a{grad_data + (n * d.kernels + group * d.group_kernels) * d.positions,
                                     d.group_kernels, d.positions, d.positions, 1};
          // columns[g]^T: the (R, P) block read column-major.
          const MatrixRef<const T> b{column_data + group * d.rows * column_stride, d.positions, d.rows, 1,
                                     column_stride};
          const MatrixRef<T> c{sum + group * d.group_kernels * d.rows, d.group_kernels, d.rows, d.rows, 1};
          gemm(a, b, c, /*accumulate=*/n != first);
        }
      }
    }
  });
  if (blocks == 1) return;
  std::copy_n(partials.data(), weight_numel, out);
  for (int64_t block = 1; block < blocks; ++block) {
    const T* partial = partials.data() + block * weight_numel;
    for (int64_t i = 0; i < weight_numel; ++i) out[i] += partial[i];
  }
}

// 16-bit dtypes run in float32 and are rounded once, as conv2d's forward.
bool is_16bit(DType dtype) { return dtype == DType::f16 || dtype == DType::bf16; }

Tensor widened(Backend& backend, const Tensor& tensor) {
  Tensor wide = ops::empty(tensor.sizes(), {.dtype = DType::f32});
  backend.copy(wide, tensor);
  return wide;
}

}  // namespace

void CpuBackend::conv2d_backward_input(const Tensor& grad_input, const Tensor& grad_out, const Tensor& weight,
                                       const ConvGeometry& geometry, int64_t groups) {
  MINI_ASSERT(grad_input.dim() == 4 && grad_out.dim() == 4 && weight.dim() == 4 && grad_input.is_contiguous(),
              "conv2d_backward_input: grad_input {} grad_out {} weight {}", shape_str(grad_input.sizes()),
              shape_str(grad_out.sizes()), shape_str(weight.sizes()));
  if (grad_input.numel() == 0) return;
  if (is_16bit(grad_input.dtype())) {
    Tensor wide = ops::empty(grad_input.sizes(), {.dtype = DType::f32});
    conv2d_backward_input(wide, widened(*this, grad_out), widened(*this, weight), geometry, groups);
    copy(grad_input, wide);
    return;
  }
  dispatch_floating(grad_input.dtype(), "conv2d_backward_input", [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      backward_input<T>(*this, grad_input, grad_out, weight, geometry, groups);
    }
  });
}

void CpuBackend::conv2d_backward_weight(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& input,
                                        const ConvGeometry& geometry, int64_t groups) {
  MINI_ASSERT(grad_weight.dim() == 4 && grad_out.dim() == 4 && input.dim() == 4 && grad_weight.is_contiguous(),
              "conv2d_backward_weight: grad_weight {} grad_out {} input {}", shape_str(grad_weight.sizes()),
              shape_str(grad_out.sizes()), shape_str(input.sizes()));
  if (grad_weight.numel() == 0) return;
  if (input.size(0) == 0) {
    fill(grad_weight, 0);
    return;
  }
  if (is_16bit(grad_weight.dtype())) {
    Tensor wide = ops::empty(grad_weight.sizes(), {.dtype = DType::f32});
    conv2d_backward_weight(wide, widened(*this, grad_out), widened(*this, input), geometry, groups);
    copy(grad_weight, wide);
    return;
  }
  dispatch_floating(grad_weight.dtype(), "conv2d_backward_weight", [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      backward_weight<T>(*this, grad_weight, grad_out, input, geometry, groups);
    }
  });
}

}  // namespace mini::cpu
