// `mini-engine train`, `test`, `val` and `config print|check`.
#include <fmt/format.h>

#include "config/load.h"
#include "runtime/cli/commands.h"
#include "runtime/register.h"
#include "runtime/runner.h"

namespace mini::runtime::cli {
namespace {

std::function<void()>& backend_initializer() {
  static std::function<void()> initializer;
  return initializer;
}

void prepare() {
  register_builtin_components();
  if (auto& initializer = backend_initializer()) {
    initializer();
    initializer = nullptr;
  }
}

config::Node load(const std::string& path, const std::vector<std::string>& overrides) {
  return config::load_config(path, overrides);
}

int evaluate(const EvalArgs& args, bool test_split) {
  prepare();
  config::Node cfg = load(args.config, args.overrides);
  RunnerOptions options{.work_dir = args.work_dir, .resume = std::nullopt, .seed = std::nullopt, .quiet = args.quiet};
  std::unique_ptr<Runner> runner = Runner::from_config(cfg, options);
  runner->load_checkpoint(args.checkpoint, /*weights_only=*/true);
  const Metrics metrics = test_split ? runner->test() : runner->val();
  if (args.quiet) {
    for (const auto& [name, value] : metrics) fmt::print("{}: {:.6g}\n", name, value);
  }
  return 0;
}

}  // namespace

void set_backend_initializer(std::function<void()> initializer) {
  backend_initializer() = std::move(initializer);
}

int train(const TrainArgs& args) {
  prepare();
  config::Node cfg = load(args.config, args.overrides);
  RunnerOptions options{.work_dir = args.work_dir, .resume = args.resume, .seed = args.seed, .quiet = args.quiet};
  std::unique_ptr<Runner> runner = Runner::from_config(cfg, options);
  if (args.dry_run) {
    fmt::print("dry run: {} built and validated; work_dir {}\n", args.config, runner->work_dir().string());
    return 0;
  }
  runner->train();
  return 0;
}

int test(const EvalArgs& args) { return evaluate(args, /*test_split=*/true); }
int val(const EvalArgs& args) { return evaluate(args, /*test_split=*/false); }

int config_print(const std::string& path, const std::vector<std::string>& overrides, bool with_sources) {
  config::Node cfg = load(path, overrides);
  fmt::print("{}", config::to_yaml(cfg, with_sources));
  return 0;
}

int config_check(const std::string& path, const std::vector<std::string>& overrides) {
  register_builtin_components();
  config::Node cfg = load(path, overrides);
  Runner::validate_config(cfg);
  fmt::print("{}: OK\n", path);
  return 0;
}

}  // namespace mini::runtime::cli
