#pragma once
// The data components of the config registry: datasets (kind "dataset"),
// transforms ("transform") and samplers ("sampler"), and the DataLoader built
// from an MMEngine-style section:
//
//   train_dataloader:
//     batch_size: 128
//     num_workers: 2
//     drop_last: false
//     sampler: {type: DefaultSampler, shuffle: true, seed: null}   # null: the run's seed
//     dataset:
//       type: FashionMNIST
//       split: train
//       flatten: true
//       pipeline: [{type: RandomHorizontalFlip, p: 0.5}]
//
//   register_data_components();
//   auto loader = build_dataloader(cfg.at("train_dataloader"), /*default_seed=*/cfg_seed);
#include <cstdint>
#include <memory>

#include "config/registry.h"
#include "runtime/data/data_loader.h"
#include "runtime/data/dataset.h"
#include "runtime/data/sampler.h"
#include "runtime/data/transforms.h"

namespace mini::runtime {

// What a sampler builder needs besides its arguments.
struct SamplerContext {
  int64_t dataset_size = 0;
  uint64_t default_seed = 0;  // for `seed: null`
  int64_t rank = 0;
  int64_t world_size = 1;
};

config::Registry<std::shared_ptr<Dataset>>& dataset_registry();
config::Registry<std::shared_ptr<Transform>>& transform_registry();
config::Registry<std::shared_ptr<Sampler>, const SamplerContext&>& sampler_registry();

// Adds every built-in dataset, transform and sampler (once; later calls do nothing).
void register_data_components();

// Validates and builds a dataloader section (keys: batch_size, num_workers,
// prefetch_factor, drop_last, dataset, sampler, or shuffle/seed instead of a
// sampler; persistent_workers and pin_memory are accepted and ignored).
// `default_seed` fills `seed: null`; rank/world_size shard DefaultSampler.
// Errors are config::ConfigError naming the file:line and key.
std::shared_ptr<DataLoader> build_dataloader(const config::Node& dataloader_cfg, uint64_t default_seed,
                                             int64_t rank = 0, int64_t world_size = 1);

}  // namespace mini::runtime
