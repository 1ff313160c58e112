#include "nn/models/gpt.h"

#include "autograd/autograd.h"
#include "nn/init.h"

namespace mini::nn {

GPT::GPT(const GPTConfig& config, TensorOptions options) : Module("GPT"), config_(config) {
  MINI_CHECK(config.vocab_size > 0 && config.block_size > 0 && config.n_layer >= 0,
             "GPT: vocab_size={}, block_size={} must be positive and n_layer={} non-negative", config.vocab_size,
             config.block_size, config.n_layer);
  wte = register_module("wte", std::make_shared<Embedding>(config.vocab_size, config.n_embd, std::nullopt, options));
  wpe = register_module("wpe", std::make_shared<Embedding>(config.block_size, config.n_embd, std::nullopt, options));
  drop = register_module("drop", std::make_shared<Dropout>(config.dropout));
  h = register_module("h", std::make_shared<ModuleList>());
  const TransformerEncoderLayerOptions block{.d_model = config.n_embd,
                                             .nhead = config.n_head,
                                             .dim_feedforward = 4 * config.n_embd,
                                             .dropout = config.dropout,
                                             .activation = TransformerActivation::gelu,
                                             .batch_first = true,
                                             .norm_first = true};
  // Blocks are built one by one, so each draws its own initial values (unlike
  // TransformerEncoder's PyTorch-style clone_first default).
  for (int64_t i = 0; i < config.n_layer; ++i) h->push_back(std::make_shared<TransformerEncoderLayer>(block, options));
  ln_f = register_module("ln_f", std::make_shared<LayerNorm>(Shape{config.n_embd}, 1e-5, true, true, options));
  // GPT-2's N(0, 0.02) embeddings: Embedding's N(0, 1) would make the tied head's first logits huge.
  init::normal_(wte->weight(), 0.0, 0.02);
  init::normal_(wpe->weight(), 0.0, 0.02);
}

Tensor GPT::forward(const Tensor& tokens) {
  MINI_CHECK(tokens.dim() == 2 && !is_floating(tokens.dtype()),
             "GPT: tokens must be an integer (N, T) tensor, got {} of shape ({})", tokens.dtype(),
             fmt::join(tokens.sizes(), ", "));
  const int64_t length = tokens.size(1);
  MINI_CHECK(length <= config_.block_size, "GPT: sequence length {} exceeds block_size {} (tokens ({}))", length,
             config_.block_size, fmt::join(tokens.sizes(), ", "));
  const Tensor positions = ops::arange(0, length, 1, {.dtype = DType::i64, .device = tokens.device()});
  Tensor x = (*drop)(mini::add((*wte)(tokens), (*wpe)(positions)));  // (N, T, C)
  for (int64_t i = 0; i < h->size(); ++i) {
    auto layer = std::static_pointer_cast<TransformerEncoderLayer>((*h)[i]);
    // run_forward: wrappers (activation checkpointing) see the causal call. `layer` by value: a
    // checkpointing wrapper keeps the function to re-run it in backward, after this loop.
    x = layer->run_forward([layer](const Tensor& in) { return layer->forward(in, {.is_causal = true}); }, x);
  }
  return mini::linear((*ln_f)(x), wte->weight());  // (N, T, vocab)
}

Tensor GPT::generate(const Tensor& tokens, int64_t max_new_tokens) {
  NoGradGuard no_grad;
  Tensor sequence = tokens;
  for (int64_t step = 0; step < max_new_tokens; ++step) {
    const int64_t length = sequence.size(1), context = std::min(length, config_.block_size);
    const Tensor logits = forward(ops::narrow(sequence, 1, length - context, context));
    const Tensor next = ops::argmax(ops::select(logits, 1, context - 1), -1, /*keepdim=*/true);  // (N, 1)
    sequence = ops::cat({sequence, ops::to_dtype(next, sequence.dtype())}, 1);
  }
  return sequence;
}

std::string GPT::extra_repr() const {
  return fmt::format("vocab_size={}, block_size={}, n_layer={}, n_head={}, n_embd={}, dropout={}", config_.vocab_size,
                     config_.block_size, config_.n_layer, config_.n_head, config_.n_embd, config_.dropout);
}

}  // namespace mini::nn
