// The cuda backend as a whole: registration, device errors, limits that
// produce user-facing messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/cuda/cuda_testing.h"

namespace mini::cuda {
namespace {

using ::testing::HasSubstr;
using namespace mini::testing;
using namespace mini::cuda::testing;

TEST(CudaBackend, ServesDeviceCudaZero) {
  EXPECT_EQ(cuda_backend().device(), Device::cuda(0));
  EXPECT_TRUE(has_backend(DeviceType::cuda));
}

TEST(CudaBackend, AMissingDeviceIndexIsAnError) {
  use_cuda_backend();
  if (real_gpu()) GTEST_SKIP() << "the emulator has exactly one device; a GPU machine may have more";
  try {
    backend_for(Device::cuda(1));
    ADD_FAILURE() << "expected an error";
  } catch (const Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("cuda:1 is not available"));
  }
}

TEST(CudaBackend, MoreThanEightDimsThatCannotMergeAreRejectedWithAMessage) {
  // 9 dims, every other element of each: no two dims merge.
  const Shape sizes{2, 2, 2, 2, 2, 2, 2, 2, 2}, big{4, 4, 4, 4, 4, 4, 4, 4, 4};
  const Tensor storage = ops::zeros(big, {.device = Device::cuda()});
  Tensor view = storage;
  for (int64_t d = 0; d < 9; ++d) view = ops::slice(view, d, 0, 4, 2);
  const Tensor source = to_cuda(ops::ones(sizes));
  try {
    cuda_backend().copy(view, source);
    ADD_FAILURE() << "expected an error";
  } catch (const ValueError& error) {
    EXPECT_THAT(error.what(), HasSubstr("more than 8 dims"));
  }
}

TEST(CudaBackend, SynchronizeWaitsForQueuedWork) {
  const Tensor t = ops::empty({4096}, {.device = Device::cuda()});
  cuda_backend().fill(t, 1.5);
  cuda_backend().synchronize();
  EXPECT_EQ(to_doubles(t), std::vector<double>(4096, 1.5));
}

}  // namespace
}  // namespace mini::cuda
