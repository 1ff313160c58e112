// CPU random fills (Philox 4x32-10, tensor/philox.h).
//
// NOTE [ Random number formula ]: every backend must produce these exact
// numbers (the CUDA kernels copy this recipe), so a seed gives the same tensor
// on any device and any thread count.
//
// Element i of dst, counted row-major over dst's shape whatever its strides,
// uses the block x = philox::generate(seed, offset + i) (four 32-bit words).
//
// uniform(low, high):
//   f32, f16, bf16: u = (x[0] >> 8) * 2^-24 in [0, 1)           philox::to_unit_float
//                   value = fma(u, float(high) - float(low), float(low)) in float,
//                   then rounded to the dtype (f16/bf16 may round up to `high`)
//   f64:            u = ((x[0] << 32 | x[1]) >> 11) * 2^-53    philox::to_unit_double
//                   value = fma(u, high - low, low) in double
// normal(mean, std): Box-Muller, cosine branch, evaluated in double:
//   f32, f16, bf16: u1 = ((x[0] >> 8) + 1) * 2^-24 in (0, 1]    (never 0, so log(u1) is finite)
//                   u2 = (x[1] >> 8) * 2^-24 in [0, 1)
//   f64:            u1 = (((x[0] << 32 | x[1]) >> 11) + 1) * 2^-53 in (0, 1]
//                   u2 = ((x[2] << 32 | x[3]) >> 11) * 2^-53 in [0, 1)
//   z = sqrt(-2 log(u1)) * cos(2 pi u2); value = fma(std, z, mean) in double,
//   then rounded to the dtype.
// The fma is explicit because nvcc contracts a * b + c by default and g++ in
// ISO mode does not. The uniforms match bit for bit across backends; normals
// go through log/cos, whose last bit may differ between libms, and so match
// to about one ulp of the dtype.
#include <cmath>
#include <numbers>

#include "tensor/cpu/convert.h"
#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/strided_loop.h"
#include "tensor/ops/factory.h"
#include "tensor/philox.h"

namespace mini::cpu {
namespace {

// Philox rounds cost ~20 multiply-xors per element: a smaller grain than a copy.
constexpr int64_t kRandomGrain = 8192;

// Writes value(block, i) to element i (row-major) of dst. Non-contiguous
// outputs are filled through a contiguous buffer so element i is always
// position i in memory while generating.
template <typename T, typename Value>
void fill_random(CpuBackend& backend, const Tensor& dst, RandomState state, Value value) {
  if (dst.numel() == 0) return;
  const Tensor target = dst.is_contiguous() ? dst : ops::empty(dst.sizes(), {.dtype = dst.dtype()});
  auto* out = static_cast<T*>(target.data_ptr());
  parallel_for(0, target.numel(), kRandomGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      out[i] = convert<T>(value(philox::generate(state.seed, state.offset + static_cast<uint64_t>(i))));
    }
  });
  if (!target.is_same(dst)) backend.copy(dst, target);
}

uint64_t bits53(uint32_t hi, uint32_t lo) { return (static_cast<uint64_t>(hi) << 32 | lo) >> 11; }

}  // namespace

void CpuBackend::random_uniform(const Tensor& dst, RandomState state, double low, double high) {
  dispatch_floating(dst.dtype(), "random_uniform", [&]<typename T>() {
    if constexpr (std::is_same_v<T, double>) {
      const double range = high - low;
      fill_random<T>(*this, dst, state, [=](const philox::Block& x) {
        return std::fma(philox::to_unit_double(x.x[0], x.x[1]), range, low);
      });
    } else {
      const auto low_f = static_cast<float>(low);
      const float range = static_cast<float>(high) - low_f;
      fill_random<T>(*this, dst, state,
                     [=](const philox::Block& x) { return std::fma(philox::to_unit_float(x.x[0]), range, low_f); });
    }
  });
}

void CpuBackend::random_normal(const Tensor& dst, RandomState state, double mean, double std) {
  constexpr double kTwoPi = 2 * std::numbers::pi;
  dispatch_floating(dst.dtype(), "random_normal", [&]<typename T>() {
    fill_random<T>(*this, dst, state, [=](const philox::Block& x) {
      double u1, u2;
      if constexpr (std::is_same_v<T, double>) {
        u1 = static_cast<double>(bits53(x.x[0], x.x[1]) + 1) * 0x1p-53;
        u2 = static_cast<double>(bits53(x.x[2], x.x[3])) * 0x1p-53;
      } else {
        u1 = static_cast<double>((x.x[0] >> 8) + 1) * 0x1p-24;
        u2 = static_cast<double>(x.x[1] >> 8) * 0x1p-24;
      }
      const double z = std::sqrt(-2 * std::log(u1)) * std::cos(kTwoPi * u2);
      return std::fma(std, z, mean);
    });
  });
}

}  // namespace mini::cpu
