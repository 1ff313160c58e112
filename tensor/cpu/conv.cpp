// CPU im2col, col2im and conv2d.
//
// conv2d is im2col + GEMM per sample: for sample n and group g,
//   out[n, g] (K/groups, oh*ow) = weight[g] (K/groups, C/groups*kh*kw) @ columns[n, g] (C/groups*kh*kw, oh*ow).
// Samples are spread over the threads (one single-threaded GEMM each, with a
// per-thread columns buffer); with fewer samples than threads each GEMM is
// split across the threads instead. A 1x1 kernel with stride 1 and no
// padding needs no im2col: the input plane already is the columns matrix.
#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "tensor/cpu/convert.h"
#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/gemm.h"
#include "tensor/cpu/im2col.h"
#include "tensor/cpu/strided_loop.h"
#include "tensor/ops/factory.h"

namespace mini::cpu {
namespace {

// Planes per parallel chunk so each chunk has at least kParallelGrain elements of work.
int64_t plane_grain(int64_t work_per_plane) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, work_per_plane));
}

// weight (K, C/groups, kh, kw) as a contiguous (K, C/groups*kh*kw) matrix.
template <typename T>
const T* contiguous_weight(Backend& backend, const Tensor& weight, std::vector<T>& buffer) {
  if (weight.is_contiguous()) return static_cast<const T*>(weight.data_ptr());
  buffer.resize(static_cast<size_t>(weight.numel()));
  const Tensor compact = ops::from_blob(buffer.data(), weight.sizes(), weight.dtype());
  backend.copy(compact, weight);
  return buffer.data();
}

template <typename T>
void conv2d_floating(Backend& backend, const Tensor& out, const Tensor& input, const Tensor& weight,
                     const ConvGeometry& g, int64_t groups) {
  const int64_t batch = input.size(0), channels = input.size(1), kernels = weight.size(0);
  const int64_t group_channels = channels / groups, group_kernels = kernels / groups;
  const int64_t window = g.kernel_h * g.kernel_w;
  const int64_t rows = group_channels * window;  // the GEMM's K per group
  const int64_t positions = g.out_h() * g.out_w();
  std::vector<T> weight_buffer;
  const T* weight_data = contiguous_weight<T>(backend, weight, weight_buffer);
  const T* input_data = static_cast<const T*>(input.data_ptr());
  T* out_data = static_cast<T*>(out.data_ptr());

  const bool pointwise = g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 &&
                         g.pad_h == 0 && g.pad_w == 0 && input.stride(3) == 1 && input.stride(2) == g.in_w;
  const auto run_sample = [&](int64_t n, std::vector<T>& columns, bool split_gemm) {
    const T* sample = input_data + n * input.stride(0);
    const T* column_data = sample;
    int64_t column_stride = input.stride(1);  // between channels when pointwise
    if (!pointwise) {
      columns.resize(static_cast<size_t>(channels * window * positions));
      for (int64_t c = 0; c < channels; ++c) {
        im2col_channel_fast(sample + c * input.stride(1), input.stride(2), input.stride(3),
                            columns.data() + c * window * positions, g, T(0));
      }
      column_data = columns.data();
      column_stride = positions;  // between rows of the columns matrix
    }
    for (int64_t group = 0; group < groups; ++group) {
      const MatrixRef<const T> a{weight_data + group * group_kernels * rows, group_kernels, rows, rows, 1};
      const MatrixRef<const T> b{column_data + group * rows * column_stride, rows, positions, column_stride, 1};
      const MatrixRef<T> c{out_data + n * kernels * positions + group * group_kernels * positions, group_kernels,
                           positions, positions, 1};
      if (split_gemm) {
        gemm_parallel(a, b, c, false);
      } else {
        gemm(a, b, c, false);
      }
    }
  };

  // Enough samples per chunk that each thread gets about 2 MFLOP: tiny
  // convolutions stay on one thread.
  const double sample_flops = 2.0 * static_cast<double>(kernels * rows * positions);
  const int64_t grain = std::max<int64_t>(1, static_cast<int64_t>(2.0 * 1024 * 1024 / std::max(1.0, sample_flops)));
  if (batch >= num_threads()) {
    parallel_for(0, batch, grain, [&](int64_t first, int64_t last) {
      std::vector<T> columns;
      for (int64_t n = first; n < last; ++n) run_sample(n, columns, false);
    });
  } else {
    std::vector<T> columns;
    for (int64_t n = 0; n < batch; ++n) run_sample(n, columns, true);
  }
}

}  // namespace

