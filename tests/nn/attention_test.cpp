// Attention: scaled_dot_product_attention against a plain double reference,
// its mask conventions, MultiheadAttention's gradients (gradcheck in float64
// with padding and causal masks), that masked keys cannot influence the
// output, layouts and shapes, and errors naming shapes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "nn_testing.h"

namespace mini::nn {
namespace {

using testing::leaf;
using testing::random_tensor;
using testing::to_doubles;

constexpr double kInf = std::numeric_limits<double>::infinity();

// softmax(q k^T / sqrt(E) + mask) v in double, q (B, L, E), k (B, S, E), v (B, S, Ev), mask (L, S) additive.
std::vector<double> attention_reference(const Tensor& q, const Tensor& k, const Tensor& v,
                                        const std::vector<double>& mask) {
  const int64_t batch = q.size(0), target = q.size(1), source = k.size(1), dim = q.size(2), value_dim = v.size(2);
  const std::vector<double> qs = to_doubles(q), ks = to_doubles(k), vs = to_doubles(v);
  std::vector<double> out(static_cast<size_t>(batch * target * value_dim), 0.0);
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t i = 0; i < target; ++i) {
      std::vector<double> scores(static_cast<size_t>(source));
      double max_score = -kInf;
      for (int64_t j = 0; j < source; ++j) {
        double dot = 0;
        for (int64_t e = 0; e < dim; ++e) dot += qs[(b * target + i) * dim + e] * ks[(b * source + j) * dim + e];
        scores[j] = dot / std::sqrt(static_cast<double>(dim)) + mask[i * source + j];
        max_score = std::max(max_score, scores[j]);
      }
      double total = 0;
      for (double& s : scores) total += (s = std::exp(s - max_score));
      for (int64_t j = 0; j < source; ++j) {
        for (int64_t e = 0; e < value_dim; ++e) {
          out[(b * target + i) * value_dim + e] += scores[j] / total * vs[(b * source + j) * value_dim + e];
        }
      }
    }
  }
  return out;
}

void expect_doubles_near(const Tensor& actual, const std::vector<double>& expected) {
  const std::vector<double> values = to_doubles(actual);
  ASSERT_EQ(values.size(), expected.size());
  const double rtol = testing::rtol_for(actual.dtype()), atol = testing::atol_for(actual.dtype());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_NEAR(values[i], expected[i], atol + rtol * std::abs(expected[i])) << "at flat index " << i;
  }
}

std::vector<double> causal_values(int64_t target, int64_t source) {
  std::vector<double> mask(static_cast<size_t>(target * source), 0.0);
  for (int64_t i = 0; i < target; ++i) {
    for (int64_t j = i + 1; j < source; ++j) mask[i * source + j] = -kInf;
  }
  return mask;
}

TEST(ScaledDotProductAttention, MatchesReferenceWithFloatMask) {
  for (DType dtype : {DType::f32, DType::f64}) {
    const Tensor q = random_tensor({2, 3, 5}, dtype, 1), k = random_tensor({2, 7, 5}, dtype, 2),
                 v = random_tensor({2, 7, 4}, dtype, 3), mask = random_tensor({3, 7}, dtype, 4);
    const Tensor out = functional::scaled_dot_product_attention(q, k, v, mask);
    EXPECT_EQ(out.sizes(), (Shape{2, 3, 4}));
    expect_doubles_near(out, attention_reference(q, k, v, to_doubles(mask)));
  }
}

TEST(ScaledDotProductAttention, IsCausalMatchesReferenceAndExplicitMask) {
  const Tensor q = random_tensor({2, 4, 3}, DType::f64, 5), k = random_tensor({2, 6, 3}, DType::f64, 6),
               v = random_tensor({2, 6, 2}, DType::f64, 7);
  const Tensor causal = functional::scaled_dot_product_attention(q, k, v, Tensor(), 0.0, /*is_causal=*/true);
  expect_doubles_near(causal, attention_reference(q, k, v, causal_values(4, 6)));
  testing::expect_close(
      functional::scaled_dot_product_attention(q, k, v, functional::causal_mask(4, 6, {.dtype = DType::f64})), causal);
}

// NOTE [mask conventions]: for the function, true means the key takes part.
TEST(ScaledDotProductAttention, BoolMaskTrueMeansTakePart) {
  const Tensor q = random_tensor({1, 3, 4}, DType::f64, 8), k = random_tensor({1, 3, 4}, DType::f64, 9),
               v = random_tensor({1, 3, 2}, DType::f64, 10);
  const Tensor allowed = ops::ge(ops::unsqueeze(ops::arange(0, 3, 1), 1), ops::unsqueeze(ops::arange(0, 3, 1), 0));
  testing::expect_close(functional::scaled_dot_product_attention(q, k, v, allowed),
                        functional::scaled_dot_product_attention(q, k, v, Tensor(), 0.0, true));
}

