#pragma once
// Fused optimizer steps (Backend::optimizer_step): SGD (momentum, dampening,
// nesterov, weight decay) and Adam/AdamW (amsgrad), one thread per element in
// a grid-stride loop that reads param, grad and the state once and writes
// param and the state once. Memory-bound: an f32 Adam step moves 28 bytes
// per element (read 5 tensors, write 3, amsgrad 8 more), ~10 us per 1M
// elements at 3 TB/s (H100), against 10+ elementwise launches unfused.
//
// NOTE: each step computes exactly what the unfused default (tensor/
// optimizer_step.cpp) computes, bit for bit, as the CPU backend's fused pass
// does: the same operations in the same order in compute_t<T> (float for the
// 16-bit types, whose every intermediate is rounded to T as each unfused op
// writes a T tensor), scalars rounded from double to compute_t<T>, and no
// multiply-add contracted into an fma (nvcc does that by default, hence the
// _rn intrinsics; the emulated launcher switches g++'s contraction off).
//
// `kFlat`: every operand is contiguous (the host checked its coalesced
// geometry), so the element offset is the flat position itself.
#include "cuda/kernels/geometry.cuh"
#include "cuda/kernels/math.cuh"

MINI_CUDA_BEGIN_NAMESPACE

MINI_DEVICE_INLINE float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
MINI_DEVICE_INLINE double mul_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
MINI_DEVICE_INLINE float add_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
MINI_DEVICE_INLINE double add_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
MINI_DEVICE_INLINE float sub_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}
MINI_DEVICE_INLINE double sub_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dsub_rn(a, b);
#else
  return a - b;
#endif
}

// An intermediate as the unfused op stores it: rounded to T (a no-op for float and double).
template <typename T>
MINI_DEVICE_INLINE compute_t<T> rounded(compute_t<T> value) {
  return load(store<T>(value));
}

template <bool kFlat, int N>
MINI_DEVICE_INLINE Offsets<N> step_offsets(const Strided<N>& g, int64_t i) {
  if constexpr (kFlat) {
    Offsets<N> flat;
    for (int j = 0; j < N; ++j) flat.at[j] = i;
    return flat;
  } else {
    return offsets_of(g, i);
  }
}

// g: (param, grad, momentum_buffer); buffer is null when momentum is 0.
template <typename T, bool kFlat>
__global__ void sgd_step_kernel(SgdArgs args, Strided<3> g, T* param, const T* grad, T* buffer) {
  using C = compute_t<T>;
  const C weight_decay = static_cast<C>(args.weight_decay), momentum = static_cast<C>(args.momentum);
  const C one_minus_dampening = static_cast<C>(args.one_minus_dampening), lr = static_cast<C>(args.lr);
  for (int64_t i = global_thread_index(); i < g.numel; i += grid_thread_count()) {
    const Offsets<3> o = step_offsets<kFlat>(g, i);
    const C p = load(param[o.at[0]]);
    C update = load(grad[o.at[1]]);
    if (args.weight_decay != 0) update = rounded<T>(add_rn(update, rounded<T>(mul_rn(p, weight_decay))));
    if (args.momentum != 0) {
      C b = update;
      if (!args.first_step) {
        b = rounded<T>(mul_rn(load(buffer[o.at[2]]), momentum));
        b = rounded<T>(add_rn(b, args.dampen ? rounded<T>(mul_rn(update, one_minus_dampening)) : update));
      }
      buffer[o.at[2]] = store<T>(b);
      update = args.nesterov ? rounded<T>(add_rn(update, rounded<T>(mul_rn(b, momentum)))) : b;
    }
    param[o.at[0]] = store<T>(sub_rn(p, rounded<T>(mul_rn(update, lr))));
  }
}

// g: (param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq); the last is null without amsgrad.
template <typename T, bool kFlat>
__global__ void adam_step_kernel(AdamArgs args, Strided<5> g, T* param, const T* grad, T* exp_avg, T* exp_avg_sq,
                                 T* max_exp_avg_sq) {
  using C = compute_t<T>;
  const C weight_decay = static_cast<C>(args.weight_decay), decay_factor = static_cast<C>(args.decay_factor);
  const C beta1 = static_cast<C>(args.beta1), one_minus_beta1 = static_cast<C>(args.one_minus_beta1);
  const C beta2 = static_cast<C>(args.beta2), one_minus_beta2 = static_cast<C>(args.one_minus_beta2);
  const C sqrt_bias_correction2 = static_cast<C>(args.sqrt_bias_correction2), eps = static_cast<C>(args.eps);
  const C step_size = static_cast<C>(args.step_size);
  for (int64_t i = global_thread_index(); i < g.numel; i += grid_thread_count()) {
    const Offsets<5> o = step_offsets<kFlat>(g, i);
    C p = load(param[o.at[0]]), gradient = load(grad[o.at[1]]);
    if (args.decay == AdamDecay::decoupled) p = rounded<T>(mul_rn(p, decay_factor));
    if (args.decay == AdamDecay::coupled) gradient = rounded<T>(add_rn(gradient, rounded<T>(mul_rn(p, weight_decay))));
    C m = rounded<T>(mul_rn(load(exp_avg[o.at[2]]), beta1));
    m = rounded<T>(add_rn(m, rounded<T>(mul_rn(gradient, one_minus_beta1))));
    exp_avg[o.at[2]] = store<T>(m);
    C v = rounded<T>(mul_rn(load(exp_avg_sq[o.at[3]]), beta2));
    const C square = rounded<T>(mul_rn(rounded<T>(mul_rn(gradient, gradient)), one_minus_beta2));
    v = rounded<T>(add_rn(v, square));
    exp_avg_sq[o.at[3]] = store<T>(v);
    C second_moment = v;
    if (args.amsgrad) {
      // maximum with NaN propagation, as BinaryOp::maximum.
      const C old = load(max_exp_avg_sq[o.at[4]]);
      second_moment = old != old ? old : v != v ? v : old > v ? old : v;
      max_exp_avg_sq[o.at[4]] = store<T>(second_moment);
    }
    // denominator = sqrt(v) / sqrt(1 - beta2^t) + eps; update = m / denominator * lr / (1 - beta1^t)
    C update = rounded<T>(m_sqrt(second_moment));
    update = rounded<T>(update / sqrt_bias_correction2);
    update = rounded<T>(add_rn(update, eps));
    update = rounded<T>(m / update);
    update = rounded<T>(mul_rn(update, step_size));
    param[o.at[0]] = store<T>(sub_rn(p, update));
  }
}

MINI_CUDA_END_NAMESPACE
