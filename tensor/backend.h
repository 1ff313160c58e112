#pragma once
// The Backend interface: the small set of primitives a device implements.
// Everything else (views, broadcasting, type promotion, composite ops such as
// var, logsumexp, pooling, cat, pad, one_hot) is built from these by the
// device-independent code in tensor/ops, so a new backend is cheap.
//
// Contract for every primitive (the frontend in tensor/ops guarantees it):
// - all tensors live on this backend's device;
// - elementwise operands already have the output's shape (broadcast inputs
//   are expanded views with stride 0) and share one dtype, except where a
//   primitive says otherwise (comparisons write bool, indices are int64);
// - outputs may have any strides but never overlap an input partially
//   (an output may be exactly the same view as an input: in-place ops).
#include <cstdint>
#include <memory>
#include <vector>

#include "tensor/allocator.h"
#include "tensor/scalar.h"
#include "tensor/tensor.h"

namespace mini {

enum class UnaryOp : uint8_t {
  neg, abs, sign, exp, log, log1p, expm1, sqrt, rsqrt, sin, cos, tanh, sigmoid, relu,
  gelu_tanh, gelu_erf, silu, softplus, floor, ceil, round, reciprocal, square, erf,
  logical_not,  // writes bool
  clamp,        // params: a = min, b = max (use -inf/+inf for a missing bound)
  pow_scalar,   // params: a = exponent
  leaky_relu,   // params: a = negative slope
};
// softplus also reads params: a = beta, b = threshold (linear above it).
struct UnaryParams {
  double a = 0;
  double b = 0;
};

enum class BinaryOp : uint8_t {
  add, sub, mul, div, pow, maximum, minimum, remainder,
  eq, ne, lt, le, gt, ge, logical_and, logical_or, logical_xor,  // write bool
  // Fused backward helpers: (grad, x) or (grad, y) -> grad_input.
  relu_backward,       // grad * (x > 0)
  sigmoid_backward,    // grad * y * (1 - y), y = sigmoid(x)
  tanh_backward,       // grad * (1 - y^2), y = tanh(x)
  gelu_tanh_backward,  // grad * d/dx gelu_tanh(x)
  gelu_erf_backward,   // grad * d/dx gelu_erf(x)
  silu_backward,       // grad * d/dx silu(x)
};
// True for the ops whose output is bool.
bool binary_op_writes_bool(BinaryOp op);

enum class ReduceOp : uint8_t { sum, prod, max, min, all, any };
enum class ArgReduceOp : uint8_t { argmax, argmin };
enum class ScatterMode : uint8_t { assign, add };

// Geometry of a 2-D convolution or pooling window over (N, C, H, W).
struct ConvGeometry {
  int64_t channels = 0, in_h = 0, in_w = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t out_h() const { return (in_h + 2 * pad_h - dilation_h * (kernel_h - 1) - 1) / stride_h + 1; }
  int64_t out_w() const { return (in_w + 2 * pad_w - dilation_w * (kernel_w - 1) - 1) / stride_w + 1; }
};

// Philox stream position: element i of a random fill uses counter offset + i.
struct RandomState {
  uint64_t seed = 0;
  uint64_t offset = 0;
};

// One optimizer step on one parameter (Backend::optimizer_step), with
// torch.optim semantics; scalars are rounded to the parameter's dtype and
// every operation rounds as the unfused elementwise ops would.
//   sgd:  g = grad + weight_decay * p
//         buf = g (first_step) or momentum * buf + (1 - dampening) * g
//         g = g + momentum * buf (nesterov) or buf;  p -= lr * g
//   adam: p *= 1 - lr * weight_decay (decoupled), else g = grad + weight_decay * p
//         m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g
//         v_max = max(v_max, v) (amsgrad, used in place of v below)
//         p -= lr / bias_correction1 * m / (sqrt(v) / sqrt(bias_correction2) + eps)
// Terms whose factor is 0 (weight_decay, momentum) or 1 (1 - dampening) are skipped.
enum class OptimizerKind : uint8_t { sgd, adam };
struct OptimizerStep {
  OptimizerKind kind = OptimizerKind::sgd;
  double lr = 0;
  double weight_decay = 0;
  // sgd
  double momentum = 0;
  double dampening = 0;
  bool nesterov = false;
  bool first_step = false;  // initialise the momentum buffer with g
  // adam
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double bias_correction1 = 1;  // 1 - beta1^step
  double bias_correction2 = 1;  // 1 - beta2^step
  bool decoupled_weight_decay = false;
  bool amsgrad = false;
};

// Throws mini::Error naming what is wrong unless param is floating, grad and
// the state tensors the step uses match it (shape, dtype, device) and the
// state count fits the step (sgd with momentum: 1; adam: 2, amsgrad 3).
// Every optimizer_step implementation checks its operands with it.
void check_optimizer_step_operands(const OptimizerStep& step, const Tensor& param, const Tensor& grad,
                                   const std::vector<Tensor>& state);

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  virtual Allocator& allocator() = 0;
  // Waits for queued work (a no-op on the CPU).
  virtual void synchronize() {}

