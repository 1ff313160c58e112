// CUDA fused cross-entropy (cuda/kernels/cross_entropy.cuh). The kernel
// reports a target outside [0, C) through a device slot read back here, as
// integer remainder reports division by zero: the read synchronises, as the
// composite's range check (an any() read with item()) did.
#include "tensor/ops/cross_entropy.h"

#include "cuda/backend/cuda_backend.h"
#include "cuda/backend/geometry.h"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE

void CudaBackend::cross_entropy(const Tensor& loss, const Tensor& grad_logits, const Tensor& logits,
                                const Tensor& target, const Tensor& weight, int64_t ignore_index,
                                double label_smoothing) {
  MINI_ASSERT(logits.dim() == 2 && logits.is_contiguous() && target.is_contiguous() && loss.is_contiguous() &&
                  (!grad_logits.defined() || grad_logits.is_contiguous()) &&
                  (!weight.defined() || weight.is_contiguous()) && target.dtype() == DType::i64,
              "cuda cross_entropy: operands must be contiguous and the target int64");
  MINI_CHECK(is_floating(logits.dtype()), "cross_entropy: expected floating-point logits, got {}", logits.dtype());
  const int64_t rows = logits.size(0), classes = logits.size(1);
  if (rows == 0) return;
  // Holds ignore_index unless the kernel found a bad target (which never equals it).
  const Tensor bad_target = empty({1}, DType::i64);
  fill(bad_target, Scalar(ignore_index));
  launch_cross_entropy(kind_of(logits), logits.data_ptr(), target.data<int64_t>(),
                       weight.defined() ? weight.data_ptr() : nullptr, loss.data_ptr(),
                       grad_logits.defined() ? grad_logits.data_ptr() : nullptr, rows, classes, ignore_index,
                       label_smoothing, bad_target.data<int64_t>(), stream());
  const int64_t bad = bad_target.item<int64_t>();
  if (bad != ignore_index) ops::throw_target_out_of_range(bad, classes, ignore_index);
}

MINI_CUDA_END_NAMESPACE
