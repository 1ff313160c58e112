// CUDA unary and binary elementwise ops and where.
#include <cmath>
#include <limits>

#include "cuda/backend/cuda_backend.h"
#include "cuda/backend/geometry.h"
#include "cuda/launchers/launchers.h"
#include "tensor/ops/factory.h"

MINI_CUDA_BEGIN_NAMESPACE
namespace {

// A double bound as T, saturating at T's range; NaN means no bound (as the CPU backend).
template <typename T>
int64_t saturate_bound(double bound, T if_nan) {
  if (std::isnan(bound)) return static_cast<int64_t>(if_nan);
  if (bound <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  if (bound >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<int64_t>(static_cast<T>(bound));
}

// Whether `op` is defined for integer (non-bool) tensors, as in the CPU backend.
bool integer_unary_op(UnaryOp op) {
  switch (op) {
    case UnaryOp::neg:
    case UnaryOp::abs:
    case UnaryOp::sign:
    case UnaryOp::relu:
    case UnaryOp::square:
    case UnaryOp::floor:
    case UnaryOp::ceil:
    case UnaryOp::round:
    case UnaryOp::clamp:
    case UnaryOp::pow_scalar:
      return true;
    default:
      return false;
  }
}

bool integer_binary_op(BinaryOp op) {
  switch (op) {
    case BinaryOp::add:
    case BinaryOp::sub:
    case BinaryOp::mul:
    case BinaryOp::maximum:
    case BinaryOp::minimum:
    case BinaryOp::pow:
    case BinaryOp::remainder:
      return true;
    default:
      return false;
  }
}

}  // namespace

void CudaBackend::unary(UnaryOp op, const Tensor& dst, const Tensor& src, UnaryParams params) {
  MINI_ASSERT(dst.sizes() == src.sizes(), "cuda unary: shapes {} and {} differ", shape_str(dst.sizes()),
              shape_str(src.sizes()));
  if (op == UnaryOp::logical_not) {
    MINI_ASSERT(dst.dtype() == DType::b8, "cuda unary: logical_not writes bool, got {}", dst.dtype());
    if (dst.numel() > 0) {
      launch_logical_not(kind_of(src), make_strided<2>({&dst, &src}), dst.data_ptr(), src.data_ptr(), stream());
    }
    return;
  }
  MINI_ASSERT(dst.dtype() == src.dtype(), "cuda unary: dtypes {} and {} differ", dst.dtype(), src.dtype());
  const DType dtype = src.dtype();
  if (dtype == DType::b8 || (!is_floating(dtype) && !integer_unary_op(op))) {
    throw InternalError(fmt::format("cuda unary: op {} is not defined for {}", static_cast<int>(op), dtype));
  }
  UnaryArgs args{static_cast<UnaryCode>(op), params.a, params.b, 0, 0};
  if (!is_floating(dtype)) {
    dispatch(dtype, [&]<typename T>() {
      if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        args.integer_low = saturate_bound<T>(params.a, std::numeric_limits<T>::lowest());
        args.integer_high = saturate_bound<T>(params.b, std::numeric_limits<T>::max());
      }
    });
    if (op == UnaryOp::pow_scalar) {
      MINI_ASSERT(params.a >= 0 && params.a == std::floor(params.a),
                  "cuda unary: integer pow needs a non-negative integer exponent, got {}", params.a);
    }
  }
  if (dst.numel() == 0) return;
  launch_unary(kind_of(dtype), args, make_strided<2>({&dst, &src}), dst.data_ptr(), src.data_ptr(), stream());
}

void CudaBackend::binary(BinaryOp op, const Tensor& dst, const Tensor& a, const Tensor& b) {
  MINI_ASSERT(dst.sizes() == a.sizes() && dst.sizes() == b.sizes(), "cuda binary: shapes {}, {} and {} differ",
              shape_str(dst.sizes()), shape_str(a.sizes()), shape_str(b.sizes()));
  MINI_ASSERT(a.dtype() == b.dtype(), "cuda binary: operand dtypes {} and {} differ", a.dtype(), b.dtype());
  const Strided<3> g = make_strided<3>({&dst, &a, &b});
  const BinaryCode code = static_cast<BinaryCode>(op);
  if (binary_op_writes_bool(op)) {
    MINI_ASSERT(dst.dtype() == DType::b8, "cuda binary: op {} writes bool, got {}", static_cast<int>(op), dst.dtype());
    if (dst.numel() > 0) launch_compare(kind_of(a), code, g, dst.data_ptr(), a.data_ptr(), b.data_ptr(), stream());
    return;
  }
  MINI_ASSERT(dst.dtype() == a.dtype(), "cuda binary: output dtype {} differs from the operands' {}", dst.dtype(),
              a.dtype());
  const DType dtype = a.dtype();
  const bool defined =
      is_floating(dtype) || (dtype == DType::b8 ? op == BinaryOp::add || op == BinaryOp::mul ||
                                                      op == BinaryOp::maximum || op == BinaryOp::minimum
                                                : integer_binary_op(op));
  if (!defined) {
    throw InternalError(fmt::format("cuda binary: op {} is not defined for {}", static_cast<int>(op), dtype));
  }
  if (dst.numel() == 0) return;
  // Integer remainder reports division by zero through a device flag, read back after the kernel.
  const bool check_zero = op == BinaryOp::remainder && !is_floating(dtype);
  Tensor flag;
  if (check_zero) {
    flag = empty({1}, DType::i32);
    fill(flag, 0);
  }
  launch_binary(kind_of(dtype), code, g, dst.data_ptr(), a.data_ptr(), b.data_ptr(),
                check_zero ? static_cast<int*>(flag.data_ptr()) : nullptr, stream());
  if (check_zero) MINI_CHECK(flag.item<int32_t>() == 0, "remainder: integer division by zero");
}

void CudaBackend::where(const Tensor& dst, const Tensor& cond, const Tensor& a, const Tensor& b) {
  MINI_ASSERT(cond.dtype() == DType::b8, "cuda where: condition must be bool, got {}", cond.dtype());
  MINI_ASSERT(dst.dtype() == a.dtype() && dst.dtype() == b.dtype(), "cuda where: dtypes {}, {} and {} differ",
              dst.dtype(), a.dtype(), b.dtype());
  if (dst.numel() == 0) return;
  launch_where(dst.element_size(), make_strided<4>({&dst, &cond, &a, &b}), dst.data_ptr(), cond.data_ptr(),
               a.data_ptr(), b.data_ptr(), stream());
}

MINI_CUDA_END_NAMESPACE
