// The nvcc-side mirrors of the backend enums (cuda/kernels/op_codes.h) must
// list the same enumerators in the same order: the backend converts with static_cast.
#include "cuda/kernels/op_codes.h"
#include "tensor/backend.h"

MINI_CUDA_BEGIN_NAMESPACE
namespace {

template <typename A, typename B>
constexpr bool same(A a, B b) {
  return static_cast<int>(a) == static_cast<int>(b);
}

#define MINI_SAME(mirror, original, name) static_assert(same(mirror::name, original::name), #original "::" #name)

MINI_SAME(ScalarKind, DType, f32);
MINI_SAME(ScalarKind, DType, f64);
MINI_SAME(ScalarKind, DType, f16);
MINI_SAME(ScalarKind, DType, bf16);
MINI_SAME(ScalarKind, DType, i32);
MINI_SAME(ScalarKind, DType, i64);
MINI_SAME(ScalarKind, DType, b8);
MINI_SAME(ScalarKind, DType, u8);

#define MINI_SAME_UNARY(name) MINI_SAME(UnaryCode, UnaryOp, name)
MINI_SAME_UNARY(neg);
MINI_SAME_UNARY(abs);
MINI_SAME_UNARY(sign);
MINI_SAME_UNARY(exp);
MINI_SAME_UNARY(log);
MINI_SAME_UNARY(log1p);
MINI_SAME_UNARY(expm1);
MINI_SAME_UNARY(sqrt);
MINI_SAME_UNARY(rsqrt);
MINI_SAME_UNARY(sin);
MINI_SAME_UNARY(cos);
MINI_SAME_UNARY(tanh);
MINI_SAME_UNARY(sigmoid);
MINI_SAME_UNARY(relu);
MINI_SAME_UNARY(gelu_tanh);
MINI_SAME_UNARY(gelu_erf);
MINI_SAME_UNARY(silu);
MINI_SAME_UNARY(softplus);
MINI_SAME_UNARY(floor);
MINI_SAME_UNARY(ceil);
MINI_SAME_UNARY(round);
MINI_SAME_UNARY(reciprocal);
MINI_SAME_UNARY(square);
MINI_SAME_UNARY(erf);
MINI_SAME_UNARY(logical_not);
MINI_SAME_UNARY(clamp);
MINI_SAME_UNARY(pow_scalar);
MINI_SAME_UNARY(leaky_relu);

#define MINI_SAME_BINARY(name) MINI_SAME(BinaryCode, BinaryOp, name)
MINI_SAME_BINARY(add);
MINI_SAME_BINARY(sub);
MINI_SAME_BINARY(mul);
MINI_SAME_BINARY(div);
MINI_SAME_BINARY(pow);
MINI_SAME_BINARY(maximum);
MINI_SAME_BINARY(minimum);
MINI_SAME_BINARY(remainder);
MINI_SAME_BINARY(eq);
MINI_SAME_BINARY(ne);
MINI_SAME_BINARY(lt);
MINI_SAME_BINARY(le);
MINI_SAME_BINARY(gt);
MINI_SAME_BINARY(ge);
MINI_SAME_BINARY(logical_and);
MINI_SAME_BINARY(logical_or);
MINI_SAME_BINARY(logical_xor);
MINI_SAME_BINARY(relu_backward);
MINI_SAME_BINARY(sigmoid_backward);
MINI_SAME_BINARY(tanh_backward);
MINI_SAME_BINARY(gelu_tanh_backward);
MINI_SAME_BINARY(gelu_erf_backward);
MINI_SAME_BINARY(silu_backward);

#define MINI_SAME_REDUCE(name) MINI_SAME(ReduceCode, ReduceOp, name)
MINI_SAME_REDUCE(sum);
MINI_SAME_REDUCE(prod);
MINI_SAME_REDUCE(max);
MINI_SAME_REDUCE(min);
MINI_SAME_REDUCE(all);
MINI_SAME_REDUCE(any);

}  // namespace
MINI_CUDA_END_NAMESPACE
