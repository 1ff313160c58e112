// CUDA backend benchmarks: GPU only. Without a device (always in CI) every
// benchmark reports an error and returns at once; the emulator's speed says
// nothing about a GPU's.
//
// What each reports (rates over real time):
// - memory-bound kernels (copy, add, softmax, layer_norm, cross-entropy):
//   bytes_per_second, "GB/s" (1e9 bytes: each tensor read or written once,
//   the least any kernel must move) and "of_copy_bw", that rate as a fraction
//   of the device-to-device copy bandwidth (Backend::copy, a cudaMemcpyAsync)
//   measured in the same run: the practical ceiling;
// - GEMM and conv: "TFLOP/s"; the own tiled GEMM (MINI_CUDA_CUBLAS=0) adds
//   "of_cublas" (its speed over cuBLAS f32's, same run) and im2col conv
//   (MINI_CUDA_CUDNN=0) adds "of_cudnn".
//
// Rough targets on an H100 (HBM3 ~3.35 TB/s peak; ~60 TFLOP/s f32 without
// tensor cores, several hundred with TF32/bf16): memory-bound kernels at 0.8+
// of copy bandwidth, cuBLAS TF32/bf16 far above f32, the own GEMM a fraction of cuBLAS.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "cuda/backend/library_switches.h"
#include "tensor/backend.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"
#include "tensor/ops/nn.h"

#if defined(MINI_HAS_CUDA_DEVICE)
#include "cuda/cuda.h"
#endif

namespace mini {
namespace {

bool have_gpu(benchmark::State& state) {
#if defined(MINI_HAS_CUDA_DEVICE)
  static const bool available = cuda::register_device_backend();
#else
  const bool available = false;
#endif
  if (!available) state.SkipWithError("no CUDA device");
  return available;
}

Backend& gpu() { return backend_for(Device::cuda()); }

Tensor device_tensor(const Shape& sizes, DType dtype = DType::f32) {
  Tensor t = ops::empty(sizes, {.dtype = dtype, .device = Device::cuda()});
  gpu().random_uniform(t, {1, 0}, -1, 1);
  return t;
}

// Seconds per call of `work`, after a warm-up call, over `calls` calls queued back to back.
template <typename Work>
double seconds_per_call(Work&& work, int calls) {
  work();
  gpu().synchronize();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) work();
  gpu().synchronize();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / calls;
}

// Short kernels are queued this many times per benchmark iteration, so the
// synchronisation that ends an iteration does not dominate.
constexpr int kCallsPerIteration = 10;

template <typename Work>
void run_iterations(benchmark::State& state, int calls, Work&& work) {
  for (auto _ : state) {
    for (int i = 0; i < calls; ++i) work();
    gpu().synchronize();
  }
}

// ---- memory bandwidth -----------------------------------------------------

constexpr int64_t kCopyElements = int64_t{1} << 26;  // 256 MiB of f32: far past any cache

// Device-to-device copy bandwidth (bytes read + written per second), measured once per run.
double copy_bytes_per_second() {
  static const double rate = [] {
    const Tensor src = device_tensor({kCopyElements}), dst = device_tensor({kCopyElements});
    const double seconds = seconds_per_call([&] { gpu().copy(dst, src); }, 20);
    return 2.0 * 4 * static_cast<double>(kCopyElements) / seconds;
  }();
  return rate;
}

void report_bandwidth(benchmark::State& state, double bytes_per_call, int calls = kCallsPerIteration) {
  const double bytes = bytes_per_call * calls * static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["GB/s"] = benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsRate);
  state.counters["of_copy_bw"] = benchmark::Counter(bytes / copy_bytes_per_second(), benchmark::Counter::kIsRate);
}

void BM_CudaCopy(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const Tensor src = device_tensor({kCopyElements}), dst = device_tensor({kCopyElements});
  run_iterations(state, kCallsPerIteration, [&] { gpu().copy(dst, src); });
  report_bandwidth(state, 2.0 * 4 * static_cast<double>(kCopyElements));
}
BENCHMARK(BM_CudaCopy)->UseRealTime();

void BM_CudaAdd(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const int64_t n = state.range(0);
  const Tensor a = device_tensor({n}), b = device_tensor({n}), c = device_tensor({n});
  run_iterations(state, kCallsPerIteration, [&] { gpu().binary(BinaryOp::add, c, a, b); });
  report_bandwidth(state, 3.0 * 4 * static_cast<double>(n));
}
BENCHMARK(BM_CudaAdd)->Arg(1 << 24)->Arg(1 << 26)->UseRealTime();

// Rows of `cols` f32 values, 128 MiB in all.
int64_t rows_for(int64_t cols) { return (int64_t{1} << 25) / cols; }

