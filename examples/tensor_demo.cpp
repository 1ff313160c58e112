// A short tour of the tensor core: the README's main command runs this until
// the training runtime lands.
#include <chrono>
#include <iostream>

#include "tensor/ops/ops.h"
#include "tensor/parallel.h"

int main() {
  using namespace mini;
  try {
    manual_seed(0);
    Tensor x = ops::randn({2, 3});
    std::cout << "x = " << x << "\n";
    std::cout << "x.T @ x = " << ops::matmul(ops::t(x), x) << "\n";
    std::cout << "softmax(x, -1) = " << ops::softmax(x, -1) << "\n";
    std::cout << "sum over dim 0 = " << ops::sum(x, {0}) << "\n";
    std::cout << "as float16 = " << ops::to_dtype(x, DType::f16) << "\n";

    // A 1024^3 matrix product, timed.
    Tensor a = ops::rand({1024, 1024}), b = ops::rand({1024, 1024});
    ops::matmul(a, b);  // warm-up
    const auto start = std::chrono::steady_clock::now();
    constexpr int kRepeats = 5;
    for (int i = 0; i < kRepeats; ++i) ops::matmul(a, b);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "matmul 1024x1024x1024 on " << num_threads()
              << " threads: " << 2.0 * 1024 * 1024 * 1024 * kRepeats / seconds / 1e9 << " GFLOP/s\n";
  } catch (const Error& error) {
    std::cerr << "error: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
