#include "nn/layers/attention.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "autograd/autograd.h"
#include "nn/init.h"

namespace mini::nn {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string shape_text(const Shape& sizes) { return fmt::format("({})", fmt::join(sizes, ", ")); }

// A bool mask (true = ignore) as the additive float mask of `dtype`; a floating one cast to it.
Tensor additive_mask(const Tensor& mask, DType dtype, const char* name) {
  if (mask.dtype() == DType::b8) {
    return ops::where(mask, -kInf, ops::zeros(mask.sizes(), {.dtype = dtype, .device = mask.device()}));
  }
  MINI_CHECK(is_floating(mask.dtype()), "MultiheadAttention: {} must be bool or floating, got {}", name, mask.dtype());
  return mask.dtype() == dtype ? mask : mini::to_dtype(mask, dtype);
}

// MultiheadAttention's masks as one additive mask broadcastable to the scores
// (N, H, L, S) of dtype/device `options`, or undefined when there is none.
// With include_causal = false the causal mask is left to the caller (the fused
// attention op applies it without materialising it).
Tensor combined_mask(const MultiheadAttentionForward& masks, bool batched, int64_t batch, int64_t num_heads,
                     int64_t target_length, int64_t source_length, TensorOptions options, bool include_causal) {
  Tensor mask;
  if (masks.attn_mask.defined()) {
    const Tensor& attn_mask = masks.attn_mask;
    const bool is_2d = attn_mask.dim() == 2 && attn_mask.size(0) == target_length && attn_mask.size(1) == source_length;
    const bool is_3d = attn_mask.dim() == 3 && attn_mask.size(0) == batch * num_heads &&
                       attn_mask.size(1) == target_length && attn_mask.size(2) == source_length;
    MINI_CHECK(is_2d || is_3d, "MultiheadAttention: attn_mask {} must be ({}, {}) or ({}, {}, {})",
               shape_text(attn_mask.sizes()), target_length, source_length, batch * num_heads, target_length,
               source_length);
    mask = mini::reshape(
        additive_mask(attn_mask, options.dtype, "attn_mask"),
        is_2d ? Shape{1, 1, target_length, source_length} : Shape{batch, num_heads, target_length, source_length});
  } else if (masks.is_causal && include_causal) {
    mask = functional::causal_mask(target_length, source_length, options);
  }
  if (masks.key_padding_mask.defined()) {
    const Tensor& padding = masks.key_padding_mask;
    const Shape expected = batched ? Shape{batch, source_length} : Shape{source_length};
    MINI_CHECK(padding.sizes() == expected, "MultiheadAttention: key_padding_mask {} must be {}",
               shape_text(padding.sizes()), shape_text(expected));
    const Tensor padding_mask =
        mini::reshape(additive_mask(padding, options.dtype, "key_padding_mask"), {batch, 1, 1, source_length});
    mask = mask.defined() ? mini::add(mask, padding_mask) : padding_mask;
  }
  return mask;
}

}  // namespace