  // ---- data movement --------------------------------------------------
  // dst = src, same shape, any strides, any dtypes (casts).
  virtual void copy(const Tensor& dst, const Tensor& src) = 0;
  // Copies between this device and the CPU; both tensors contiguous, same dtype and numel.
  virtual void copy_from_cpu(const Tensor& dst, const Tensor& cpu_src) = 0;
  virtual void copy_to_cpu(const Tensor& cpu_dst, const Tensor& src) = 0;
  virtual void fill(const Tensor& dst, Scalar value) = 0;
  // dst (1-D): dst[i] = start + i * step.
  virtual void arange(const Tensor& dst, double start, double step) = 0;

  // ---- elementwise ----------------------------------------------------
  virtual void unary(UnaryOp op, const Tensor& dst, const Tensor& src, UnaryParams params) = 0;
  virtual void binary(BinaryOp op, const Tensor& dst, const Tensor& a, const Tensor& b) = 0;
  // dst = cond ? a : b; cond is bool.
  virtual void where(const Tensor& dst, const Tensor& cond, const Tensor& a, const Tensor& b) = 0;

  // ---- reductions -----------------------------------------------------
  // dst has src's rank with size 1 in the reduced dims; same dtype except
  // all/any (bool in, bool out). Floating sums accumulate in at least float.
  virtual void reduce(ReduceOp op, const Tensor& dst, const Tensor& src) = 0;
  // indices (int64) and values have src's rank with size 1 at `dim`; the
  // first occurrence wins ties; NaN counts as the maximum and minimum.
  virtual void arg_reduce(ArgReduceOp op, const Tensor& values, const Tensor& indices, const Tensor& src,
                          int64_t dim) = 0;

  // ---- linear algebra and convolution ---------------------------------
  // dst (..., M, N) = a (..., M, K) @ b (..., K, N). Batch dims are already
  // broadcast (stride 0 allowed); a and b may be transposed views; floating dtypes.
  virtual void matmul(const Tensor& dst, const Tensor& a, const Tensor& b) = 0;
  // columns (N, C*kh*kw, out_h*out_w) from input (N, C, H, W); padding reads `pad_value`.
  virtual void im2col(const Tensor& columns, const Tensor& input, const ConvGeometry& geometry,
                      Scalar pad_value) = 0;
  // input_grad (N, C, H, W) += the columns scattered back (the adjoint of im2col).
  virtual void col2im(const Tensor& input_grad, const Tensor& columns, const ConvGeometry& geometry) = 0;
  // out (N, K, oh, ow) = conv(input (N, C, H, W), weight (K, C/groups, kh, kw)), no bias.
  virtual void conv2d(const Tensor& out, const Tensor& input, const Tensor& weight, const ConvGeometry& geometry,
                      int64_t groups) = 0;

  // ---- indexing -------------------------------------------------------
  // dst = src.index_select(dim, index); index is 1-D int64, checked by the caller.
  virtual void index_select(const Tensor& dst, const Tensor& src, int64_t dim, const Tensor& index) = 0;
  // dst.index_add_(dim, index, src): dst.select(dim, index[i]) += src.select(dim, i).
  virtual void index_add(const Tensor& dst, int64_t dim, const Tensor& index, const Tensor& src) = 0;
  // dst[i][j] = src[i][index[i][j]] (for dim 1); index has dst's shape.
  virtual void gather(const Tensor& dst, const Tensor& src, int64_t dim, const Tensor& index) = 0;
  // dst[i][index[i][j]] = (or +=) src[i][j] (for dim 1); index has src's shape.
  virtual void scatter(const Tensor& dst, int64_t dim, const Tensor& index, const Tensor& src,
                       ScatterMode mode) = 0;
  // Row-major positions of the true elements of a bool tensor: returns a
  // contiguous int64 tensor (count, mask.dim()).
  virtual Tensor nonzero(const Tensor& mask) = 0;

  // ---- random (Philox 4x32-10; the same numbers on every backend) -----
  virtual void random_uniform(const Tensor& dst, RandomState state, double low, double high) = 0;
  virtual void random_normal(const Tensor& dst, RandomState state, double mean, double std) = 0;

  // ---- fused primitives that matter for speed --------------------------
  // Softmax (or log-softmax) of src along `dim`, numerically stable.
  virtual void softmax(const Tensor& dst, const Tensor& src, int64_t dim, bool log) = 0;
  // grad_input from grad_output and the forward's output along `dim`.
  virtual void softmax_backward(const Tensor& grad_input, const Tensor& grad_output, const Tensor& output,
                                int64_t dim, bool log) = 0;
  // Normalizes x (rows, cols) over cols: out = (x - mean) * rstd * weight + bias.
  // mean and rstd (rows) are written for the backward; weight/bias may be undefined.
  virtual void layer_norm(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& x,
                          const Tensor& weight, const Tensor& bias, double eps) = 0;
  // grad_weight / grad_bias may be undefined (not wanted).
  virtual void layer_norm_backward(const Tensor& grad_x, const Tensor& grad_weight, const Tensor& grad_bias,
                                   const Tensor& grad_out, const Tensor& x, const Tensor& mean, const Tensor& rstd,
                                   const Tensor& weight) = 0;