void BM_CudaSoftmaxRows(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const int64_t cols = state.range(0), rows = rows_for(cols);
  const Tensor x = device_tensor({rows, cols}), y = device_tensor({rows, cols});
  run_iterations(state, kCallsPerIteration, [&] { gpu().softmax(y, x, 1, false); });
  report_bandwidth(state, 2.0 * 4 * static_cast<double>(rows * cols));
}
BENCHMARK(BM_CudaSoftmaxRows)->Arg(1024)->Arg(8192)->UseRealTime();

void BM_CudaLayerNorm(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const int64_t cols = state.range(0), rows = rows_for(cols);
  const Tensor x = device_tensor({rows, cols}), out = device_tensor({rows, cols});
  const Tensor weight = device_tensor({cols}), bias = device_tensor({cols});
  const Tensor mean = device_tensor({rows}), rstd = device_tensor({rows});
  run_iterations(state, kCallsPerIteration, [&] { gpu().layer_norm(out, mean, rstd, x, weight, bias, 1e-5); });
  report_bandwidth(state, 4.0 * static_cast<double>(2 * rows * cols + 2 * rows + 2 * cols));
}
BENCHMARK(BM_CudaLayerNorm)->Arg(1024)->Arg(8192)->UseRealTime();

// Loss and logit gradient in one call (the training case): logits read, gradient written.
void BM_CudaCrossEntropy(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const int64_t classes = state.range(0), rows = rows_for(classes);
  const Tensor logits = device_tensor({rows, classes}), grad = device_tensor({rows, classes});
  const Tensor loss = device_tensor({rows});
  Tensor target_host = ops::empty({rows}, {.dtype = DType::i64});
  for (int64_t i = 0; i < rows; ++i) target_host.data<int64_t>()[i] = (i * 7919) % classes;
  const Tensor target = ops::to_device(target_host, Device::cuda());
  run_iterations(state, kCallsPerIteration,
                 [&] { gpu().cross_entropy(loss, grad, logits, target, Tensor(), -100, 0.0); });
  report_bandwidth(state, 4.0 * static_cast<double>(2 * rows * classes + rows) + 8.0 * static_cast<double>(rows));
}
BENCHMARK(BM_CudaCrossEntropy)->Arg(1024)->Arg(32768)->UseRealTime();

// ---- GEMM -----------------------------------------------------------------

struct GemmVariant {
  DType dtype;
  bool tf32;
  bool cublas;  // false: the own tiled kernel (MINI_CUDA_CUBLAS=0)
};

double gemm_flops(int64_t n) { return 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n); }

// cuBLAS f32 (no TF32) FLOP/s for n^3, measured once per size and run.
double cublas_f32_flops_per_second(int64_t n) {
  static std::map<int64_t, double> measured;
  if (const auto found = measured.find(n); found != measured.end()) return found->second;
  const Tensor a = device_tensor({n, n}), b = device_tensor({n, n}), c = device_tensor({n, n});
  const double seconds = seconds_per_call([&] { gpu().matmul(c, a, b); }, 10);
  return measured[n] = gemm_flops(n) / seconds;
}

void BM_CudaMatmul(benchmark::State& state, GemmVariant variant) {
  if (!have_gpu(state)) return;
  const int64_t n = state.range(0);
  const Tensor a = device_tensor({n, n}, variant.dtype), b = device_tensor({n, n}, variant.dtype);
  const Tensor c = device_tensor({n, n}, variant.dtype);
  std::optional<cuda::ScopedLibrarySwitch> tf32, own_gemm;
  if (variant.tf32) tf32.emplace("MINI_CUDA_TF32", "1");
  if (!variant.cublas) own_gemm.emplace("MINI_CUDA_CUBLAS", "0");
  run_iterations(state, 1, [&] { gpu().matmul(c, a, b); });
  const double flops = gemm_flops(n) * static_cast<double>(state.iterations());
  state.counters["TFLOP/s"] = benchmark::Counter(flops * 1e-12, benchmark::Counter::kIsRate);
  if (!variant.cublas) {
    own_gemm.reset();
    state.counters["of_cublas"] =
        benchmark::Counter(flops / cublas_f32_flops_per_second(n), benchmark::Counter::kIsRate);
  }
}
BENCHMARK_CAPTURE(BM_CudaMatmul, cublas_f32, GemmVariant{DType::f32, false, true})->Arg(4096)->UseRealTime();
BENCHMARK_CAPTURE(BM_CudaMatmul, cublas_tf32, GemmVariant{DType::f32, true, true})->Arg(4096)->UseRealTime();
BENCHMARK_CAPTURE(BM_CudaMatmul, cublas_bf16, GemmVariant{DType::bf16, false, true})->Arg(4096)->UseRealTime();
BENCHMARK_CAPTURE(BM_CudaMatmul, cublas_f16, GemmVariant{DType::f16, false, true})->Arg(4096)->UseRealTime();
BENCHMARK_CAPTURE(BM_CudaMatmul, own_f32, GemmVariant{DType::f32, false, false})->Arg(4096)->UseRealTime();

