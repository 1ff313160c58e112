// The op table of the golden tests: one small lambda per manifest `op`,
// translating its `attrs` into a call of the differentiable mini:: API
// (autograd/autograd.h). Its forward values are mini::ops's, and it records
// the backward when an input requires grad, so one table serves both
// GoldenForward and GoldenGradient. Tensors an entry creates itself (masks,
// module parameters) go on the inputs' device, so the table runs unchanged
// on every device. Ops mini-engine does not have yet are listed with what
// they need, so their cases skip with that reason instead of passing silently.
#include "golden_ops.h"

#include <cmath>
#include <limits>
#include <memory>
#include <optional>

#include "autograd/autograd.h"
#include "nn/nn.h"

namespace mini::golden {
namespace {

using Inputs = std::vector<Tensor>;
using Json = nlohmann::json;

ForwardOutputs just(Tensor out) { return {{"out", std::move(out)}}; }

// A dim attribute: null means all dims (an empty list for mini::sum etc.), an
// integer one dim, an array several.
Shape dims_of(const Json& dim) {
  if (dim.is_null()) return {};
  if (dim.is_number_integer()) return {dim.get<int64_t>()};
  Shape dims;
  for (const Json& d : dim) dims.push_back(d.get<int64_t>());
  return dims;
}

Shape shape_of(const Json& sizes) { return dims_of(sizes); }

// PyTorch's int-or-pair arguments (kernel_size=2 or kernel_size=(2, 3)).
std::pair<int64_t, int64_t> pair_of(const Json& value) {
  if (value.is_array()) return {value.at(0).get<int64_t>(), value.at(1).get<int64_t>()};
  return {value.get<int64_t>(), value.get<int64_t>()};
}

std::optional<double> optional_number(const Json& value) {
  if (value.is_null()) return std::nullopt;
  return value.get<double>();
}

GoldenOp unary(Tensor (*fn)(const Tensor&)) {
  return {[fn](const Inputs& in, const Json&) { return just(fn(in[0])); }, ""};
}

GoldenOp binary(Tensor (*fn)(const Tensor&, const Tensor&)) {
  return {[fn](const Inputs& in, const Json&) { return just(fn(in[0], in[1])); }, ""};
}

// A reduction over `dim` (null = all) with keepdim, like sum or amax.
GoldenOp reduction(Tensor (*fn)(const Tensor&, const Shape&, bool)) {
  return {[fn](const Inputs& in, const Json& attrs) {
            return just(fn(in[0], dims_of(attrs.at("dim")), attrs.at("keepdim").get<bool>()));
          },
          ""};
}

GoldenOp variance(Tensor (*fn)(const Tensor&, const Shape&, bool, bool)) {
  return {[fn](const Inputs& in, const Json& attrs) {
            return just(
                fn(in[0], dims_of(attrs.at("dim")), attrs.at("unbiased").get<bool>(), attrs.at("keepdim").get<bool>()));
          },
          ""};
}

// For an op mini-engine lacks: its cases skip naming `what` (no op lacks one at the moment).
[[maybe_unused]] GoldenOp missing(std::string what) { return {Forward(), std::move(what)}; }

ForwardOutputs transpose_reshape(const Inputs& in, const Json& attrs) {
  Tensor x = in[0];
  for (const Json& step : attrs.at("steps")) {
    const std::string kind = step.at(0).get<std::string>();
    if (kind == "transpose") {
      x = mini::transpose(x, step.at(1).get<int64_t>(), step.at(2).get<int64_t>());
    } else {
      MINI_CHECK(kind == "reshape", "golden: transpose+reshape: unknown step '{}'", kind);
      x = mini::reshape(x, shape_of(step.at(1)));
    }
  }
  return just(x);
}

ForwardOutputs pow(const Inputs& in, const Json& attrs) {
  if (attrs.at("variant") == "tensor_scalar") return just(mini::pow(in[0], attrs.at("exponent").get<double>()));
  return just(mini::pow(in[0], in[1]));
}

ForwardOutputs norm(const Inputs& in, const Json& attrs) {
  const Json& p = attrs.at("p");
  const double order = p.is_string() ? std::numeric_limits<double>::infinity() : p.get<double>();
  MINI_CHECK(!p.is_string() || p == "inf", "golden: norm: unsupported p {}", p.dump());
  return just(mini::norm(in[0], order, dims_of(attrs.at("dim")), attrs.at("keepdim").get<bool>()));
}

ForwardOutputs conv1d(const Inputs& in, const Json& attrs) {
  const Tensor bias = attrs.at("bias").get<bool>() ? in.at(2) : Tensor();
  return just(mini::conv1d(in[0], in[1], bias, attrs.at("stride").get<int64_t>(), attrs.at("padding").get<int64_t>(),
                           attrs.at("dilation").get<int64_t>(), attrs.at("groups").get<int64_t>()));
}

ForwardOutputs conv2d(const Inputs& in, const Json& attrs) {
  const Tensor bias = attrs.at("bias").get<bool>() ? in.at(2) : Tensor();
  const ops::Conv2dOptions options{.stride = pair_of(attrs.at("stride")),
                                   .padding = pair_of(attrs.at("padding")),
                                   .dilation = pair_of(attrs.at("dilation")),
                                   .groups = attrs.at("groups").get<int64_t>()};
  return just(mini::conv2d(in[0], in[1], bias, options));
}

ops::Pool2dOptions pool_options(const Json& attrs) {
  ops::Pool2dOptions options;
  options.kernel = pair_of(attrs.at("kernel_size"));
  options.stride = attrs.at("stride").is_null() ? options.kernel : pair_of(attrs.at("stride"));
  options.padding = pair_of(attrs.at("padding"));
  if (attrs.contains("dilation")) options.dilation = pair_of(attrs.at("dilation"));
  options.ceil_mode = attrs.at("ceil_mode").get<bool>();
  if (attrs.contains("count_include_pad")) options.count_include_pad = attrs.at("count_include_pad").get<bool>();
  return options;
}

ForwardOutputs layer_norm(const Inputs& in, const Json& attrs) {
  return just(
      mini::layer_norm(in[0], shape_of(attrs.at("normalized_shape")), in[1], in[2], attrs.at("eps").get<double>()));
}

// x * rsqrt(mean(x^2, dim=-1, keepdim=True) + eps) * w, evaluated in that order.
ForwardOutputs rms_norm_manual(const Inputs& in, const Json& attrs) {
  const Tensor& x = in[0];
  const Tensor mean_square = mini::mean(mini::mul(x, x), {attrs.at("dim").get<int64_t>()}, /*keepdim=*/true);
  const Tensor inverse_rms = mini::rsqrt(mini::add(mean_square, attrs.at("eps").get<double>()));
  return just(mini::mul(mini::mul(x, inverse_rms), in[1]));
}

// in0 = indices, in1 = weight. padding_idx only changes the gradient: the
// padding positions read the weight through a copy without history, so that
// row gets no gradient from them (PyTorch's definition).
ForwardOutputs embedding(const Inputs& in, const Json& attrs) {
  const Tensor &indices = in[0], &weight = in[1];
  const Tensor out = mini::embedding(weight, indices);
  if (attrs.at("padding_idx").is_null()) return just(out);
  const Tensor is_padding = ops::unsqueeze(ops::eq(indices, attrs.at("padding_idx").get<int64_t>()), -1);
  return just(mini::where(is_padding, ops::embedding(weight, indices), out));
}

// softmax(Q @ K^T / sqrt(d) + M) @ V with M = -inf above the diagonal.
// q, k, v: (B, H, L, d) -> (B, H, L, d)
ForwardOutputs sdpa_manual(const Inputs& in, const Json& attrs) {
  MINI_CHECK(attrs.at("causal").get<bool>(), "golden: sdpa_manual: only the causal case is written out");
  const Tensor &q = in[0], &k = in[1], &v = in[2];
  const int64_t target_length = q.size(-2), source_length = k.size(-2);
  std::vector<double> mask_values(static_cast<size_t>(target_length * source_length), 0.0);
  for (int64_t i = 0; i < target_length; ++i) {
    for (int64_t j = i + 1; j < source_length; ++j) {
      mask_values[static_cast<size_t>(i * source_length + j)] = -std::numeric_limits<double>::infinity();
    }
  }
  const Tensor mask = ops::to_device(
      ops::to_dtype(ops::from_vector(mask_values, {target_length, source_length}), q.dtype()), q.device());
  const Tensor scores =
      mini::div(mini::matmul(q, mini::transpose(k, -2, -1)), std::sqrt(static_cast<double>(q.size(-1))));
  return just(mini::matmul(mini::softmax(mini::add(scores, mask), -1), v));
}

// ---- nn modules: nn.MultiheadAttention and model.transformer_encoder ----
// The case's parameter inputs are loaded into a freshly built module (strict
// load_state_dict: copies, by PyTorch's names, which are the module's
// named_parameters() in order). A post-accumulate-grad hook on each module
// parameter hands its gradient to the case input, which GoldenGradient compares.
void load_parameters(nn::Module& module, const Inputs& in, size_t first) {
  const auto named = module.named_parameters();
  MINI_CHECK(in.size() == first + named.size(), "golden: {} has {} parameters, the case gives {} inputs after in{}",
             module.type_name(), named.size(), in.size() - first, first - 1);
  nn::StateDict state;
  for (size_t i = 0; i < named.size(); ++i) state.insert(named[i].first, in[first + i]);
  module.load_state_dict(state);
  for (size_t i = 0; i < named.size(); ++i) {
    const Tensor& input = in[first + i];
    if (!input.requires_grad()) continue;
    named[i].second.register_post_accumulate_grad_hook([input](const Tensor& param) { input.set_grad(param.grad()); });
  }
}

// in0..in2 = query, key, value (self_attention: in0 alone), then in_proj_weight,
// in_proj_bias, out_proj.weight, out_proj.bias. attn_mask: null or "causal".
ForwardOutputs multihead_attention(const Inputs& in, const Json& attrs) {
  const bool self_attention = attrs.at("self_attention").get<bool>();
  const Tensor &query = in.at(0), &key = self_attention ? in[0] : in.at(1), &value = self_attention ? in[0] : in.at(2);
  auto mha = std::make_shared<nn::MultiheadAttention>(
      attrs.at("embed_dim").get<int64_t>(), attrs.at("num_heads").get<int64_t>(), attrs.at("dropout").get<double>(),
      attrs.at("bias").get<bool>(), attrs.at("batch_first").get<bool>(),
      TensorOptions{.dtype = query.dtype(), .device = query.device()});
  load_parameters(*mha, in, self_attention ? 1 : 3);
  nn::MultiheadAttentionForward options{.need_weights = attrs.at("need_weights").get<bool>(),
                                        .average_attn_weights = attrs.at("average_attn_weights").get<bool>()};
  if (!attrs.at("attn_mask").is_null()) {
    MINI_CHECK(attrs.at("attn_mask") == "causal", "golden: nn.MultiheadAttention: unknown attn_mask {}",
               attrs.at("attn_mask").dump());
    const int64_t length = query.size(attrs.at("batch_first").get<bool>() ? 1 : 0);
    options.attn_mask = nn::functional::causal_mask(length, length, {.dtype = query.dtype(), .device = query.device()});
  }
  auto [out, weights] = mha->forward(query, key, value, options);
  ForwardOutputs outputs{{"out", std::move(out)}};
  if (weights.defined()) outputs["out_attn_weights"] = std::move(weights);
  return outputs;
}

// in0 = x, in1 = target, in2.. = the layers' parameters (layers.K.<name>);
// loss = mse_loss(encoder(x, causal src_mask), target).
ForwardOutputs transformer_encoder(const Inputs& in, const Json& attrs) {
  MINI_CHECK(attrs.at("activation") == "relu" || attrs.at("activation") == "gelu",
             "golden: model.transformer_encoder: unknown activation {}", attrs.at("activation").dump());
  MINI_CHECK(attrs.at("src_mask").get<std::string>().starts_with("causal") &&
                 attrs.at("loss").get<std::string>().starts_with("mse_loss(") &&
                 attrs.at("loss").get<std::string>().ends_with("reduction=mean)"),
             "golden: model.transformer_encoder: only the causal-mask, mean mse_loss model is written out, got {}",
             attrs.dump());
  const nn::TransformerEncoderLayerOptions layer{.d_model = attrs.at("d_model").get<int64_t>(),
                                                 .nhead = attrs.at("nhead").get<int64_t>(),
                                                 .dim_feedforward = attrs.at("dim_feedforward").get<int64_t>(),
                                                 .dropout = attrs.at("dropout").get<double>(),
                                                 .activation = attrs.at("activation") == "relu"
                                                                   ? nn::TransformerActivation::relu
                                                                   : nn::TransformerActivation::gelu,
                                                 .layer_norm_eps = attrs.at("layer_norm_eps").get<double>(),
                                                 .batch_first = attrs.at("batch_first").get<bool>(),
                                                 .norm_first = attrs.at("norm_first").get<bool>()};
  const Tensor& x = in.at(0);
  auto encoder = std::make_shared<nn::TransformerEncoder>(layer, attrs.at("num_layers").get<int64_t>(),
                                                          /*final_norm=*/false,
                                                          TensorOptions{.dtype = x.dtype(), .device = x.device()});
  load_parameters(*encoder, in, 2);
  const int64_t length = x.size(layer.batch_first ? 1 : 0);
  const Tensor src_mask = nn::functional::causal_mask(length, length, {.dtype = x.dtype(), .device = x.device()});
  Tensor hidden = encoder->forward(x, {.src_mask = src_mask});
  Tensor loss = nn::mse_loss(hidden, in.at(1));
  return {{"out", std::move(loss)}, {"out_hidden", std::move(hidden)}};
}

// ---- nn: normalization layers and losses (nn/functional.h, nn/losses.h) ----

// x: (N, C, *), in1/in2 = weight/bias (C), in3/in4 = running mean/var (C),
// updated in place (momentum, unbiased variance): their new values are outputs.
ForwardOutputs batch_norm(const Inputs& in, const Json& attrs) {
  const Tensor &running_mean = in.at(3), &running_var = in.at(4);
  Tensor out =
      nn::functional::batch_norm(in[0], running_mean, running_var, in.at(1), in.at(2), attrs.at("training").get<bool>(),
                                 attrs.at("momentum").get<double>(), attrs.at("eps").get<double>());
  return {{"out", std::move(out)}, {"out_running_mean", running_mean}, {"out_running_var", running_var}};
}

ForwardOutputs group_norm(const Inputs& in, const Json& attrs) {
  return just(nn::functional::group_norm(in[0], attrs.at("num_groups").get<int64_t>(), in.at(1), in.at(2),
                                         attrs.at("eps").get<double>()));
}

nn::Reduction reduction_of(const Json& attrs) {
  const std::string name = attrs.at("reduction").get<std::string>();
  if (name == "none") return nn::Reduction::none;
  if (name == "sum") return nn::Reduction::sum;
  MINI_CHECK(name == "mean", "golden: unknown reduction '{}'", name);
  return nn::Reduction::mean;
}

// in0 = logits, in1 = class indices, in2 = class weights when attrs.weight.
ForwardOutputs cross_entropy(const Inputs& in, const Json& attrs) {
  const nn::CrossEntropyOptions options{.weight = attrs.at("weight").get<bool>() ? in.at(2) : Tensor(),
                                        .ignore_index = attrs.at("ignore_index").get<int64_t>(),
                                        .reduction = reduction_of(attrs),
                                        .label_smoothing = attrs.at("label_smoothing").get<double>()};
  return just(nn::cross_entropy(in[0], in[1], options));
}

ForwardOutputs nll_loss(const Inputs& in, const Json& attrs) {
  const nn::NllLossOptions options{.weight = attrs.at("weight").get<bool>() ? in.at(2) : Tensor(),
                                   .ignore_index = attrs.at("ignore_index").get<int64_t>(),
                                   .reduction = reduction_of(attrs)};
  return just(nn::nll_loss(in[0], in[1], options));
}

GoldenOp pointwise_loss(Tensor (*fn)(const Tensor&, const Tensor&, nn::Reduction)) {
  return {[fn](const Inputs& in, const Json& attrs) { return just(fn(in[0], in[1], reduction_of(attrs))); }, ""};
}

// in0 = logits, in1 = targets, in2 = pos_weight (C) when attrs.pos_weight.
ForwardOutputs bce_with_logits(const Inputs& in, const Json& attrs) {
  const nn::BceWithLogitsOptions options{.pos_weight = attrs.at("pos_weight").get<bool>() ? in.at(2) : Tensor(),
                                         .reduction = reduction_of(attrs)};
  return just(nn::binary_cross_entropy_with_logits(in[0], in[1], options));
}

ForwardOutputs kl_div(const Inputs& in, const Json& attrs) {
  const std::string name = attrs.at("reduction").get<std::string>();
  const std::map<std::string, nn::KlReduction> reductions = {{"none", nn::KlReduction::none},
                                                             {"mean", nn::KlReduction::mean},
                                                             {"sum", nn::KlReduction::sum},
                                                             {"batchmean", nn::KlReduction::batch_mean}};
  const auto reduction = reductions.find(name);
  MINI_CHECK(reduction != reductions.end(), "golden: kl_div: unknown reduction '{}'", name);
  return just(nn::kl_div(in[0], in[1], reduction->second, attrs.at("log_target").get<bool>()));
}

// ---- model.mlp_train: Linear-ReLU MLP, cross-entropy, two optimizer steps ----
// in0 = x (N, 784), in1 = labels (N), in2..in7 = fc1..fc3 weight (out, in) and
// bias. The parameters are the inputs themselves (no nn::Linear copies), so
// their .grad is what GoldenGradient compares and the optimizer updates them
// in place; mini::linear is exactly nn::Linear::forward.
constexpr size_t kMlpFirstParam = 2;

void check_mlp_attrs(const Inputs& in, const Json& attrs) {
  const size_t layers = attrs.at("layers").size() - 1;
  MINI_CHECK(attrs.at("activation") == "relu" && attrs.at("bias").get<bool>() &&
                 attrs.at("loss") == "cross_entropy(logits, labels, reduction=mean)",
             "golden: model.mlp_train: only the relu, bias, mean cross-entropy model is written out, got {}",
             attrs.dump());
  MINI_CHECK(in.size() == kMlpFirstParam + 2 * layers, "golden: model.mlp_train: {} layers need {} inputs, got {}",
             layers, kMlpFirstParam + 2 * layers, in.size());
}

Tensor mlp_loss(const Inputs& in, const Json& attrs) {
  check_mlp_attrs(in, attrs);
  const size_t layers = attrs.at("layers").size() - 1;
  Tensor h = in[0];
  for (size_t layer = 0; layer < layers; ++layer) {
    h = mini::linear(h, in[kMlpFirstParam + 2 * layer], in[kMlpFirstParam + 2 * layer + 1]);
    if (layer + 1 < layers) h = mini::relu(h);
  }
  return nn::cross_entropy(h, in[1]);
}

// Every key of the optimizer's attrs must be understood, so a new
// hyper-parameter cannot be silently ignored.
std::unique_ptr<nn::optim::Optimizer> make_optimizer(const Json& config, std::vector<Tensor> params) {
  const std::string type = config.at("type").get<std::string>();
  auto expect_keys = [&](std::initializer_list<const char*> keys) {
    MINI_CHECK(config.size() == keys.size() + 1, "golden: {} attrs {} have keys beyond the known ones", type,
               config.dump());
    for (const char* key : keys) MINI_CHECK(config.contains(key), "golden: {} attrs lack '{}'", type, key);
  };
  if (type == "SGD") {
    expect_keys({"lr", "momentum", "dampening", "nesterov", "weight_decay"});
    return std::make_unique<nn::optim::SGD>(
        std::move(params), nn::optim::SGDOptions{.lr = config.at("lr").get<double>(),
                                                 .momentum = config.at("momentum").get<double>(),
                                                 .dampening = config.at("dampening").get<double>(),
                                                 .weight_decay = config.at("weight_decay").get<double>(),
                                                 .nesterov = config.at("nesterov").get<bool>()});
  }
  MINI_CHECK(type == "AdamW", "golden: unknown optimizer '{}'", type);
  expect_keys({"lr", "betas", "eps", "weight_decay", "amsgrad"});
  return std::make_unique<nn::optim::AdamW>(
      std::move(params), nn::optim::AdamWOptions{.lr = config.at("lr").get<double>(),
                                                 .beta1 = config.at("betas").at(0).get<double>(),
                                                 .beta2 = config.at("betas").at(1).get<double>(),
                                                 .eps = config.at("eps").get<double>(),
                                                 .weight_decay = config.at("weight_decay").get<double>(),
                                                 .amsgrad = config.at("amsgrad").get<bool>()});
}

// torch's loop: step 1 uses the gradients GoldenGradient's backward left on
// the parameters; each later step is zero_grad, forward (out_stepN), backward, step.
ForwardOutputs mlp_steps(const Inputs& in, const Json& attrs) {
  const std::vector<Tensor> params(in.begin() + kMlpFirstParam, in.end());
  for (const Tensor& p : params) {
    MINI_CHECK(p.grad().defined(), "golden: model.mlp_train: a parameter has no gradient before step 1");
  }
  const auto optimizer = make_optimizer(attrs.at("optimizer"), params);
  ForwardOutputs outputs;
  const int64_t steps = attrs.at("steps").get<int64_t>();
  for (int64_t step = 1; step <= steps; ++step) {
    if (step > 1) {
      optimizer->zero_grad();
      const Tensor loss = mlp_loss(in, attrs);
      outputs[fmt::format("out_step{}", step)] = loss.detach();
      loss.backward();
    }
    optimizer->step();
    for (size_t k = kMlpFirstParam; k < in.size(); ++k) {
      outputs[fmt::format("step{}_in{}", step, k)] = ops::clone(in[k].detach());
    }
  }
  return outputs;
}

const std::map<std::string, GoldenOp>& table() {
  static const std::map<std::string, GoldenOp> ops_by_name = {
      // ---- elementwise ----
      {"add", binary(mini::add)},
      {"sub", binary(mini::sub)},
      {"mul", binary(mini::mul)},
      {"div", binary(mini::div)},
      {"maximum", binary(mini::maximum)},
      {"minimum", binary(mini::minimum)},
      {"pow", {pow, ""}},
      {"where", {[](const Inputs& in, const Json&) { return just(mini::where(in[0], in[1], in[2])); }, ""}},
      {"neg", unary(mini::neg)},
      {"abs", unary(mini::abs)},
      {"exp", unary(mini::exp)},
      {"log", unary(mini::log)},
      {"log1p", unary(mini::log1p)},
      {"sqrt", unary(mini::sqrt)},
      {"rsqrt", unary(mini::rsqrt)},
      {"sin", unary(mini::sin)},
      {"cos", unary(mini::cos)},
      {"tanh", unary(mini::tanh)},
      {"sigmoid", unary(mini::sigmoid)},
      {"relu", unary(mini::relu)},
      {"silu", unary(mini::silu)},
      {"gelu",
       {[](const Inputs& in, const Json& attrs) { return just(mini::gelu(in[0], attrs.at("approximate") == "tanh")); },
        ""}},
      {"softplus",
       {[](const Inputs& in, const Json& attrs) {
          return just(mini::softplus(in[0], attrs.at("beta").get<double>(), attrs.at("threshold").get<double>()));
        },
        ""}},
      {"clamp",
       {[](const Inputs& in, const Json& attrs) {
          return just(mini::clamp(in[0], optional_number(attrs.at("min")), optional_number(attrs.at("max"))));
        },
        ""}},
      // ---- reductions ----
      {"sum", reduction(mini::sum)},
      {"mean", reduction(mini::mean)},
      {"amax", reduction(mini::amax)},
      {"logsumexp", reduction(mini::logsumexp)},
      {"prod", reduction(mini::prod)},
      {"var", variance(mini::var)},
      {"std", variance(mini::std)},
      {"norm", {norm, ""}},
      // ---- linear algebra and nn kernels ----
      {"matmul", binary(mini::matmul)},
      {"softmax",
       {[](const Inputs& in, const Json& attrs) { return just(mini::softmax(in[0], attrs.at("dim").get<int64_t>())); },
        ""}},
      {"log_softmax",
       {[](const Inputs& in, const Json& attrs) {
          return just(mini::log_softmax(in[0], attrs.at("dim").get<int64_t>()));
        },
        ""}},
      {"conv1d", {conv1d, ""}},
      {"conv2d", {conv2d, ""}},
      {"max_pool2d",
       {[](const Inputs& in, const Json& attrs) { return just(mini::max_pool2d(in[0], pool_options(attrs))); }, ""}},
      {"avg_pool2d",
       {[](const Inputs& in, const Json& attrs) { return just(mini::avg_pool2d(in[0], pool_options(attrs))); }, ""}},
      {"adaptive_avg_pool2d",
       {[](const Inputs& in, const Json& attrs) {
          return just(mini::adaptive_avg_pool2d(in[0], pair_of(attrs.at("output_size"))));
        },
        ""}},
      {"layer_norm", {layer_norm, ""}},
      {"rms_norm_manual", {rms_norm_manual, ""}},
      {"sdpa_manual", {sdpa_manual, ""}},
      // ---- views and joins ----
      {"transpose+reshape", {transpose_reshape, ""}},
      {"permute",
       {[](const Inputs& in, const Json& attrs) { return just(mini::permute(in[0], shape_of(attrs.at("dims")))); },
        ""}},
      {"narrow",
       {[](const Inputs& in, const Json& attrs) {
          return just(mini::narrow(in[0], attrs.at("dim").get<int64_t>(), attrs.at("start").get<int64_t>(),
                                   attrs.at("length").get<int64_t>()));
        },
        ""}},
      {"slice",
       {[](const Inputs& in, const Json& attrs) {
          return just(mini::slice(in[0], attrs.at("dim").get<int64_t>(), attrs.at("start").get<int64_t>(),
                                  attrs.at("end").get<int64_t>(), attrs.at("step").get<int64_t>()));
        },
        ""}},
      {"expand",
       {[](const Inputs& in, const Json& attrs) { return just(mini::expand(in[0], shape_of(attrs.at("size")))); }, ""}},
      {"cat",
       {[](const Inputs& in, const Json& attrs) { return just(mini::cat(in, attrs.at("dim").get<int64_t>())); }, ""}},
      {"stack",
       {[](const Inputs& in, const Json& attrs) { return just(mini::stack(in, attrs.at("dim").get<int64_t>())); }, ""}},
      // ---- indexing ----
      {"index_select",
       {[](const Inputs& in, const Json& attrs) {
          return just(mini::index_select(in[0], attrs.at("dim").get<int64_t>(), in[1]));
        },
        ""}},
      {"gather",
       {[](const Inputs& in, const Json& attrs) {
          return just(mini::gather(in[0], attrs.at("dim").get<int64_t>(), in[1]));
        },
        ""}},
      {"scatter_add",
       {[](const Inputs& in, const Json& attrs) {
          return just(mini::scatter_add(in[0], attrs.at("dim").get<int64_t>(), in[1], in[2]));
        },
        ""}},
      {"masked_fill",
       {[](const Inputs& in, const Json& attrs) {
          return just(mini::masked_fill(in[0], in[1], attrs.at("value").get<double>()));
        },
        ""}},
      {"embedding", {embedding, ""}},
      {"one_hot",
       {[](const Inputs& in, const Json& attrs) {
          return just(ops::one_hot(in[0], attrs.at("num_classes").get<int64_t>()));
        },
        ""}},
      // ---- nn (nn/functional.h, nn/losses.h, nn/optim/) ----
      {"group_norm", {group_norm, ""}},
      {"batch_norm", {batch_norm, ""}},
      {"cross_entropy", {cross_entropy, ""}},
      {"nll_loss", {nll_loss, ""}},
      {"mse_loss", pointwise_loss(nn::mse_loss)},
      {"l1_loss", pointwise_loss(nn::l1_loss)},
      {"smooth_l1_loss",
       {[](const Inputs& in, const Json& attrs) {
          return just(nn::smooth_l1_loss(in[0], in[1], reduction_of(attrs), attrs.at("beta").get<double>()));
        },
        ""}},
      {"binary_cross_entropy_with_logits", {bce_with_logits, ""}},
      {"kl_div", {kl_div, ""}},
      {"model.mlp_train",
       {[](const Inputs& in, const Json& attrs) { return just(mlp_loss(in, attrs)); }, "", mlp_steps}},
      {"nn.MultiheadAttention", {multihead_attention, ""}},
      {"model.transformer_encoder", {transformer_encoder, ""}},
  };
  return ops_by_name;
}

}  // namespace

const GoldenOp* find_golden_op(const std::string& op) {
  const auto& ops_by_name = table();
  const auto found = ops_by_name.find(op);
  return found == ops_by_name.end() ? nullptr : &found->second;
}

}  // namespace mini::golden
