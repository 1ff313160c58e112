#pragma once
// The CPU backend. Its primitives are implemented in one file per family:
// copy_fill.cpp, unary.cpp, binary.cpp (with where), reduce.cpp, gemm.cpp
// (the only Eigen user), conv.cpp, conv_backward.cpp, pool.cpp, attention.cpp,
// index.cpp, random.cpp, softmax.cpp, layer_norm.cpp, cross_entropy.cpp.
#include "tensor/backend.h"

namespace mini::cpu {

class CpuBackend final : public Backend {
 public:
  Device device() const override { return Device::cpu(); }
  Allocator& allocator() override { return cpu_allocator(); }

  void copy(const Tensor& dst, const Tensor& src) override;
  void copy_from_cpu(const Tensor& dst, const Tensor& cpu_src) override;
  void copy_to_cpu(const Tensor& cpu_dst, const Tensor& src) override;
  void fill(const Tensor& dst, Scalar value) override;
  void arange(const Tensor& dst, double start, double step) override;

  void unary(UnaryOp op, const Tensor& dst, const Tensor& src, UnaryParams params) override;
  void binary(BinaryOp op, const Tensor& dst, const Tensor& a, const Tensor& b) override;
  void where(const Tensor& dst, const Tensor& cond, const Tensor& a, const Tensor& b) override;

  void reduce(ReduceOp op, const Tensor& dst, const Tensor& src) override;
  void arg_reduce(ArgReduceOp op, const Tensor& values, const Tensor& indices, const Tensor& src,
                  int64_t dim) override;

  void matmul(const Tensor& dst, const Tensor& a, const Tensor& b) override;
  void im2col(const Tensor& columns, const Tensor& input, const ConvGeometry& geometry, Scalar pad_value) override;
  void col2im(const Tensor& input_grad, const Tensor& columns, const ConvGeometry& geometry) override;
  void conv2d(const Tensor& out, const Tensor& input, const Tensor& weight, const ConvGeometry& geometry,
              int64_t groups) override;

  void index_select(const Tensor& dst, const Tensor& src, int64_t dim, const Tensor& index) override;
  void index_add(const Tensor& dst, int64_t dim, const Tensor& index, const Tensor& src) override;
  void gather(const Tensor& dst, const Tensor& src, int64_t dim, const Tensor& index) override;
  void scatter(const Tensor& dst, int64_t dim, const Tensor& index, const Tensor& src, ScatterMode mode) override;
  Tensor nonzero(const Tensor& mask) override;

  void random_uniform(const Tensor& dst, RandomState state, double low, double high) override;
  void random_normal(const Tensor& dst, RandomState state, double mean, double std) override;

  void softmax(const Tensor& dst, const Tensor& src, int64_t dim, bool log) override;
  void softmax_backward(const Tensor& grad_input, const Tensor& grad_output, const Tensor& output, int64_t dim,
                        bool log) override;
  void layer_norm(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& x, const Tensor& weight,
                  const Tensor& bias, double eps) override;
  void layer_norm_backward(const Tensor& grad_x, const Tensor& grad_weight, const Tensor& grad_bias,
                           const Tensor& grad_out, const Tensor& x, const Tensor& mean, const Tensor& rstd,
                           const Tensor& weight) override;

  // Fused primitives with a composite default (conv_backward.cpp, pool.cpp, attention.cpp).
  void conv2d_backward_input(const Tensor& grad_input, const Tensor& grad_out, const Tensor& weight,
                             const ConvGeometry& geometry, int64_t groups) override;
  void conv2d_backward_weight(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& input,
                              const ConvGeometry& geometry, int64_t groups) override;
  void max_pool2d(const Tensor& values, const Tensor& indices, const Tensor& input,
                  const ConvGeometry& geometry) override;
  void max_pool2d_backward(const Tensor& grad_input, const Tensor& grad_out, const Tensor& indices) override;
  void attention(const Tensor& out, const Tensor& probs, const Tensor& q, const Tensor& k, const Tensor& v,
                 const Tensor& mask, double scale, bool causal) override;
  void attention_backward(const Tensor& grad_q, const Tensor& grad_k, const Tensor& grad_v, const Tensor& grad_out,
                          const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& probs, double scale,
                          bool causal) override;
  // One visit per row: loss and logit gradient together (cross_entropy.cpp).
  void cross_entropy(const Tensor& loss, const Tensor& grad_logits, const Tensor& logits, const Tensor& target,
                     const Tensor& weight, int64_t ignore_index, double label_smoothing) override;
  // One fused pass per parameter (optimizer_step.cpp).
  void optimizer_step(const OptimizerStep& step, const Tensor& param, const Tensor& grad,
                      const std::vector<Tensor>& state) override;
};

}  // namespace mini::cpu