// ---- convolution ------------------------------------------------------------

enum class ConvPass { forward, backward_input, backward_weight };

// (N, C, H, W) input, K 3x3 kernels, padding 1: a small-image and a deep ResNet-like layer.
struct ConvShape {
  int64_t batch, channels, size, kernels;
};
constexpr ConvShape kConvShapes[] = {{32, 64, 32, 64}, {64, 256, 14, 256}};

// The tensors of one convolution and a call that runs one pass of it.
struct ConvProblem {
  Tensor x, w, out, grad_x, grad_w;
  ConvGeometry geometry;
  double flops;

  explicit ConvProblem(const ConvShape& s) {
    x = device_tensor({s.batch, s.channels, s.size, s.size});
    w = device_tensor({s.kernels, s.channels, 3, 3});
    geometry = ops::conv2d_geometry(x, 3, 3, {.stride = {1, 1}, .padding = {1, 1}, .dilation = {1, 1}, .groups = 1},
                                    "bench conv2d");
    out = device_tensor({s.batch, s.kernels, geometry.out_h(), geometry.out_w()});
    grad_x = device_tensor(x.sizes());
    grad_w = device_tensor(w.sizes());
    flops = 2.0 * static_cast<double>(out.numel()) * static_cast<double>(s.channels * 9);
  }
  void run(ConvPass pass) const {
    switch (pass) {
      case ConvPass::forward:
        gpu().conv2d(out, x, w, geometry, 1);
        break;
      case ConvPass::backward_input:
        gpu().conv2d_backward_input(grad_x, out, w, geometry, 1);
        break;
      case ConvPass::backward_weight:
        gpu().conv2d_backward_weight(grad_w, out, x, geometry, 1);
        break;
    }
  }
};

// cuDNN's FLOP/s for a shape and pass, measured once per run.
double cudnn_flops_per_second(int64_t shape_index, ConvPass pass) {
  static std::map<std::pair<int64_t, ConvPass>, double> measured;
  const auto key = std::make_pair(shape_index, pass);
  if (const auto found = measured.find(key); found != measured.end()) return found->second;
  const ConvProblem problem(kConvShapes[shape_index]);
  const double seconds = seconds_per_call([&] { problem.run(pass); }, 10);
  return measured[key] = problem.flops / seconds;
}

void BM_CudaConv(benchmark::State& state, ConvPass pass, bool cudnn) {
  if (!have_gpu(state)) return;
  const int64_t shape_index = state.range(0);
  const ConvProblem problem(kConvShapes[shape_index]);
  std::optional<cuda::ScopedLibrarySwitch> im2col;
  if (!cudnn) im2col.emplace("MINI_CUDA_CUDNN", "0");
  run_iterations(state, 1, [&] { problem.run(pass); });
  const double flops = problem.flops * static_cast<double>(state.iterations());
  state.counters["TFLOP/s"] = benchmark::Counter(flops * 1e-12, benchmark::Counter::kIsRate);
  if (!cudnn) {
    im2col.reset();
    state.counters["of_cudnn"] =
        benchmark::Counter(flops / cudnn_flops_per_second(shape_index, pass), benchmark::Counter::kIsRate);
  }
}
BENCHMARK_CAPTURE(BM_CudaConv, forward_cudnn, ConvPass::forward, true)->DenseRange(0, 1)->UseRealTime();
BENCHMARK_CAPTURE(BM_CudaConv, forward_im2col, ConvPass::forward, false)->DenseRange(0, 1)->UseRealTime();
BENCHMARK_CAPTURE(BM_CudaConv, backward_input_cudnn, ConvPass::backward_input, true)->DenseRange(0, 1)->UseRealTime();
BENCHMARK_CAPTURE(BM_CudaConv, backward_input_im2col, ConvPass::backward_input, false)->DenseRange(0, 1)->UseRealTime();
BENCHMARK_CAPTURE(BM_CudaConv, backward_weight_cudnn, ConvPass::backward_weight, true)->DenseRange(0, 1)->UseRealTime();
BENCHMARK_CAPTURE(BM_CudaConv, backward_weight_im2col, ConvPass::backward_weight, false)
    ->DenseRange(0, 1)
    ->UseRealTime();

}  // namespace
}  // namespace mini
