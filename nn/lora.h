#pragma once
// LoRA adapters (Hu et al. 2021, as HF peft's LoraLayer): a frozen Linear
// y = x W^T + b gains a trainable low-rank update
//
//   y = x W^T + b + dropout(x) A^T B^T * (alpha / rank)
//   A: (rank, in) ~ kaiming_uniform_(a = sqrt(5)) (peft's init), B: (out, rank) = 0
//
// so the model is unchanged at init (B = 0). A Conv2d (groups = 1) gets LoRA on
// its flattened kernel, as peft: A (rank, C kh kw) is applied as a (rank, C, kh,
// kw) convolution with the layer's stride/padding/dilation, B (K, rank) as a
// 1x1 convolution, and merging adds (B A).view(K, C, kh, kw) * scale.
//
//   nn::apply_lora(*model, {.rank = 8, .alpha = 16, .target_modules = {"*.q_proj", "*.v_proj"}});
//   nn::optim::AdamW opt(nn::lora_parameters(*model), {.lr = 1e-3});
//   ... train ...
//   nn::save_lora(*model, "adapter.safetensors");
//   nn::merge_lora(*model);   // W += B A * scale: inference pays nothing extra
//
// NOTE [in-place adapters]: the target Linear is not replaced by a wrapper
// module: a parent usually calls its layer through a typed member
// (`std::shared_ptr<Linear> q_proj`), which a swapped registry entry would not
// reach. Instead the target itself gains the parameters `lora_A` and `lora_B`
// (so names read `layers.0.attn.q_proj.lora_A`), a child `lora` (a
// LoraLinear holding rank/scale/dropout/merged state; it owns no tensors) and a
// forward hook that adds the low-rank term. The base parameter names are
// unchanged, so a base checkpoint still loads into the adapted model
// (load_state_dict(state, /*strict=*/false): the adapters are its missing keys).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nn/module.h"
#include "tensor/ops/nn.h"

namespace mini::nn {

struct LoraConfig {
  int64_t rank = 8;
  double alpha = 8;    // scale = alpha / rank
  double dropout = 0;  // on the adapter's input only, in training mode
  // Which modules (dotted names from named_modules()) get adapters; only Linear
  // and Conv2d modules are considered. Globs match the whole name: `*` any run of
  // characters (dots included), `?` one character; a pattern without `*` or
  // `?` also matches as a name suffix after a dot (peft's rule: "q_proj"
  // matches "layers.0.attn.q_proj"). With `regex`, each pattern is an
  // ECMAScript regex that must match the whole name (peft's re.fullmatch).
  std::vector<std::string> target_modules;
  bool regex = false;
  // As peft: every parameter of the model that is not an adapter stops requiring grad.
  bool freeze_base = true;
};

// The adapter state of one target Linear or Conv2d (its child `lora`; see NOTE
// [in-place adapters]). type_name() is "LoraLinear" or "LoraConv2d".
class LoraLinear : public Module {
 public:
  LoraLinear(Module& target, const LoraConfig& config);
  std::string extra_repr() const override;

  // The term added to the target's output: dropout(x) A^T B^T * scale; x (..., in) -> (..., out)
  // (for a Conv2d: x (N, C, H, W) -> (N, K, H', W')).
  Tensor delta(const Tensor& x);
  // W += B A * scale (merge) or W -= B A * scale (unmerge); no-ops when already in that state.
  void merge();
  void unmerge();
  bool merged() const { return merged_; }

  int64_t rank() const { return rank_; }
  double scale() const { return scale_; }
  const Tensor& lora_A() const { return lora_A_; }
  const Tensor& lora_B() const { return lora_B_; }
  const Tensor& base_weight() const { return weight_; }

 private:
  int64_t rank_;
  double scale_, dropout_;
  bool merged_ = false;
  bool conv_ = false;
  ops::Conv2dOptions conv_options_;  // the target's geometry (groups = 1), for conv_
  Tensor weight_;                    // the target's weight (out, in) or (K, C, kh, kw)
  Tensor lora_A_, lora_B_;           // (rank, in), (out, rank); registered on the target
};

// The functional form: x W^T + b + (x A^T B^T) * scale (no dropout).
Tensor lora_linear(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& lora_A,
                   const Tensor& lora_B, double scale);

// Adds adapters to every matching Linear and Conv2d; returns the adapted module names.
// Throws mini::ValueError when no module matches (naming the patterns and some
// available Linear/Conv2d names), on a bad config, or when a target already has one.
std::vector<std::string> apply_lora(Module& model, const LoraConfig& config);

// The adapters in walk order, with their target's name.
std::vector<std::pair<std::string, std::shared_ptr<LoraLinear>>> lora_modules(Module& model);
// lora_A and lora_B of every adapter (what the optimizer should train).
std::vector<Tensor> lora_parameters(Module& model);
void merge_lora(Module& model);
void unmerge_lora(Module& model);

// Only the adapter tensors: `<target>.lora_A`, `<target>.lora_B` (detached views).
StateDict lora_state_dict(const Module& model);
// Strict: every adapter of the model must be in `state` with its shape, and
// nothing else may be. Throws while any adapter is merged (the merged base would
// keep the old update).
void load_lora_state_dict(Module& model, const StateDict& state);
void save_lora(const Module& model, const std::string& path, const std::map<std::string, std::string>& metadata = {});
void load_lora(Module& model, const std::string& path);

}  // namespace mini::nn
