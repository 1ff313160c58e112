#pragma once
// AccumulateGrad: the node at the end of every path to a leaf that requires
// grad. It runs the leaf's hooks, adds the gradient into leaf.grad, then runs
// the post-accumulate-grad hooks (optimizers step from those).
#include "autograd/node.h"

namespace mini {

class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(Tensor leaf);
  const Tensor& leaf() const { return leaf_; }
  // The leaf's own hooks (Tensor::register_hook on a leaf).
  void run_pre_hooks(GradList& grad_outputs) override;
  bool releasable() const override { return false; }

 protected:
  GradList apply(GradList&& grad_outputs) override;

 private:
  Tensor leaf_;
};

}  // namespace mini
