#pragma once
// Runner: builds a whole training run from one resolved config and runs it
// (ARCHITECTURE.md section 6). It owns the model, data loaders, OptimWrapper,
// parameter schedulers, evaluators, hooks, counters and the message hub.
//
//   config::Node cfg = config::load_config("examples/fashion_mnist_mlp.yaml", {"train_cfg.max_epochs=1"});
//   auto runner = runtime::Runner::from_config(cfg, {.work_dir = "work_dirs/mlp"});
//   runner->train();
//
// Construction validates the whole config against the registries before
// building anything, so a typo deep in the file fails in milliseconds with
// its file:line.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/node.h"
#include "nn/optim/scheduler.h"
#include "runtime/checkpoint_state.h"
#include "runtime/counters.h"
#include "runtime/hooks/hook.h"
#include "runtime/message_hub.h"
#include "runtime/model/model.h"
#include "runtime/optim_wrapper.h"
#include "tensor/device.h"

namespace mini::runtime {

class CheckpointManager;
class ConsoleProgress;
class DataLoader;
class Evaluator;
class StopSignal;
class TextLog;

struct RunnerOptions {
  std::optional<std::string> work_dir;  // overrides cfg.work_dir
  // "auto": the latest checkpoint in work_dir (if any); a path: that checkpoint.
  std::optional<std::string> resume;
  std::optional<uint64_t> seed;         // overrides randomness.seed
  bool quiet = false;                   // no console output (tests)
};

class Runner {
 public:
  // Validates `cfg` (resolved: overrides and interpolation applied) and builds
  // every component. Throws config::ConfigError / mini::ValueError on bad input.
  static std::unique_ptr<Runner> from_config(const config::Node& cfg, const RunnerOptions& options = {});
  // Checks the config against every registry without building anything.
  static void validate_config(const config::Node& cfg);
  ~Runner();

  void train();
  Metrics val();
  Metrics test();

  // ---- components ----
  const config::Node& config() const { return config_; }
  Model& model() { return *model_; }
  std::shared_ptr<Model> model_ptr() { return model_; }
  OptimWrapper& optim_wrapper();
  nn::optim::ParamSchedulerList& schedulers() { return schedulers_; }
  // Per scheduler: the validation metric it steps on (ReduceOnPlateau*), "" for the others.
  const std::vector<std::string>& scheduler_monitors() const { return scheduler_monitors_; }
  DataLoader* train_dataloader() { return train_loader_.get(); }
  DataLoader* val_dataloader() { return val_loader_.get(); }
  DataLoader* test_dataloader() { return test_loader_.get(); }
  const std::vector<HookPtr>& hooks() const { return hooks_; }
  // Inserts by priority (stable for ties).
  void register_hook(HookPtr hook);
  MessageHub& message_hub() { return message_hub_; }
  Counters& counters() { return counters_; }
  const Counters& counters() const { return counters_; }

  // ---- run geometry ----
  bool by_epoch() const { return by_epoch_; }
  int64_t max_epochs() const { return max_epochs_; }      // epoch-based runs
  int64_t max_iters() const;                              // micro-steps in the whole run
  int64_t iters_per_epoch() const;
  // The epoch the sampler is seeded with (DistSamplerSeedHook sets it to
  // counters().epoch before each epoch; without that hook every epoch sees
  // the same order, as in PyTorch without sampler.set_epoch).
  void set_sampler_epoch(int64_t epoch) { sampler_epoch_ = epoch; }
  int64_t sampler_epoch() const { return sampler_epoch_; }

  // ---- files and output ----
  const std::filesystem::path& work_dir() const { return work_dir_; }
  // work_dir/<timestamp>: logs, scalars, TensorBoard events, the resolved config.
  const std::filesystem::path& log_dir() const { return log_dir_; }
  const std::string& timestamp() const { return timestamp_; }
  // Prints to the console (unless quiet) and appends to the text log.
  void log(const std::string& line);
  // The console printer (progress bar or periodic lines); LoggerHook sets its interval.
  ConsoleProgress& console();
  void set_console_interval(int64_t interval);
  bool quiet() const { return options_.quiet; }
  uint64_t seed() const { return seed_; }
  // Where the model and batches live (env_cfg.device: cpu, cuda, cuda:1).
  Device device() const { return device_; }

