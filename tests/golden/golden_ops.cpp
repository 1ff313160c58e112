// The op table of the golden tests: one small lambda per manifest `op`,
// translating its `attrs` into a call of the differentiable mini:: API
// (autograd/autograd.h). Its forward values are mini::ops's, and it records
// the backward when an input requires grad, so one table serves both
// GoldenForward and GoldenGradient. Ops mini-engine does not have yet are
// listed with what they need, so their cases skip with that reason instead of
// passing silently.
#include "golden_ops.h"

#include <cmath>
#include <limits>
#include <optional>

#include "autograd/autograd.h"

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

GoldenOp missing(std::string what) { return {Forward(), std::move(what)}; }

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
  const Tensor mask = ops::to_dtype(ops::from_vector(mask_values, {target_length, source_length}), q.dtype());
  const Tensor scores =
      mini::div(mini::matmul(q, mini::transpose(k, -2, -1)), std::sqrt(static_cast<double>(q.size(-1))));
  return just(mini::matmul(mini::softmax(mini::add(scores, mask), -1), v));
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
      // ---- not in mini-engine yet ----
      {"group_norm", missing("needs nn group_norm")},
      {"batch_norm", missing("needs nn batch_norm")},
      {"cross_entropy", missing("needs nn losses")},
      {"nll_loss", missing("needs nn losses")},
      {"mse_loss", missing("needs nn losses")},
      {"l1_loss", missing("needs nn losses")},
      {"smooth_l1_loss", missing("needs nn losses")},
      {"binary_cross_entropy_with_logits", missing("needs nn losses")},
      {"kl_div", missing("needs nn losses")},
      {"nn.MultiheadAttention", missing("needs nn MultiheadAttention")},
      {"model.mlp_train", missing("needs nn Linear, losses and optim")},
      {"model.transformer_encoder", missing("needs nn TransformerEncoderLayer and losses")},
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
