#pragma once
// Attention: scaled dot-product attention (a function) and
// MultiheadAttention (torch.nn.MultiheadAttention's parameters, names and
// masks). Both are composites of differentiable mini:: ops, so their
// gradients come from autograd.
//
// NOTE [mask conventions]: PyTorch uses two opposite meanings for boolean
// masks and mini follows both, so code ported from PyTorch keeps working:
//   - scaled_dot_product_attention: true = the key TAKES PART (F.scaled_dot_product_attention).
//   - MultiheadAttention's attn_mask and key_padding_mask: true = the key is IGNORED.
// Floating masks are added to the scores everywhere (-inf removes a key).
// A query row whose keys are all removed gets NaN weights, as in PyTorch.
#include <optional>
#include <utility>

#include "nn/layers/linear.h"
#include "nn/module.h"
#include "tensor/options.h"

namespace mini::nn {

namespace functional {

// softmax(q k^T * scale + mask) v, scale = 1/sqrt(E) unless given.
// q: (..., L, E), k: (..., S, E), v: (..., S, Ev) -> (..., L, Ev); leading dims broadcast.
// attn_mask: broadcastable to (..., L, S); bool (true = take part) or floating (added).
// is_causal: query i sees keys j <= i (needs no attn_mask). dropout_p applies to the weights.
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const Tensor& attn_mask = Tensor(), double dropout_p = 0.0, bool is_causal = false,
                                    std::optional<double> scale = std::nullopt);

// The float (L, S) mask with -inf above the diagonal (key j > query i) and 0 elsewhere.
Tensor causal_mask(int64_t target_length, int64_t source_length, TensorOptions options = {});

}  // namespace functional

struct MultiheadAttentionForward {
  Tensor key_padding_mask{};  // (N, S) or (S) unbatched: bool (true = ignore) or floating (added)
  Tensor attn_mask{};         // (L, S) or (N * num_heads, L, S): bool (true = ignore) or floating (added)
  bool need_weights = true;
  bool average_attn_weights = true;  // weights (N, L, S) averaged over heads, else (N, num_heads, L, S)
  // Without attn_mask: a causal mask. With one, attn_mask is used as given (PyTorch's "hint").
  bool is_causal = false;
};

// query (N, L, E), key (N, S, E), value (N, S, E) with batch_first, else
// (L, N, E) / (S, N, E); unbatched (L, E) / (S, E) too. Output has query's
// layout; weights come out (N, L, S) (unbatched: (L, S)) or undefined
// without need_weights.
//
// Parameters, in PyTorch's order and names: in_proj_weight (3E, E) holding
// the q, k, v projections stacked, in_proj_bias (3E), out_proj (Linear E -> E).
// NOTE: PyTorch's kdim/vdim, add_bias_kv and add_zero_attn are not supported.
class MultiheadAttention : public Module {
 public:
  MultiheadAttention(int64_t embed_dim, int64_t num_heads, double dropout = 0.0, bool bias = true,
                     bool batch_first = true, TensorOptions options = {});

  // (output, weights).
  std::pair<Tensor, Tensor> forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const MultiheadAttentionForward& options = {});
  // Self-attention without masks: forward(x, x, x).first (so it fits Sequential).
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  int64_t embed_dim() const { return embed_dim_; }
  int64_t num_heads() const { return num_heads_; }
  const Tensor& in_proj_weight() const { return in_proj_weight_; }
  const Tensor& in_proj_bias() const { return in_proj_bias_; }  // undefined without bias
  const std::shared_ptr<Linear>& out_proj() const { return out_proj_; }

 private:
  int64_t embed_dim_, num_heads_;
  double dropout_;
  bool batch_first_;
  Tensor in_proj_weight_, in_proj_bias_;
  std::shared_ptr<Linear> out_proj_;
};

}  // namespace mini::nn
