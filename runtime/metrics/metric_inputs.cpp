#include "runtime/metrics/metric_inputs.h"

#include <fmt/format.h>

#include "tensor/error.h"
#include "tensor/ops/copy.h"

namespace mini::runtime {
namespace {

std::string key_list(const TensorMap& fields) {
  if (fields.empty()) return "none";
  std::string keys;
  for (const auto& [key, tensor] : fields) keys += (keys.empty() ? "" : ", ") + key;
  return keys;
}

std::string present_keys(const Batch& batch, const Outputs& outputs) {
  return fmt::format("outputs: {}; batch: {}", key_list(outputs), key_list(batch));
}

Tensor host_contiguous(const Tensor& tensor, DType dtype) {
  return ops::contiguous(ops::to_dtype(ops::to_device(tensor, Device::cpu()), dtype));
}

}  // namespace

const Tensor& metric_output(std::string_view metric, const Batch& batch, const Outputs& outputs,
                            const std::string& key) {
  auto found = outputs.find(key);
  MINI_CHECK(found != outputs.end() && found->second.defined(), "{}: the model outputs have no '{}' ({})", metric, key,
             present_keys(batch, outputs));
  return found->second;
}

const Tensor& metric_target(std::string_view metric, const Batch& batch, const Outputs& outputs,
                            const std::string& key) {
  if (auto found = batch.find(key); found != batch.end() && found->second.defined()) return found->second;
  if (auto found = outputs.find(key); found != outputs.end() && found->second.defined()) return found->second;
  throw ValueError(fmt::format("{}: neither the batch nor the model outputs have '{}' ({})", metric, key,
                               present_keys(batch, outputs)));
}

int64_t metric_batch_size(std::string_view metric, const Batch& batch) {
  int64_t size = -1;
  std::string first_key;
  for (const auto& [key, tensor] : batch) {
    if (!tensor.defined() || tensor.dim() == 0) continue;
    if (size < 0) {
      size = tensor.size(0);
      first_key = key;
      continue;
    }
    MINI_CHECK(tensor.size(0) == size, "{}: batch fields disagree on the batch size: '{}' has {} rows, '{}' has {}",
               metric, first_key, size, key, tensor.size(0));
  }
  MINI_CHECK(size >= 0, "{}: cannot tell the batch size: no batch field has a leading dim (batch: {})", metric,
             key_list(batch));
  return size;
}

int64_t metric_num_classes(std::string_view metric, const Tensor& scores, std::string_view scores_key,
                           const Tensor& targets, std::string_view targets_key) {
  MINI_CHECK(scores.dim() >= 1 && scores.size(-1) > 0, "{}: '{}' must be (..., classes), got {}", metric, scores_key,
             shape_str(scores.sizes()));
  Shape leading(scores.sizes().begin(), scores.sizes().end() - 1);
  MINI_CHECK(targets.sizes() == leading,
             "{}: '{}' {} must have one class score per '{}' entry: expected '{}' to be {}, got {}", metric, scores_key,
             shape_str(scores.sizes()), targets_key, targets_key, shape_str(leading), shape_str(targets.sizes()));
  return scores.size(-1);
}

std::vector<double> host_doubles(const Tensor& tensor) {
  Tensor host = host_contiguous(tensor, DType::f64);
  const double* data = host.data<double>();
  return std::vector<double>(data, data + host.numel());
}

std::vector<int64_t> host_indices(std::string_view metric, const Tensor& tensor, std::string_view what) {
  MINI_CHECK(is_integral(tensor.dtype(), /*include_bool=*/false),
             "{}: '{}' must hold class indices (an integer dtype), got {}", metric, what, tensor.dtype());
  Tensor host = host_contiguous(tensor, DType::i64);
  const int64_t* data = host.data<int64_t>();
  return std::vector<int64_t>(data, data + host.numel());
}

Tensor host_floating(const Tensor& tensor) {
  return host_contiguous(tensor, tensor.dtype() == DType::f64 ? DType::f64 : DType::f32);
}

}  // namespace mini::runtime
