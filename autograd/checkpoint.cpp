#include "autograd/checkpoint.h"

#include "autograd/autocast.h"
#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/record.h"
#include "tensor/random.h"

namespace mini {

namespace {

// Sets the default generator to (seed, offset) for a scope, then puts back where it was.
class GeneratorRewind {
 public:
  GeneratorRewind(uint64_t seed, uint64_t offset)
      : generator_(default_generator()), seed_(generator_.seed()), offset_(generator_.offset()) {
    generator_.manual_seed(seed);
    generator_.set_offset(offset);
  }
  ~GeneratorRewind() {
    generator_.manual_seed(seed_);
    generator_.set_offset(offset_);
  }
  GeneratorRewind(const GeneratorRewind&) = delete;
  GeneratorRewind& operator=(const GeneratorRewind&) = delete;

 private:
  Generator& generator_;
  uint64_t seed_, offset_;
};

}  // namespace

std::vector<Tensor> checkpoint(const CheckpointFunction& fn, const std::vector<Tensor>& inputs) {
  Generator& generator = default_generator();
  const uint64_t seed = generator.seed(), offset = generator.offset();
  // The recompute runs inside the backward, where autocast is off: it replays this state instead.
  const AutocastState autocast = autocast_state();
  std::vector<Tensor> outputs;
  {
    NoGradGuard no_grad;
    outputs = fn(inputs);
  }
  if (!GradMode::is_enabled()) return outputs;

  std::vector<SavedTensor> saved_inputs;
  std::vector<bool> needs_grad;
  for (const Tensor& input : inputs) {
    saved_inputs.push_back(save(input));
    needs_grad.push_back(tensor_requires_grad(input));
  }
  return record_outputs(
      "checkpoint", inputs, std::move(outputs),
      [fn, saved_inputs = std::move(saved_inputs), needs_grad = std::move(needs_grad), seed, offset,
       autocast](const GradList& grads) -> GradList {
        // Fresh leaves: the inner backward stops at them and leaves their .grad for us to read.
        std::vector<Tensor> leaves;
        for (size_t i = 0; i < saved_inputs.size(); ++i) {
          const Tensor input = saved_inputs[i].unpack();
          leaves.push_back(input.defined() ? input.detach() : input);
          if (needs_grad[i]) leaves.back().requires_grad_();
        }
        std::vector<Tensor> recomputed;
        {
          GeneratorRewind rewind(seed, offset);
          AutocastStateGuard replay_autocast(autocast);
          EnableGradGuard enable_grad;
          recomputed = fn(leaves);
        }
        std::vector<Tensor> roots, root_grads;
        for (size_t i = 0; i < recomputed.size() && i < grads.size(); ++i) {
          if (grads[i].defined() && recomputed[i].requires_grad()) {
            roots.push_back(recomputed[i]);
            root_grads.push_back(grads[i]);
          }
        }
        if (!roots.empty()) backward(roots, root_grads, /*retain_graph=*/false, /*create_graph=*/false);
        GradList input_grads;
        for (size_t i = 0; i < leaves.size(); ++i) input_grads.push_back(needs_grad[i] ? leaves[i].grad() : Tensor());
        return input_grads;
      });
}

Tensor checkpoint(const std::function<Tensor(const Tensor&)>& fn, const Tensor& input) {
  return checkpoint([fn](const std::vector<Tensor>& inputs) { return std::vector<Tensor>{fn(inputs[0])}; },
                    std::vector<Tensor>{input})[0];
}

}  // namespace mini
