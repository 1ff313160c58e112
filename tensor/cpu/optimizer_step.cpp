// CpuBackend::optimizer_step: SGD and Adam/AdamW as one pass over each
// parameter (read p, grad and the state once, write p and the state once)
// instead of 4-10 elementwise ops with temporaries.
//
// NOTE: results are bit-identical to the unfused default (tensor/
// optimizer_step.cpp): each operation is the same float (or double)
// operation in the same order, scalars are rounded to the dtype the same way,
// and contraction into FMAs is switched off below (GCC contracts a * b + c
// by default even in ISO C++ mode). Other dtypes and non-contiguous tensors
// take the default.
#pragma GCC optimize("fp-contract=off")

#include <cmath>
#include <type_traits>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/parallel.h"

namespace mini::cpu {
namespace {

// Elements per chunk handed to a thread: a parameter below this stays on
// the calling thread (the pool's wake-up costs more than the pass).
constexpr int64_t kGrain = 32 * 1024;

// Calls fn with std::true_type or std::false_type.
template <typename Fn>
void with_flag(bool flag, Fn&& fn) {
  if (flag) {
    fn(std::true_type{});
  } else {
    fn(std::false_type{});
  }
}

template <typename T>
struct SgdScalars {
  T weight_decay, momentum, one_minus_dampening, lr;
};

template <typename T, bool kDecay, bool kMomentum, bool kFirst, bool kDampen, bool kNesterov>
void sgd_range(int64_t begin, int64_t end, T* __restrict param, const T* __restrict grad, T* __restrict buffer,
               const SgdScalars<T> s) {
  for (int64_t i = begin; i < end; ++i) {
    T g = grad[i];
    if constexpr (kDecay) g = g + param[i] * s.weight_decay;
    if constexpr (kMomentum) {
      T b = g;
      if constexpr (!kFirst) {
        b = buffer[i] * s.momentum;
        b = b + (kDampen ? g * s.one_minus_dampening : g);
      }
      buffer[i] = b;
      g = kNesterov ? g + b * s.momentum : b;
    }
    param[i] = param[i] - g * s.lr;
  }
}

template <typename T>
void sgd(const OptimizerStep& step, int64_t n, T* param, const T* grad, T* buffer) {
  const SgdScalars<T> s{static_cast<T>(step.weight_decay), static_cast<T>(step.momentum),
                        static_cast<T>(1.0 - step.dampening), static_cast<T>(step.lr)};
  with_flag(step.weight_decay != 0, [&](auto decay) {
    with_flag(step.momentum != 0, [&](auto momentum) {
      with_flag(step.first_step, [&](auto first) {
        with_flag(step.dampening != 0, [&](auto dampen) {
          with_flag(step.nesterov, [&](auto nesterov) {
            parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) {
              sgd_range<T, decay(), momentum(), first(), dampen(), nesterov()>(begin, end, param, grad, buffer, s);
            });
          });
        });
      });
    });
  });
}

template <typename T>
struct AdamScalars {
  T weight_decay, decay_factor, beta1, one_minus_beta1, beta2, one_minus_beta2, sqrt_bias_correction2, eps, step_size;
};

// kDecay: 0 none, 1 coupled (added to the gradient), 2 decoupled (AdamW).
template <typename T, int kDecay, bool kAmsgrad>
void adam_range(int64_t begin, int64_t end, T* __restrict param, const T* __restrict grad, T* __restrict exp_avg,
                T* __restrict exp_avg_sq, T* __restrict max_exp_avg_sq, const AdamScalars<T> s) {
  for (int64_t i = begin; i < end; ++i) {
    T p = param[i], g = grad[i];
    if constexpr (kDecay == 2) p = p * s.decay_factor;
    if constexpr (kDecay == 1) g = g + p * s.weight_decay;
    T m = exp_avg[i] * s.beta1;
    m = m + g * s.one_minus_beta1;
    exp_avg[i] = m;
    T v = exp_avg_sq[i] * s.beta2;
    T square = g * g;
    square = square * s.one_minus_beta2;
    v = v + square;
    exp_avg_sq[i] = v;
    T second = v;
    if constexpr (kAmsgrad) {
      // maximum with NaN propagation, as BinaryOp::maximum.
      const T old = max_exp_avg_sq[i];
      second = old != old ? old : v != v ? v : old > v ? old : v;
      max_exp_avg_sq[i] = second;
    }
    T update = std::sqrt(second);
    update = update / s.sqrt_bias_correction2;
    update = update + s.eps;
    update = m / update;
    update = update * s.step_size;
    param[i] = p - update;
  }
}

