#include "nn/layers/transformer.h"

#include "autograd/autograd.h"

namespace mini::nn {

TransformerEncoderLayer::TransformerEncoderLayer(const TransformerEncoderLayerOptions& options,
                                                 TensorOptions tensor_options)
    : Module("TransformerEncoderLayer"), options_(options) {
  MINI_CHECK(options.dim_feedforward > 0, "TransformerEncoderLayer: dim_feedforward must be positive, got {}",
             options.dim_feedforward);
  // Registration order is PyTorch's, so named_parameters() lists the same names in the same order.
  self_attn = register_module(
      "self_attn", std::make_shared<MultiheadAttention>(options.d_model, options.nhead, options.dropout, /*bias=*/true,
                                                        options.batch_first, tensor_options));
  linear1 = register_module("linear1",
                            std::make_shared<Linear>(options.d_model, options.dim_feedforward, true, tensor_options));
  dropout = register_module("dropout", std::make_shared<Dropout>(options.dropout));
  linear2 = register_module("linear2",
                            std::make_shared<Linear>(options.dim_feedforward, options.d_model, true, tensor_options));
  norm1 = register_module(
      "norm1", std::make_shared<LayerNorm>(Shape{options.d_model}, options.layer_norm_eps, true, true, tensor_options));
  norm2 = register_module(
      "norm2", std::make_shared<LayerNorm>(Shape{options.d_model}, options.layer_norm_eps, true, true, tensor_options));
  dropout1 = register_module("dropout1", std::make_shared<Dropout>(options.dropout));
  dropout2 = register_module("dropout2", std::make_shared<Dropout>(options.dropout));
}

Tensor TransformerEncoderLayer::self_attention_block(const Tensor& x, const TransformerMasks& masks) {
  const Tensor attended = self_attn
                              ->forward(x, x, x,
                                        {.key_padding_mask = masks.src_key_padding_mask,
                                         .attn_mask = masks.src_mask,
                                         .need_weights = false,
                                         .is_causal = masks.is_causal})
                              .first;
  return (*dropout1)(attended);
}

Tensor TransformerEncoderLayer::feed_forward_block(const Tensor& x) {
  Tensor hidden = (*linear1)(x);
  hidden = options_.activation == TransformerActivation::relu ? mini::relu(hidden) : mini::gelu(hidden);
  return (*dropout2)((*linear2)((*dropout)(hidden)));
}

Tensor TransformerEncoderLayer::forward(const Tensor& src, const TransformerMasks& masks) {
  Tensor x = src;
  if (options_.norm_first) {
    x = mini::add(x, self_attention_block((*norm1)(x), masks));
    return mini::add(x, feed_forward_block((*norm2)(x)));
  }
  x = (*norm1)(mini::add(x, self_attention_block(x, masks)));
  return (*norm2)(mini::add(x, feed_forward_block(x)));
}

std::string TransformerEncoderLayer::extra_repr() const {
  return fmt::format("d_model={}, nhead={}, dim_feedforward={}, dropout={}, activation={}, norm_first={}",
                     options_.d_model, options_.nhead, options_.dim_feedforward, options_.dropout,
                     options_.activation == TransformerActivation::relu ? "relu" : "gelu", options_.norm_first);
}

TransformerEncoder::TransformerEncoder(const TransformerEncoderLayerOptions& layer_options, int64_t num_layers,
                                       bool final_norm, TensorOptions tensor_options, EncoderLayerInit layer_init)
    : Module("TransformerEncoder") {
  MINI_CHECK(num_layers >= 0, "TransformerEncoder: num_layers must be non-negative, got {}", num_layers);
  layers = register_module("layers", std::make_shared<ModuleList>());
  for (int64_t i = 0; i < num_layers; ++i) {
    auto layer = std::make_shared<TransformerEncoderLayer>(layer_options, tensor_options);
    // A clone copies the values into its own tensors (a deepcopy), so the layers still train apart.
    if (layer_init == EncoderLayerInit::clone_first && i > 0) layer->load_state_dict((*layers)[0]->state_dict());
    layers->push_back(std::move(layer));
  }
  if (final_norm) {
    norm =
        register_module("norm", std::make_shared<LayerNorm>(Shape{layer_options.d_model}, layer_options.layer_norm_eps,
                                                            true, true, tensor_options));
  }
}

Tensor TransformerEncoder::forward(const Tensor& src, const TransformerMasks& masks) {
  Tensor x = src;
  for (int64_t i = 0; i < layers->size(); ++i) {
    auto layer = std::static_pointer_cast<TransformerEncoderLayer>((*layers)[i]);
    // By value: a checkpointing wrapper keeps the function to re-run it in backward.
    x = layer->run_forward([layer, masks](const Tensor& in) { return layer->forward(in, masks); }, x);
  }
  return norm ? (*norm)(x) : x;
}

}  // namespace mini::nn
