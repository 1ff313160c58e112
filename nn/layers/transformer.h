#pragma once
// TransformerEncoderLayer and TransformerEncoder (torch.nn semantics and
// submodule names, so PyTorch state dicts load by name):
//   post-norm: x = norm1(x + SA(x));        x = norm2(x + FF(x))
//   pre-norm:  x = x + SA(norm1(x));        x = x + FF(norm2(x))        (norm_first)
//   SA(x) = dropout1(self_attn(x, x, x)),  FF(x) = dropout2(linear2(dropout(act(linear1(x)))))
#include <memory>

#include "nn/layers/attention.h"
#include "nn/layers/container.h"
#include "nn/layers/dropout.h"
#include "nn/layers/linear.h"
#include "nn/layers/normalization.h"
#include "nn/module.h"
#include "tensor/options.h"

namespace mini::nn {

enum class TransformerActivation { relu, gelu };

struct TransformerEncoderLayerOptions {
  int64_t d_model = 512;
  int64_t nhead = 8;
  int64_t dim_feedforward = 2048;
  double dropout = 0.1;
  TransformerActivation activation = TransformerActivation::relu;
  double layer_norm_eps = 1e-5;
  bool batch_first = true;  // x: (N, L, d_model); false: (L, N, d_model)
  bool norm_first = false;
};

// Masks as MultiheadAttention's (NOTE [mask conventions] in attention.h):
// src_mask (L, L) or (N * nhead, L, L), src_key_padding_mask (N, L), bool true = ignore.
struct TransformerMasks {
  Tensor src_mask{};
  Tensor src_key_padding_mask{};
  bool is_causal = false;  // a causal mask when src_mask is undefined
};

class TransformerEncoderLayer : public Module {
 public:
  explicit TransformerEncoderLayer(const TransformerEncoderLayerOptions& options, TensorOptions tensor_options = {});
  Tensor forward(const Tensor& src, const TransformerMasks& masks);
  Tensor forward(const Tensor& src) override { return forward(src, {}); }
  std::string extra_repr() const override;

  std::shared_ptr<MultiheadAttention> self_attn;
  std::shared_ptr<Linear> linear1;
  std::shared_ptr<Dropout> dropout;
  std::shared_ptr<Linear> linear2;
  std::shared_ptr<LayerNorm> norm1, norm2;
  std::shared_ptr<Dropout> dropout1, dropout2;

 private:
  Tensor self_attention_block(const Tensor& x, const TransformerMasks& masks);
  Tensor feed_forward_block(const Tensor& x);

  TransformerEncoderLayerOptions options_;
};

// How TransformerEncoder initialises its layers.
//   clone_first (the default): PyTorch's behaviour. nn.TransformerEncoder
//     deep-copies one layer (_get_clones), so every layer starts with the same
//     values (in separate tensors, so they train apart).
//   independent: each layer draws its own values, as separately built layers
//     do (GPT builds its blocks this way).
enum class EncoderLayerInit { clone_first, independent };

// num_layers layers (`layers.0`, `layers.1`, ...) and, with final_norm, a
// LayerNorm `norm` after the last.
class TransformerEncoder : public Module {
 public:
  TransformerEncoder(const TransformerEncoderLayerOptions& layer_options, int64_t num_layers, bool final_norm = false,
                     TensorOptions tensor_options = {}, EncoderLayerInit layer_init = EncoderLayerInit::clone_first);
  Tensor forward(const Tensor& src, const TransformerMasks& masks);
  Tensor forward(const Tensor& src) override { return forward(src, {}); }

  std::shared_ptr<ModuleList> layers;
  std::shared_ptr<LayerNorm> norm;  // null without final_norm
};

}  // namespace mini::nn
