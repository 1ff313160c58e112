#pragma once
// The CUDA backend: the primitives of tensor/backend.h on one CUDA device.
//
// Compiled by g++ in both variants (see NOTE [ two variants in one binary ] in
// cuda/variant.h). Each primitive checks its arguments, lays out the launch
// (coalesced strides, temporaries from the caching allocator) and calls a
// launcher from cuda/launchers/launchers.h on the device's current stream.
// Work is asynchronous: copy_to_cpu, nonzero, integer remainder and
// cross_entropy (which must read device results) synchronise the stream.
// One file per family, as in tensor/cpu: copy_fill.cpp, elementwise.cpp,
// reduce.cpp, matmul.cpp (+ cublas_matmul.cpp on a GPU), conv.cpp (+ cudnn_conv.cpp), index.cpp,
// random.cpp, softmax.cpp, layer_norm.cpp, pool.cpp, optimizer.cpp, cross_entropy.cpp.
#include "cuda/runtime/caching_allocator.h"
#include "cuda/runtime/stream.h"
#include "tensor/backend.h"

MINI_CUDA_BEGIN_NAMESPACE

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device_index) : index_(device_index), allocator_(device_index) {}

  Device device() const override { return Device::cuda(index_); }
  Allocator& allocator() override { return allocator_; }
  void synchronize() override;

  void copy(const Tensor& dst, const Tensor& src) override;
  void copy_from_cpu(const Tensor& dst, const Tensor& cpu_src) override;
  void copy_to_cpu(const Tensor& cpu_dst, const Tensor& src) override;
  void fill(const Tensor& dst, Scalar value) override;
  void arange(const Tensor& dst, double start, double step) override;

  void unary(UnaryOp op, const Tensor& dst, const Tensor& src, UnaryParams params) override;
  void binary(BinaryOp op, const Tensor& dst, const Tensor& a, const Tensor& b) override;
  void where(const Tensor& dst, const Tensor& cond, const Tensor& a, const Tensor& b) override;

  void reduce(ReduceOp op, const Tensor& dst, const Tensor& src) override;
  void arg_reduce(ArgReduceOp op, const Tensor& values, const Tensor& indices, const Tensor& src, int64_t dim) override;

  void matmul(const Tensor& dst, const Tensor& a, const Tensor& b) override;
  void im2col(const Tensor& columns, const Tensor& input, const ConvGeometry& geometry, Scalar pad_value) override;
  void col2im(const Tensor& input_grad, const Tensor& columns, const ConvGeometry& geometry) override;
  void conv2d(const Tensor& out, const Tensor& input, const Tensor& weight, const ConvGeometry& geometry,
              int64_t groups) override;
  // cuDNN on a GPU where it applies (cudnn_conv.h), else Backend's im2col + GEMM composites.
  void conv2d_backward_input(const Tensor& grad_input, const Tensor& grad_out, const Tensor& weight,
                             const ConvGeometry& geometry, int64_t groups) override;
  void conv2d_backward_weight(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& input,
                              const ConvGeometry& geometry, int64_t groups) override;

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

  // Optional fused primitives overridden with kernels of their own.
  void max_pool2d(const Tensor& values, const Tensor& indices, const Tensor& input,
                  const ConvGeometry& geometry) override;
  void max_pool2d_backward(const Tensor& grad_input, const Tensor& grad_out, const Tensor& indices) override;
  void optimizer_step(const OptimizerStep& step, const Tensor& param, const Tensor& grad,
                      const std::vector<Tensor>& state) override;
  // Loss and logit gradient in one kernel (cross_entropy.cpp).
  void cross_entropy(const Tensor& loss, const Tensor& grad_logits, const Tensor& logits, const Tensor& target,
                     const Tensor& weight, int64_t ignore_index, double label_smoothing) override;

  // The stream this backend's work goes to now (the thread's current stream
  // for this device); makes this device current on a GPU first.
  StreamHandle stream() const;
  // An uninitialised contiguous tensor on this device.
  Tensor empty(const Shape& sizes, DType dtype) const;
  // `tensor` itself when contiguous (or undefined), else a contiguous copy on this device.
  Tensor contiguous(const Tensor& tensor);

 private:
  int index_;
  DeviceCachingAllocator allocator_;
};

MINI_CUDA_END_NAMESPACE
