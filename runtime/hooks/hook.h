#pragma once
// Hooks: code the Runner calls at fixed points of a run, with MMEngine's
// stage names. A hook overrides the stages it needs; the Runner calls each
// stage on every hook in priority order (lower number first, registration
// order for ties) and prints the resolved order at start.
//
//   class PrintLoss : public runtime::Hook {
//    public:
//     PrintLoss() : Hook("PrintLoss", kPriorityNormal) {}
//     void after_train_iter(Runner& runner, const Batch&, const Outputs& outputs) override {
//       fmt::print("{}\n", outputs.at("loss").item<float>());
//     }
//   };
//   runtime::hook_registry().add({.type = "PrintLoss", .doc = "prints the loss"},
//                                [](const config::Args&) { return std::make_shared<PrintLoss>(); });
//
// Hooks that carry state across a resume (EMA weights, early-stopping
// patience) save it in before_save_checkpoint and read it back in
// after_load_checkpoint.
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/batch.h"
#include "runtime/checkpoint_state.h"

namespace mini::runtime {

class Runner;

// MMEngine's named priority levels.
inline constexpr int kPriorityHighest = 0;
inline constexpr int kPriorityVeryHigh = 10;
inline constexpr int kPriorityHigh = 30;
inline constexpr int kPriorityAboveNormal = 40;
inline constexpr int kPriorityNormal = 50;
inline constexpr int kPriorityBelowNormal = 60;
inline constexpr int kPriorityLow = 70;
inline constexpr int kPriorityVeryLow = 90;
inline constexpr int kPriorityLowest = 100;
// "HIGHEST", "very_high", "NORMAL", ... -> level; nullopt for an unknown name.
std::optional<int> priority_from_name(std::string_view name);
// 50 -> "NORMAL"; a value between levels prints as the number.
std::string priority_name(int priority);

using Metrics = std::map<std::string, double>;
// "accuracy/top1, loss" (for errors about a metric that is not there).
std::string metric_names(const Metrics& metrics);

class Hook {
 public:
  Hook(std::string name, int priority) : name_(std::move(name)), priority_(priority) {}
  virtual ~Hook() = default;
  Hook(const Hook&) = delete;
  Hook& operator=(const Hook&) = delete;

  const std::string& name() const { return name_; }
  int priority() const { return priority_; }
  void set_priority(int priority) { priority_ = priority; }

  virtual void before_run(Runner&) {}
  virtual void after_load_checkpoint(Runner&, const CheckpointState&) {}
  virtual void before_train(Runner&) {}
  virtual void before_train_epoch(Runner&) {}
  virtual void before_train_iter(Runner&, const Batch&) {}
  virtual void after_train_iter(Runner&, const Batch&, const Outputs&) {}
  virtual void after_train_epoch(Runner&) {}
  virtual void before_val(Runner&) {}
  virtual void before_val_epoch(Runner&) {}
  virtual void before_val_iter(Runner&, const Batch&) {}
  virtual void after_val_iter(Runner&, const Batch&, const Outputs&) {}
  virtual void after_val_epoch(Runner&, const Metrics&) {}
  virtual void after_val(Runner&) {}
  virtual void before_save_checkpoint(Runner&, CheckpointState&) {}
  virtual void after_train(Runner&) {}
  virtual void before_test(Runner&) {}
  virtual void before_test_epoch(Runner&) {}
  virtual void before_test_iter(Runner&, const Batch&) {}
  virtual void after_test_iter(Runner&, const Batch&, const Outputs&) {}
  virtual void after_test_epoch(Runner&, const Metrics&) {}
  virtual void after_test(Runner&) {}
  virtual void after_run(Runner&) {}

 private:
  std::string name_;
  int priority_;
};

using HookPtr = std::shared_ptr<Hook>;

}  // namespace mini::runtime
