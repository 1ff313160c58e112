#include "runtime/hooks/nan_guard_hook.h"

#include <limits>
#include <string>

#include "autograd/autograd.h"
#include "runtime/runner.h"
#include "tensor/error.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/reduce.h"

namespace mini::runtime {

void NaNGuardHook::after_train_iter(Runner& runner, const Batch&, const Outputs&) {
  const int64_t step = runner.counters().optimizer_step;
  if (step == last_checked_step_ || step % check_interval_ != 0) return;
  last_checked_step_ = step;
  NoGradGuard no_grad;
  for (const auto& [name, param] : runner.model().named_parameters()) {
    if (!is_floating(param.dtype())) continue;
    // |x| < inf is false for both inf and NaN.
    const bool finite = ops::all(ops::lt(ops::abs(param), std::numeric_limits<double>::infinity())).item<bool>();
    MINI_CHECK(finite,
               "NaNGuardHook: parameter '{}' became non-finite at optimizer step {} (micro-step {}, epoch {}); "
               "last logged loss {}. Lower the learning rate or enable clip_grad in optim_wrapper.",
               name, step, runner.counters().micro_step, runner.counters().epoch + 1,
               runner.message_hub().has("loss") ? std::to_string(runner.message_hub().latest("loss")) : "n/a");
  }
}

}  // namespace mini::runtime
