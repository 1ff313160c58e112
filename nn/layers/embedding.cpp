#include "nn/layers/embedding.h"

#include "autograd/autograd.h"
#include "nn/functional.h"
#include "nn/init.h"

namespace mini::nn {

Embedding::Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx,
                     TensorOptions options)
    : Module("Embedding"), num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {
  if (padding_idx) {
    MINI_CHECK(*padding_idx >= -num_embeddings && *padding_idx < num_embeddings,
               "Embedding: padding_idx {} is out of range for {} embeddings", *padding_idx, num_embeddings);
    padding_idx_ = *padding_idx < 0 ? *padding_idx + num_embeddings : *padding_idx;
  }
  weight_ = register_parameter("weight", ops::empty({num_embeddings, embedding_dim}, options));
  init::normal_(weight_);
  if (padding_idx_) init::zeros_(ops::select(weight_, 0, *padding_idx_));
}

Tensor Embedding::forward(const Tensor& indices) { return functional::embedding(weight_, indices, padding_idx_); }

std::string Embedding::extra_repr() const {
  std::string text = fmt::format("{}, {}", num_embeddings_, embedding_dim_);
  if (padding_idx_) text += fmt::format(", padding_idx={}", *padding_idx_);
  return text;
}

}  // namespace mini::nn
