#pragma once
// Plain-data parameters of the kernels, shared by the kernels (.cuh), the
// launchers and the backend class. No CUDA or emulator header here, so
// g++-only code (the backend, cuBLAS glue) can include it in either variant.
#include <stdint.h>

#include "cuda/kernels/op_codes.h"

MINI_CUDA_BEGIN_NAMESPACE

inline constexpr int kMaxDims = 8;

// Sizes and per-operand strides (in elements) of N operands sharing one
// shape, outermost dim first; the host coalesces dims before launching.
template <int N>
struct Strided {
  int32_t rank;
  int64_t numel;
  int64_t sizes[kMaxDims];
  int64_t strides[N][kMaxDims];
};

struct UnaryArgs {
  UnaryCode op;
  double a;             // clamp min, pow exponent, leaky slope, softplus beta
  double b;             // clamp max, softplus threshold
  int64_t integer_low;  // integer clamp bounds, saturated to the dtype's range by the host
  int64_t integer_high;
};

// kept: (src, dst) strides over the kept dims; reduced: src strides over the reduced dims.
struct ReduceGeometry {
  Strided<2> kept;
  Strided<1> reduced;
};

struct MatmulGeometry {
  int64_t m, n, k;
  int64_t a_row, a_col, b_row, b_col, c_row, c_col;  // element strides
  Strided<3> batch;                                  // (c, a, b) offsets per batch entry; numel >= 1
};

struct ConvShape {
  int64_t batch, channels, in_h, in_w;
  int64_t kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
  int64_t out_h, out_w;
  int64_t input_strides[4];  // of input (im2col) or input_grad (col2im), in elements
};

struct IndexGeometry {
  int32_t rank;
  int32_t dim;
  int64_t numel;  // of sizes
  int64_t sizes[kMaxDims];
  int64_t dst_strides[kMaxDims];
  int64_t src_strides[kMaxDims];
  int64_t index_strides[kMaxDims];  // gather/scatter only (index_select/index_add take a 1-D stride)
};

// A row-major shape, for turning flat positions into coordinates.
struct Unravel {
  int32_t rank;
  int64_t sizes[kMaxDims];
};

// One SGD / Adam step (tensor/backend.h OptimizerStep) with the scalars the
// kernels use computed in double on the host, as the CPU backend computes them.
struct SgdArgs {
  double weight_decay;  // 0: no decay term
  double momentum;      // 0: no momentum buffer
  double one_minus_dampening;
  double lr;
  bool dampen;  // dampening != 0 (else g is added to the buffer unscaled)
  bool nesterov;
  bool first_step;  // the buffer starts as g
};

enum class AdamDecay : int32_t { none, coupled, decoupled };

struct AdamArgs {
  AdamDecay decay;
  bool amsgrad;
  double weight_decay;  // coupled: added to the gradient
  double decay_factor;  // decoupled: p *= 1 - lr * weight_decay
  double beta1, one_minus_beta1, beta2, one_minus_beta2;
  double sqrt_bias_correction2;
  double eps;
  double step_size;  // lr / bias_correction1
};

MINI_CUDA_END_NAMESPACE
