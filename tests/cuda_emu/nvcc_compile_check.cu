// Compiles the emulator's test kernels with nvcc, through the same launch()
// the tests use, so the single-source rule is checked by both compilers
// (built as mini_cuda_kernels_nvcc when nvcc is found; never run in CI, which
// has no GPU). Each function instantiates kernels the way a backend would.

#include "cuda/launch.h"
#include "tests/cuda_emu/test_kernels.cuh"

namespace mini::cuda::nvcc_compile_check {

namespace k = test_kernels;

void launch_correct_kernels(Stream stream, float* f, int* i, double* d, unsigned* u, unsigned long long* ull,
                            long long* ll, int n) {
  launch(k::vector_add<float>, dim3(4), dim3(256), 0, stream, f, f, f, n);
  launch(k::write_coordinates<int>, dim3(3, 2, 3), dim3(4, 4, 2), 0, stream, i, 9, 7, 5);
  launch(k::transpose<int>, dim3(3, 2), dim3(32, 8), 0, stream, i, i, 45, 70);
  launch(k::block_sum<long long, 256>, dim3(4), dim3(256), 0, stream, ll, ll, n);
  launch(k::shift_right_in_block<int, true>, dim3(2), dim3(64), 64 * sizeof(int), stream, i, i);
  launch(k::shift_right_in_block<int, false>, dim3(2), dim3(64), 64 * sizeof(int), stream, i, i);
  launch(k::reverse_each_block<double>, dim3(3), dim3(96), 96 * sizeof(double), stream, d, d);
  launch(k::overrun_dynamic_shared<int>, dim3(1), dim3(32), 32 * sizeof(int), stream, i);
  launch(k::warp_sum_down<int>, dim3(2), dim3(64), 0, stream, i, i);
  launch(k::warp_sum_xor<double>, dim3(1), dim3(64), 0, stream, d, d);
  launch(k::segment_inclusive_scan<int>, dim3(1), dim3(64), 0, stream, i, i, 8);
  launch(k::rotate_warp<int>, dim3(1), dim3(32), 0, stream, i, i, 5);
  launch(k::warp_votes<float>, dim3(1), dim3(96), 0, stream, f, u);
  launch(k::histogram<10>, dim3(8), dim3(128), 0, stream, i, f, n, i, f);
  launch(k::atomic_statistics<int>, dim3(7), dim3(128), 0, stream, i, n, i, i, ull, i, d);
  launch(k::cas_increment<unsigned>, dim3(16), dim3(64), 0, stream, u);
}

void launch_buggy_kernels(Stream stream, int* i, int n) {
  launch(k::divergent_barrier<int>, dim3(1), dim3(32), 0, stream, i);
  launch(k::early_return_before_barrier<int>, dim3(1), dim3(32), 0, stream, i, i, n);
  launch(k::divergent_shuffles<int>, dim3(1), dim3(32), 0, stream, i);
  launch(k::barrier_shuffle_deadlock<int>, dim3(1), dim3(32), 0, stream, i);
}

}  // namespace mini::cuda::nvcc_compile_check
