// The built-in models, backbones and losses, with the arguments `mini-engine
// list` prints. Argument names follow PyTorch (losses, GPT) and MMEngine.
#include "runtime/models/register.h"

#include <mutex>

#include "nn/models/gpt.h"
#include "runtime/models/backbones.h"
#include "runtime/models/classifier.h"
#include "runtime/models/language_model.h"
#include "tensor/ops/factory.h"

namespace mini::runtime {

using config::Args;
using config::ArgSpec;
using config::ArgType;
using config::Node;

config::Registry<std::shared_ptr<Model>>& model_registry() {
  static config::Registry<std::shared_ptr<Model>> registry("model");
  return registry;
}

config::Registry<nn::ModulePtr>& backbone_registry() {
  static config::Registry<nn::ModulePtr> registry("backbone");
  return registry;
}

config::Registry<std::shared_ptr<nn::Loss>>& loss_registry() {
  static config::Registry<std::shared_ptr<nn::Loss>> registry("loss");
  return registry;
}

namespace {

ArgSpec with_choices(ArgSpec spec, std::vector<std::string> choices) {
  spec.choices = std::move(choices);
  return spec;
}

ArgSpec nullable(ArgSpec spec) {
  spec.nullable = true;
  return spec;
}

// ---- losses ----

// The model's "loss" output must be a scalar to backpropagate, so "none" is not offered.
ArgSpec reduction_arg() {
  return with_choices(config::optional("reduction", ArgType::String, Node::from("mean"),
                                       "how per-sample losses combine into the scalar loss: mean or sum"),
                      {"mean", "sum"});
}

nn::Reduction reduction_of(const Args& args) {
  return args.get_string("reduction") == "sum" ? nn::Reduction::sum : nn::Reduction::mean;
}

// An optional list of floats as a (K) float32 tensor (undefined when null).
Tensor float_tensor_or_undefined(const Args& args, std::string_view name) {
  if (args.is_null(name)) return Tensor();
  const std::vector<double> values = args.get_double_list(name);
  std::vector<float> as_float(values.begin(), values.end());
  return ops::from_vector(as_float, {static_cast<int64_t>(as_float.size())});
}

void register_losses() {
  auto& losses = loss_registry();
  losses.add({.type = "CrossEntropyLoss",
              .doc = "softmax cross entropy of logits (N, C) against class indices (N) or probabilities (N, C)",
              .args = {config::optional("label_smoothing", ArgType::Float, Node::from(0.0),
                                        "mixes the uniform distribution into the targets, in [0, 1]"),
                       config::optional("ignore_index", ArgType::Int, Node::from(-100),
                                        "class-index targets with this value add no loss"),
                       nullable(config::optional("weight", ArgType::FloatList, Node(),
                                                 "per-class weights, one per class (null: all 1)")),
                       reduction_arg()}},
             [](const Args& args) -> std::shared_ptr<nn::Loss> {
               const double smoothing = args.get_double("label_smoothing");
               if (smoothing < 0 || smoothing > 1) args.fail("label_smoothing", "must be in [0, 1]");
               return std::make_shared<nn::CrossEntropyLoss>(
                   nn::CrossEntropyOptions{.weight = float_tensor_or_undefined(args, "weight"),
                                           .ignore_index = args.get_int("ignore_index"),
                                           .reduction = reduction_of(args),
                                           .label_smoothing = smoothing});
             });
  losses.add(
      {.type = "MSELoss",
       .doc = "mean squared error between outputs and same-shaped targets",
       .args = {reduction_arg()}},
      [](const Args& args) -> std::shared_ptr<nn::Loss> { return std::make_shared<nn::MSELoss>(reduction_of(args)); });
  losses.add(
      {.type = "L1Loss",
       .doc = "mean absolute error between outputs and same-shaped targets",
       .args = {reduction_arg()}},
      [](const Args& args) -> std::shared_ptr<nn::Loss> { return std::make_shared<nn::L1Loss>(reduction_of(args)); });
  losses.add({.type = "SmoothL1Loss",
              .doc = "Huber-like loss: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta",
              .args = {config::optional("beta", ArgType::Float, Node::from(1.0),
                                        "where the loss turns from quadratic to linear (0: L1Loss)"),
                       reduction_arg()}},
             [](const Args& args) -> std::shared_ptr<nn::Loss> {
               const double beta = args.get_double("beta");
               if (beta < 0) args.fail("beta", "must be non-negative");
               return std::make_shared<nn::SmoothL1Loss>(reduction_of(args), beta);
             });
  losses.add({.type = "BCEWithLogitsLoss",
              .doc = "sigmoid binary cross entropy (multi-label): logits and float targets of the same shape",
              .args = {nullable(config::optional("pos_weight", ArgType::FloatList, Node(),
                                                 "weight of the positive term, one per class (null: all 1)")),
                       reduction_arg()}},
             [](const Args& args) -> std::shared_ptr<nn::Loss> {
               return std::make_shared<nn::BCEWithLogitsLoss>(nn::BceWithLogitsOptions{
                   .pos_weight = float_tensor_or_undefined(args, "pos_weight"), .reduction = reduction_of(args)});
             });
}

// ---- backbones ----

void register_backbones() {
  auto& backbones = backbone_registry();
  backbones.add(
      {.type = "MLP",
       .doc = "fully connected classifier: flattens (N, ...) to (N, in_features), hidden layers, then num_classes",
       .args = {config::required("in_features", ArgType::Int, "input features per sample (e.g. 784 for 28x28)"),
                config::optional("hidden", ArgType::IntList, Node::sequence(),
                                 "hidden layer widths, in order ([]: a linear model)"),
                config::required("num_classes", ArgType::Int, "output classes (logits per sample)"),
                with_choices(config::optional("activation", ArgType::String, Node::from("relu"),
                                              "activation after each hidden layer: relu, gelu or tanh"),
                             {"relu", "gelu", "tanh"}),
                config::optional("dropout", ArgType::Float, Node::from(0.0),
                                 "dropout probability after each hidden activation, in [0, 1)")}},
      [](const Args& args) -> nn::ModulePtr {
        MLPOptions options{.in_features = args.get_int("in_features"),
                           .hidden = args.get_int_list("hidden"),
                           .num_classes = args.get_int("num_classes"),
                           .activation = args.get_string("activation"),
                           .dropout = args.get_double("dropout")};
        if (options.in_features <= 0) args.fail("in_features", "must be positive");
        if (options.num_classes <= 0) args.fail("num_classes", "must be positive");
        for (int64_t width : options.hidden) {
          if (width <= 0) args.fail("hidden", "widths must be positive");
        }
        if (options.dropout < 0 || options.dropout >= 1) args.fail("dropout", "must be in [0, 1)");
        return std::make_shared<MLP>(options);
      });
  backbones.add({.type = "LeNet",
                 .doc = "LeNet-5 for 28x28 images: two conv + max-pool stages, then fc 120 -> 84 -> num_classes",
                 .args = {config::optional("in_channels", ArgType::Int, Node::from(1), "image channels"),
                          config::optional("num_classes", ArgType::Int, Node::from(10), "output classes")}},
                [](const Args& args) -> nn::ModulePtr {
                  if (args.get_int("in_channels") <= 0) args.fail("in_channels", "must be positive");
                  if (args.get_int("num_classes") <= 0) args.fail("num_classes", "must be positive");
                  return std::make_shared<LeNet>(args.get_int("in_channels"), args.get_int("num_classes"));
                });
  const nn::GPTConfig defaults;
  backbones.add(
      {.type = "GPT",
       .doc = "decoder-only transformer (GPT-2 layout, tied head): tokens (N, T) -> logits (N, T, vocab_size)",
       .args = {config::optional("vocab_size", ArgType::Int, Node::from(defaults.vocab_size),
                                 "token ids are in [0, vocab_size) (256: bytes)"),
                config::optional("block_size", ArgType::Int, Node::from(defaults.block_size),
                                 "the longest sequence (number of positions)"),
                config::optional("n_layer", ArgType::Int, Node::from(defaults.n_layer), "transformer blocks"),
                config::optional("n_head", ArgType::Int, Node::from(defaults.n_head),
                                 "attention heads per block (must divide n_embd)"),
                config::optional("n_embd", ArgType::Int, Node::from(defaults.n_embd), "embedding width"),
                config::optional("dropout", ArgType::Float, Node::from(defaults.dropout),
                                 "dropout probability on embeddings, attention and MLP outputs")}},
      [](const Args& args) -> nn::ModulePtr {
        nn::GPTConfig config{.vocab_size = args.get_int("vocab_size"),
                             .block_size = args.get_int("block_size"),
                             .n_layer = args.get_int("n_layer"),
                             .n_head = args.get_int("n_head"),
                             .n_embd = args.get_int("n_embd"),
                             .dropout = args.get_double("dropout")};
        for (const char* name : {"vocab_size", "block_size", "n_head", "n_embd"}) {
          if (args.get_int(name) <= 0) args.fail(name, "must be positive");
        }
        if (config.n_layer < 0) args.fail("n_layer", "must be non-negative");
        if (config.n_embd % config.n_head != 0) {
          args.fail("n_head", fmt::format("{} does not divide n_embd {}", config.n_head, config.n_embd));
        }
        if (config.dropout < 0 || config.dropout >= 1) args.fail("dropout", "must be in [0, 1)");
        return std::make_shared<nn::GPT>(config);
      });
}

// ---- models ----

// `loss:` defaults to {type: CrossEntropyLoss}; null means the same.
ArgSpec loss_arg() {
  ArgSpec spec = config::component("loss", "loss", "the training loss (default CrossEntropyLoss)",
                                   /*is_required=*/false);
  Node default_loss = Node::map();
  default_loss.set("type", Node::from("CrossEntropyLoss"));
  spec.default_value = default_loss;
  spec.nullable = true;
  return spec;
}

std::shared_ptr<nn::Loss> build_loss(const Args& args) {
  if (args.is_null("loss")) return std::make_shared<nn::CrossEntropyLoss>();
  return loss_registry().build(args.node("loss"));
}

// The loss's ignore_index, which the target range check must let through.
int64_t ignore_index_of(const Args& args) {
  if (args.is_null("loss")) return nn::CrossEntropyOptions{}.ignore_index;
  const Node* ignore_index = args.node("loss").find("ignore_index");
  return ignore_index != nullptr ? ignore_index->as_int() : nn::CrossEntropyOptions{}.ignore_index;
}

void register_models() {
  auto& models = model_registry();
  models.add(
      {.type = "Classifier",
       .doc = "backbone + loss: batch input (N, ...) and label (N) -> logits (N, C) and loss",
       .args = {config::component("backbone", "backbone", "the network from input to logits (N, C)"), loss_arg()}},
      [](const Args& args) -> std::shared_ptr<Model> {
        return std::make_shared<Classifier>(backbone_registry().build(args.node("backbone")), build_loss(args),
                                            ignore_index_of(args));
      });
  models.add({.type = "LanguageModel",
              .doc = "next-token model: batch input (N, T) and target (N, T) -> logits (N, T, V) and loss",
              .args = {config::component("backbone", "backbone", "the network from tokens (N, T) to logits (N, T, V)"),
                       loss_arg()}},
             [](const Args& args) -> std::shared_ptr<Model> {
               return std::make_shared<LanguageModel>(backbone_registry().build(args.node("backbone")),
                                                      build_loss(args), ignore_index_of(args));
             });
}

}  // namespace

void register_model_components() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_losses();
    register_backbones();
    register_models();
  });
}

}  // namespace mini::runtime