template <typename T>
void adam(const OptimizerStep& step, int64_t n, T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq) {
  const AdamScalars<T> s{static_cast<T>(step.weight_decay),
                         static_cast<T>(1.0 - step.lr * step.weight_decay),
                         static_cast<T>(step.beta1),
                         static_cast<T>(1.0 - step.beta1),
                         static_cast<T>(step.beta2),
                         static_cast<T>(1.0 - step.beta2),
                         static_cast<T>(std::sqrt(step.bias_correction2)),
                         static_cast<T>(step.eps),
                         static_cast<T>(step.lr / step.bias_correction1)};
  const int decay = step.weight_decay == 0 ? 0 : step.decoupled_weight_decay ? 2 : 1;
  const auto run = [&](auto decay_kind, auto amsgrad) {
    parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) {
      adam_range<T, decltype(decay_kind)::value, amsgrad()>(begin, end, param, grad, exp_avg, exp_avg_sq,
                                                            max_exp_avg_sq, s);
    });
  };
  with_flag(step.amsgrad, [&](auto amsgrad) {
    switch (decay) {
      case 0:
        return run(std::integral_constant<int, 0>{}, amsgrad);
      case 1:
        return run(std::integral_constant<int, 1>{}, amsgrad);
      default:
        return run(std::integral_constant<int, 2>{}, amsgrad);
    }
  });
}

template <typename T>
T* data_of(const Tensor& tensor) {
  return static_cast<T*>(tensor.data_ptr());
}

template <typename T>
void fused_step(const OptimizerStep& step, const Tensor& param, const Tensor& grad, const std::vector<Tensor>& state) {
  const int64_t n = param.numel();
  if (step.kind == OptimizerKind::sgd) {
    sgd<T>(step, n, data_of<T>(param), data_of<T>(grad), state.empty() ? nullptr : data_of<T>(state[0]));
  } else {
    adam<T>(step, n, data_of<T>(param), data_of<T>(grad), data_of<T>(state[0]), data_of<T>(state[1]),
            state.size() > 2 ? data_of<T>(state[2]) : nullptr);
  }
}

// The fused loops index every tensor by one flat offset.
bool fusable(const OptimizerStep& step, const Tensor& param, const Tensor& grad, const std::vector<Tensor>& state) {
  const size_t expected = step.kind == OptimizerKind::sgd ? (step.momentum != 0 ? 1u : 0u) : (step.amsgrad ? 3u : 2u);
  if (state.size() != expected) return false;  // the default reports it
  const DType dtype = param.dtype();
  if (dtype != DType::f32 && dtype != DType::f64) return false;
  const auto same_layout = [&](const Tensor& t) {
    return t.defined() && t.dtype() == dtype && t.sizes() == param.sizes() && t.is_contiguous();
  };
  if (!param.is_contiguous() || !same_layout(grad)) return false;
  for (const Tensor& t : state) {
    if (!same_layout(t)) return false;
  }
  return true;
}

}  // namespace

void CpuBackend::optimizer_step(const OptimizerStep& step, const Tensor& param, const Tensor& grad,
                                const std::vector<Tensor>& state) {
  if (!fusable(step, param, grad, state)) {
    Backend::optimizer_step(step, param, grad, state);
    return;
  }
  if (param.dtype() == DType::f32) {
    fused_step<float>(step, param, grad, state);
  } else {
    fused_step<double>(step, param, grad, state);
  }
}

}  // namespace mini::cpu