void CpuBackend::im2col(const Tensor& columns, const Tensor& input, const ConvGeometry& geometry, Scalar pad_value) {
  const int64_t batch = input.size(0), channels = input.size(1);
  const int64_t window = geometry.kernel_h * geometry.kernel_w;
  const int64_t positions = geometry.out_h() * geometry.out_w();
  MINI_ASSERT(columns.is_contiguous() && columns.dtype() == input.dtype() &&
                  columns.numel() == batch * channels * window * positions,
              "im2col: columns {} for input {}", shape_str(columns.sizes()), shape_str(input.sizes()));
  if (columns.numel() == 0) return;
  dispatch(input.dtype(), [&]<typename T>() {
    const T pad = pad_value.is_floating() ? convert<T>(pad_value.to_double()) : convert<T>(pad_value.to_int());
    const T* in = static_cast<const T*>(input.data_ptr());
    T* out = static_cast<T*>(columns.data_ptr());
    parallel_for(0, batch * channels, plane_grain(window * positions), [&](int64_t first, int64_t last) {
      for (int64_t plane = first; plane < last; ++plane) {
        const int64_t n = plane / channels, c = plane % channels;
        im2col_channel_fast(in + n * input.stride(0) + c * input.stride(1), input.stride(2), input.stride(3),
                            out + plane * window * positions, geometry, pad);
      }
    });
  });
}

void CpuBackend::col2im(const Tensor& input_grad, const Tensor& columns, const ConvGeometry& geometry) {
  const int64_t batch = input_grad.size(0), channels = input_grad.size(1);
  const int64_t height = geometry.in_h, width = geometry.in_w;
  const int64_t window = geometry.kernel_h * geometry.kernel_w;
  const int64_t positions = geometry.out_h() * geometry.out_w();
  MINI_ASSERT(columns.is_contiguous() && columns.dtype() == input_grad.dtype() &&
                  columns.numel() == batch * channels * window * positions,
              "col2im: columns {} for input {}", shape_str(columns.sizes()), shape_str(input_grad.sizes()));
  if (input_grad.numel() == 0) return;
  dispatch(input_grad.dtype(), [&]<typename T>() {
    if constexpr (std::is_same_v<T, bool>) {
      throw ValueError("col2im: not supported for bool tensors");
    } else {
      T* grad = static_cast<T*>(input_grad.data_ptr());
      const T* in = static_cast<const T*>(columns.data_ptr());
      const int64_t stride_n = input_grad.stride(0), stride_c = input_grad.stride(1);
      const int64_t stride_h = input_grad.stride(2), stride_w = input_grad.stride(3);
      const bool direct = std::is_same_v<T, compute_t<T>> && input_grad.is_contiguous();
      parallel_for(0, batch * channels, plane_grain(window * positions), [&](int64_t first, int64_t last) {
        if constexpr (std::is_same_v<T, compute_t<T>>) {
          if (direct) {
            for (int64_t index = first; index < last; ++index) {
              col2im_channel_fast(in + index * window * positions, grad + index * height * width, geometry, true);
            }
            return;
          }
        }
        // Each plane is summed in compute_t<T> (float for 16-bit types) and rounded once.
        std::vector<compute_t<T>> plane(static_cast<size_t>(height * width));
        for (int64_t index = first; index < last; ++index) {
          T* target = grad + index / channels * stride_n + index % channels * stride_c;
          for (int64_t y = 0; y < height; ++y) {
            for (int64_t x = 0; x < width; ++x) {
              plane[y * width + x] = static_cast<compute_t<T>>(target[y * stride_h + x * stride_w]);
            }
          }
          col2im_channel(in + index * window * positions, plane.data(), geometry);
          for (int64_t y = 0; y < height; ++y) {
            for (int64_t x = 0; x < width; ++x) target[y * stride_h + x * stride_w] = static_cast<T>(plane[y * width + x]);
          }
        }
      });
    }
  });
}

void CpuBackend::conv2d(const Tensor& out, const Tensor& input, const Tensor& weight, const ConvGeometry& geometry,
                        int64_t groups) {
  MINI_ASSERT(input.dim() == 4 && weight.dim() == 4 && out.dim() == 4 && groups >= 1 &&
                  input.size(1) % groups == 0 && weight.size(0) % groups == 0,
              "conv2d: input {} weight {} out {} groups {}", shape_str(input.sizes()), shape_str(weight.sizes()),
              shape_str(out.sizes()), groups);
  if (out.numel() == 0) return;
  const DType dtype = out.dtype();
  if (dtype == DType::f16 || dtype == DType::bf16 || !out.is_contiguous()) {
    // 16-bit types run in float32 (rounded once at the end); a strided out
    // is computed compactly and copied in.
    const DType work = dtype == DType::f64 ? DType::f64 : DType::f32;
    Tensor input_work = input, weight_work = weight;
    if (dtype != work) {
      input_work = ops::empty(input.sizes(), {.dtype = work});
      weight_work = ops::empty(weight.sizes(), {.dtype = work});
      copy(input_work, input);
      copy(weight_work, weight);
    }
    Tensor out_work = ops::empty(out.sizes(), {.dtype = work});
    conv2d(out_work, input_work, weight_work, geometry, groups);
    copy(out, out_work);
    return;
  }
  switch (dtype) {
    case DType::f32: conv2d_floating<float>(*this, out, input, weight, geometry, groups); break;
    case DType::f64: conv2d_floating<double>(*this, out, input, weight, geometry, groups); break;
    default: throw ValueError(fmt::format("conv2d: expected a floating-point tensor, got {}", dtype_name(dtype)));
  }
}

}  // namespace mini::cpu