namespace functional {

Tensor causal_mask(int64_t target_length, int64_t source_length, TensorOptions options) {
  // future(i, j) = j > i: (L, 1) against (1, S).
  const Tensor rows =
      ops::unsqueeze(ops::arange(0, target_length, 1, {.dtype = DType::i64, .device = options.device}), 1);
  const Tensor cols =
      ops::unsqueeze(ops::arange(0, source_length, 1, {.dtype = DType::i64, .device = options.device}), 0);
  return ops::where(ops::gt(cols, rows), -kInf, ops::zeros({target_length, source_length}, options));
}

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask,
                                    double dropout_p, bool is_causal, std::optional<double> scale) {
  MINI_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2,
             "scaled_dot_product_attention: q {}, k {}, v {} need at least 2 dims (..., L, E)", shape_text(q.sizes()),
             shape_text(k.sizes()), shape_text(v.sizes()));
  MINI_CHECK(q.size(-1) == k.size(-1), "scaled_dot_product_attention: q {} and k {} differ in the last dim",
             shape_text(q.sizes()), shape_text(k.sizes()));
  MINI_CHECK(k.size(-2) == v.size(-2), "scaled_dot_product_attention: k {} and v {} differ in the key length (dim -2)",
             shape_text(k.sizes()), shape_text(v.sizes()));
  MINI_CHECK(!(is_causal && attn_mask.defined()),
             "scaled_dot_product_attention: give either attn_mask {} or is_causal, not both",
             shape_text(attn_mask.sizes()));
  MINI_CHECK(dropout_p >= 0 && dropout_p <= 1, "scaled_dot_product_attention: dropout_p must be in [0, 1], got {}",
             dropout_p);
  const int64_t target_length = q.size(-2), source_length = k.size(-2);
  const double factor = scale ? *scale : 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  if (attn_mask.defined()) {
    const int64_t d = attn_mask.dim();
    MINI_CHECK(d >= 1 && attn_mask.size(-1) == source_length &&
                   (d < 2 || attn_mask.size(-2) == target_length || attn_mask.size(-2) == 1),
               "scaled_dot_product_attention: attn_mask {} does not broadcast to the scores (..., {}, {})",
               shape_text(attn_mask.sizes()), target_length, source_length);
    MINI_CHECK(attn_mask.dtype() == DType::b8 || is_floating(attn_mask.dtype()),
               "scaled_dot_product_attention: attn_mask must be bool or floating, got {}", attn_mask.dtype());
  }
  // The fused op takes (N, H, L, E) operands with the same leading dims; other
  // layouts (broadcast batch dims, dropout, a mask that needs a gradient) take the ops below.
  const bool same_batch = q.dim() == k.dim() && q.dim() == v.dim() && (q.dim() == 3 || q.dim() == 4) &&
                          std::equal(q.sizes().begin(), q.sizes().end() - 2, k.sizes().begin()) &&
                          std::equal(q.sizes().begin(), q.sizes().end() - 2, v.sizes().begin());
  if (dropout_p == 0 && same_batch && is_floating(q.dtype()) && k.dtype() == q.dtype() && v.dtype() == q.dtype() &&
      !(attn_mask.defined() && attn_mask.requires_grad())) {
    const bool unheaded = q.dim() == 3;
    auto as_4d = [unheaded](const Tensor& x) { return unheaded ? mini::unsqueeze(x, 1) : x; };
    Tensor mask;
    if (attn_mask.defined()) {
      // true = take part, here (F.scaled_dot_product_attention's convention).
      mask = attn_mask.dtype() == DType::b8
                 ? ops::where(attn_mask, ops::zeros(attn_mask.sizes(), {.dtype = q.dtype(), .device = q.device()}),
                              -kInf)
                 : ops::to_dtype(attn_mask.detach(), q.dtype());
      if (unheaded && mask.dim() == 3) mask = ops::unsqueeze(mask, 1);
    }
    const Tensor out = mini::attention(as_4d(q), as_4d(k), as_4d(v), mask, factor, is_causal);
    return unheaded ? mini::squeeze(out, 1) : out;
  }
  // scores: (..., L, S)
  Tensor scores = mini::matmul(mini::mul(q, factor), mini::transpose(k, -2, -1));
  if (is_causal) {
    scores = mini::add(scores, causal_mask(target_length, source_length, {.dtype = q.dtype(), .device = q.device()}));
  }
  if (attn_mask.defined()) {
    scores = attn_mask.dtype() == DType::b8 ? mini::where(attn_mask, scores, -kInf) : mini::add(scores, attn_mask);
  }
  Tensor weights = mini::softmax(scores, -1);
  if (dropout_p > 0) weights = mini::dropout(weights, dropout_p, true);
  return mini::matmul(weights, v);
}

}  // namespace functional