  // ---- stopping and checkpoints ----
  // Ends training after the current optimizer step (EarlyStopping, signals).
  void request_stop(const std::string& reason);
  bool stop_requested() const { return !stop_reason_.empty(); }
  const std::string& stop_reason() const { return stop_reason_; }
  // Gathers model, optimizer, scheduler, counters, RNG and hook states and
  // writes work_dir/checkpoints/<name> atomically. Returns its path.
  std::filesystem::path save_checkpoint(const std::string& name, bool is_best = false,
                                        const std::string& best_metric = "");
  // Restores everything save_checkpoint wrote (resume) or only model weights.
  void load_checkpoint(const std::filesystem::path& path, bool weights_only);
  // Sets how many checkpoints to keep (CheckpointHook's max_keep_ckpts).
  void set_max_keep_checkpoints(int max_keep) { max_keep_checkpoints_ = max_keep; }

  // Calls `stage` on every hook in priority order.
  template <typename Fn>
  void call_hooks(Fn&& stage) {
    for (const HookPtr& hook : hooks_) stage(*hook);
  }

 private:
  Runner(config::Node cfg, RunnerOptions options);
  void build();
  void apply_frozen(const config::Node& patterns);
  void apply_activation_checkpointing(const config::Node& patterns);
  void build_hooks();
  CheckpointManager& checkpoints();
  void train_epoch_based();
  void train_iter_based();
  // One micro-step: forward, loss check, update; counters advance.
  void train_step(const Batch& batch);
  // The scope of every forward: the optim wrapper's (autocast for AMP), or none without one.
  OptimContext forward_context() const;
  std::optional<std::filesystem::path> find_resume_checkpoint() const;
  bool should_validate() const;
  // Turns a pending SIGINT/SIGTERM into a stop request after the current micro-step.
  void poll_stop_signal();
  void setup_work_dir();
  void print_hook_order();
  void check_labels_fit_model(DataLoader& loader, const char* section);
  Metrics evaluate(DataLoader& loader, Evaluator& evaluator, bool test);
  void resume_if_requested();
  // Everything load_checkpoint(path, false) restores, from an already-read checkpoint.
  void restore_checkpoint(const CheckpointState& checkpoint, const std::filesystem::path& path);

  config::Node config_;
  RunnerOptions options_;
  std::shared_ptr<Model> model_;
  std::shared_ptr<DataLoader> train_loader_, val_loader_, test_loader_;
  std::unique_ptr<OptimWrapper> optim_wrapper_;
  nn::optim::ParamSchedulerList schedulers_;
  std::vector<std::string> scheduler_monitors_;
  std::unique_ptr<Evaluator> val_evaluator_, test_evaluator_;
  std::vector<HookPtr> hooks_;
  MessageHub message_hub_;
  Counters counters_;
  std::unique_ptr<TextLog> text_log_;
  std::unique_ptr<ConsoleProgress> console_;
  std::unique_ptr<CheckpointManager> checkpoint_manager_;
  StopSignal* stop_signal_ = nullptr;  // set while train() runs
  bool interrupted_ = false;
  std::optional<std::filesystem::path> resume_path_;
  // Read once at build (its seed decides the data order), restored in train().
  std::optional<CheckpointState> resume_checkpoint_;
  double last_finite_loss_ = 0;
  int64_t last_finite_loss_step_ = -1;

  bool by_epoch_ = true;
  int64_t max_epochs_ = 0;
  int64_t max_iters_ = 0;
  int64_t val_interval_ = 1;
  int64_t val_begin_ = 1;
  int64_t sampler_epoch_ = 0;
  uint64_t seed_ = 0;
  Device device_ = Device::cpu();
  int max_keep_checkpoints_ = -1;

  std::filesystem::path work_dir_;
  std::filesystem::path log_dir_;
  std::string timestamp_;
  std::string stop_reason_;
};

}  // namespace mini::runtime
