#pragma once
// Reading a metric's inputs: finding named fields with errors a user can act
// on, and copying tensors to host vectors the accumulation loops can walk.
// For metric implementations; users need only metric.h.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/batch.h"

namespace mini::runtime {

// outputs[key], or an error like
// "Accuracy: the model outputs have no 'logits' (outputs: loss, pred; batch: input, label)".
const Tensor& metric_output(std::string_view metric, const Batch& batch, const Outputs& outputs,
                            const std::string& key);
// batch[key], else outputs[key], else the same kind of error.
const Tensor& metric_target(std::string_view metric, const Batch& batch, const Outputs& outputs,
                            const std::string& key);
// The number of samples in a batch: the leading size its fields share.
int64_t metric_batch_size(std::string_view metric, const Batch& batch);

// Checks that `scores` (..., C) and `targets` (...) line up (classification
// (N, C) with (N,), language models (N, T, V) with (N, T)) and returns C.
int64_t metric_num_classes(std::string_view metric, const Tensor& scores, std::string_view scores_key,
                           const Tensor& targets, std::string_view targets_key);

// Every element, row-major, as double (any dtype, layout or device).
std::vector<double> host_doubles(const Tensor& tensor);
// Every element of an integer tensor as int64; `what` names it in the error for other dtypes.
std::vector<int64_t> host_indices(std::string_view metric, const Tensor& tensor, std::string_view what);
// A contiguous CPU copy in float64 if `tensor` is float64, else float32: big
// logits are not doubled in size, and sums are still taken in double.
Tensor host_floating(const Tensor& tensor);

}  // namespace mini::runtime
