// Multi-head scaled dot-product attention as one op (Backend::attention and
// its backward), plus the composite default every backend gets:
//   scores = (q * scale) k^T + mask (+ causal), probs = softmax(scores), out = probs v;
//   grad_v = probs^T grad_out, grad_probs = grad_out v^T,
//   grad_scores = softmax_backward(grad_probs, probs),
//   grad_q = grad_scores k * scale, grad_k = grad_scores^T (q * scale).
// The fused form exists for speed: a transformer block's attention core was
// a dozen ops (head transposes, a scaled copy of q, a mask add, softmax, two
// batched matmuls, the merge of the heads) and as many in its backward.
#include <cmath>
#include <limits>

#include "tensor/backend.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/factory.h"
#include "tensor/ops/linalg.h"
#include "tensor/ops/nn.h"
#include "tensor/ops/view.h"

namespace mini::ops {
namespace {

void check_operands(const Tensor& q, const Tensor& k, const Tensor& v, const char* op) {
  MINI_CHECK(q.defined() && k.defined() && v.defined(), "{}: undefined q, k or v", op);
  MINI_CHECK(q.dim() == 4 && k.dim() == 4 && v.dim() == 4,
             "{}: q {}, k {}, v {} must be (N, H, L, D), (N, H, S, D), (N, H, S, Dv)", op, shape_str(q.sizes()),
             shape_str(k.sizes()), shape_str(v.sizes()));
  MINI_CHECK(k.size(0) == q.size(0) && v.size(0) == q.size(0) && k.size(1) == q.size(1) && v.size(1) == q.size(1) &&
                 k.size(3) == q.size(3) && v.size(2) == k.size(2),
             "{}: q {}, k {}, v {} do not agree on (N, H), D or S", op, shape_str(q.sizes()), shape_str(k.sizes()),
             shape_str(v.sizes()));
  MINI_CHECK(is_floating(q.dtype()) && k.dtype() == q.dtype() && v.dtype() == q.dtype(),
             "{}: q, k and v must share one floating dtype, got {}, {}, {}", op, q.dtype(), k.dtype(), v.dtype());
  MINI_CHECK(k.device() == q.device() && v.device() == q.device(), "{}: q, k and v are on different devices", op);
}

}  // namespace

AttentionResult attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, double scale,
                          bool causal) {
  check_operands(q, k, v, "attention");
  const int64_t batch = q.size(0), heads = q.size(1), length = q.size(2), source = k.size(2), value_dim = v.size(3);
  const Shape scores_sizes{batch, heads, length, source};
  Tensor mask_view;
  if (mask.defined()) {
    MINI_CHECK(is_floating(mask.dtype()) && mask.device() == q.device(),
               "attention: mask must be a floating tensor on q's device, got {} on {}", mask.dtype(),
               mask.device().str());
    broadcast_shapes(mask.sizes(), scores_sizes, "attention (mask)");
    mask_view = expand(mask.dtype() == q.dtype() ? mask : to_dtype(mask, q.dtype()), scores_sizes);
  }
  const TensorOptions options{.dtype = q.dtype(), .device = q.device()};
  Tensor out = permute(empty({batch, length, heads, value_dim}, options), {0, 2, 1, 3});
  Tensor probs = empty(scores_sizes, options);
  if (out.numel() > 0 || probs.numel() > 0) {
    backend_for(q.device()).attention(out, probs, q, k, v, mask_view, scale, causal);
  }
  return {out, probs};
}

void attention_backward_into(const Tensor& grad_q, const Tensor& grad_k, const Tensor& grad_v, const Tensor& grad_out,
                             const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& probs, double scale,
                             bool causal) {
  check_operands(q, k, v, "attention_backward");
  const Shape out_sizes{q.size(0), q.size(1), q.size(2), v.size(3)};
  MINI_CHECK(grad_out.sizes() == out_sizes && grad_out.dtype() == q.dtype(),
             "attention_backward: grad_out {} ({}) must be {} ({})", shape_str(grad_out.sizes()), grad_out.dtype(),
             shape_str(out_sizes), q.dtype());
  MINI_CHECK(probs.sizes() == Shape({q.size(0), q.size(1), q.size(2), k.size(2)}) && probs.is_contiguous(),
             "attention_backward: probs {} do not match q {} and k {}", shape_str(probs.sizes()), shape_str(q.sizes()),
             shape_str(k.sizes()));
  MINI_CHECK(grad_q.sizes() == q.sizes() && grad_k.sizes() == k.sizes() && grad_v.sizes() == v.sizes(),
             "attention_backward: gradients {}, {}, {} must have the shapes of q {}, k {}, v {}",
             shape_str(grad_q.sizes()), shape_str(grad_k.sizes()), shape_str(grad_v.sizes()), shape_str(q.sizes()),
             shape_str(k.sizes()), shape_str(v.sizes()));
  backend_for(q.device()).attention_backward(grad_q, grad_k, grad_v, grad_out, q, k, v, probs, scale, causal);
}

}  // namespace mini::ops

namespace mini {

// The composites every backend gets unless it fuses them (tensor/backend.h).
void Backend::attention(const Tensor& out, const Tensor& probs, const Tensor& q, const Tensor& k, const Tensor& v,
                        const Tensor& mask, double scale, bool causal) {
  Tensor scores = ops::matmul(ops::mul(q, scale), ops::transpose(k, 2, 3));  // (N, H, L, S)
  if (mask.defined()) scores = ops::add(scores, mask);
  if (causal) {
    // future(i, j) = j > i: (L, 1) against (1, S).
    const int64_t length = q.size(2), source = k.size(2);
    const TensorOptions index{.dtype = DType::i64, .device = q.device()};
    const Tensor future = ops::gt(ops::unsqueeze(ops::arange(0, source, 1, index), 0),
                                  ops::unsqueeze(ops::arange(0, length, 1, index), 1));
    scores = ops::where(future, -std::numeric_limits<double>::infinity(), scores);
  }
  softmax(probs, scores, 3, false);
  copy(out, ops::matmul(probs, v));
}

void Backend::attention_backward(const Tensor& grad_q, const Tensor& grad_k, const Tensor& grad_v,
                                 const Tensor& grad_out, const Tensor& q, const Tensor& k, const Tensor& v,
                                 const Tensor& probs, double scale, bool /*causal: probs already hold it*/) {
  copy(grad_v, ops::matmul(ops::transpose(probs, 2, 3), grad_out));
  const Tensor grad_probs = ops::matmul(grad_out, ops::transpose(v, 2, 3));
  Tensor grad_scores = ops::empty(probs.sizes(), {.dtype = probs.dtype(), .device = probs.device()});
  softmax_backward(grad_scores, grad_probs, probs, 3, false);
  copy(grad_q, ops::mul(ops::matmul(grad_scores, k), scale));
  copy(grad_k, ops::matmul(ops::transpose(grad_scores, 2, 3), ops::mul(q, scale)));
}

}  // namespace mini
