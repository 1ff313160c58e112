// matmul (torch.matmul semantics), matmul_out and linear.
//
// Every case is reduced to the backend's batched product
//   dst (batch..., M, N) = a (batch..., M, K) @ b (batch..., K, N)
// with 1-D operands given a temporary dim of size 1 (removed from the result)
// and the batch dims broadcast as expanded views (stride 0, no copies).
#include "tensor/ops/linalg.h"

#include "tensor/backend.h"
#include "tensor/ops/factory.h"
#include "tensor/ops/view.h"

namespace mini::ops {
namespace {

struct MatmulPlan {
  Tensor a, b;         // (batch..., M, K) and (batch..., K, N), possibly expanded views
  Shape full_sizes;    // (batch..., M, N)
  Shape result_sizes;  // full_sizes without the temporary dims of 1-D operands
};

void check_operands(const Tensor& a, const Tensor& b, const char* op) {
  MINI_CHECK(a.defined() && b.defined(), "{}: undefined tensor", op);
  MINI_CHECK(a.dim() >= 1 && b.dim() >= 1, "{}: both operands need at least 1 dim, got {} @ {}", op,
             shape_str(a.sizes()), shape_str(b.sizes()));
  MINI_CHECK(a.dtype() == b.dtype(), "{}: {} @ {}: dtypes {} and {} differ", op, shape_str(a.sizes()),
             shape_str(b.sizes()), a.dtype(), b.dtype());
  MINI_CHECK(a.dtype() != DType::b8, "{}: {} @ {}: not supported for bool tensors", op, shape_str(a.sizes()),
             shape_str(b.sizes()));
  MINI_CHECK(a.device() == b.device(), "{}: {} @ {}: tensors on different devices", op, shape_str(a.sizes()),
             shape_str(b.sizes()));
}

MatmulPlan plan_matmul(const Tensor& a, const Tensor& b, const char* op) {
  check_operands(a, b, op);
  const Tensor a2 = a.dim() == 1 ? unsqueeze(a, 0) : a;  // (K) -> (1, K)
  const Tensor b2 = b.dim() == 1 ? unsqueeze(b, 1) : b;  // (K) -> (K, 1)
  const int64_t m = a2.size(-2), k = a2.size(-1), n = b2.size(-1);
  MINI_CHECK(k == b2.size(-2), "{}: {} @ {}: inner dims {} and {} differ", op, shape_str(a.sizes()),
             shape_str(b.sizes()), k, b2.size(-2));

  const Shape a_batch(a2.sizes().begin(), a2.sizes().end() - 2);
  const Shape b_batch(b2.sizes().begin(), b2.sizes().end() - 2);
  const size_t batch_rank = std::max(a_batch.size(), b_batch.size());
  Shape batch(batch_rank, 1);
  for (size_t i = 0; i < batch_rank; ++i) {
    const int64_t size_a = i < a_batch.size() ? a_batch[a_batch.size() - 1 - i] : 1;
    const int64_t size_b = i < b_batch.size() ? b_batch[b_batch.size() - 1 - i] : 1;
    MINI_CHECK(size_a == size_b || size_a == 1 || size_b == 1,
               "{}: {} @ {}: batch dims {} and {} cannot be broadcast", op, shape_str(a.sizes()),
               shape_str(b.sizes()), shape_str(a_batch), shape_str(b_batch));
    batch[batch_rank - 1 - i] = size_a == 1 ? size_b : size_a;
  }

  MatmulPlan plan;
  Shape a_sizes = batch, b_sizes = batch;
  a_sizes.push_back(m);
  a_sizes.push_back(k);
  b_sizes.push_back(k);
  b_sizes.push_back(n);
  plan.a = a2.sizes() == a_sizes ? a2 : expand(a2, a_sizes);
  plan.b = b2.sizes() == b_sizes ? b2 : expand(b2, b_sizes);
  plan.full_sizes = batch;
  plan.full_sizes.push_back(m);
  plan.full_sizes.push_back(n);
  plan.result_sizes = batch;
  if (a.dim() > 1) plan.result_sizes.push_back(m);
  if (b.dim() > 1) plan.result_sizes.push_back(n);
  return plan;
}

// dst (full_sizes) = plan.a @ plan.b. When b is one shared matrix, a's batch
// and row dims are folded into one large M (x (B, T, C) @ W (C, D) is one
// GEMM, not B small ones) whenever a and dst allow it without copies.
void run_matmul(const Tensor& dst, const MatmulPlan& plan) {
  Backend& backend = backend_for(dst.device());
  const int64_t rank = dst.dim();
  const bool b_shared = rank > 2 && [&] {
    for (int64_t d = 0; d < rank - 2; ++d) {
      if (plan.b.stride(d) != 0 && plan.b.size(d) != 1) return false;
    }
    return true;
  }();
  if (b_shared) {
    const int64_t rows = numel_of(plan.full_sizes) / std::max<int64_t>(1, plan.full_sizes.back());
    const int64_t k = plan.a.size(-1), n = plan.b.size(-1);
    Shape a_strides, dst_strides;
    if (rows > 0 && compute_view_strides(plan.a.sizes(), plan.a.strides(), {rows, k}, a_strides) &&
        compute_view_strides(dst.sizes(), dst.strides(), {rows, n}, dst_strides)) {
      const Tensor a_rows = as_strided(plan.a, {rows, k}, a_strides, plan.a.offset());
      const Tensor dst_rows = as_strided(dst, {rows, n}, dst_strides, dst.offset());
      const Tensor b_matrix = as_strided(plan.b, {k, n}, {plan.b.stride(-2), plan.b.stride(-1)}, plan.b.offset());
      backend.matmul(dst_rows, a_rows, b_matrix);
      return;
    }
  }
  backend.matmul(dst, plan.a, plan.b);
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  const MatmulPlan plan = plan_matmul(a, b, "matmul");
  Tensor out = empty(plan.full_sizes, {.dtype = a.dtype(), .device = a.device()});
  run_matmul(out, plan);
  return view(out, plan.result_sizes);
}

void matmul_out(const Tensor& out, const Tensor& a, const Tensor& b) {
  const MatmulPlan plan = plan_matmul(a, b, "matmul_out");
  MINI_CHECK(out.defined() && out.sizes() == plan.result_sizes, "matmul_out: {} @ {} gives {}, but out is {}",
             shape_str(a.sizes()), shape_str(b.sizes()), shape_str(plan.result_sizes),
             out.defined() ? shape_str(out.sizes()) : std::string("undefined"));
  MINI_CHECK(out.dtype() == a.dtype() && out.device() == a.device(),
             "matmul_out: out has dtype {} on {}, expected {} on {}", out.dtype(), out.device().str(), a.dtype(),
             a.device().str());
  // Put back the temporary dims of 1-D operands as size-1 views of out.
  Tensor dst = out;
  if (b.dim() == 1) dst = unsqueeze(dst, dst.dim());
  if (a.dim() == 1) dst = unsqueeze(dst, dst.dim() - 1);
  run_matmul(dst, plan);
  out.bump_version();
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  MINI_CHECK(x.defined() && weight.defined(), "linear: undefined input or weight");
  MINI_CHECK(weight.dim() == 2, "linear: weight must be (out_features, in_features), got {}",
             shape_str(weight.sizes()));
  MINI_CHECK(x.dim() >= 1 && x.size(-1) == weight.size(1),
             "linear: input {} has {} features in its last dim, weight {} expects {}", shape_str(x.sizes()),
             x.dim() >= 1 ? x.size(-1) : 0, shape_str(weight.sizes()), weight.size(1));
  // weight^T is a column-major view: the GEMM reads it in place.
  Tensor out = matmul(x, t(weight));
  if (bias.defined()) {
    MINI_CHECK(bias.dim() == 1 && bias.size(0) == weight.size(0),
               "linear: bias {} does not match weight {} (expected {})", shape_str(bias.sizes()),
               shape_str(weight.sizes()), shape_str({weight.size(0)}));
    MINI_CHECK(bias.dtype() == out.dtype() && bias.device() == out.device(),
               "linear: bias has dtype {}, input and weight {}", bias.dtype(), out.dtype());
    backend_for(out.device()).binary(BinaryOp::add, out, out, expand(bias, out.sizes()));
  }
  return out;
}

}  // namespace mini::ops
