// Grid and block index math: 1-D with a tail, 2-D, 3-D, under every run order.

#include <gtest/gtest.h>

#include <vector>

#include "cuda/launch.h"
#include "cuda_emu/device_buffer.h"
#include "cuda_emu/run_order_fixture.h"
#include "cuda_emu/test_kernels.cuh"

namespace mini::cuda {
namespace {

using testing::DeviceBuffer;
namespace k = test_kernels;

class Indexing : public testing::EveryRunOrder {};

TEST_P(Indexing, VectorAddCoversEveryElementOfAGridWithATail) {
  const int n = 1000;  // 4 blocks of 256, the last one 24 elements short
  std::vector<float> a(n), b(n);
  for (int i = 0; i < n; ++i) {
    a[i] = static_cast<float>(i);
    b[i] = 0.5f * static_cast<float>(i);
  }
  DeviceBuffer<float> da(a), db(b), dout(n + 24, -1.0f);
  launch(k::vector_add<float>, dim3((n + 255) / 256), dim3(256), 0, nullptr, da.data(), db.data(), dout.data(), n);
  const std::vector<float> out = dout.to_host();
  for (int i = 0; i < n; ++i) ASSERT_EQ(out[i], a[i] + b[i]) << "at " << i;
  for (int i = n; i < n + 24; ++i) ASSERT_EQ(out[i], -1.0f) << "the tail wrote past n at " << i;
}

TEST_P(Indexing, TwoDimensionalGridTransposesAMatrixWithPartialTiles) {
  const int rows = 45, cols = 70;  // neither a multiple of the 32x32 tile
  std::vector<int> in(rows * cols);
  for (int i = 0; i < rows * cols; ++i) in[i] = i;
  DeviceBuffer<int> din(in), dout(rows * cols, -1);
  launch(k::transpose<int>, dim3((cols + 31) / 32, (rows + 31) / 32), dim3(32, 8), 0, nullptr, din.data(), dout.data(),
         rows, cols);
  const std::vector<int> out = dout.to_host();
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) ASSERT_EQ(out[c * rows + r], in[r * cols + c]) << "at (" << r << ", " << c << ")";
  }
}

TEST_P(Indexing, ThreeDimensionalGridAndBlockReachEveryCoordinateOnce) {
  const int width = 9, height = 7, depth = 5;
  DeviceBuffer<int> dout(width * height * depth, -1);
  launch(k::write_coordinates<int>, dim3(3, 2, 3), dim3(4, 4, 2), 0, nullptr, dout.data(), width, height, depth);
  const std::vector<int> out = dout.to_host();
  for (int z = 0; z < depth; ++z) {
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        ASSERT_EQ(out[(z * height + y) * width + x], x + 1000 * y + 1000000 * z) << x << "," << y << "," << z;
      }
    }
  }
}

MINI_INSTANTIATE_FOR_EVERY_RUN_ORDER(Indexing);

}  // namespace
}  // namespace mini::cuda
