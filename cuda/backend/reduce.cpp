// CUDA reductions and arg reductions: host-side geometry; see cuda/kernels/reduce.cuh.
#include <algorithm>
#include <vector>

#include "cuda/backend/cuda_backend.h"
#include "cuda/backend/geometry.h"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE
namespace {

// `dims` of src (sorted by decreasing src stride so the innermost has the
// smallest) merged where contiguous; strides[0] are src's, strides[1] dst's.
template <int N>
Strided<N> group_geometry(std::vector<int64_t> dims, const Tensor& src, const Tensor* dst) {
  std::stable_sort(dims.begin(), dims.end(), [&](int64_t a, int64_t b) { return src.strides()[a] > src.strides()[b]; });
  Strided<N> g{};
  g.numel = 1;
  int rank = 0;
  for (int64_t d : dims) {
    const int64_t size = src.sizes()[d];
    g.numel *= size;
    const bool merge = rank > 0 && g.strides[0][rank - 1] == src.strides()[d] * size &&
                       (N == 1 || g.strides[N - 1][rank - 1] == dst->strides()[d] * size);
    if (merge) {
      g.sizes[rank - 1] *= size;
      g.strides[0][rank - 1] = src.strides()[d];
      if constexpr (N > 1) g.strides[N - 1][rank - 1] = dst->strides()[d];
      continue;
    }
    MINI_CHECK(rank < kMaxDims, "cuda reduce: {} has more than {} dims that cannot be merged", shape_str(src.sizes()),
               kMaxDims);
    g.sizes[rank] = size;
    g.strides[0][rank] = src.strides()[d];
    if constexpr (N > 1) g.strides[N - 1][rank] = dst->strides()[d];
    ++rank;
  }
  if (rank == 0) {
    g.sizes[0] = 1;
    rank = 1;
  }
  g.rank = rank;
  return g;
}

}  // namespace

void CudaBackend::reduce(ReduceOp op, const Tensor& dst, const Tensor& src) {
  MINI_ASSERT(dst.dim() == src.dim(), "cuda reduce: dst {} and src {} differ in rank", shape_str(dst.sizes()),
              shape_str(src.sizes()));
  MINI_ASSERT(dst.dtype() == src.dtype(), "cuda reduce: dst {} and src {} differ in dtype", dst.dtype(), src.dtype());
  if (dst.numel() == 0) return;
  std::vector<int64_t> kept, reduced;
  int64_t reduced_numel = 1;
  for (int64_t d = 0; d < src.dim(); ++d) {
    if (src.sizes()[d] == 1) continue;
    if (dst.sizes()[d] == 1) {
      reduced.push_back(d);
      reduced_numel *= src.sizes()[d];
    } else {
      kept.push_back(d);
    }
  }
  if (reduced.empty()) {  // nothing to reduce (size-1 dims only)
    copy(dst, src);
    return;
  }
  if (reduced_numel == 0) {
    MINI_ASSERT(op != ReduceOp::max && op != ReduceOp::min, "cuda reduce: max/min over an empty dim");
    fill(dst, op == ReduceOp::prod || op == ReduceOp::all ? 1 : 0);
    return;
  }
  MINI_ASSERT((op == ReduceOp::all || op == ReduceOp::any) == (src.dtype() == DType::b8) || src.dtype() == DType::b8,
              "cuda reduce: all/any expects bool, got {}", src.dtype());
  ReduceGeometry g{};
  g.kept = group_geometry<2>(kept, src, &dst);
  g.reduced = group_geometry<1>(reduced, src, nullptr);
  const ScalarKind kind = kind_of(src);
  const ReduceCode code = static_cast<ReduceCode>(op);
  const ReducePlan plan = plan_reduce(kind, code, g);
  Tensor workspace;
  if (plan.workspace_bytes > 0) workspace = empty({static_cast<int64_t>(plan.workspace_bytes)}, DType::u8);
  launch_reduce(kind, code, g, plan, dst.data_ptr(), src.data_ptr(),
                workspace.defined() ? workspace.data_ptr() : nullptr, stream());
}

void CudaBackend::arg_reduce(ArgReduceOp op, const Tensor& values, const Tensor& indices, const Tensor& src,
                             int64_t dim) {
  MINI_ASSERT(indices.dtype() == DType::i64 && values.dtype() == src.dtype(), "cuda arg_reduce: bad dtypes");
  if (indices.numel() == 0) return;
  const int64_t length = src.dim() == 0 ? 1 : src.size(dim);
  MINI_ASSERT(length > 0, "cuda arg_reduce: empty dim {}", dim);
  std::vector<int64_t> kept;
  for (int64_t d = 0; d < src.dim(); ++d) {
    if (d != dim && src.sizes()[d] != 1) kept.push_back(d);
  }
  // kept dims in row-major order, (src, values, indices) strides; not merged
  // (values and indices may differ in layout), so at most kMaxDims kept dims.
  MINI_CHECK(static_cast<int>(kept.size()) <= kMaxDims, "cuda arg_reduce: {} has more than {} dims",
             shape_str(src.sizes()), kMaxDims + 1);
  Strided<3> g{};
  g.numel = 1;
  g.rank = std::max<int>(1, static_cast<int>(kept.size()));
  g.sizes[0] = 1;
  for (size_t i = 0; i < kept.size(); ++i) {
    const int64_t d = kept[i];
    g.sizes[i] = src.sizes()[d];
    g.strides[0][i] = src.strides()[d];
    g.strides[1][i] = values.strides()[d];
    g.strides[2][i] = indices.strides()[d];
    g.numel *= src.sizes()[d];
  }
  const int64_t step = src.dim() == 0 ? 0 : src.stride(dim);
  launch_arg_reduce(kind_of(src), op == ArgReduceOp::argmax, g, length, step, values.data_ptr(),
                    static_cast<int64_t*>(indices.data_ptr()), src.data_ptr(), stream());
}

MINI_CUDA_END_NAMESPACE
