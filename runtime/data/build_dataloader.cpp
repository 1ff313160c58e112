// build_dataloader: a dataloader config section -> DataLoader, with the
// section itself validated like a registered component (it has no `type:`).
#include <algorithm>

#include "runtime/data/register.h"

namespace mini::runtime {
namespace {

using config::ArgSpec;
using config::ArgType;
using config::Node;

ArgSpec nullable(std::string name, ArgType type, std::string doc) {
  ArgSpec spec = config::optional(std::move(name), type, Node::null(), std::move(doc));
  spec.nullable = true;
  return spec;
}

const config::ComponentInfo& dataloader_info() {
  static const config::ComponentInfo info{
      .type = "DataLoader",
      .doc = "batches of a dataset in sampler order, loaded by worker threads",
      .args = {
          config::required("batch_size", ArgType::Int, "samples per batch"),
          config::component("dataset", "dataset", "the dataset"),
          config::component("sampler", "sampler", "the order of each epoch; null: shuffle/seed below", false),
          config::optional("num_workers", ArgType::Int, Node::from(0),
                           "loader threads; 0 loads in the training thread"),
          config::optional("prefetch_factor", ArgType::Int, Node::from(2), "batches queued per worker"),
          config::optional("drop_last", ArgType::Bool, Node::from(false), "drop a last batch smaller than batch_size"),
          nullable("shuffle", ArgType::Bool, "without a sampler: a new order every epoch (default false)"),
          nullable("seed", ArgType::Int, "shuffle and transform seed; null: the run's seed"),
          config::optional("persistent_workers", ArgType::Bool, Node::from(false),
                           "accepted for MMEngine configs; no effect (workers are threads started per epoch)"),
          config::optional("pin_memory", ArgType::Bool, Node::from(false), "accepted for MMEngine configs; no effect"),
      }};
  return info;
}

void validate_dataloader(const Node& cfg) {
  const config::ComponentInfo& info = dataloader_info();
  if (!cfg.is_map()) cfg.fail(fmt::format("expected a map of dataloader settings, got {}", cfg.type_name()));
  std::vector<std::string> names;
  for (const ArgSpec& spec : info.args) names.push_back(spec.name);
  for (const auto& [key, value] : cfg.items()) {
    const ArgSpec* spec = info.find_arg(key);
    if (spec == nullptr) {
      std::string hint = config::did_you_mean(key, names);
      if (hint.empty()) hint = fmt::format(" (keys: {})", fmt::join(names, ", "));
      value.fail(fmt::format("unknown dataloader key '{}'{}", key, hint));
    }
    config::validate_arg(*spec, value, info.type);
  }
  for (const ArgSpec& spec : info.args) {
    if (!spec.default_value && !cfg.contains(spec.name))
      cfg.fail(fmt::format("missing key '{}' ({})", spec.name, spec.doc));
  }
}

}  // namespace

std::shared_ptr<DataLoader> build_dataloader(const Node& cfg, uint64_t default_seed, int64_t rank, int64_t world_size) {
  register_data_components();
  validate_dataloader(cfg);
  const config::Args args(cfg, dataloader_info());

  DataLoaderOptions options;
  options.batch_size = args.get_int("batch_size");
  if (options.batch_size <= 0) args.fail("batch_size", fmt::format("must be positive, got {}", options.batch_size));
  options.num_workers = args.get_int("num_workers");
  if (options.num_workers < 0) args.fail("num_workers", fmt::format("must be >= 0, got {}", options.num_workers));
  options.prefetch_factor = args.get_int("prefetch_factor");
  if (options.prefetch_factor < 1) {
    args.fail("prefetch_factor", fmt::format("must be >= 1, got {}", options.prefetch_factor));
  }
  options.drop_last = args.get_bool("drop_last");
  options.seed = args.is_null("seed") ? default_seed : static_cast<uint64_t>(args.get_int("seed"));

  const Node& dataset_cfg = cfg.at("dataset");
  std::shared_ptr<Dataset> dataset = dataset_registry().build(dataset_cfg);
  if (dataset->size() == 0) dataset_cfg.fail(fmt::format("{} is empty", dataset->describe()));
  if (!dataset->pipeline().empty()) {
    // Run the pipeline on one sample now, so a transform that cannot work on
    // this data (a crop of flattened images) fails here, at its config line,
    // instead of at the first batch of training.
    try {
      const int64_t first[] = {0};
      dataset->load_batch(first, 0, 0);
    } catch (const ValueError& e) {
      dataset_cfg.at("pipeline").fail(fmt::format("does not fit {}: {}", dataset->describe(), e.what()));
    }
  }

  std::shared_ptr<Sampler> sampler;
  const SamplerContext context{
      .dataset_size = dataset->size(), .default_seed = options.seed, .rank = rank, .world_size = world_size};
  if (!args.is_null("sampler")) {
    if (!args.is_null("shuffle")) args.fail("shuffle", "give either shuffle or a sampler, not both");
    sampler = sampler_registry().build(cfg.at("sampler"), context);
  } else {
    const bool shuffle = !args.is_null("shuffle") && args.get_bool("shuffle");
    if (world_size > 1) {
      sampler = std::make_shared<DistributedSampler>(dataset->size(), rank, world_size, shuffle, options.seed);
    } else if (shuffle) {
      sampler = std::make_shared<RandomSampler>(dataset->size(), options.seed);
    } else {
      sampler = std::make_shared<SequentialSampler>(dataset->size());
    }
  }
  auto loader = std::make_shared<DataLoader>(dataset, options, sampler);
  if (loader->batches_per_epoch() == 0) {
    args.fail("drop_last", fmt::format("drops every sample: {} samples per epoch is less than batch_size {}",
                                       sampler->size(), options.batch_size));
  }
  return loader;
}

}  // namespace mini::runtime
