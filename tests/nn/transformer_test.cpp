// TransformerEncoderLayer / TransformerEncoder: PyTorch's parameter names,
// gradcheck in float64 (post-norm and pre-norm), the formula of each variant,
// causal and padding masks, layouts, dropout modes and errors; GPT's
// causality and that it memorises a short byte string.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nn_testing.h"

namespace mini::nn {
namespace {

using testing::leaf;
using testing::random_tensor;

TransformerEncoderLayerOptions tiny(bool norm_first, TransformerActivation activation = TransformerActivation::relu) {
  return {.d_model = 4,
          .nhead = 2,
          .dim_feedforward = 6,
          .dropout = 0.0,
          .activation = activation,
          .norm_first = norm_first};
}

std::shared_ptr<TransformerEncoderLayer> make_layer(const TransformerEncoderLayerOptions& options, uint64_t seed) {
  manual_seed(seed);
  auto layer = std::make_shared<TransformerEncoderLayer>(options, TensorOptions{.dtype = DType::f64});
  // Non-trivial norms and attention biases, so every parameter's gradient matters.
  for (const Tensor& p : {layer->norm1->weight(), layer->norm1->bias(), layer->norm2->weight(), layer->norm2->bias(),
                          layer->self_attn->in_proj_bias(), layer->self_attn->out_proj()->bias()}) {
    init::normal_(p);
  }
  return layer;
}

TEST(TransformerEncoderLayer, HasPyTorchParameterNamesInOrder) {
  TransformerEncoderLayer layer({.d_model = 8, .nhead = 2, .dim_feedforward = 16});
  std::vector<std::string> names;
  for (const auto& [name, p] : layer.named_parameters()) names.push_back(name);
  EXPECT_THAT(names,
              ::testing::ElementsAre("self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
                                     "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
                                     "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"));
  std::vector<std::string> children;
  for (const auto& [name, child] : layer.named_children()) children.push_back(name);
  EXPECT_THAT(children, ::testing::ElementsAre("self_attn", "linear1", "dropout", "linear2", "norm1", "norm2",
                                               "dropout1", "dropout2"));
}

void expect_layer_gradcheck(const std::shared_ptr<TransformerEncoderLayer>& layer, const TransformerMasks& masks) {
  std::vector<Tensor> inputs{leaf({2, 3, 4}, 100)};
  for (const Tensor& p : layer->parameters()) inputs.push_back(p);
  auto fn = [layer, masks](const std::vector<Tensor>& in) { return std::vector<Tensor>{layer->forward(in[0], masks)}; };
  EXPECT_GRADCHECK(fn, inputs);
}

TEST(TransformerEncoderLayer, GradcheckPostNormReluWithPaddingMask) {
  const Tensor padding = ops::from_vector<bool>({false, false, true, false, false, false}, {2, 3});
  expect_layer_gradcheck(make_layer(tiny(false), 1), {.src_key_padding_mask = padding});
}

TEST(TransformerEncoderLayer, GradcheckPreNormGeluWithCausalMask) {
  expect_layer_gradcheck(make_layer(tiny(true, TransformerActivation::gelu), 2), {.is_causal = true});
}

// The two formulas, written out with the layer's own submodules.
TEST(TransformerEncoderLayer, FollowsThePostNormAndPreNormFormulas) {
  const Tensor x = random_tensor({2, 3, 4}, DType::f64, 3);
  for (const bool norm_first : {false, true}) {
    auto layer = make_layer(tiny(norm_first), 4);
    auto attend = [&](const Tensor& h) { return layer->self_attn->forward(h, h, h).first; };
    auto feed_forward = [&](const Tensor& h) { return (*layer->linear2)(mini::relu((*layer->linear1)(h))); };
    Tensor expected;
    if (norm_first) {
      const Tensor h = x + attend((*layer->norm1)(x));
      expected = h + feed_forward((*layer->norm2)(h));
    } else {
      const Tensor h = (*layer->norm1)(x + attend(x));
      expected = (*layer->norm2)(h + feed_forward(h));
    }
    testing::expect_close((*layer)(x).detach(), expected.detach());
  }
}

TEST(TransformerEncoderLayer, CausalMaskKeepsEarlierPositionsIndependentOfLaterOnes) {
  auto layer = make_layer(tiny(true), 5);
  const Tensor x = random_tensor({1, 4, 4}, DType::f64, 6);
  const Tensor y = ops::cat({ops::narrow(x, 1, 0, 2), random_tensor({1, 2, 4}, DType::f64, 7)}, 1);
  const Tensor out_x = layer->forward(x, {.is_causal = true}).detach();
  const Tensor out_y = layer->forward(y, {.is_causal = true}).detach();
  testing::expect_close(ops::narrow(out_y, 1, 0, 2), ops::narrow(out_x, 1, 0, 2));
  // Without the mask position 0 sees the changed positions.
  EXPECT_FALSE(ops::allclose(ops::narrow((*layer)(y).detach(), 1, 0, 2), ops::narrow((*layer)(x).detach(), 1, 0, 2)));
}

TEST(TransformerEncoderLayer, SequenceFirstLayoutIsTheTransposeOfBatchFirst) {
  auto batch_first = make_layer(tiny(false), 8);
  TransformerEncoderLayerOptions options = tiny(false);
  options.batch_first = false;
  auto sequence_first = make_layer(options, 9);
  sequence_first->load_state_dict(batch_first->state_dict());
  const Tensor x = random_tensor({2, 5, 4}, DType::f64, 10);
  testing::expect_close(ops::transpose((*sequence_first)(ops::transpose(x, 0, 1)).detach(), 0, 1),
                        (*batch_first)(x).detach());
}

TEST(TransformerEncoderLayer, DropoutOnlyInTraining) {
  manual_seed(11);
  TransformerEncoderLayer layer({.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.5});
  const Tensor x = random_tensor({2, 3, 8}, DType::f32, 12);
  EXPECT_FALSE(ops::allclose(layer(x).detach(), layer(x).detach()));
  layer.eval();
  EXPECT_TRUE(ops::equal(layer(x).detach(), layer(x).detach()));
}

TEST(TransformerEncoderLayer, RejectsBadInputNamingShapes) {
  EXPECT_THAT([] { TransformerEncoderLayer({.d_model = 6, .nhead = 4}); },
              ::testing::ThrowsMessage<ValueError>(::testing::HasSubstr("embed_dim=6")));
  TransformerEncoderLayer layer({.d_model = 4, .nhead = 2, .dim_feedforward = 8});
  EXPECT_THAT(
      [&] {
        layer(ops::zeros({2, 3, 5}));
      },
      ::testing::ThrowsMessage<ValueError>(::testing::HasSubstr("query (2, 3, 5)")));
}

TEST(TransformerEncoder, StacksNamedLayersAndAppliesTheFinalNorm) {
  manual_seed(13);
  TransformerEncoder encoder(tiny(true), 2, /*final_norm=*/true, {.dtype = DType::f64});
  const auto names = encoder.named_parameters();
  ASSERT_EQ(names.size(), 2 * 12 + 2u);
  EXPECT_EQ(names[0].first, "layers.0.self_attn.in_proj_weight");
  EXPECT_EQ(names[12].first, "layers.1.self_attn.in_proj_weight");
  EXPECT_EQ(names[24].first, "norm.weight");
  const Tensor x = random_tensor({2, 3, 4}, DType::f64, 14);
  auto first = std::static_pointer_cast<TransformerEncoderLayer>((*encoder.layers)[0]);
  auto second = std::static_pointer_cast<TransformerEncoderLayer>((*encoder.layers)[1]);
  const TransformerMasks causal{.is_causal = true};
  testing::expect_close(encoder.forward(x, causal).detach(),
                        (*encoder.norm)(second->forward(first->forward(x, causal), causal)).detach());
}

// Every parameter of layers.i equals layers.0's (values only).
bool layers_start_equal(TransformerEncoder& encoder) {
  const StateDict first = (*encoder.layers)[0]->state_dict();
  for (int64_t i = 1; i < encoder.layers->size(); ++i) {
    for (const auto& [name, tensor] : (*encoder.layers)[i]->state_dict()) {
      if (!ops::equal(tensor, first.at(name))) return false;
    }
  }
  return true;
}

TEST(TransformerEncoder, ClonesTheFirstLayerByDefaultAsPyTorch) {
  manual_seed(15);
  TransformerEncoder encoder(tiny(false), 3);
  EXPECT_TRUE(layers_start_equal(encoder));
  // A deep copy: the clones own their tensors, so training one leaves the others alone.
  const Tensor first = (*encoder.layers)[0]->named_parameters().front().second;
  const Tensor second = (*encoder.layers)[1]->named_parameters().front().second;
  EXPECT_NE(first.impl(), second.impl());
  {
    NoGradGuard no_grad;
    first.fill_(3.0);
  }
  EXPECT_FALSE(ops::equal(first, second));
}

TEST(TransformerEncoder, IndependentInitDrawsEachLayerSeparately) {
  manual_seed(15);
  TransformerEncoder encoder(tiny(false), 3, /*final_norm=*/false, {}, EncoderLayerInit::independent);
  const auto names = encoder.named_parameters();
  EXPECT_FALSE(ops::equal(names[0].second, names[12].second)) << names[0].first << " vs " << names[12].first;
  EXPECT_FALSE(ops::equal(names[12].second, names[24].second)) << names[12].first << " vs " << names[24].first;
}

// The wrapper keeps the layer call (with its masks) to re-run it in backward,
// after forward() has returned and the caller's masks are gone.
TEST(TransformerEncoder, CheckpointedLayersWithMasksGiveThePlainGradients) {
  auto run = [](bool checkpointed) {
    manual_seed(16);
    TransformerEncoder encoder(tiny(true), 2, /*final_norm=*/true, {.dtype = DType::f64},
                               EncoderLayerInit::independent);
    if (checkpointed) {
      for (const ModulePtr& layer : encoder.layers->children()) {
        layer->set_forward_wrapper(
            [](const Module::ForwardFunction& forward, const Tensor& x) { return mini::checkpoint(forward, x); });
      }
    }
    const Tensor x = leaf({2, 3, 4}, 17);
    Tensor loss = encoder
                      .forward(x, {.src_key_padding_mask = ops::from_vector<bool>({false, true, false, false, false,
                                                                                   true},
                                                                                  {2, 3}),
                                   .is_causal = true})
                      .pow(2)
                      .sum();
    loss.backward();
    std::vector<Tensor> grads{x.grad()};
    for (const Tensor& p : encoder.parameters()) grads.push_back(p.grad());
    return grads;
  };
  const std::vector<Tensor> plain = run(false), checkpointed = run(true);
  ASSERT_EQ(plain.size(), checkpointed.size());
  for (size_t i = 0; i < plain.size(); ++i) testing::expect_close(checkpointed[i], plain[i], std::to_string(i));
}

// ---- GPT ----

GPTConfig tiny_gpt() { return {.vocab_size = 256, .block_size = 32, .n_layer = 2, .n_head = 2, .n_embd = 32}; }

Tensor bytes_of(const std::string& text) {
  std::vector<int64_t> values(text.begin(), text.end());
  return ops::from_vector(values, {1, static_cast<int64_t>(values.size())});
}

TEST(GPT, TiesTheHeadToTheTokenEmbeddingAndShapesLogits) {
  manual_seed(20);
  GPT gpt(tiny_gpt());
  std::vector<std::string> names;
  for (const auto& [name, p] : gpt.named_parameters()) names.push_back(name);
  EXPECT_EQ(names.front(), "wte.weight");
  EXPECT_EQ(names[1], "wpe.weight");
  EXPECT_EQ(names.back(), "ln_f.bias");
  EXPECT_EQ(names.size(), 2 + 2 * 12 + 2u);  // no separate head weight
  EXPECT_EQ(gpt(bytes_of("hello")).sizes(), (Shape{1, 5, 256}));
}

TEST(GPT, BlocksDrawTheirOwnInitialValues) {
  manual_seed(20);
  GPT gpt(tiny_gpt());
  const Tensor first = (*gpt.h)[0]->named_parameters().front().second;
  const Tensor second = (*gpt.h)[1]->named_parameters().front().second;
  EXPECT_FALSE(ops::allclose(first, second));
}

TEST(GPT, LogitsAtAPositionIgnoreLaterTokens) {
  manual_seed(21);
  GPT gpt(tiny_gpt());
  const Tensor a = gpt(bytes_of("abcdef")).detach(), b = gpt(bytes_of("abcXYZ")).detach();
  testing::expect_close(ops::narrow(b, 1, 0, 3), ops::narrow(a, 1, 0, 3));
  EXPECT_FALSE(ops::allclose(ops::narrow(b, 1, 3, 1), ops::narrow(a, 1, 3, 1)));
}

TEST(GPT, RejectsSequencesLongerThanTheBlock) {
  GPT gpt(tiny_gpt());
  EXPECT_THAT(
      [&] {
        gpt(ops::zeros({1, 33}, {.dtype = DType::i64}));
      },
      ::testing::ThrowsMessage<ValueError>(::testing::HasSubstr("sequence length 33 exceeds block_size 32")));
}

// 32 bytes, next-byte prediction: AdamW drives the loss to ~0 and greedy
// decoding from the first byte reproduces the string.
TEST(GPT, OverfitsAShortByteString) {
  const std::string text = "mini-engine learns 32 bytes! ok.";
  ASSERT_EQ(text.size(), 32u);
  manual_seed(22);
  GPT gpt(tiny_gpt());
  const Tensor tokens = bytes_of(text);
  const Tensor inputs = ops::narrow(tokens, 1, 0, 31), targets = ops::narrow(tokens, 1, 1, 31);
  optim::AdamW optimizer(gpt.parameters(), {.lr = 1e-2, .weight_decay = 0.0});
  double loss_value = 0;
  for (int step = 0; step < 150; ++step) {
    optimizer.zero_grad();
    const Tensor loss = cross_entropy(mini::reshape(gpt(inputs), {31, 256}), mini::reshape(targets, {31}));
    loss.backward();
    optimizer.step();
    loss_value = loss.item<double>();
  }
  EXPECT_LT(loss_value, 0.02);  // reaches about 0.002 with this seed
  gpt.eval();
  const Tensor generated = gpt.generate(ops::narrow(tokens, 1, 0, 1), 31);
  const std::vector<double> values = testing::to_doubles(generated);
  EXPECT_EQ(std::string(values.begin(), values.end()), text);
}

}  // namespace
}  // namespace mini::nn
