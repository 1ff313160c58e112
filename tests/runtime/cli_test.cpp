// The `mini-engine` command line: exit codes and messages.
#include <gmock/gmock.h>

#include "runtime/cli/commands.h"
#include "runtime_testing.h"

namespace mini::runtime::testing {
namespace {

using ::testing::HasSubstr;

struct CliResult {
  int code;
  std::string out;
  std::string err;
};

CliResult run(std::vector<std::string> args) {
  args.insert(args.begin(), "mini-engine");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int code = cli::run_cli(static_cast<int>(argv.size()), argv.data());
  CliResult result{code, ::testing::internal::GetCapturedStdout(), ::testing::internal::GetCapturedStderr()};
  return result;
}

TEST(Cli, VersionSucceeds) {
  const CliResult result = run({"version"});
  EXPECT_EQ(result.code, 0);
  EXPECT_THAT(result.out, HasSubstr("mini-engine "));
  EXPECT_THAT(result.out, HasSubstr("cpu features:"));
}

TEST(Cli, MissingConfigFileIsAUserError) {
  const CliResult result = run({"train", "/nonexistent/train.yaml"});
  EXPECT_EQ(result.code, 1);
  EXPECT_THAT(result.err, HasSubstr("/nonexistent/train.yaml"));
}

TEST(Cli, UnknownSubcommandIsAUserError) { EXPECT_EQ(run({"trian"}).code, 1); }

TEST(Cli, DryRunBuildsEverythingAndStops) {
  TempDir dir;
  const auto path = write_file(dir / "cfg.yaml", kSyntheticConfig);
  const CliResult result = run({"train", path.string(), "--dry-run", "--work-dir", (dir / "work").string(), "-q"});
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("dry run"));
  EXPECT_FALSE(std::filesystem::exists(dir / "work" / "checkpoints"));
}

TEST(Cli, ConfigCheckReportsTheBadKeyWithItsLine) {
  TempDir dir;
  const auto path = write_file(dir / "cfg.yaml", kSyntheticConfig);
  const CliResult result = run({"config", "check", path.string(), "optim_wrapper.optimizer.momentun=0.9"});
  EXPECT_EQ(result.code, 1);
  EXPECT_THAT(result.err, HasSubstr("did you mean 'momentum'?"));
  EXPECT_THAT(result.err, HasSubstr("command line"));
}

TEST(Cli, ConfigPrintShowsOverriddenAndInterpolatedValues) {
  TempDir dir;
  const auto path = write_file(dir / "cfg.yaml", std::string(kSyntheticConfig) +
                                                     "vars: {lr: 0.1}\n");
  const CliResult result =
      run({"config", "print", path.string(), "vars.lr=0.5", "optim_wrapper.optimizer.lr=${vars.lr}", "--sources"});
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("lr: 0.5"));
  EXPECT_THAT(result.out, HasSubstr("cfg.yaml:"));
}

TEST(Cli, ListShowsComponentsWithArguments) {
  const CliResult result = run({"list", "optimizer"});
  EXPECT_EQ(result.code, 0);
  EXPECT_THAT(result.out, HasSubstr("AdamW"));
  EXPECT_THAT(result.out, HasSubstr("weight_decay"));
  EXPECT_EQ(run({"list", "optimzer"}).code, 1);
}

TEST(Cli, TrainThenTestACheckpoint) {
  TempDir dir;
  const auto path = write_file(dir / "cfg.yaml", std::string(kSyntheticConfig) +
                                                     "test_dataloader: ${val_dataloader}\n");
  const std::string work = (dir / "work").string();
  ASSERT_EQ(run({"train", path.string(), "--work-dir", work, "-q", "train_cfg.max_epochs=1"}).code, 0);
  const CliResult result =
      run({"test", path.string(), "--checkpoint", work + "/checkpoints/epoch_1", "--work-dir", work, "-q"});
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("accuracy/top1"));
}

TEST(Cli, EveryExampleConfigPassesConfigCheck) {
  const std::filesystem::path examples = std::filesystem::path(MINI_TEST_DATA_DIR) / ".." / "examples";
  std::vector<std::string> checked;
  for (const auto& entry : std::filesystem::directory_iterator(examples)) {
    if (entry.path().extension() != ".yaml") continue;  // _base_/ holds fragments, not runnable configs
    const CliResult result = run({"config", "check", entry.path().string()});
    EXPECT_EQ(result.code, 0) << entry.path() << ": " << result.err;
    checked.push_back(entry.path().filename().string());
  }
  EXPECT_THAT(checked, ::testing::Contains("fashion_mnist_mlp_amp.yaml"));
}

TEST(Cli, BadSeedIsAUserError) {
  TempDir dir;
  const auto path = write_file(dir / "cfg.yaml", kSyntheticConfig);
  EXPECT_EQ(run({"train", path.string(), "--seed", "x1"}).code, 1);
}

}  // namespace
}  // namespace mini::runtime::testing
