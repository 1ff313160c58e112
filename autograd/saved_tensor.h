#pragma once
// SavedTensor: a tensor kept by a backward closure, with the version it had
// when saved. unpack() refuses to hand back a tensor that an in-place op has
// changed since, because the gradient computed from it would be silently wrong.
//
// NOTE [saving outputs]: an op's output points to its node (grad_fn), so the
// node's closure must not hold the output itself, or neither would ever be
// freed. SavedTensor keeps a bare alias instead (same storage and geometry, no
// autograd state) and, when a double backward needs the graph, reconnects it
// to the node that is running (current_node()).
#include <cstdint>

#include "tensor/tensor.h"

namespace mini {

class SavedTensor {
 public:
  SavedTensor() = default;
  // `is_output`: `tensor` is output `output_nr` of the op saving it.
  SavedTensor(const Tensor& tensor, bool is_output, uint32_t output_nr = 0);

  // The saved tensor; throws mini::Error naming the op and the versions if it
  // was modified in place after it was saved.
  Tensor unpack() const;
  bool defined() const { return data_.defined(); }

 private:
  Tensor data_;
  uint64_t version_ = 0;
  uint32_t output_nr_ = 0;
  bool is_output_ = false;
};

// Shorthands for backward closures: [x = save(x), y = save_output(y)].
inline SavedTensor save(const Tensor& input) { return SavedTensor(input, false); }
inline SavedTensor save_output(const Tensor& output, uint32_t output_nr = 0) {
  return SavedTensor(output, true, output_nr);
}

// A new handle to the same data and geometry with no autograd state.
Tensor alias_without_autograd(const Tensor& tensor);

}  // namespace mini
