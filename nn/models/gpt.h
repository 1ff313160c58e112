#pragma once
// GPT: a decoder-only language model (GPT-2's layout, nanoGPT's names).
//   tokens (N, T) -> wte(tokens) + wpe(0..T-1) -> drop -> h.0 .. h.{n_layer-1} -> ln_f -> logits (N, T, vocab)
// Each block is a pre-norm TransformerEncoderLayer with causal self-attention
// and a GELU MLP of width 4 * n_embd, and draws its own initial values. The
// output head is tied to the token embedding (logits = x wte^T), so it has no
// parameters of its own.
#include <memory>

#include "nn/layers/container.h"
#include "nn/layers/dropout.h"
#include "nn/layers/embedding.h"
#include "nn/layers/normalization.h"
#include "nn/layers/transformer.h"
#include "nn/module.h"
#include "tensor/options.h"

namespace mini::nn {

struct GPTConfig {
  int64_t vocab_size = 256;
  int64_t block_size = 64;  // the longest sequence (positions)
  int64_t n_layer = 2;
  int64_t n_head = 2;
  int64_t n_embd = 32;
  double dropout = 0.0;
};

class GPT : public Module {
 public:
  explicit GPT(const GPTConfig& config, TensorOptions options = {});
  // tokens: (N, T) integer, T <= block_size -> logits (N, T, vocab_size).
  Tensor forward(const Tensor& tokens) override;
  // Greedy decoding: appends max_new_tokens argmax tokens to tokens (N, T),
  // each predicted from the last block_size tokens; no gradients recorded.
  Tensor generate(const Tensor& tokens, int64_t max_new_tokens);
  std::string extra_repr() const override;

  const GPTConfig& config() const { return config_; }

  std::shared_ptr<Embedding> wte, wpe;
  std::shared_ptr<Dropout> drop;
  std::shared_ptr<ModuleList> h;
  std::shared_ptr<LayerNorm> ln_f;

 private:
  GPTConfig config_;
};

}  // namespace mini::nn