TEST(ScaledDotProductAttention, BroadcastsLeadingDimsAndHonoursScale) {
  const Tensor q = random_tensor({2, 3, 4, 5}, DType::f64, 11), k = random_tensor({3, 6, 5}, DType::f64, 12),
               v = random_tensor({1, 6, 2}, DType::f64, 13);
  const Tensor out = functional::scaled_dot_product_attention(q, k, v, Tensor(), 0.0, false, 0.5);
  EXPECT_EQ(out.sizes(), (Shape{2, 3, 4, 2}));
  // scale 0.5 on q equals the default scale 1/sqrt(5) on q * 0.5 * sqrt(5).
  testing::expect_close(out, functional::scaled_dot_product_attention(ops::mul(q, 0.5 * std::sqrt(5.0)), k, v));
}

TEST(ScaledDotProductAttention, RejectsMismatchedShapesNamingThem) {
  const Tensor q = ops::zeros({2, 3, 4}), k = ops::zeros({2, 5, 3}), v = ops::zeros({2, 5, 2});
  EXPECT_THAT([&] { functional::scaled_dot_product_attention(q, k, v); },
              ::testing::ThrowsMessage<ValueError>(::testing::HasSubstr("q (2, 3, 4) and k (2, 5, 3)")));
  EXPECT_THAT(
      [&] {
        functional::scaled_dot_product_attention(q, ops::zeros({2, 5, 4}), v, ops::zeros({3, 4}));
      },
      ::testing::ThrowsMessage<ValueError>(::testing::HasSubstr("attn_mask (3, 4)")));
}

// ---- MultiheadAttention ----

std::shared_ptr<MultiheadAttention> make_mha(int64_t embed_dim, int64_t num_heads, bool batch_first = true,
                                             uint64_t seed = 0) {
  manual_seed(seed);
  auto mha = std::make_shared<MultiheadAttention>(embed_dim, num_heads, 0.0, true, batch_first,
                                                  TensorOptions{.dtype = DType::f64});
  // Nonzero biases, so their gradients are exercised.
  init::normal_(mha->in_proj_bias());
  init::normal_(mha->out_proj()->bias());
  return mha;
}

TEST(MultiheadAttention, HasPyTorchParameterNamesAndShapes) {
  auto mha = std::make_shared<MultiheadAttention>(6, 3);
  std::vector<std::string> names;
  std::vector<Shape> shapes;
  for (const auto& [name, p] : mha->named_parameters()) names.push_back(name), shapes.push_back(p.sizes());
  EXPECT_THAT(names, ::testing::ElementsAre("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"));
  EXPECT_THAT(shapes, ::testing::ElementsAre(Shape{18, 6}, Shape{18}, Shape{6, 6}, Shape{6}));
  EXPECT_EQ(std::make_shared<MultiheadAttention>(6, 3, 0.0, /*bias=*/false)->parameters().size(), 1u + 1u);
}

TEST(MultiheadAttention, GradcheckWithKeyPaddingMask) {
  auto mha = make_mha(4, 2, true, 1);
  const Tensor padding = ops::from_vector<bool>({false, false, true, false, true, true}, {2, 3});
  std::vector<Tensor> inputs{leaf({2, 2, 4}, 2), leaf({2, 3, 4}, 3), leaf({2, 3, 4}, 4)};
  for (const Tensor& p : mha->parameters()) inputs.push_back(p);
  auto fn = [mha, padding](const std::vector<Tensor>& in) {
    auto [out, weights] = mha->forward(in[0], in[1], in[2], {.key_padding_mask = padding});
    return std::vector<Tensor>{out, weights};
  };
  EXPECT_GRADCHECK(fn, inputs);
}

TEST(MultiheadAttention, GradcheckSelfAttentionWithCausalMask) {
  auto mha = make_mha(4, 2, true, 5);
  std::vector<Tensor> inputs{leaf({2, 3, 4}, 6)};
  for (const Tensor& p : mha->parameters()) inputs.push_back(p);
  auto fn = [mha](const std::vector<Tensor>& in) {
    const Tensor mask = functional::causal_mask(3, 3, {.dtype = DType::f64});
    auto [out, weights] = mha->forward(in[0], in[0], in[0], {.attn_mask = mask, .average_attn_weights = false});
    return std::vector<Tensor>{out, weights};
  };
  EXPECT_GRADCHECK(fn, inputs);
}

