#pragma once
// LoRA adapters (Hu et al. 2021, as HF peft's LoraLayer): a frozen Linear
// y = x W^T + b gains a trainable low-rank update
//
//   y = base(x) + scale * lora_B(lora_A(dropout(x))),   scale = alpha / rank
//   lora_A: Linear(in, rank), kaiming_uniform_(a = sqrt(5)) (peft's init); lora_B: Linear(rank, out), zeros
//
// so the model is unchanged at init (B = 0). A Conv2d (groups = 1) gets peft's
// conv adapter: lora_A = Conv2d(C, rank, kernel) with the layer's stride,
// padding and dilation, lora_B = a 1x1 Conv2d(rank, K); merging adds
// (B A).view(K, C, kh, kw) * scale to the kernel.
//
//   nn::lora::inject(*model, {.targets = {"q_proj", "v_proj"}, .rank = 8, .alpha = 16});
//   nn::optim::AdamW opt(nn::lora::parameters(*model), {.lr = 1e-3});
//   ... train ...
//   nn::lora::save(*model, "adapter.safetensors");
//   nn::lora::merge(*model);   // W += B A * scale, adapters removed: inference pays nothing extra
//
// NOTE [adapters ride on the target]: the target module is not replaced by a
// wrapper module (a parent usually calls its layer through a typed member such
// as `std::shared_ptr<Linear> q_proj`, which a swapped registry entry would not
// reach). The target itself gains the children `lora_A` and `lora_B` (so names
// read `layers.0.attn.q_proj.lora_A.weight`, peft's saved names) and a forward
// wrapper (Module::set_forward_wrapper) that adds the low-rank term. Base
// parameter names and handles never change: a base checkpoint loads into the
// adapted model (load_state_dict(state, /*strict=*/false): the adapters are its
// missing keys), and remove() gives back exactly the modules that were there.
//
// NOTE [one forward wrapper]: a module has one forward wrapper. inject() chains
// a wrapper that is already set (activation checkpointing): that wrapper then
// runs around the adapted computation, so a checkpointed target recomputes its
// adapter too, and remove() puts it back. A wrapper set on a target *after*
// inject() replaces the adapter's; every lora:: function then fails naming the target.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/module.h"

namespace mini::nn::lora {

struct Config {
  // Which modules (dotted names from named_modules()) get adapters; only Linear
  // and Conv2d modules are considered. Globs match the whole name: `*` any run of
  // characters (dots included), `?` one character; a pattern without `*` or
  // `?` also matches as a name suffix after a dot (peft's rule: "q_proj"
  // matches "layers.0.attn.q_proj"). With `regex`, each pattern is an
  // ECMAScript regex that must match the whole name (peft's re.fullmatch).
  std::vector<std::string> targets;
  int64_t rank = 8;
  double alpha = 8;    // scale = alpha / rank
  double dropout = 0;  // on the adapter's input only, in training mode
  bool regex = false;
  // As peft: every parameter of the model that is not an adapter stops requiring grad.
  bool freeze_base = true;
};

// One target's adapter: its modules and merge state. inject() makes them.
class Adapter : public std::enable_shared_from_this<Adapter> {
 public:
  // Builds lora_A/lora_B for `target` (a Linear, or a Conv2d with groups = 1),
  // in its dtype and on its device, without attaching them.
  Adapter(Module& target, const Config& config);

  // scale * lora_B(lora_A(dropout(x))): x (..., in) -> (..., out), or (N, C, H, W) -> (N, K, H', W').
  Tensor delta(const Tensor& x) const;
  // W += B A * scale (merge) or W -= B A * scale (unmerge); no-ops when already in that state.
  // While merged, forward adds nothing (the base weight holds the update).
  void merge();
  void unmerge();
  bool merged() const { return merged_; }

  int64_t rank() const { return rank_; }
  double scale() const { return scale_; }
  const ModulePtr& lora_A() const { return lora_A_; }  // Linear(in, rank) or Conv2d(C, rank, kernel)
  const ModulePtr& lora_B() const { return lora_B_; }  // Linear(rank, out) or Conv2d(rank, K, 1x1)
  const Tensor& base_weight() const { return weight_; }

 private:
  friend struct AdapterAccess;  // lora.cpp: attaching, detaching and the forward wrapper
  // Registers lora_A/lora_B on `target`, chains its forward wrapper and freezes
  // its parameters; detach() undoes all three (NOTE [adapters ride on the target]).
  void attach(Module& target);
  void detach(Module& target);

  int64_t rank_;
  double scale_, dropout_;
  bool merged_ = false;
  Tensor weight_;  // the target's weight (out, in) or (K, C, kh, kw)
  ModulePtr lora_A_, lora_B_;
  Module::ForwardWrapper chained_wrapper_;                     // the target's wrapper before attach()
  std::vector<std::pair<Tensor, bool>> target_requires_grad_;  // restored by detach()
};

// Adds adapters to every matching Linear and Conv2d; returns the adapted module names.
// Throws mini::ValueError (changing nothing) when no module matches (naming the
// patterns and some available Linear/Conv2d names), on a bad config, or when a target already has one.
std::vector<std::string> inject(Module& model, const Config& config);
// Detaches every adapter: each target gets back its children, forward wrapper and
// requires_grad flags (its parameter handles never changed). Unmerges a merged
// adapter first. Parameters outside the targets that freeze_base froze stay frozen
// (model.requires_grad_(true) unfreezes them). Returns the targets' names.
std::vector<std::string> remove(Module& model);

struct MergeOptions {
  // false: fold the update into the base weights and remove the adapters (peft's
  // merge_and_unload). true: fold it in but keep the adapters (merged, adding
  // nothing to forward) so unmerge() can take it back out.
  bool keep_adapters = false;
};
void merge(Module& model, MergeOptions options = {});
void unmerge(Module& model);

// The adapters in walk order, with their target's name.
std::vector<std::pair<std::string, std::shared_ptr<Adapter>>> adapters(Module& model);
// lora_A and lora_B weights of every adapter (what the optimizer should train).
std::vector<Tensor> parameters(Module& model);

// The functional form: x W^T + b + (x A^T B^T) * scale (no dropout).
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& lora_A, const Tensor& lora_B,
              double scale);

// Only the adapter tensors: `<target>.lora_A.weight`, `<target>.lora_B.weight` (detached views).
StateDict state_dict(Module& model);
// Strict: every adapter of the model must be in `state` with its shape, and
// nothing else may be. Throws while any adapter is merged (the merged base would
// keep the old update).
void load_state_dict(Module& model, const StateDict& state);
void save(Module& model, const std::string& path, const std::map<std::string, std::string>& metadata = {});
void load(Module& model, const std::string& path);

}  // namespace mini::nn::lora
