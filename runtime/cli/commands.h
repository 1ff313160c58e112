#pragma once
// The `mini-engine` subcommands, one function each, so tests can run them
// without spawning a process. Each returns the process exit code:
//   0 success, 1 user error (bad config, data, checkpoint: a one-paragraph
//   message, no stack trace), 2 internal error (a bug: please report).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mini::runtime::cli {

struct TrainArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::optional<std::string> work_dir;
  std::optional<std::string> resume;  // "auto" or a checkpoint path
  std::optional<uint64_t> seed;
  bool dry_run = false;
  bool quiet = false;
};
int train(const TrainArgs& args);

struct EvalArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string checkpoint;
  std::optional<std::string> work_dir;
  bool quiet = false;
};
// `mini-engine test` (test_dataloader + test_evaluator) and `mini-engine val`.
int test(const EvalArgs& args);
int val(const EvalArgs& args);

int config_print(const std::string& config, const std::vector<std::string>& overrides, bool with_sources);
int config_check(const std::string& config, const std::vector<std::string>& overrides);
// Registered components (of one kind, or all) with their arguments.
int list(const std::optional<std::string>& kind);
int version();
// Runs the Google Benchmark suites (the `mini_bench` executable built next to
// `mini-engine`) with the given arguments.
int bench(const std::vector<std::string>& args, const std::string& argv0);

// Runs `command`, printing any exception as "error: ..." and mapping it to an
// exit code (1 for mini::ValueError / IndexError / ConfigError, 2 otherwise).
int run_guarded(const std::function<int()>& command);

// A function the commands that build models call first, e.g. to register
// the CUDA device backend. The executable sets it; `version`, `list` and
// `config` never pay for GPU initialisation.
void set_backend_initializer(std::function<void()> initializer);

// Parses argv and dispatches (CLI11 lives only in cli_app.cpp).
int run_cli(int argc, char** argv);

}  // namespace mini::runtime::cli
