#include "runtime/models/class_targets.h"

#include "tensor/error.h"
#include "tensor/ops/ops.h"

namespace mini::runtime {

void check_class_targets(std::string_view model, std::string_view field, const Tensor& target, int64_t num_classes,
                         int64_t ignore_index) {
  if (is_floating(target.dtype()) || target.numel() == 0) return;
  const Tensor labels = ops::to_dtype(target, DType::i64);
  const Tensor out_of_range =
      ops::logical_and(ops::ne(labels, Scalar(ignore_index)),
                       ops::logical_or(ops::lt(labels, Scalar(int64_t{0})), ops::ge(labels, Scalar(num_classes))));
  if (!ops::any(out_of_range).item<bool>()) return;
  const Tensor bad = ops::masked_select(labels, out_of_range);
  throw ValueError(fmt::format(
      "{}: {} {} is outside [0, {}): the model has {} classes ({} of {} {} values are out of range); check the "
      "dataset's labels against the model's num_classes",
      model, field, ops::select(bad, 0, 0).item<int64_t>(), num_classes, num_classes, bad.numel(), labels.numel(),
      field));
}

}  // namespace mini::runtime
