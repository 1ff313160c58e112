#include "runtime/data/tensor_dataset.h"

#include <algorithm>
#include <cstring>

#include "tensor/error.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"

namespace mini::runtime {
namespace {

int64_t max_of_int64_field(const TensorMap& fields, const std::string& name) {
  auto found = fields.find(name);
  if (found == fields.end() || found->second.dtype() != DType::i64 || found->second.numel() == 0) return -1;
  const int64_t* data = found->second.data<int64_t>();
  return *std::max_element(data, data + found->second.numel());
}

}  // namespace

TensorDataset::TensorDataset(TensorMap fields, std::string name) : fields_(std::move(fields)), name_(std::move(name)) {
  MINI_CHECK(!fields_.empty(), "{}: needs at least one field", name_);
  bool first = true;
  for (auto& [field, tensor] : fields_) {
    MINI_CHECK(tensor.defined() && tensor.dim() >= 1 && tensor.device().is_cpu(),
               "{}: field '{}' must be a CPU tensor with a sample dim 0", name_, field);
    if (!tensor.is_contiguous()) tensor = ops::contiguous(tensor);
    if (first) size_ = tensor.size(0);
    MINI_CHECK(tensor.size(0) == size_, "{}: field '{}' has {} rows, field '{}' has {}", name_, field, tensor.size(0),
               fields_.begin()->first, size_);
    first = false;
  }
  max_label_ = max_of_int64_field(fields_, "label");
  if (max_label_ < 0) max_label_ = max_of_int64_field(fields_, "target");
}

Sample TensorDataset::get(int64_t index) const {
  check_index(index);
  const int64_t one[] = {index};
  Batch batch = get_batch(one);
  Sample sample;
  for (auto& [field, tensor] : batch) {
    Shape sizes = tensor.sizes();
    sizes.erase(0);
    sample.emplace(field, Tensor(tensor.storage(), tensor.dtype(), sizes, contiguous_strides(sizes), 0));
  }
  return sample;
}

Batch TensorDataset::get_batch(std::span<const int64_t> indices) const {
  for (int64_t index : indices) check_index(index);
  Batch batch;
  for (const auto& [field, tensor] : fields_) {
    Shape sizes = tensor.sizes();
    sizes[0] = static_cast<int64_t>(indices.size());
    Tensor out = ops::empty(sizes, {.dtype = tensor.dtype()});
    const size_t row_bytes =
        static_cast<size_t>(numel_of(sizes) / std::max<int64_t>(sizes[0], 1)) * tensor.element_size();
    const auto* src = static_cast<const char*>(tensor.data_ptr());
    auto* dst = static_cast<char*>(out.data_ptr());
    for (size_t row = 0; row < indices.size(); ++row) {
      std::memcpy(dst + row * row_bytes, src + static_cast<size_t>(indices[row]) * row_bytes, row_bytes);
    }
    batch.emplace(field, std::move(out));
  }
  return batch;
}

std::string TensorDataset::fields_summary() const {
  std::vector<std::string> parts;
  for (const auto& [field, tensor] : fields_) {
    Shape sizes = tensor.sizes();
    sizes.erase(0);
    parts.push_back(fmt::format("{} {} {}", field, shape_str(sizes), tensor.dtype()));
  }
  return fmt::format("{} samples: {}", size_, fmt::join(parts, ", "));
}

std::string TensorDataset::describe() const { return fmt::format("{}({})", name_, fields_summary()); }

}  // namespace mini::runtime
