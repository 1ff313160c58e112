#include "nn/amp/autocast.h"

#include "tensor/error.h"

namespace mini::nn::amp {

DType default_autocast_dtype(DeviceType device_type) { return AutocastState{}[device_type].dtype; }

DType autocast_dtype_from_name(std::string_view name) {
  if (name == "float16" || name == "half" || name == "fp16" || name == "f16") return DType::f16;
  if (name == "bfloat16" || name == "bf16") return DType::bf16;
  throw ValueError(fmt::format("autocast dtype must be 'float16' or 'bfloat16', got '{}'", name));
}

}  // namespace mini::nn::amp
