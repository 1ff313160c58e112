// CUDA im2col, col2im, conv2d and its backward passes.
//
// conv2d is im2col + one batched matmul over (sample, group):
//   out[n, g] (K/groups, oh*ow) = weight[g] (K/groups, C/groups*kh*kw) @ columns[n, g] (C/groups*kh*kw, oh*ow)
// with weight broadcast over samples (stride 0), so cuBLAS or the GEMM kernel
// does all the arithmetic. The columns buffer is C*kh*kw*oh*ow per sample;
// samples are processed in chunks that keep it under kColumnsBudget.
// On a GPU with cuDNN, conv2d and both backward passes go to cuDNN first
// (cudnn_conv.cpp; MINI_CUDA_CUDNN=0 turns it off); the own kernels here are
// the fallback and the emulator's path.
#include <algorithm>
#include <cstring>

#include "cuda/backend/cuda_backend.h"
#include "cuda/backend/cudnn_conv.h"
#include "cuda/backend/geometry.h"
#include "cuda/launchers/launchers.h"
#include "tensor/cpu/convert.h"
#include "tensor/ops/view.h"

MINI_CUDA_BEGIN_NAMESPACE
namespace {

constexpr int64_t kColumnsBudget = int64_t{256} << 20;  // bytes

}  // namespace

void CudaBackend::im2col(const Tensor& columns, const Tensor& input, const ConvGeometry& geometry, Scalar pad_value) {
  const int64_t batch = input.size(0), channels = input.size(1);
  const int64_t window = geometry.kernel_h * geometry.kernel_w;
  const int64_t positions = geometry.out_h() * geometry.out_w();
  MINI_ASSERT(columns.is_contiguous() && columns.dtype() == input.dtype() &&
                  columns.numel() == batch * channels * window * positions,
              "cuda im2col: columns {} for input {}", shape_str(columns.sizes()), shape_str(input.sizes()));
  if (columns.numel() == 0) return;
  uint64_t pad_bits = 0;
  dispatch(input.dtype(), [&]<typename T>() {
    const T pad =
        pad_value.is_floating() ? cpu::convert<T>(pad_value.to_double()) : cpu::convert<T>(pad_value.to_int());
    std::memcpy(&pad_bits, &pad, sizeof(T));
  });
  launch_im2col(kind_of(input), conv_shape(input, geometry, geometry.in_h, geometry.in_w), columns.data_ptr(),
                input.data_ptr(), pad_bits, stream());
}

void CudaBackend::col2im(const Tensor& input_grad, const Tensor& columns, const ConvGeometry& geometry) {
  const int64_t batch = input_grad.size(0), channels = input_grad.size(1);
  const int64_t window = geometry.kernel_h * geometry.kernel_w;
  const int64_t positions = geometry.out_h() * geometry.out_w();
  MINI_ASSERT(columns.is_contiguous() && columns.dtype() == input_grad.dtype() &&
                  columns.numel() == batch * channels * window * positions,
              "cuda col2im: columns {} for input {}", shape_str(columns.sizes()), shape_str(input_grad.sizes()));
  MINI_CHECK(input_grad.dtype() != DType::b8, "col2im: not supported for bool tensors");
  if (input_grad.numel() == 0) return;
  launch_col2im(kind_of(input_grad), conv_shape(input_grad, geometry, geometry.in_h, geometry.in_w),
                input_grad.data_ptr(), columns.data_ptr(), stream());
}

void CudaBackend::conv2d(const Tensor& out, const Tensor& input, const Tensor& weight, const ConvGeometry& geometry,
                         int64_t groups) {
  MINI_ASSERT(input.dim() == 4 && weight.dim() == 4 && out.dim() == 4 && groups >= 1 && input.size(1) % groups == 0 &&
                  weight.size(0) % groups == 0,
              "cuda conv2d: input {} weight {} out {} groups {}", shape_str(input.sizes()), shape_str(weight.sizes()),
              shape_str(out.sizes()), groups);
  MINI_CHECK(is_floating(out.dtype()), "conv2d: expected a floating-point tensor, got {}", out.dtype());
  if (out.numel() == 0) return;
  if (!out.is_contiguous()) {
    Tensor compact = empty(out.sizes(), out.dtype());
    conv2d(compact, input, weight, geometry, groups);
    copy(out, compact);
    return;
  }
  if (cudnn_conv2d(*this, out, input, weight, geometry, groups)) return;
  const int64_t batch = input.size(0), channels = input.size(1), kernels = weight.size(0);
  const int64_t group_kernels = kernels / groups;
  const int64_t group_window = channels / groups * geometry.kernel_h * geometry.kernel_w;
  const int64_t positions = geometry.out_h() * geometry.out_w();
  // weight (K, C/g, kh, kw) as (g, K/g, C/g*kh*kw), broadcast over the samples of a chunk below.
  const Tensor w = contiguous(weight);
  const int64_t per_sample = channels * geometry.kernel_h * geometry.kernel_w * positions;
  const int64_t chunk = std::clamp<int64_t>(
      kColumnsBudget / std::max<int64_t>(1, per_sample * static_cast<int64_t>(out.element_size())), 1, batch);
  for (int64_t first = 0; first < batch; first += chunk) {
    const int64_t count = std::min(chunk, batch - first);
    const Tensor in = ops::narrow(input, 0, first, count);
    const Tensor target = ops::narrow(out, 0, first, count);
    Tensor columns = empty({count, channels * geometry.kernel_h * geometry.kernel_w, positions}, out.dtype());
    im2col(columns, in, geometry, 0);
    const Tensor lhs = ops::as_strided(w, {count, groups, group_kernels, group_window},
                                       {0, group_kernels * group_window, group_window, 1}, w.offset());
    const Tensor rhs = ops::as_strided(columns, {count, groups, group_window, positions},
                                       {groups * group_window * positions, group_window * positions, positions, 1}, 0);
    const Tensor product =
        ops::as_strided(target, {count, groups, group_kernels, positions},
                        {kernels * positions, group_kernels * positions, positions, 1}, target.offset());
    matmul(product, lhs, rhs);
  }
}

void CudaBackend::conv2d_backward_input(const Tensor& grad_input, const Tensor& grad_out, const Tensor& weight,
                                        const ConvGeometry& geometry, int64_t groups) {
  if (cudnn_conv2d_backward_input(*this, grad_input, grad_out, weight, geometry, groups)) return;
  Backend::conv2d_backward_input(grad_input, grad_out, weight, geometry, groups);
}

void CudaBackend::conv2d_backward_weight(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& input,
                                         const ConvGeometry& geometry, int64_t groups) {
  if (cudnn_conv2d_backward_weight(*this, grad_weight, grad_out, input, geometry, groups)) return;
  Backend::conv2d_backward_weight(grad_weight, grad_out, input, geometry, groups);
}

MINI_CUDA_END_NAMESPACE
