#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "event_file_reader.h"
#include "runtime/logging/scalars_jsonl.h"
#include "tensor/error.h"

namespace mini::runtime {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

std::vector<nlohmann::json> read_lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

TEST(ScalarsJsonl, EachWriteIsOneParsableLine) {
  TempDir dir("jsonl");
  ScalarsJsonlWriter writer(dir.path() / "scalars.jsonl");
  writer.write({{"step", int64_t{100}},
                {"epoch", int64_t{1}},
                {"iter", int64_t{100}},
                {"lr", 0.05},
                {"loss", 0.4123},
                {"time", 0.0041},
                {"data_time", 0.0002},
                {"memory", int64_t{123}}});
  writer.write({{"step", int64_t{469}}, {"val/accuracy/top1", 91.25}});
  const auto lines = read_lines(writer.path());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["step"], 100);
  EXPECT_TRUE(lines[0]["epoch"].is_number_integer());
  EXPECT_EQ(lines[0]["lr"].get<double>(), 0.05);
  EXPECT_EQ(lines[0]["loss"].get<double>(), 0.4123);
  EXPECT_EQ(lines[0]["memory"], 123);
  EXPECT_EQ(lines[1]["val/accuracy/top1"].get<double>(), 91.25);
}

TEST(ScalarsJsonl, KeysKeepTheGivenOrder) {
  EXPECT_EQ(scalars_json_line({{"step", int64_t{1}}, {"lr", 0.5}, {"epoch", int64_t{2}}}),
            R"({"step":1,"lr":0.5,"epoch":2})");
}

TEST(ScalarsJsonl, IntegersStayIntegersAndDoublesStayDoubles) {
  EXPECT_EQ(scalars_json_line({{"iter", int64_t{3}}, {"loss", 3.0}}), R"({"iter":3,"loss":3.0})");
}

TEST(ScalarsJsonl, NonFiniteValuesAreWrittenAsStrings) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::string line = scalars_json_line({{"loss", std::nan("")}, {"a", inf}, {"b", -inf}});
  EXPECT_EQ(line, R"({"loss":"nan","a":"inf","b":"-inf"})");
  EXPECT_NO_THROW(nlohmann::json::parse(line));
}

TEST(ScalarsJsonl, AppendsToAnExistingFile) {
  TempDir dir("jsonl");
  const auto path = dir.path() / "scalars.jsonl";
  { ScalarsJsonlWriter(path).write({{"step", int64_t{1}}}); }
  { ScalarsJsonlWriter(path).write({{"step", int64_t{2}}}); }
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["step"], 2);
}

TEST(ScalarsJsonl, LinesAreOnDiskBeforeTheWriterCloses) {
  TempDir dir("jsonl");
  ScalarsJsonlWriter writer(dir.path() / "sub" / "scalars.jsonl");
  writer.write({{"step", int64_t{7}}});
  const auto lines = read_lines(writer.path());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["step"], 7);
}

TEST(ScalarsJsonl, DuplicateKeyIsAnError) {
  try {
    scalars_json_line({{"loss", 1.0}, {"loss", 2.0}});
    FAIL() << "expected an error";
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("key 'loss' appears twice"));
  }
}

TEST(ScalarsJsonl, UnopenablePathIsAnErrorNamingIt) {
  TempDir dir("jsonl");
  std::filesystem::create_directories(dir.path() / "taken");
  try {
    ScalarsJsonlWriter writer(dir.path() / "taken");
    FAIL() << "expected an error";
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr((dir.path() / "taken").string()));
  }
}

}  // namespace
}  // namespace mini::runtime
