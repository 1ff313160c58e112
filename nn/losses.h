#pragma once
// Loss functions (torch.nn.functional semantics) and their module wrappers.
// All are composites of differentiable mini:: ops. `reduction`: none (the
// per-element loss), sum, or mean (for cross_entropy / nll_loss with class
// indices: the weighted mean, divided by the sum of the picked class weights).
#include <optional>

#include "nn/module.h"

namespace mini::nn {

enum class Reduction { none, mean, sum };

struct CrossEntropyOptions {
  Tensor weight{};              // (C) per-class weights, or undefined
  int64_t ignore_index = -100;  // class-index targets only
  Reduction reduction = Reduction::mean;
  double label_smoothing = 0.0;  // in [0, 1]
};

// input: (N, C, d1, ...) or (C) logits. target: class indices (N, d1, ...) or
// () (integer), or class probabilities with input's shape (floating).
Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& options = {});

struct NllLossOptions {
  Tensor weight{};
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::mean;
};
// input: log-probabilities (N, C, d1, ...) or (C); target: class indices.
Tensor nll_loss(const Tensor& input, const Tensor& target, const NllLossOptions& options = {});

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
// 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (beta = 0: l1_loss).
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean,
                      double beta = 1.0);

struct BceWithLogitsOptions {
  Tensor weight{};      // broadcast to the loss
  Tensor pos_weight{};  // broadcast along the last dim (per class), weighs the positive term
  Reduction reduction = Reduction::mean;
};
// -[pos_weight * y * log sigmoid(x) + (1 - y) * log(1 - sigmoid(x))], computed stably.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BceWithLogitsOptions& options = {});

// KL(target || exp(input)) pointwise: target * (log target - input), where
// input holds log-probabilities; with log_target, target holds them too.
// batch_mean divides the sum by input.size(0) (the mathematically correct KL).
enum class KlReduction { none, mean, sum, batch_mean };
Tensor kl_div(const Tensor& input, const Tensor& target, KlReduction reduction = KlReduction::mean,
              bool log_target = false);

// ---- module wrappers: loss(input, target) ----

class Loss : public Module {
 public:
  using Module::Module;
  virtual Tensor operator()(const Tensor& input, const Tensor& target) = 0;
  using Module::operator();
};

class CrossEntropyLoss : public Loss {
 public:
  explicit CrossEntropyLoss(CrossEntropyOptions options = {});
  Tensor operator()(const Tensor& input, const Tensor& target) override;
  using Loss::operator();

 private:
  CrossEntropyOptions options_;
};

class NLLLoss : public Loss {
 public:
  explicit NLLLoss(NllLossOptions options = {});
  Tensor operator()(const Tensor& input, const Tensor& target) override;
  using Loss::operator();

 private:
  NllLossOptions options_;
};

class MSELoss : public Loss {
 public:
  explicit MSELoss(Reduction reduction = Reduction::mean) : Loss("MSELoss"), reduction_(reduction) {}
  Tensor operator()(const Tensor& input, const Tensor& target) override;
  using Loss::operator();

 private:
  Reduction reduction_;
};

class L1Loss : public Loss {
 public:
  explicit L1Loss(Reduction reduction = Reduction::mean) : Loss("L1Loss"), reduction_(reduction) {}
  Tensor operator()(const Tensor& input, const Tensor& target) override;
  using Loss::operator();

 private:
  Reduction reduction_;
};

class SmoothL1Loss : public Loss {
 public:
  explicit SmoothL1Loss(Reduction reduction = Reduction::mean, double beta = 1.0)
      : Loss("SmoothL1Loss"), reduction_(reduction), beta_(beta) {}
  Tensor operator()(const Tensor& input, const Tensor& target) override;
  using Loss::operator();

 private:
  Reduction reduction_;
  double beta_;
};

class BCEWithLogitsLoss : public Loss {
 public:
  explicit BCEWithLogitsLoss(BceWithLogitsOptions options = {});
  Tensor operator()(const Tensor& input, const Tensor& target) override;
  using Loss::operator();

 private:
  BceWithLogitsOptions options_;
};

class KLDivLoss : public Loss {
 public:
  explicit KLDivLoss(KlReduction reduction = KlReduction::mean, bool log_target = false)
      : Loss("KLDivLoss"), reduction_(reduction), log_target_(log_target) {}
  Tensor operator()(const Tensor& input, const Tensor& target) override;
  using Loss::operator();

 private:
  KlReduction reduction_;
  bool log_target_;
};

}  // namespace mini::nn
