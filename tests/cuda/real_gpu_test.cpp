// Checks only a real GPU can run: the vendor-library paths (cuBLAS GEMM with
// and without TF32, cuDNN convolutions), the caching allocator over device
// memory, and copy_to_cpu waiting for queued kernels. Every test skips without
// a device (always in CI), where the emulator serves Device::cuda and never
// reaches cuBLAS or cuDNN.
//
// Both paths are compared in one process through the switches of
// cuda/backend/library_switches.h, which the backend reads at every call
// (this file is compiled in the emulated variant's namespace, so it reaches
// the device backend only through the Backend interface and ops).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cuda/backend/library_switches.h"
#include "tensor/ops/linalg.h"
#include "tensor/ops/nn.h"
#include "tests/cuda/cuda_testing.h"

namespace mini::cuda {
namespace {

using namespace mini::testing;
using namespace mini::cuda::testing;

#define SKIP_WITHOUT_GPU() \
  if (!real_gpu()) GTEST_SKIP() << "no CUDA device: cuBLAS, cuDNN and device memory are checked on a GPU only"

// A dot product of k terms of magnitude ~1 carries ~sqrt(k) ulps of rounding.
double dot_atol(DType dtype, int64_t k) { return 4 * atol_for(dtype) * std::sqrt(static_cast<double>(k)); }

Tensor widen(const Tensor& t, DType dtype) { return ops::to_dtype(t, dtype); }

// ---- cuBLAS -------------------------------------------------------------------

TEST(RealGpuMatmul, CublasAndTheOwnGemmMatchTheCpuInF32AndF64) {
  SKIP_WITHOUT_GPU();
  for (DType dtype : {DType::f32, DType::f64}) {
    const Tensor a = random_tensor({3, 257, 300}, dtype, 1), b = random_tensor({3, 300, 131}, dtype, 2);
    const Tensor expected = ops::matmul(a, b);
    const double rtol = 4 * rtol_for(dtype), atol = dot_atol(dtype, 300);
    expect_tensors_near(ops::matmul(to_cuda(a), to_cuda(b)), expected, rtol, atol, "cublas " + name_of(dtype));
    const ScopedLibrarySwitch own_gemm("MINI_CUDA_CUBLAS", "0");
    expect_tensors_near(ops::matmul(to_cuda(a), to_cuda(b)), expected, rtol, atol, "own gemm " + name_of(dtype));
  }
}

TEST(RealGpuMatmul, Tf32StaysWithinTf32Rounding) {
  SKIP_WITHOUT_GPU();
  const int64_t k = 512;
  const Tensor a = random_tensor({300, k}, DType::f32, 3), b = random_tensor({k, 200}, DType::f32, 4);
  const Tensor expected = ops::matmul(widen(a, DType::f64), widen(b, DType::f64));
  const ScopedLibrarySwitch tf32("MINI_CUDA_TF32", "1");
  // TF32 keeps 10 mantissa bits: each product |a b| <= 4 is off by ~2^-10 relative.
  const double atol = 4 * 4 * std::ldexp(1.0, -10) * std::sqrt(static_cast<double>(k));
  expect_tensors_near(ops::matmul(to_cuda(a), to_cuda(b)), expected, 0, atol, "tf32");
}

TEST(RealGpuMatmul, HalfAndBfloat16MatchTheCpuInFloat) {
  SKIP_WITHOUT_GPU();
  for (DType dtype : {DType::f16, DType::bf16}) {
    const Tensor a = random_tensor({130, 96}, dtype, 5), b = random_tensor({96, 70}, dtype, 6);
    // The same rounded inputs multiplied in f32; the GPU accumulates in f32 and rounds the result once.
    const Tensor expected = ops::matmul(widen(a, DType::f32), widen(b, DType::f32));
    const Tensor actual = ops::matmul(to_cuda(a), to_cuda(b));
    ASSERT_EQ(actual.dtype(), dtype);
    expect_tensors_near(actual, expected, rtol_for(dtype), atol_for(dtype), name_of(dtype));
  }
}

// ---- cuDNN --------------------------------------------------------------------

struct ConvCase {
  Shape input;
  Shape weight;
  Conv2dOptions options;
  std::string name;
};

std::vector<ConvCase> conv_cases() {
  return {
      {{2, 4, 11, 9},
       {6, 2, 3, 3},
       {.stride = {1, 2}, .padding = {1, 1}, .dilation = {1, 1}, .groups = 2},
       "grouped, stride (1, 2)"},
      {{3, 3, 13, 10},
       {5, 3, 3, 2},
       {.stride = {2, 1}, .padding = {2, 0}, .dilation = {2, 1}, .groups = 1},
       "dilated, uneven padding"},
      {{1, 8, 7, 7}, {8, 1, 3, 3}, {.stride = {1, 1}, .padding = {1, 1}, .dilation = {1, 1}, .groups = 8}, "depthwise"},
      {{4, 16, 12, 12}, {32, 16, 1, 1}, {}, "1x1"},
  };
}

// conv2d and both backward passes of one case, on one device.
struct ConvResults {
  Tensor out, grad_input, grad_weight;
};

ConvResults run_conv(const Tensor& x, const Tensor& w, const Tensor& grad_out, const Conv2dOptions& options) {
  return {ops::conv2d(x, w, Tensor(), options), ops::conv2d_backward_input(grad_out, w, x.sizes(), options),
          ops::conv2d_backward_weight(grad_out, x, w.sizes(), options)};
}

// cuDNN may pick Winograd or FFT algorithms, whose rounding error is a few
// times a direct sum's; TF32 or a wrong geometry is still far outside this.
void expect_conv_near(const ConvResults& actual, const ConvResults& expected, const ConvCase& c, DType dtype,
                      const std::string& path) {
  const int64_t groups = c.options.groups;
  const int64_t window = c.weight[2] * c.weight[3];
  const int64_t forward_terms = c.input[1] / groups * window;
  const int64_t input_terms = c.weight[0] / groups * window;
  const int64_t weight_terms = c.input[0] * expected.out.size(2) * expected.out.size(3);
  const double rtol = 4 * rtol_for(dtype);
  const std::string what = path + " " + c.name + " " + name_of(dtype);
  expect_tensors_near(actual.out, expected.out, rtol, 4 * dot_atol(dtype, forward_terms), what + " forward");
  expect_tensors_near(actual.grad_input, expected.grad_input, rtol, 4 * dot_atol(dtype, input_terms),
                      what + " grad_input");
  expect_tensors_near(actual.grad_weight, expected.grad_weight, rtol, 4 * dot_atol(dtype, weight_terms),
                      what + " grad_weight");
}

TEST(RealGpuConv, CudnnAndIm2colMatchTheCpuInEveryFloatingDType) {
  SKIP_WITHOUT_GPU();
  uint64_t seed = 10;
  for (const ConvCase& c : conv_cases()) {
    for (DType dtype : {DType::f32, DType::f64, DType::f16, DType::bf16}) {
      const Tensor x = random_tensor(c.input, dtype, ++seed), w = random_tensor(c.weight, dtype, ++seed);
      // The reference in f64 from the same rounded inputs.
      const Tensor out_shape = ops::conv2d(widen(x, DType::f64), widen(w, DType::f64), Tensor(), c.options);
      const Tensor grad_out = random_tensor(out_shape.sizes(), dtype, ++seed);
      const ConvResults expected =
          run_conv(widen(x, DType::f64), widen(w, DType::f64), widen(grad_out, DType::f64), c.options);
      expect_conv_near(run_conv(to_cuda(x), to_cuda(w), to_cuda(grad_out), c.options), expected, c, dtype, "cudnn");
      const ScopedLibrarySwitch im2col("MINI_CUDA_CUDNN", "0");
      expect_conv_near(run_conv(to_cuda(x), to_cuda(w), to_cuda(grad_out), c.options), expected, c, dtype, "im2col");
    }
  }
}

TEST(RealGpuConv, MisalignedAndNonContiguousInputsAreCopiedFirst) {
  SKIP_WITHOUT_GPU();
  // Sample 1 of (3, 3, 5, 7) f16 starts 105 elements (210 bytes) into its buffer: not 16-byte aligned.
  const ConvCase c{
      {1, 3, 5, 7}, {4, 3, 3, 3}, {.stride = {1, 1}, .padding = {1, 1}, .dilation = {1, 1}, .groups = 1}, "misaligned"};
  const Tensor batch = random_tensor({3, 3, 5, 7}, DType::f16, 30), w = random_tensor(c.weight, DType::f16, 31);
  const Tensor grad_out = random_tensor({1, 4, 5, 7}, DType::f16, 32);
  const Tensor x = ops::narrow(batch, 0, 1, 1);
  const ConvResults expected =
      run_conv(widen(x, DType::f64), widen(w, DType::f64), widen(grad_out, DType::f64), c.options);
  const Tensor x_device = ops::narrow(to_cuda(batch), 0, 1, 1);
  ASSERT_NE(reinterpret_cast<uintptr_t>(x_device.data_ptr()) % 16, 0u);
  expect_conv_near(run_conv(x_device, to_cuda_noncontiguous(w), to_cuda_noncontiguous(grad_out), c.options), expected,
                   c, DType::f16, "cudnn");
}

TEST(RealGpuConv, CudnnResultsRepeatBitForBit) {
  SKIP_WITHOUT_GPU();
  const ConvCase c = conv_cases()[1];
  const Tensor x = to_cuda(random_tensor({8, 3, 13, 10}, DType::f32, 40));
  const Tensor w = to_cuda(random_tensor(c.weight, DType::f32, 41));
  const Tensor grad_out = ops::conv2d(x, w, Tensor(), c.options);
  const ConvResults first = run_conv(x, w, grad_out, c.options);
  const ConvResults second = run_conv(x, w, grad_out, c.options);
  // Deterministic algorithms only (no atomics), chosen once per shape.
  expect_tensors_near(second.out, first.out, 0, 0, "forward");
  expect_tensors_near(second.grad_input, first.grad_input, 0, 0, "grad_input");
  expect_tensors_near(second.grad_weight, first.grad_weight, 0, 0, "grad_weight");
}

// ---- device memory and synchronisation --------------------------------------

TEST(RealGpuAllocator, ALargeFreedBlockIsCachedReusedAndReturnedByEmptyCache) {
  SKIP_WITHOUT_GPU();
  Allocator& allocator = cuda_backend().allocator();
  allocator.empty_cache();
  const AllocatorStats before = allocator.stats();
  const int64_t bytes = int64_t{256} << 20;
  const TensorOptions options{.dtype = DType::u8, .device = Device::cuda()};
  {
    const Tensor big = ops::empty({bytes}, options);
    const AllocatorStats during = allocator.stats();
    EXPECT_GE(during.bytes_in_use - before.bytes_in_use, bytes);
    EXPECT_GE(during.peak_bytes_in_use, during.bytes_in_use);
    EXPECT_EQ(during.system_allocations, before.system_allocations + 1);
  }
  const AllocatorStats freed = allocator.stats();
  EXPECT_EQ(freed.bytes_in_use, before.bytes_in_use);
  EXPECT_GE(freed.bytes_reserved - before.bytes_reserved, bytes) << "the freed block stays cached";
  {
    const Tensor again = ops::empty({bytes}, options);
    EXPECT_EQ(allocator.stats().system_allocations, freed.system_allocations) << "served from the cache";
  }
  allocator.empty_cache();
  EXPECT_LE(allocator.stats().bytes_reserved, before.bytes_reserved);
}

TEST(RealGpuCopy, CopyToCpuWaitsForQueuedKernels) {
  SKIP_WITHOUT_GPU();
  // 16 in-place doublings of 256 MiB: milliseconds of queued work on any GPU.
  const int64_t n = int64_t{1} << 26;
  Backend& backend = cuda_backend();
  const Tensor x = ops::full({n}, 1.0, {.dtype = DType::f32, .device = Device::cuda()});
  for (int i = 0; i < 16; ++i) backend.binary(BinaryOp::add, x, x, x);
  const Tensor host = ops::to_device(x, Device::cpu());
  const float* values = host.data<float>();
  int64_t wrong = 0;
  for (int64_t i = 0; i < n; ++i) wrong += values[i] != 65536.0f;
  EXPECT_EQ(wrong, 0) << "copy_to_cpu returned before the kernels (or the copy) finished";
}

}  // namespace
}  // namespace mini::cuda
