#include "runtime/register.h"

#include "runtime/data/register.h"
#include "runtime/hooks/register.h"
#include "runtime/loops.h"
#include "runtime/metrics/register.h"
#include "runtime/models/register.h"
#include "runtime/optim/register.h"
#include "runtime/optim_wrapper_builder.h"

namespace mini::runtime {

void register_builtin_components() {
  // Each call is idempotent (std::call_once inside).
  register_model_components();
  register_data_components();
  register_optim_components();
  register_optim_wrapper_components();
  register_metric_components();
  register_hook_components();
  register_loop_components();
}

}  // namespace mini::runtime
