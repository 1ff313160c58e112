#pragma once
// Checks class-index targets before a loss reads them, so a dataset/model
// mismatch reads "Classifier: label 12 is outside [0, 10) ..." instead of a
// generic loss error (or, on a device, an out-of-bounds gather).
#include <cstdint>
#include <string_view>

#include "tensor/tensor.h"

namespace mini::runtime {

// Integer `target` only (floating targets are probabilities or regression
// values and pass unchecked). Values equal to ignore_index are allowed.
// Throws mini::ValueError naming `model`, the batch `field`, the first bad
// value and num_classes.
void check_class_targets(std::string_view model, std::string_view field, const Tensor& target, int64_t num_classes,
                         int64_t ignore_index);

}  // namespace mini::runtime
