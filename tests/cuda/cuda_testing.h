#pragma once
// Shared helpers for the CUDA backend tests: every test compares the cuda
// backend with the CPU backend on the same inputs. Without a GPU (always in
// CI) `cuda` is the emulated backend; each kernel test runs under the
// emulator's forward, reverse and random thread orders (see cuda/emu/run_order.h).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cuda/cuda.h"
#include "cuda/emu/run_order.h"
#include "tensor/backend.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"
#include "tensor/ops/view.h"
#include "tests/support/tensor_testing.h"

namespace mini::cuda::testing {

// Whether `cuda` is a real GPU in this run (never in CI).
inline bool real_gpu() {
#if defined(MINI_HAS_CUDA_DEVICE)
  static const bool registered = register_device_backend();
  return registered;
#else
  return false;
#endif
}

// Registers the emulated backend unless a real GPU serves Device::cuda().
inline void use_cuda_backend() {
  static const bool ready = [] {
    if (!real_gpu()) register_emulated_backend();
    return true;
  }();
  (void)ready;
}

// Registered before any test runs (a test may create cuda tensors first thing).
inline const bool cuda_backend_registered = (use_cuda_backend(), true);

inline Backend& cuda_backend() {
  use_cuda_backend();
  return backend_for(Device::cuda());
}
inline Backend& cpu_backend() { return backend_for(Device::cpu()); }

inline Tensor to_cuda(const Tensor& tensor) { return ops::to_device(tensor, Device::cuda()); }

// The same values on the device, stored transposed in the last two dims (or
// every other element of a buffer for rank < 2), as make_noncontiguous on the CPU.
inline Tensor to_cuda_noncontiguous(const Tensor& tensor) {
  const int64_t rank = tensor.dim();
  if (rank >= 2) {
    const Tensor stored = to_cuda(ops::contiguous(ops::transpose(tensor, rank - 2, rank - 1)));
    return ops::transpose(stored, rank - 2, rank - 1);
  }
  if (rank == 0) return to_cuda(tensor);
  Shape doubled = tensor.sizes();
  doubled[0] *= 2;
  const Tensor buffer = ops::zeros(doubled, {.dtype = tensor.dtype(), .device = Device::cuda()});
  const Tensor strided = ops::slice(buffer, 0, 0, doubled[0], 2);
  ops::copy_(strided, tensor);
  return strided;
}

// An uninitialised tensor like `like`, on `device`.
inline Tensor empty_on(const Shape& sizes, DType dtype, Device device) {
  return ops::empty(sizes, {.dtype = dtype, .device = device});
}

// Runs a test once per emulator thread order (a missing __syncthreads shows
// up as a difference between orders). On a real GPU the order has no effect.
class EveryOrder : public ::testing::TestWithParam<emu::RunOrder> {
 protected:
  void SetUp() override {
    use_cuda_backend();
    order_ = std::make_unique<emu::ScopedRunOrder>(GetParam());
  }
  void TearDown() override { order_.reset(); }

 private:
  std::unique_ptr<emu::ScopedRunOrder> order_;
};

inline std::string order_name(const ::testing::TestParamInfo<emu::RunOrder>& info) {
  return std::string(emu::to_string(info.param));
}

// "float32" etc. for test messages.
inline std::string name_of(DType dtype) { return std::string(dtype_name(dtype)); }

}  // namespace mini::cuda::testing

#define MINI_CUDA_EVERY_ORDER(Suite)                                                                \
  INSTANTIATE_TEST_SUITE_P(                                                                         \
      Orders, Suite,                                                                                \
      ::testing::Values(::mini::cuda::emu::RunOrder::forward, ::mini::cuda::emu::RunOrder::reverse, \
                        ::mini::cuda::emu::RunOrder::random),                                       \
      ::mini::cuda::testing::order_name)
