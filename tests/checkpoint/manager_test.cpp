// CheckpointManager: round trips, the `last` pointer, latest(), keep-last-k
// pruning, best tracking and leftover cleanup.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "checkpoint_testing.h"
#include "runtime/checkpoint/checkpoint_manager.h"

namespace mini::runtime {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::sample_checkpoint;

std::vector<std::string> names(const std::vector<CheckpointInfo>& infos) {
  std::vector<std::string> out;
  for (const CheckpointInfo& info : infos) out.push_back(info.name);
  return out;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const ValueError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(CheckpointManager, RoundTripIsBitIdentical) {
  testing::TempDir dir;
  CheckpointManager manager(dir.path() / "checkpoints");
  const CheckpointState saved = sample_checkpoint(7);
  const fs::path path = manager.save("epoch_2", saved);
  EXPECT_EQ(path, dir.path() / "checkpoints" / "epoch_2");
  EXPECT_TRUE(fs::is_regular_file(path / "model.safetensors"));
  EXPECT_TRUE(fs::is_regular_file(path / "optimizer.safetensors"));
  testing::expect_same_checkpoint(read_checkpoint(path), saved);
}

TEST(CheckpointManager, StateJsonRecordsFormatVersionAndFiles) {
  testing::TempDir dir;
  CheckpointManager manager(dir.path());
  const fs::path path = manager.save("epoch_1", sample_checkpoint(1));
  const nlohmann::json json = nlohmann::json::parse(std::ifstream(path / "state.json"));
  EXPECT_EQ(json.at("format_version"), kCheckpointFormatVersion);
  EXPECT_EQ(json.at("files"), nlohmann::json({"model", "optimizer"}));
  EXPECT_EQ(json.at("state").at("counters").at("epoch"), 1);
}

TEST(CheckpointManager, SavePointsLastAtTheNewCheckpoint) {
  testing::TempDir dir;
  CheckpointManager manager(dir.path());
  manager.save("epoch_1", sample_checkpoint(1));
  manager.save("epoch_2", sample_checkpoint(2));
  EXPECT_EQ(testing::read_last(dir.path()), "epoch_2");
  EXPECT_EQ(manager.latest(), dir.path() / "epoch_2");
}

TEST(CheckpointManager, ResavingANameReplacesItWithoutLeftovers) {
  testing::TempDir dir;
  CheckpointManager manager(dir.path());
  manager.save("epoch_1", sample_checkpoint(1));
  manager.save("epoch_1", sample_checkpoint(2));
  testing::expect_same_checkpoint(read_checkpoint(dir.path() / "epoch_1"), sample_checkpoint(2));
  EXPECT_TRUE(testing::leftovers(dir.path()).empty());
  EXPECT_THAT(names(manager.list()), ElementsAre("epoch_1"));
}

TEST(CheckpointManager, LatestIsEmptyWithoutCheckpoints) {
  testing::TempDir dir;
  EXPECT_EQ(CheckpointManager(dir.path() / "missing").latest(), std::nullopt);
  EXPECT_EQ(CheckpointManager(dir.path()).latest(), std::nullopt);
}

TEST(CheckpointManager, LatestFallsBackToTheNewestWhenLastIsMissing) {
  testing::TempDir dir;
  CheckpointManager manager(dir.path());
  manager.save("iter_200", sample_checkpoint(2));
  manager.save("iter_1000", sample_checkpoint(3));  // sorts before iter_200 by name
  fs::remove(dir.path() / "last");
  EXPECT_EQ(manager.latest(), dir.path() / "iter_1000");
}

TEST(CheckpointManager, LatestFallsBackWhenLastNamesADeletedCheckpoint) {
  testing::TempDir dir;
  CheckpointManager manager(dir.path());
  manager.save("epoch_1", sample_checkpoint(1));
  manager.save("epoch_2", sample_checkpoint(2));
  manager.save("epoch_3", sample_checkpoint(3));
  fs::remove_all(dir.path() / "epoch_3");
  EXPECT_EQ(manager.latest(), dir.path() / "epoch_2");
}

TEST(CheckpointManager, LatestFollowsLastEvenWhenANewerOneExists) {
  testing::TempDir dir;
  CheckpointManager manager(dir.path());
  manager.save("epoch_1", sample_checkpoint(1));
  manager.save("epoch_2", sample_checkpoint(2));
  std::ofstream(dir.path() / "last") << "epoch_1\n";
  EXPECT_EQ(manager.latest(), dir.path() / "epoch_1");
}

TEST(CheckpointManager, LatestSkipsIncompleteDirectories) {
  testing::TempDir dir;
  CheckpointManager manager(dir.path());
  manager.save("epoch_1", sample_checkpoint(1));
  manager.save("epoch_2", sample_checkpoint(2));
  fs::remove(dir.path() / "epoch_2" / "optimizer.safetensors");
  EXPECT_EQ(manager.latest(), dir.path() / "epoch_1");
}

TEST(CheckpointManager, KeepsOnlyTheNewestMaxKeepRegularCheckpoints) {
  testing::TempDir dir;
  CheckpointManager manager(dir.path(), 2);
  for (int epoch = 1; epoch <= 4; ++epoch) manager.save(fmt::format("epoch_{}", epoch), sample_checkpoint(epoch));
  EXPECT_THAT(names(manager.list()), ElementsAre("epoch_3", "epoch_4"));
  EXPECT_FALSE(fs::exists(dir.path() / "epoch_1"));
  EXPECT_TRUE(testing::leftovers(dir.path()).empty());
}

TEST(CheckpointManager, KeepAllWithMaxKeepMinusOne) {
  testing::TempDir dir;
  CheckpointManager manager(dir.path(), -1);
  for (int epoch = 1; epoch <= 4; ++epoch) manager.save(fmt::format("epoch_{}", epoch), sample_checkpoint(epoch));
  EXPECT_EQ(manager.list().size(), 4u);
}

TEST(CheckpointManager, PruningCountsAResavedNameAsTheNewest) {
  testing::TempDir dir;
  CheckpointManager manager(dir.path(), 1);
  manager.save("epoch_1", sample_checkpoint(1));
  manager.save("epoch_2", sample_checkpoint(2));
  manager.save("epoch_1", sample_checkpoint(3));  // re-saved: now the newest
  EXPECT_THAT(names(manager.list()), ElementsAre("epoch_1"));
  EXPECT_EQ(testing::read_last(dir.path()), "epoch_1");
}

TEST(CheckpointManager, PruningNeverRemovesBestCheckpoints) {
  testing::TempDir dir;
  CheckpointManager manager(dir.path(), 1);
  manager.save("epoch_1", sample_checkpoint(1));
  manager.save("best_acc_epoch_1", sample_checkpoint(1), /*is_best=*/true, "acc");
  manager.save("epoch_2", sample_checkpoint(2));
  manager.save("epoch_3", sample_checkpoint(3));
  EXPECT_THAT(names(manager.list()), ElementsAre("best_acc_epoch_1", "epoch_3"));
}

TEST(CheckpointManager, ANewBestReplacesThePreviousBestOfTheSameMetric) {
  testing::TempDir dir;
  CheckpointManager manager(dir.path());
  manager.save("best_acc_epoch_1", sample_checkpoint(1), true, "acc");
  manager.save("best_loss_epoch_1", sample_checkpoint(1), true, "loss");
  manager.save("best_acc_epoch_3", sample_checkpoint(3), true, "acc");
  EXPECT_THAT(names(manager.list()), ElementsAre("best_loss_epoch_1", "best_acc_epoch_3"));
  ASSERT_TRUE(manager.best("acc").has_value());
  EXPECT_EQ(manager.best("acc")->path, dir.path() / "best_acc_epoch_3");
  EXPECT_EQ(manager.best("loss")->name, "best_loss_epoch_1");
  EXPECT_EQ(manager.best("f1"), std::nullopt);
}

TEST(CheckpointManager, BestSavesLeaveLastAlone) {
  testing::TempDir dir;
  CheckpointManager manager(dir.path());
  manager.save("epoch_1", sample_checkpoint(1));
  manager.save("best_acc_epoch_1", sample_checkpoint(1), true, "acc");
  EXPECT_EQ(testing::read_last(dir.path()), "epoch_1");
  EXPECT_EQ(manager.latest(), dir.path() / "epoch_1");
}

TEST(CheckpointManager, SaveRemovesLeftoversOfInterruptedSaves) {
  testing::TempDir dir;
  CheckpointManager manager(dir.path());
  manager.save("epoch_1", sample_checkpoint(1));
  fs::create_directories(dir.path() / "epoch_2.tmp-123-abcdef01");
  std::ofstream(dir.path() / "epoch_2.tmp-123-abcdef01" / "model.safetensors") << "partial";
  std::ofstream(dir.path() / "last.tmp-123-abcdef02") << "epoch_2";
  EXPECT_EQ(manager.latest(), dir.path() / "epoch_1");  // readers ignore leftovers
  manager.save("epoch_2", sample_checkpoint(2));
  EXPECT_TRUE(testing::leftovers(dir.path()).empty());
}

// A crash between moving the old `epoch_1` aside and renaming the new one into
// place leaves only `epoch_1.old-*`: it is still the valid epoch_1.
TEST(CheckpointManager, AnAsideCopyStandsInForItsMissingName) {
  testing::TempDir dir;
  CheckpointManager manager(dir.path());
  manager.save("epoch_1", sample_checkpoint(1));
  const fs::path aside = dir.path() / "epoch_1.old-123-abcdef01";
  fs::rename(dir.path() / "epoch_1", aside);
  EXPECT_EQ(manager.latest(), aside);
  testing::expect_same_checkpoint(read_checkpoint(*manager.latest()), sample_checkpoint(1));

  manager.save("epoch_2", sample_checkpoint(2));
  EXPECT_TRUE(testing::leftovers(dir.path()).empty());
  testing::expect_same_checkpoint(read_checkpoint(dir.path() / "epoch_1"), sample_checkpoint(1));
}

TEST(CheckpointManager, RejectsNamesThatAreNotPlainFileNames) {
  testing::TempDir dir;
  CheckpointManager manager(dir.path());
  const CheckpointState state = sample_checkpoint(1);
  EXPECT_THAT(error_of([&] { manager.save("a/b", state); }), HasSubstr("'/' is not allowed"));
  EXPECT_THAT(error_of([&] { manager.save("last", state); }), HasSubstr("reserved"));
  EXPECT_THAT(error_of([&] { manager.save(".hidden", state); }), HasSubstr("must not start with '.'"));
  EXPECT_THAT(error_of([&] { manager.save("x.tmp-1", state); }), HasSubstr("reserved for interrupted saves"));
  EXPECT_THAT(error_of([&] { manager.save("", state); }), HasSubstr("checkpoint name is empty"));
  EXPECT_TRUE(manager.list().empty());
}

TEST(CheckpointManager, RejectsBadTensorFileStems) {
  testing::TempDir dir;
  CheckpointState state = sample_checkpoint(1);
  state.tensors.emplace("../escape", nn::StateDict{});
  EXPECT_THAT(error_of([&] { CheckpointManager(dir.path()).save("epoch_1", state); }),
              HasSubstr("checkpoint file name \"../escape\""));
}

TEST(CheckpointManager, RejectsZeroMaxKeep) {
  EXPECT_THAT(error_of([] { CheckpointManager("unused", 0); }), HasSubstr("max_keep_ckpts must be -1"));
}

TEST(CheckpointName, SanitizeReplacesCharactersNamesMayNotHold) {
  EXPECT_EQ(sanitize_checkpoint_name("best_accuracy/top1_epoch_3"), "best_accuracy_top1_epoch_3");
  EXPECT_EQ(sanitize_checkpoint_name(".x y"), "_.x_y");
  EXPECT_EQ(sanitize_checkpoint_name("last"), "_last");
  EXPECT_NO_THROW(check_checkpoint_name(sanitize_checkpoint_name("a.tmp-b")));
}

}  // namespace
}  // namespace mini::runtime
