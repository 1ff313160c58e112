// The command-line grammar of `mini-engine` (CLI11). The commands themselves
// live in commands_*.cpp; this file only parses and dispatches, and it is
// the only translation unit that includes CLI11.
#include <CLI/CLI.hpp>

#include "runtime/cli/commands.h"
#include "tensor/error.h"

namespace mini::runtime::cli {
namespace {

void add_overrides(CLI::App& command, std::vector<std::string>& overrides) {
  command.add_option("overrides", overrides, "config overrides: key.sub=value (YAML-typed; list indices allowed)");
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"mini-engine: train and run neural networks from one YAML file", "mini-engine"};
  app.require_subcommand(1);
  app.set_version_flag("--version", [] { return std::string(); });

  TrainArgs train_args;
  std::string resume_value;
  std::string seed_text;
  std::string work_dir;
  CLI::App* train_cmd = app.add_subcommand("train", "train a model from a config");
  train_cmd->add_option("config", train_args.config, "the YAML config")->required();
  add_overrides(*train_cmd, train_args.overrides);
  train_cmd->add_option("--work-dir", work_dir, "where checkpoints and logs go (default: cfg.work_dir)");
  CLI::Option* resume_option =
      train_cmd->add_option("--resume", resume_value, "resume: 'auto' (latest in the work dir) or a checkpoint path")
          ->expected(0, 1);
  train_cmd->add_option("--seed", seed_text, "random seed (overrides randomness.seed)");
  train_cmd->add_flag("--dry-run", train_args.dry_run, "validate and build everything, then stop");
  train_cmd->add_flag("-q,--quiet", train_args.quiet, "no console output (the log files are still written)");

  EvalArgs eval_args;
  std::string eval_work_dir;
  CLI::App* test_cmd = app.add_subcommand("test", "evaluate a checkpoint on test_dataloader with test_evaluator");
  CLI::App* val_cmd = app.add_subcommand("val", "evaluate a checkpoint on val_dataloader with val_evaluator");
  for (CLI::App* command : {test_cmd, val_cmd}) {
    command->add_option("config", eval_args.config, "the YAML config")->required();
    add_overrides(*command, eval_args.overrides);
    command->add_option("--checkpoint", eval_args.checkpoint, "checkpoint directory or .safetensors file")
        ->required();
    command->add_option("--work-dir", eval_work_dir, "where logs go (default: cfg.work_dir)");
    command->add_flag("-q,--quiet", eval_args.quiet, "no console output");
  }

  std::string config_path;
  std::vector<std::string> config_overrides;
  bool with_sources = false;
  CLI::App* config_cmd = app.add_subcommand("config", "inspect a config");
  config_cmd->require_subcommand(1);
  CLI::App* print_cmd = config_cmd->add_subcommand("print", "print the merged, interpolated config");
  print_cmd->add_option("config", config_path, "the YAML config")->required();
  add_overrides(*print_cmd, config_overrides);
  print_cmd->add_flag("--sources", with_sources, "show the file:line each value comes from");
  CLI::App* check_cmd = config_cmd->add_subcommand("check", "validate a config against every registry");
  check_cmd->add_option("config", config_path, "the YAML config")->required();
  add_overrides(*check_cmd, config_overrides);

  std::string kind;
  CLI::App* list_cmd = app.add_subcommand("list", "registered components and their arguments");
  list_cmd->add_option("kind", kind, "model, dataset, optimizer, scheduler, hook, metric, ... (default: all)");

  CLI::App* version_cmd = app.add_subcommand("version", "version, build type, CUDA, CPU features");

  std::vector<std::string> bench_args;
  CLI::App* bench_cmd = app.add_subcommand("bench", "run the benchmark suites (Google Benchmark arguments pass through)");
  bench_cmd->allow_extras();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // CLI11 prints help (exit 0) or the usage error (exit 1 for a user error).
    const int code = app.exit(error);
    return code == 0 ? 0 : 1;
  }

  return run_guarded([&]() -> int {
    if (train_cmd->parsed()) {
      if (!work_dir.empty()) train_args.work_dir = work_dir;
      if (resume_option->count() > 0) train_args.resume = resume_value.empty() ? "auto" : resume_value;
      if (!seed_text.empty()) {
        size_t used = 0;
        unsigned long long seed = 0;
        try {
          seed = std::stoull(seed_text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        MINI_CHECK(used == seed_text.size() && seed_text[0] != '-',
                   "--seed: expected a non-negative integer, got '{}'", seed_text);
        train_args.seed = seed;
      }
      return train(train_args);
    }
    if (test_cmd->parsed() || val_cmd->parsed()) {
      if (!eval_work_dir.empty()) eval_args.work_dir = eval_work_dir;
      return test_cmd->parsed() ? test(eval_args) : val(eval_args);
    }
    if (print_cmd->parsed()) return config_print(config_path, config_overrides, with_sources);
    if (check_cmd->parsed()) return config_check(config_path, config_overrides);
    if (list_cmd->parsed()) return list(kind.empty() ? std::nullopt : std::optional<std::string>(kind));
    if (version_cmd->parsed()) return version();
    if (bench_cmd->parsed()) return bench(bench_cmd->remaining(), argv[0]);
    return 2;
  });
}

}  // namespace mini::runtime::cli