// A single head is out_proj(sdpa(q Wq + bq, k Wk + bk, v Wv + bv)).
TEST(MultiheadAttention, OneHeadIsProjectedScaledDotProductAttention) {
  auto mha = make_mha(4, 1, true, 7);
  const Tensor q = random_tensor({2, 3, 4}, DType::f64, 8), kv = random_tensor({2, 5, 4}, DType::f64, 9);
  const Tensor &w = mha->in_proj_weight(), &b = mha->in_proj_bias();
  auto project = [&](const Tensor& x, int64_t part) {
    return ops::linear(x, ops::narrow(w, 0, 4 * part, 4), ops::narrow(b, 0, 4 * part, 4));
  };
  const Tensor expected =
      ops::linear(functional::scaled_dot_product_attention(project(q, 0), project(kv, 1), project(kv, 2)),
                  mha->out_proj()->weight(), mha->out_proj()->bias());
  testing::expect_close(mha->forward(q, kv, kv).first.detach(), expected);
}

TEST(MultiheadAttention, PaddedKeysDoNotChangeTheOutput) {
  auto mha = make_mha(6, 2, true, 10);
  const Tensor padding = ops::from_vector<bool>({false, true, false, true, false, false, false, true}, {2, 4});
  const Tensor q = random_tensor({2, 3, 6}, DType::f64, 11), kv = random_tensor({2, 4, 6}, DType::f64, 12);
  // Other values at the padded keys only.
  const Tensor changed = ops::where(ops::unsqueeze(padding, -1), random_tensor({2, 4, 6}, DType::f64, 13), kv);
  auto [out, weights] = mha->forward(q, kv, kv, {.key_padding_mask = padding});
  auto [out_changed, weights_changed] = mha->forward(q, changed, changed, {.key_padding_mask = padding});
  testing::expect_close(out_changed.detach(), out.detach());
  // The weights on padded keys are exactly zero, and rows still sum to one.
  const std::vector<double> w = to_doubles(weights);
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t i = 0; i < 3; ++i) {
      double total = 0;
      for (int64_t j = 0; j < 4; ++j) {
        const double value = w[(b * 3 + i) * 4 + j];
        if (to_doubles(padding)[b * 4 + j] != 0) {
          EXPECT_EQ(value, 0.0);
        }
        total += value;
      }
      EXPECT_NEAR(total, 1.0, 1e-12);
    }
  }
  // Without the mask the changed keys do matter (so the test can fail).
  EXPECT_FALSE(ops::allclose(mha->forward(q, changed, changed).first.detach(), mha->forward(q, kv, kv).first.detach()));
}

TEST(MultiheadAttention, CausalOutputIgnoresLaterPositions) {
  auto mha = make_mha(4, 2, true, 14);
  const Tensor x = random_tensor({1, 5, 4}, DType::f64, 15);
  // Only position 4 changes: outputs 0..3 must not.
  const Tensor y = ops::cat({ops::narrow(x, 1, 0, 4), random_tensor({1, 1, 4}, DType::f64, 16)}, 1);
  // MultiheadAttention's bool masks: true = ignore (key j after query i).
  const Tensor future = ops::gt(ops::unsqueeze(ops::arange(0, 5, 1), 0), ops::unsqueeze(ops::arange(0, 5, 1), 1));
  for (const MultiheadAttentionForward& options :
       {MultiheadAttentionForward{.is_causal = true}, MultiheadAttentionForward{.attn_mask = future}}) {
    const Tensor out_x = mha->forward(x, x, x, options).first.detach();
    const Tensor out_y = mha->forward(y, y, y, options).first.detach();
    testing::expect_close(ops::narrow(out_y, 1, 0, 4), ops::narrow(out_x, 1, 0, 4));
    EXPECT_FALSE(ops::allclose(ops::narrow(out_y, 1, 4, 1), ops::narrow(out_x, 1, 4, 1)));
  }
}

TEST(MultiheadAttention, SequenceFirstAndUnbatchedLayoutsAgreeWithBatchFirst) {
  auto batch_first = make_mha(4, 2, true, 17);
  auto sequence_first = make_mha(4, 2, false, 18);
  sequence_first->load_state_dict(batch_first->state_dict());
  const Tensor q = random_tensor({2, 3, 4}, DType::f64, 19), kv = random_tensor({2, 5, 4}, DType::f64, 20);
  auto [out, weights] = batch_first->forward(q, kv, kv);
  EXPECT_EQ(out.sizes(), (Shape{2, 3, 4}));
  EXPECT_EQ(weights.sizes(), (Shape{2, 3, 5}));
  auto [out_t, weights_t] =
      sequence_first->forward(ops::transpose(q, 0, 1), ops::transpose(kv, 0, 1), ops::transpose(kv, 0, 1));
  EXPECT_EQ(out_t.sizes(), (Shape{3, 2, 4}));
  testing::expect_close(ops::transpose(out_t.detach(), 0, 1), out.detach());
  testing::expect_close(weights_t.detach(), weights.detach());
  auto [out_1, weights_1] = batch_first->forward(ops::select(q, 0, 1), ops::select(kv, 0, 1), ops::select(kv, 0, 1));
  EXPECT_EQ(weights_1.sizes(), (Shape{3, 5}));
  testing::expect_close(out_1.detach(), ops::select(out.detach(), 0, 1));
}