  // ---- optional fused primitives ----------------------------------------
  // Each has a default built from the primitives above (defined next to the
  // composite it reuses: tensor/ops/conv.cpp, pool.cpp, attention.cpp,
  // cross_entropy.cpp); a backend overrides one where fusing saves memory
  // traffic. Outputs are contiguous.
  //
  // grad_input (N, C, H, W) = the gradient of conv2d w.r.t. its input, from
  // grad_out (N, K, oh, ow) and weight (K, C/groups, kh, kw); overwritten.
  virtual void conv2d_backward_input(const Tensor& grad_input, const Tensor& grad_out, const Tensor& weight,
                                     const ConvGeometry& geometry, int64_t groups);
  // grad_weight (K, C/groups, kh, kw) = the gradient of conv2d w.r.t. its
  // weight, summed over the batch of input (N, C, H, W); overwritten.
  virtual void conv2d_backward_weight(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& input,
                                      const ConvGeometry& geometry, int64_t groups);
  // values and indices (int64) (N, C, oh, ow): the max of each window of input
  // (N, C, H, W) and its flat index into the H*W plane. Padding never wins; the
  // geometry's in_h/in_w may exceed H/W (ceil_mode windows that overhang the
  // bottom/right), and those positions never win either. Ties keep the first
  // position in the window; NaN counts as the maximum.
  virtual void max_pool2d(const Tensor& values, const Tensor& indices, const Tensor& input,
                          const ConvGeometry& geometry);
  // grad_input (N, C, H, W) = zeros with grad_out (N, C, oh, ow) added at the
  // flat plane indices that max_pool2d chose; overwritten.
  virtual void max_pool2d_backward(const Tensor& grad_input, const Tensor& grad_out, const Tensor& indices);
  // Scaled dot-product attention over (N, H) batches of queries q (N, H, L, D),
  // keys k (N, H, S, D) and values v (N, H, S, Dv), any strides:
  //   probs (N, H, L, S), contiguous, = softmax((q * scale) k^T + mask), where
  //     mask is undefined or additive (floating, broadcast to (N, H, L, S) with
  //     stride-0 dims) and `causal` also excludes keys j > i;
  //   out (N, H, L, Dv), any strides, = probs @ v.
  // A row whose keys are all excluded comes out NaN, as softmax gives.
  virtual void attention(const Tensor& out, const Tensor& probs, const Tensor& q, const Tensor& k, const Tensor& v,
                         const Tensor& mask, double scale, bool causal);
  // The gradients of attention's out w.r.t. q, k and v, from grad_out
  // (N, H, L, Dv) and the forward's probs; grad_q/k/v have q/k/v's shapes and
  // any strides (views of one packed tensor, say) and are overwritten.
  // `causal` (the forward's): probs are 0 past the diagonal, which a kernel may skip.
  virtual void attention_backward(const Tensor& grad_q, const Tensor& grad_k, const Tensor& grad_v,
                                  const Tensor& grad_out, const Tensor& q, const Tensor& k, const Tensor& v,
                                  const Tensor& probs, double scale, bool causal);
  // Cross-entropy with class-index targets, the loss and its logit gradient in
  // one pass: logits (N, C) contiguous, target (N) int64, weight (C) of the
  // logits' dtype or undefined. With s = label_smoothing, w_c = weight[c] (or
  // 1), t = target[n] and log p = log_softmax(logits[n]):
  //   loss (N) = -(1 - s) w_t log p_t - (s / C) sum_c w_c log p_c, PyTorch's
  //     reduction='none' (0 for a row whose target is ignore_index);
  //   grad_logits (N, C) = d loss[n] / d logits[n] = p * sum(a) - a with
  //     a_c = (1 - s) w_t [c == t] + (s / C) w_c (zeros for an ignored row);
  //     undefined when no gradient is wanted.
  // A target outside [0, C) that is not ignore_index throws mini::Error naming it and C.
  virtual void cross_entropy(const Tensor& loss, const Tensor& grad_logits, const Tensor& logits, const Tensor& target,
                             const Tensor& weight, int64_t ignore_index, double label_smoothing);

  // Updates param in place from grad (param's shape and dtype) and the
  // optimizer state tensors, also updated in place: sgd {momentum buffer}
  // (none when momentum is 0), adam {exp_avg, exp_avg_sq[, max_exp_avg_sq]}.
  // Any strides. The default (tensor/optimizer_step.cpp) is the sequence of
  // elementwise ops; the CPU backend fuses it into one pass per parameter.
  virtual void optimizer_step(const OptimizerStep& step, const Tensor& param, const Tensor& grad,
                              const std::vector<Tensor>& state);
};

// The backend serving `device`. Throws mini::Error naming the device when no
// backend is registered (e.g. cuda in a build without CUDA).
Backend& backend_for(Device device);
// Called once by each backend at start-up (cuda/ registers itself for cuda).
void register_backend(DeviceType type, Backend* (*factory)(int index));
bool has_backend(DeviceType type);

}  // namespace mini
