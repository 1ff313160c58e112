// Atomicity of CheckpointManager::save: a failure (exception) or a crash
// (std::_Exit in a forked child, so nothing is cleaned up) at every stage of
// a save leaves the previous checkpoint and `last` pointer readable, and the
// next save succeeds and removes what the interrupted one left behind.
#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>

#include "checkpoint_testing.h"
#include "runtime/checkpoint/checkpoint_manager.h"
#include "runtime/checkpoint/fault_injection.h"

namespace mini::runtime {
namespace {

namespace fs = std::filesystem;
using testing::sample_checkpoint;

constexpr int kCrashExitCode = 77;

struct InterruptedSave {
  const char* stage;
  bool resave_same_name;   // re-save epoch_1 instead of saving epoch_2
  bool new_one_is_latest;  // the stage comes after `last` was updated
};

std::string PrintToString(const InterruptedSave& save) {
  std::string name = save.stage;
  for (char& c : name) {
    if (c == ':' || c == '.') c = '_';
  }
  return name;
}

class SaveInterruptedAt : public ::testing::TestWithParam<InterruptedSave> {
 protected:
  void SetUp() override { manager_.save("epoch_1", sample_checkpoint(1)); }
  std::string interrupted_name() const { return GetParam().resave_same_name ? "epoch_1" : "epoch_2"; }

  // The checkpoint resume would pick is the previous one, or the new one
  // once `last` names it; either way complete and readable.
  void expect_latest_is_intact() {
    const std::optional<fs::path> latest = manager_.latest();
    ASSERT_TRUE(latest.has_value());
    const uint64_t expected_seed = GetParam().new_one_is_latest ? 2 : 1;
    testing::expect_same_checkpoint(read_checkpoint(*latest), sample_checkpoint(expected_seed));
    EXPECT_EQ(testing::read_last(dir_.path()), GetParam().new_one_is_latest ? interrupted_name() : "epoch_1");
  }

  void expect_next_save_succeeds_and_cleans_up() {
    manager_.save("epoch_3", sample_checkpoint(3));
    EXPECT_TRUE(testing::leftovers(dir_.path()).empty());
    EXPECT_EQ(manager_.latest(), dir_.path() / "epoch_3");
    testing::expect_same_checkpoint(read_checkpoint(dir_.path() / "epoch_3"), sample_checkpoint(3));
  }

  testing::TempDir dir_;
  CheckpointManager manager_{dir_.path(), /*max_keep=*/2};
};

TEST_P(SaveInterruptedAt, AnExceptionKeepsThePreviousCheckpointAndLeavesNothingBehind) {
  {
    detail::ScopedSaveStageHook hook([](std::string_view stage) {
      if (stage == GetParam().stage) throw std::runtime_error("injected failure");
    });
    EXPECT_THROW(manager_.save(interrupted_name(), sample_checkpoint(2)), std::runtime_error);
  }
  expect_latest_is_intact();
  EXPECT_TRUE(testing::leftovers(dir_.path()).empty());
  expect_next_save_succeeds_and_cleans_up();
}

TEST_P(SaveInterruptedAt, ACrashKeepsThePreviousCheckpoint) {
  GTEST_FLAG_SET(death_test_style, "fast");  // the child must share this test's temp dir
  EXPECT_EXIT(
      {
        detail::ScopedSaveStageHook hook([](std::string_view stage) {
          if (stage == GetParam().stage) std::_Exit(kCrashExitCode);
        });
        manager_.save(interrupted_name(), sample_checkpoint(2));
        std::_Exit(0);  // the stage was never reached
      },
      ::testing::ExitedWithCode(kCrashExitCode), "");
  expect_latest_is_intact();
  expect_next_save_succeeds_and_cleans_up();
}

INSTANTIATE_TEST_SUITE_P(
    EveryStage, SaveInterruptedAt,
    ::testing::Values(InterruptedSave{"wrote:model", false, false}, InterruptedSave{"wrote:optimizer", false, false},
                      InterruptedSave{"wrote:state.json", false, false}, InterruptedSave{"before_rename", false, false},
                      InterruptedSave{"before_rename", true, false}, InterruptedSave{"after_move_aside", true, false},
                      InterruptedSave{"before_pointer_update", false, false},
                      InterruptedSave{"before_prune", false, true}),
    [](const ::testing::TestParamInfo<InterruptedSave>& info) {
      return PrintToString(info.param) + (info.param.resave_same_name ? "_resave" : "");
    });

TEST(SaveInterrupted, CrashBeforeRenameLeavesATempDirThatReadersIgnore) {
  GTEST_FLAG_SET(death_test_style, "fast");
  testing::TempDir dir;
  CheckpointManager manager(dir.path());
  manager.save("epoch_1", sample_checkpoint(1));
  EXPECT_EXIT(
      {
        detail::ScopedSaveStageHook hook([](std::string_view stage) {
          if (stage == "before_rename") std::_Exit(kCrashExitCode);
        });
        manager.save("epoch_2", sample_checkpoint(2));
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(kCrashExitCode), "");
  ASSERT_EQ(testing::leftovers(dir.path()).size(), 1u);
  EXPECT_EQ(manager.list().size(), 1u);
}

}  // namespace
}  // namespace mini::runtime
