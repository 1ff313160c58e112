// read_checkpoint / read_model_weights: every broken checkpoint is an error
// that names the file at fault.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "checkpoint_testing.h"
#include "nn/serialization.h"

namespace mini::runtime {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::sample_checkpoint;

std::string read_error(const fs::path& path) {
  try {
    read_checkpoint(path);
  } catch (const ValueError& error) {
    return error.what();
  }
  return "(no error)";
}

// A saved epoch_1 whose state.json the test rewrites.
class BrokenCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override { path_ = CheckpointManager(dir_.path()).save("epoch_1", sample_checkpoint(1)); }
  void write_state_json(const std::string& text) { std::ofstream(path_ / "state.json", std::ios::trunc) << text; }
  nlohmann::json state_json() const { return nlohmann::json::parse(std::ifstream(path_ / "state.json")); }

  testing::TempDir dir_;
  fs::path path_;
};

TEST_F(BrokenCheckpoint, MissingPathIsNamed) {
  EXPECT_THAT(read_error(dir_.path() / "epoch_9"), HasSubstr("epoch_9 does not exist"));
}

TEST_F(BrokenCheckpoint, MissingStateJsonIsNamed) {
  fs::remove(path_ / "state.json");
  EXPECT_THAT(read_error(path_), HasSubstr((path_ / "state.json").string() + " is missing"));
}

TEST_F(BrokenCheckpoint, ACheckpointsFolderGetsAHint) {
  EXPECT_THAT(read_error(dir_.path()), HasSubstr("this looks like a checkpoints folder"));
}

TEST_F(BrokenCheckpoint, MissingTensorFileIsNamed) {
  fs::remove(path_ / "optimizer.safetensors");
  EXPECT_THAT(read_error(path_), HasSubstr((path_ / "optimizer.safetensors").string() + " is missing"));
}

TEST_F(BrokenCheckpoint, InvalidJsonReportsFileAndByteOffset) {
  write_state_json("{\"format_version\": 1,, }");
  EXPECT_THAT(read_error(path_),
              AllOf(HasSubstr((path_ / "state.json").string()), HasSubstr("invalid JSON at byte 22")));
}

TEST_F(BrokenCheckpoint, UnsupportedFormatVersionIsAnError) {
  nlohmann::json json = state_json();
  json["format_version"] = 2;
  write_state_json(json.dump());
  EXPECT_THAT(read_error(path_),
              AllOf(HasSubstr("state.json: unsupported format_version 2"), HasSubstr("this build reads version 1")));
}

TEST_F(BrokenCheckpoint, MissingFieldIsNamed) {
  nlohmann::json json = state_json();
  json.erase("files");
  write_state_json(json.dump());
  EXPECT_THAT(read_error(path_), HasSubstr("state.json: missing \"files\""));
}

TEST_F(BrokenCheckpoint, TruncatedSafetensorsErrorNamesTheFile) {
  const fs::path model = path_ / "model.safetensors";
  fs::resize_file(model, fs::file_size(model) - 5);
  EXPECT_THAT(read_error(path_), HasSubstr(model.string()));
}

TEST_F(BrokenCheckpoint, CorruptSafetensorsHeaderErrorNamesTheFile) {
  const fs::path model = path_ / "model.safetensors";
  std::fstream(model, std::ios::in | std::ios::out | std::ios::binary).seekp(8).write("}}}}", 4);
  EXPECT_THAT(read_error(path_), HasSubstr(model.string()));
}

TEST(ReadCheckpoint, ABareSafetensorsFileReadsAsTheModel) {
  testing::TempDir dir;
  const CheckpointState saved = sample_checkpoint(4);
  const fs::path file = dir.path() / "weights.safetensors";
  nn::save_state_dict(saved.tensors.at("model"), file.string());
  const CheckpointState loaded = read_checkpoint(file);
  ASSERT_EQ(loaded.tensors.size(), 1u);
  testing::expect_bit_identical(loaded.tensors.at("model"), saved.tensors.at("model"));
  EXPECT_TRUE(loaded.state.empty());
  testing::expect_bit_identical(read_model_weights(file), saved.tensors.at("model"));
}

TEST(ReadCheckpoint, OtherFilesAreNotCheckpoints) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "weights.pt") << "pickle";
  EXPECT_THAT(read_error(dir.path() / "weights.pt"),
              HasSubstr("expected a checkpoint directory or a .safetensors file"));
}

TEST(ReadModelWeights, ReadsTheModelFileOfACheckpoint) {
  testing::TempDir dir;
  const CheckpointState saved = sample_checkpoint(5);
  const fs::path path = CheckpointManager(dir.path()).save("iter_10", saved);
  testing::expect_bit_identical(read_model_weights(path), saved.tensors.at("model"));
}

TEST(ReadModelWeights, ACheckpointWithoutModelIsAnError) {
  testing::TempDir dir;
  CheckpointState saved = sample_checkpoint(5);
  saved.tensors.erase("model");
  const fs::path path = CheckpointManager(dir.path()).save("iter_10", saved);
  try {
    read_model_weights(path);
    FAIL() << "expected an error";
  } catch (const ValueError& error) {
    EXPECT_THAT(error.what(), HasSubstr("holds no model weights (its files: optimizer)"));
  }
}

}  // namespace
}  // namespace mini::runtime