MultiheadAttention::MultiheadAttention(int64_t embed_dim, int64_t num_heads, double dropout, bool bias,
                                       bool batch_first, TensorOptions options)
    : Module("MultiheadAttention"),
      embed_dim_(embed_dim),
      num_heads_(num_heads),
      dropout_(dropout),
      batch_first_(batch_first) {
  MINI_CHECK(embed_dim > 0 && num_heads > 0 && embed_dim % num_heads == 0,
             "MultiheadAttention: embed_dim={} must be positive and divisible by num_heads={}", embed_dim, num_heads);
  MINI_CHECK(dropout >= 0 && dropout <= 1, "MultiheadAttention: dropout must be in [0, 1], got {}", dropout);
  in_proj_weight_ = register_parameter("in_proj_weight", ops::empty({3 * embed_dim, embed_dim}, options));
  if (bias) in_proj_bias_ = register_parameter("in_proj_bias", ops::zeros({3 * embed_dim}, options));
  out_proj_ = register_module("out_proj", std::make_shared<Linear>(embed_dim, embed_dim, bias, options));
  // PyTorch's _reset_parameters: xavier for the stacked projections, zero biases.
  init::xavier_uniform_(in_proj_weight_);
  if (bias) init::zeros_(out_proj_->bias());
}

std::pair<Tensor, Tensor> MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                                      const MultiheadAttentionForward& options) {
  MINI_CHECK((query.dim() == 3 || query.dim() == 2) && key.dim() == query.dim() && value.dim() == query.dim(),
             "MultiheadAttention: query {}, key {}, value {} must all be 3-d (batched) or all 2-d (unbatched)",
             shape_text(query.sizes()), shape_text(key.sizes()), shape_text(value.sizes()));
  const bool batched = query.dim() == 3;
  // Everything below works on batch-first (N, L, E).
  auto to_batch_first = [&](const Tensor& x) {
    if (!batched) return mini::unsqueeze(x, 0);
    return batch_first_ ? x : mini::transpose(x, 0, 1);
  };
  const Tensor q_in = to_batch_first(query), k_in = to_batch_first(key), v_in = to_batch_first(value);
  const int64_t batch = q_in.size(0), target_length = q_in.size(1), source_length = k_in.size(1);
  const int64_t head_dim = embed_dim_ / num_heads_;
  MINI_CHECK(q_in.size(2) == embed_dim_ && k_in.size(2) == embed_dim_ && v_in.size(2) == embed_dim_,
             "MultiheadAttention: query {}, key {}, value {} must have embed_dim={} as the last dim",
             shape_text(query.sizes()), shape_text(key.sizes()), shape_text(value.sizes()), embed_dim_);
  MINI_CHECK(k_in.size(0) == batch && v_in.size(0) == batch && v_in.size(1) == source_length,
             "MultiheadAttention: key {} and value {} must match query {} in batch size and each other in length",
             shape_text(key.sizes()), shape_text(value.sizes()), shape_text(query.sizes()));

  // Projections, packed as PyTorch's _in_projection_packed when inputs coincide: (N, L|S, E) each.
  auto bias_rows = [&](int64_t start, int64_t length) {
    return in_proj_bias_.defined() ? mini::narrow(in_proj_bias_, 0, start, length) : Tensor();
  };
  auto project = [&]() -> std::array<Tensor, 3> {
    if (query.is_same(key) && key.is_same(value)) {
      const std::vector<Tensor> qkv = mini::chunk(mini::linear(q_in, in_proj_weight_, in_proj_bias_), 3, -1);
      return {qkv[0], qkv[1], qkv[2]};
    }
    const Tensor q = mini::linear(q_in, mini::narrow(in_proj_weight_, 0, 0, embed_dim_), bias_rows(0, embed_dim_));
    if (key.is_same(value)) {
      const std::vector<Tensor> kv =
          mini::chunk(mini::linear(k_in, mini::narrow(in_proj_weight_, 0, embed_dim_, 2 * embed_dim_),
                                   bias_rows(embed_dim_, 2 * embed_dim_)),
                      2, -1);
      return {q, kv[0], kv[1]};
    }
    return {q,
            mini::linear(k_in, mini::narrow(in_proj_weight_, 0, embed_dim_, embed_dim_),
                         bias_rows(embed_dim_, embed_dim_)),
            mini::linear(v_in, mini::narrow(in_proj_weight_, 0, 2 * embed_dim_, embed_dim_),
                         bias_rows(2 * embed_dim_, embed_dim_))};
  };
  // (N, T, E) -> (N, H, T, D)
  auto split_heads = [&](const Tensor& x, int64_t length) {
    return mini::transpose(mini::reshape(x, {batch, length, num_heads_, head_dim}), 1, 2);
  };
  // heads (N, L, E) -> out_proj, back in the caller's layout.
  auto finish = [&](const Tensor& heads) {
    Tensor output = (*out_proj_)(heads);
    if (!batched) return mini::squeeze(output, 0);
    return batch_first_ ? output : mini::transpose(output, 0, 1);
  };

  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  const bool dropping = dropout_ > 0 && is_training();
  // The fused attention op serves every call that returns no weights and drops
  // nothing; it applies the causal mask itself instead of adding an (L, S) tensor.
  if (!options.need_weights && !dropping) {
    const bool causal = options.is_causal && !options.attn_mask.defined();
    const Tensor mask = combined_mask(options, batched, batch, num_heads_, target_length, source_length,
                                      {.dtype = in_proj_weight_.dtype(), .device = in_proj_weight_.device()}, false);
    if (!(mask.defined() && mask.requires_grad())) {
      if (query.is_same(key) && key.is_same(value)) {
        return {finish(mini::packed_self_attention(mini::linear(q_in, in_proj_weight_, in_proj_bias_), num_heads_,
                                                   mask, scale, causal)),
                Tensor()};
      }
      const auto [q, k, v] = project();
      const Tensor out = mini::attention(split_heads(q, target_length), split_heads(k, source_length),
                                         split_heads(v, source_length), mask, scale, causal);  // (N, H, L, D)
      // out's memory is (N, L, H, D): merging the heads is a view.
      return {finish(mini::reshape(mini::transpose(out, 1, 2), {batch, target_length, embed_dim_})), Tensor()};
    }
  }

  auto [q, k, v] = project();
  q = split_heads(q, target_length);
  k = split_heads(k, source_length);
  v = split_heads(v, source_length);
  const Tensor mask = combined_mask(options, batched, batch, num_heads_, target_length, source_length,
                                    {.dtype = q.dtype(), .device = q.device()}, true);
  // PyTorch scales q before the product (q / sqrt(D)), so rounding matches its results.
  Tensor scores = mini::matmul(mini::div(q, std::sqrt(static_cast<double>(head_dim))), mini::transpose(k, -2, -1));
  if (mask.defined()) scores = mini::add(scores, mask);
  Tensor weights = mini::softmax(scores, -1);  // (N, H, L, S)
  if (dropping) weights = mini::dropout(weights, dropout_, true);
  // (N, H, L, D) -> (N, L, E)
  const Tensor output =
      finish(mini::reshape(mini::transpose(mini::matmul(weights, v), 1, 2), {batch, target_length, embed_dim_}));
  if (!options.need_weights) return {output, Tensor()};
  if (options.average_attn_weights) weights = mini::mean(weights, {1});
  if (!batched) weights = mini::squeeze(weights, 0);
  return {output, weights};
}

Tensor MultiheadAttention::forward(const Tensor& x) { return forward(x, x, x, {.need_weights = false}).first; }

std::string MultiheadAttention::extra_repr() const {
  return fmt::format("embed_dim={}, num_heads={}, dropout={}, bias={}, batch_first={}", embed_dim_, num_heads_,
                     dropout_, in_proj_bias_.defined(), batch_first_);
}

}  // namespace mini::nn