TEST(MultiheadAttention, PerHeadWeightsAverageToTheReturnedWeights) {
  auto mha = make_mha(6, 3, true, 21);
  const Tensor x = random_tensor({2, 4, 6}, DType::f64, 22);
  const Tensor per_head = mha->forward(x, x, x, {.average_attn_weights = false}).second.detach();
  EXPECT_EQ(per_head.sizes(), (Shape{2, 3, 4, 4}));
  testing::expect_close(ops::mean(per_head, {1}), mha->forward(x, x, x).second.detach());
  EXPECT_FALSE(mha->forward(x, x, x, {.need_weights = false}).second.defined());
}

TEST(MultiheadAttention, FloatAndBoolAttnMasksAgree) {
  auto mha = make_mha(4, 2, true, 23);
  const Tensor x = random_tensor({2, 3, 4}, DType::f64, 24);
  const Tensor ignore = ops::from_vector<bool>({false, true, false, false, false, true, true, false, false}, {3, 3});
  const Tensor additive = ops::where(ignore, -kInf, ops::zeros({3, 3}, {.dtype = DType::f64}));
  testing::expect_close(mha->forward(x, x, x, {.attn_mask = ignore}).first.detach(),
                        mha->forward(x, x, x, {.attn_mask = additive}).first.detach());
  // A per-(batch, head) mask (N * H, L, S) with the same mask everywhere agrees too.
  const Tensor per_head = ops::contiguous(ops::expand(ops::unsqueeze(ignore, 0), {4, 3, 3}));
  testing::expect_close(mha->forward(x, x, x, {.attn_mask = per_head}).first.detach(),
                        mha->forward(x, x, x, {.attn_mask = ignore}).first.detach());
}

TEST(MultiheadAttention, DropoutOnlyInTraining) {
  manual_seed(25);
  auto mha = std::make_shared<MultiheadAttention>(4, 2, 0.5);
  const Tensor x = random_tensor({2, 3, 4}, DType::f32, 26);
  const Tensor first = mha->forward(x).detach(), second = mha->forward(x).detach();
  EXPECT_FALSE(ops::allclose(first, second));
  mha->eval();
  EXPECT_TRUE(ops::equal(mha->forward(x).detach(), mha->forward(x).detach()));
}

TEST(MultiheadAttention, RejectsBadShapesNamingThem) {
  EXPECT_THAT([] { MultiheadAttention(6, 4); }, ::testing::ThrowsMessage<ValueError>(::testing::HasSubstr(
                                                    "embed_dim=6 must be positive and divisible by num_heads=4")));
  auto mha = std::make_shared<MultiheadAttention>(4, 2);
  const Tensor q = ops::zeros({2, 3, 4}), kv = ops::zeros({2, 5, 4});
  EXPECT_THAT(
      [&] {
        mha->forward(q, ops::zeros({2, 5, 3}), kv);
      },
      ::testing::ThrowsMessage<ValueError>(::testing::HasSubstr("key (2, 5, 3)")));
  EXPECT_THAT(
      [&] {
        mha->forward(q, ops::zeros({1, 5, 4}), ops::zeros({1, 5, 4}));
      },
      ::testing::ThrowsMessage<ValueError>(::testing::HasSubstr("query (2, 3, 4)")));
  EXPECT_THAT(
      [&] {
        mha->forward(q, kv, kv, {.attn_mask = ops::zeros({3, 4})});
      },
      ::testing::ThrowsMessage<ValueError>(::testing::HasSubstr("attn_mask (3, 4) must be (3, 5) or (4, 3, 5)")));
  EXPECT_THAT(
      [&] {
        mha->forward(q, kv, kv, {.key_padding_mask = ops::zeros({2, 4}, {.dtype = DType::b8})});
      },
      ::testing::ThrowsMessage<ValueError>(::testing::HasSubstr("key_padding_mask (2, 4) must be (2, 5)")));
  EXPECT_THAT(
      [&] {
        mha->forward(ops::zeros({3, 4}), kv, kv);
      },
      ::testing::ThrowsMessage<ValueError>(::testing::HasSubstr("all be 3-d (batched) or all 2-d")));
}

}  // namespace
}  // namespace mini::nn
