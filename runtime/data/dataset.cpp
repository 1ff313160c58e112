#include "runtime/data/dataset.h"

#include <cstring>

#include "runtime/data/random_stream.h"
#include "runtime/data/transforms.h"
#include "tensor/error.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"

namespace mini::runtime {

Batch Dataset::get_batch(std::span<const int64_t> indices) const {
  std::vector<Sample> samples;
  samples.reserve(indices.size());
  for (int64_t index : indices) samples.push_back(get(index));
  return collate(samples);
}

void Dataset::set_pipeline(std::vector<std::shared_ptr<const Transform>> pipeline) { pipeline_ = std::move(pipeline); }

Batch Dataset::load_batch(std::span<const int64_t> indices, uint64_t seed, int64_t epoch) const {
  Batch batch = get_batch(indices);
  for (size_t position = 0; position < pipeline_.size(); ++position) {
    pipeline_[position]->apply(batch, indices, stream_key(seed, epoch, kTransformStream + position));
  }
  return batch;
}

void Dataset::check_index(int64_t index) const {
  MINI_CHECK_INDEX(index >= 0 && index < size(), "{}: index {} out of range for {} samples", describe(), index, size());
}

Batch collate(const std::vector<Sample>& samples) {
  MINI_CHECK(!samples.empty(), "collate: no samples");
  const Sample& first = samples.front();
  for (size_t i = 1; i < samples.size(); ++i) {
    for (const auto& [name, tensor] : first) {
      auto found = samples[i].find(name);
      MINI_CHECK(found != samples[i].end(), "collate: sample {} has no field '{}' (sample 0 has it)", i, name);
      MINI_CHECK(found->second.sizes() == tensor.sizes() && found->second.dtype() == tensor.dtype(),
                 "collate: field '{}': sample {} is {} {}, sample 0 is {} {}", name, i,
                 shape_str(found->second.sizes()), found->second.dtype(), shape_str(tensor.sizes()), tensor.dtype());
    }
    MINI_CHECK(samples[i].size() == first.size(), "collate: sample {} has {} fields, sample 0 has {}", i,
               samples[i].size(), first.size());
  }
  Batch batch;
  const int64_t count = static_cast<int64_t>(samples.size());
  for (const auto& [name, tensor] : first) {
    MINI_CHECK(tensor.device().is_cpu(), "collate: field '{}' is on {}; datasets produce CPU tensors", name,
               tensor.device().str());
    Shape sizes = tensor.sizes();
    sizes.insert(0, count);
    Tensor out = ops::empty(sizes, {.dtype = tensor.dtype()});
    const size_t row_bytes = static_cast<size_t>(tensor.numel()) * tensor.element_size();
    auto* dst = static_cast<char*>(out.data_ptr());
    for (int64_t i = 0; i < count; ++i) {
      Tensor row = samples[static_cast<size_t>(i)].at(name);
      if (!row.is_contiguous()) row = ops::contiguous(row);
      std::memcpy(dst + static_cast<size_t>(i) * row_bytes, row.data_ptr(), row_bytes);
    }
    batch.emplace(name, std::move(out));
  }
  return batch;
}

}  // namespace mini::runtime
