#pragma once
// Named tensors: what a dataset returns for one sample, what the DataLoader
// collates into a batch (each field stacked along a new leading dim), and what
// a model returns. Field names are conventions between components:
//   classification: "input" (N, ...) float, "label" (N,) int64
//   language model: "input" (N, T) int64, "target" (N, T) int64
//   model outputs:  "loss" (0-d, training), "logits" (N, C) or (N, T, V)
#include <map>
#include <string>

#include "tensor/tensor.h"

namespace mini::runtime {

using TensorMap = std::map<std::string, Tensor>;
using Sample = TensorMap;
using Batch = TensorMap;
using Outputs = TensorMap;

}  // namespace mini::runtime
