#include "data_testing.h"

#include "tensor/ops/copy.h"

namespace mini::runtime::testing {

std::vector<double> values_of(const Tensor& tensor) {
  const Tensor as_double = ops::contiguous(ops::to_dtype(tensor, DType::f64));
  const double* data = as_double.data<double>();
  return {data, data + as_double.numel()};
}

::testing::AssertionResult batches_equal(const Batch& a, const Batch& b) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << a.size() << " fields vs " << b.size();
  for (const auto& [name, tensor] : a) {
    auto other = b.find(name);
    if (other == b.end()) return ::testing::AssertionFailure() << "field " << name << " missing";
    if (tensor.sizes() != other->second.sizes() || tensor.dtype() != other->second.dtype()) {
      return ::testing::AssertionFailure()
             << "field " << name << ": " << shape_str(tensor.sizes()) << " vs " << shape_str(other->second.sizes());
    }
    if (values_of(tensor) != values_of(other->second)) {
      return ::testing::AssertionFailure() << "field " << name << ": values differ";
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace mini::runtime::testing
