// Registry entries for the built-in datasets, transforms and samplers.
#include "runtime/data/register.h"

#include <mutex>

#include "runtime/data/byte_text.h"
#include "runtime/data/csv_dataset.h"
#include "runtime/data/mnist.h"
#include "runtime/data/synthetic.h"

namespace mini::runtime {
namespace {

using config::Args;
using config::ArgSpec;
using config::ArgType;
using config::Node;

// An optional argument that defaults to null ("not set").
ArgSpec nullable(std::string name, ArgType type, std::string doc) {
  ArgSpec spec = config::optional(std::move(name), type, Node::null(), std::move(doc));
  spec.nullable = true;
  return spec;
}

ArgSpec one_of(std::string name, std::string default_value, std::vector<std::string> choices, std::string doc) {
  ArgSpec spec =
      config::optional(std::move(name), ArgType::String, Node::from(std::move(default_value)), std::move(doc));
  spec.choices = std::move(choices);
  return spec;
}

ArgSpec pipeline_arg() {
  ArgSpec spec = config::component_list("pipeline", "transform", "transforms applied to each batch, in order");
  spec.default_value = Node::sequence();
  return spec;
}

ArgSpec field_arg() {
  return config::optional("field", ArgType::String, Node::from("input"), "the batch field to transform");
}

// Constructs the dataset; its errors (a missing file, a bad CSV cell) are
// reported at the dataset's config node. Then builds the `pipeline:` list.
template <typename MakeDataset>
std::shared_ptr<Dataset> with_pipeline(const Args& args, MakeDataset make_dataset) {
  std::shared_ptr<Dataset> dataset;
  try {
    dataset = make_dataset();
  } catch (const config::ConfigError&) {
    throw;
  } catch (const ValueError& e) {
    args.config().fail(e.what());
  }
  std::vector<std::shared_ptr<const Transform>> pipeline;
  for (const Node& transform : args.node("pipeline").elements()) {
    pipeline.push_back(transform_registry().build(transform));
  }
  dataset->set_pipeline(std::move(pipeline));
  return dataset;
}

int64_t non_negative(const Args& args, std::string_view name) {
  const int64_t value = args.get_int(name);
  if (value < 0) args.fail(name, fmt::format("must be >= 0, got {}", value));
  return value;
}

uint64_t seed_or(const Args& args, uint64_t fallback) {
  return args.is_null("seed") ? fallback : static_cast<uint64_t>(args.get_int("seed"));
}

void register_mnist(const std::string& type, std::optional<std::string> default_root) {
  std::vector<ArgSpec> specs;
  specs.push_back(default_root
                      ? config::optional("root", ArgType::String, Node::from(*default_root),
                                         "folder with the four IDX files (.gz or raw)")
                      : config::required("root", ArgType::String, "folder with the four IDX files (.gz or raw)"));
  specs.push_back(one_of("split", "train", {"train", "test"}, "which files: train (60000) or test (10000)"));
  specs.push_back(config::optional("flatten", ArgType::Bool, Node::from(false), "input (784,) instead of (1, 28, 28)"));
  specs.push_back(nullable("mean", ArgType::Float, "subtracted after scaling pixels to [0, 1]"));
  specs.push_back(nullable("std", ArgType::Float, "divides after subtracting mean"));
  specs.push_back(nullable("limit", ArgType::Int, "keep only the first N samples"));
  specs.push_back(pipeline_arg());
  const std::string doc = type == "FashionMNIST" ? "Fashion-MNIST 28x28 clothing images, 10 classes (IDX files)"
                                                 : "MNIST 28x28 handwritten digits, 10 classes (IDX files)";
  dataset_registry().add({.type = type, .doc = doc, .args = std::move(specs)}, [type](const Args& args) {
    MnistOptions options{
        .root = args.get_string("root"), .split = args.get_string("split"), .flatten = args.get_bool("flatten")};
    if (!args.is_null("mean")) options.mean = args.get_double("mean");
    if (!args.is_null("std")) {
      options.std = args.get_double("std");
      if (*options.std <= 0) args.fail("std", fmt::format("must be positive, got {}", *options.std));
    }
    if (!args.is_null("limit")) options.limit = non_negative(args, "limit");
    return with_pipeline(args, [&] { return std::make_shared<MnistDataset>(type, options); });
  });
}

void register_datasets() {
  register_mnist("MNIST", std::nullopt);
  register_mnist("FashionMNIST", std::string(kFashionMnistRoot));

  dataset_registry().add(
      {.type = "CSVDataset",
       .doc = "numeric CSV table: features -> input (N, F), one column -> label or target",
       .args = {config::required("path", ArgType::String, "the CSV file"),
                nullable("label_column", ArgType::Any,
                         "header name or column index (negative from the end); null: last"),
                config::optional("header", ArgType::Bool, Node::from(true), "the first row names the columns"),
                config::optional("delimiter", ArgType::String, Node::from(","), "one character"),
                one_of("task", "classification", {"classification", "regression"},
                       "classification: int64 label (N,); regression: float target (N, 1)"),
                pipeline_arg()}},
      [](const Args& args) {
        CsvOptions options{.path = args.get_string("path"),
                           .header = args.get_bool("header"),
                           .regression = args.get_string("task") == "regression"};
        if (!args.is_null("label_column")) {
          const Node& column = args.node("label_column");
          if (!column.is_scalar()) args.fail("label_column", "expected a column name or index");
          options.label_column = column.as_string();
        }
        const std::string delimiter = args.get_string("delimiter");
        if (delimiter.size() != 1) args.fail("delimiter", fmt::format("expected one character, got '{}'", delimiter));
        options.delimiter = delimiter[0];
        return with_pipeline(args, [&] { return std::make_shared<CsvDataset>(options); });
      });

  dataset_registry().add(
      {.type = "SyntheticClassification",
       .doc = "Gaussian blobs, one per class, balanced labels; deterministic from seed",
       .args = {config::optional("num_samples", ArgType::Int, Node::from(1000), "number of samples"),
                config::optional("num_features", ArgType::Int, Node::from(2), "input (F,)"),
                config::optional("num_classes", ArgType::Int, Node::from(2), "labels 0..C-1"),
                config::optional("seed", ArgType::Int, Node::from(0), "data seed"),
                config::optional("noise", ArgType::Float, Node::from(0.5), "std around each class centre"),
                pipeline_arg()}},
      [](const Args& args) {
        SyntheticClassificationOptions options{.num_samples = args.get_int("num_samples"),
                                               .num_features = args.get_int("num_features"),
                                               .num_classes = args.get_int("num_classes"),
                                               .seed = static_cast<uint64_t>(args.get_int("seed")),
                                               .noise = args.get_double("noise")};
        return with_pipeline(args, [&] { return std::make_shared<SyntheticClassification>(options); });
      });

  dataset_registry().add(
      {.type = "SyntheticRegression",
       .doc = "noisy linear map: target = input @ W + b + noise; deterministic from seed",
       .args = {config::optional("num_samples", ArgType::Int, Node::from(1000), "number of samples"),
                config::optional("num_features", ArgType::Int, Node::from(2), "input (F,)"),
                config::optional("num_targets", ArgType::Int, Node::from(1), "target (T,)"),
                config::optional("noise", ArgType::Float, Node::from(0.1), "std of the target noise"),
                config::optional("seed", ArgType::Int, Node::from(0), "data seed"), pipeline_arg()}},
      [](const Args& args) {
        SyntheticRegressionOptions options{.num_samples = args.get_int("num_samples"),
                                           .num_features = args.get_int("num_features"),
                                           .num_targets = args.get_int("num_targets"),
                                           .noise = args.get_double("noise"),
                                           .seed = static_cast<uint64_t>(args.get_int("seed"))};
        return with_pipeline(args, [&] { return std::make_shared<SyntheticRegression>(options); });
      });

  dataset_registry().add(
      {.type = "ByteTextDataset",
       .doc = "a text file as bytes: input (T,) and the next bytes as target (T,)",
       .args = {config::required("path", ArgType::String, "the text file"),
                config::required("block_size", ArgType::Int, "T, the window length"),
                nullable("stride", ArgType::Int, "start of window i is i * stride; null: block_size"), pipeline_arg()}},
      [](const Args& args) {
        ByteTextOptions options{.path = args.get_string("path"), .block_size = args.get_int("block_size")};
        if (!args.is_null("stride")) options.stride = args.get_int("stride");
        return with_pipeline(args, [&] { return std::make_shared<ByteTextDataset>(options); });
      });
}

void register_transforms() {
  transform_registry().add(
      {.type = "Normalize",
       .doc = "(x - mean[c]) / std[c] over dim 1 (channels or features)",
       .args = {config::required("mean", ArgType::FloatList, "one value, or one per channel"),
                config::required("std", ArgType::FloatList, "one value, or one per channel"), field_arg()}},
      [](const Args& args) -> std::shared_ptr<Transform> {
        return std::make_shared<Normalize>(args.get_double_list("mean"), args.get_double_list("std"),
                                           args.get_string("field"));
      });

  transform_registry().add(
      {.type = "RandomHorizontalFlip",
       .doc = "mirrors (N, C, H, W) images left-right with probability p",
       .args = {config::optional("p", ArgType::Float, Node::from(0.5), "flip probability"), field_arg()}},
      [](const Args& args) -> std::shared_ptr<Transform> {
        const double p = args.get_double("p");
        if (p < 0 || p > 1) args.fail("p", fmt::format("must be in [0, 1], got {}", p));
        return std::make_shared<RandomHorizontalFlip>(p, args.get_string("field"));
      });

  transform_registry().add(
      {.type = "RandomCrop",
       .doc = "pads (N, C, H, W) images, then cuts a random window",
       .args = {config::required("size", ArgType::Any, "window size: an int, or [height, width]"),
                config::optional("padding", ArgType::Int, Node::from(0), "pixels added on every side"),
                config::optional("fill", ArgType::Float, Node::from(0.0), "value of the padding"), field_arg()}},
      [](const Args& args) -> std::shared_ptr<Transform> {
        const Node& size = args.node("size");
        int64_t height = 0, width = 0;
        if (size.is_scalar() && size.is_int()) {
          height = width = size.as_int();
        } else if (size.is_sequence() && size.size() == 2 && size[0].is_int() && size[1].is_int()) {
          height = size[0].as_int();
          width = size[1].as_int();
        } else {
          args.fail("size", "expected an int or [height, width]");
        }
        if (height <= 0 || width <= 0) args.fail("size", "must be positive");
        return std::make_shared<RandomCrop>(height, width, non_negative(args, "padding"), args.get_double("fill"),
                                            args.get_string("field"));
      });
}

void register_samplers() {
  sampler_registry().add(
      {.type = "DefaultSampler",
       .doc = "MMEngine's sampler: shuffled (or not) by (seed, epoch), sharded across ranks",
       .args = {config::optional("shuffle", ArgType::Bool, Node::from(true), "a new order every epoch"),
                nullable("seed", ArgType::Int, "shuffle seed; null: the run's seed (randomness.seed)"),
                config::optional("round_up", ArgType::Bool, Node::from(true),
                                 "pad every rank to the same count by repeating the first indices")}},
      [](const Args& args, const SamplerContext& context) -> std::shared_ptr<Sampler> {
        return std::make_shared<DistributedSampler>(context.dataset_size, context.rank, context.world_size,
                                                    args.get_bool("shuffle"), seed_or(args, context.default_seed),
                                                    args.get_bool("round_up"));
      });
  sampler_registry().add({.type = "SequentialSampler", .doc = "0, 1, ..., n-1 every epoch (one process)", .args = {}},
                         [](const Args&, const SamplerContext& context) -> std::shared_ptr<Sampler> {
                           return std::make_shared<SequentialSampler>(context.dataset_size);
                         });
  sampler_registry().add({.type = "RandomSampler",
                          .doc = "a permutation keyed by (seed, epoch) (one process)",
                          .args = {nullable("seed", ArgType::Int, "shuffle seed; null: the run's seed")}},
                         [](const Args& args, const SamplerContext& context) -> std::shared_ptr<Sampler> {
                           return std::make_shared<RandomSampler>(context.dataset_size,
                                                                  seed_or(args, context.default_seed));
                         });
}

}  // namespace

config::Registry<std::shared_ptr<Dataset>>& dataset_registry() {
  static config::Registry<std::shared_ptr<Dataset>> registry("dataset");
  return registry;
}

config::Registry<std::shared_ptr<Transform>>& transform_registry() {
  static config::Registry<std::shared_ptr<Transform>> registry("transform");
  return registry;
}

config::Registry<std::shared_ptr<Sampler>, const SamplerContext&>& sampler_registry() {
  static config::Registry<std::shared_ptr<Sampler>, const SamplerContext&> registry("sampler");
  return registry;
}

void register_data_components() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_datasets();
    register_transforms();
    register_samplers();
  });
}

}  // namespace mini::runtime
