#pragma once
// Embedding: a lookup table weight (num_embeddings, embedding_dim), weight
// ~ N(0, 1). indices (*) integer -> (*, embedding_dim). The row at
// padding_idx starts at zero and gets no gradient.
#include <optional>

#include "nn/module.h"
#include "tensor/options.h"

namespace mini::nn {

class Embedding : public Module {
 public:
  // A negative padding_idx counts from the end.
  Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx = std::nullopt,
            TensorOptions options = {});
  Tensor forward(const Tensor& indices) override;
  std::string extra_repr() const override;

  const Tensor& weight() const { return weight_; }
  std::optional<int64_t> padding_idx() const { return padding_idx_; }

 private:
  int64_t num_embeddings_, embedding_dim_;
  std::optional<int64_t> padding_idx_;
  Tensor weight_;
};

}  // namespace mini::nn
