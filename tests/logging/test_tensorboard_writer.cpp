#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <regex>

#include "event_file_reader.h"
#include "runtime/logging/tensorboard_writer.h"
#include "tensor/error.h"

namespace mini::runtime {
namespace {

using testing::decode_event;
using testing::DecodedEvent;
using ::testing::HasSubstr;
using testing::read_file_bytes;
using testing::read_tfrecords;
using testing::TempDir;

std::vector<DecodedEvent> read_events(const std::filesystem::path& path) {
  std::vector<DecodedEvent> events;
  for (const std::string& record : read_tfrecords(read_file_bytes(path))) events.push_back(decode_event(record));
  return events;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TEST(TensorBoardWriter, NamesTheFileLikeTensorFlowInTheGivenDirectory) {
  TempDir dir("tb");
  TensorBoardWriter writer(dir.path() / "tensorboard");
  EXPECT_EQ(writer.path().parent_path(), dir.path() / "tensorboard");
  EXPECT_TRUE(std::regex_match(writer.path().filename().string(), std::regex(R"(events\.out\.tfevents\.\d{10}\..+)")))
      << writer.path();
  EXPECT_TRUE(std::filesystem::exists(writer.path()));
}

TEST(TensorBoardWriter, FirstEventCarriesTheFileVersion) {
  TempDir dir("tb");
  TensorBoardWriter writer(dir.path());
  const auto events = read_events(writer.path());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  EXPECT_TRUE(events[0].values.empty());
  EXPECT_NEAR(events[0].wall_time, now_seconds(), 60.0);
}

TEST(TensorBoardWriter, ScalarsReadBackWithTagValueAndStep) {
  TempDir dir("tb");
  std::filesystem::path path;
  {
    TensorBoardWriter writer(dir.path());
    path = writer.path();
    writer.add_scalar("train/loss", 0.5, 10);
    writer.add_scalar("train/loss", 0.25, 20);
    writer.add_scalars(30, {{"val/accuracy/top1", 91.5}, {"val/loss", 0.125}});
  }
  const auto events = read_events(path);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[1].step, 10);
  ASSERT_EQ(events[1].values.size(), 1u);
  EXPECT_EQ(events[1].values[0].tag, "train/loss");
  EXPECT_EQ(events[1].values[0].simple_value, 0.5f);
  EXPECT_EQ(events[2].step, 20);
  EXPECT_EQ(events[2].values[0].simple_value, 0.25f);
  EXPECT_EQ(events[3].step, 30);
  ASSERT_EQ(events[3].values.size(), 2u);
  EXPECT_EQ(events[3].values[0].tag, "val/accuracy/top1");
  EXPECT_EQ(events[3].values[0].simple_value, 91.5f);
  EXPECT_EQ(events[3].values[1].tag, "val/loss");
  EXPECT_EQ(events[3].values[1].simple_value, 0.125f);
  EXPECT_NEAR(events[3].wall_time, now_seconds(), 60.0);
}

TEST(TensorBoardWriter, ValuesAreRoundedToFloat32) {
  TempDir dir("tb");
  TensorBoardWriter writer(dir.path());
  writer.add_scalar("lr", 0.1, 0);
  writer.flush();
  const auto events = read_events(writer.path());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].values[0].simple_value, 0.1f);
  EXPECT_EQ(events[1].step, 0);
}

TEST(TensorBoardWriter, LargeStepsSurviveTheVarint) {
  TempDir dir("tb");
  TensorBoardWriter writer(dir.path());
  const int64_t large = (int64_t{1} << 53) + 7;
  writer.add_scalar("x", 1.0, large);
  writer.flush();
  EXPECT_EQ(read_events(writer.path()).back().step, large);
}

TEST(TensorBoardWriter, FlushMakesRecordsReadableWhileOpen) {
  TempDir dir("tb");
  TensorBoardWriter writer(dir.path());
  writer.add_scalar("a", 1.0, 1);
  writer.flush();
  EXPECT_EQ(read_events(writer.path()).size(), 2u);
  writer.add_scalar("a", 2.0, 2);
  writer.flush();
  EXPECT_EQ(read_events(writer.path()).size(), 3u);
}

TEST(TensorBoardWriter, SecondWriterInTheSameDirectoryGetsItsOwnFile) {
  TempDir dir("tb");
  TensorBoardWriter first(dir.path());
  TensorBoardWriter second(dir.path());
  EXPECT_NE(first.path(), second.path());
  EXPECT_THAT(second.path().filename().string(), HasSubstr("tfevents"));
}

TEST(TensorBoardWriter, EmptyScalarMapWritesNothing) {
  TempDir dir("tb");
  TensorBoardWriter writer(dir.path());
  writer.add_scalars(5, {});
  writer.flush();
  EXPECT_EQ(read_events(writer.path()).size(), 1u);
}

TEST(TensorBoardWriter, NegativeStepIsAnError) {
  TempDir dir("tb");
  TensorBoardWriter writer(dir.path());
  try {
    writer.add_scalar("loss", 1.0, -1);
    FAIL() << "expected an error";
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("step must be >= 0, got -1"));
  }
}

TEST(TensorBoardWriter, UncreatableDirectoryIsAnErrorNamingIt) {
  TempDir dir("tb");
  std::ofstream(dir.path() / "file") << "not a directory";
  try {
    TensorBoardWriter writer(dir.path() / "file" / "tb");
    FAIL() << "expected an error";
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr((dir.path() / "file" / "tb").string()));
  }
}

// The exact bytes of one event, built by hand from event.proto's field numbers.
TEST(TensorBoardEncoding, ScalarEventMatchesHandEncodedBytes) {
  const std::string event = encode_scalar_event(1.0, 5, {{"a", 0.5}});
  const std::string expected = std::string("\x09\x00\x00\x00\x00\x00\x00\xF0\x3F", 9)  // wall_time = 1.0
                               + std::string("\x10\x05", 2)                            // step = 5
                               + std::string("\x2A\x0A", 2)                            // summary, 10 bytes
                               + std::string("\x0A\x08", 2)                            // value, 8 bytes
                               + std::string(
                                     "\x0A\x01"
                                     "a",
                                     3)                                   // tag = "a"
                               + std::string("\x15\x00\x00\x00\x3F", 5);  // simple_value = 0.5f
  EXPECT_EQ(event, expected);
}

TEST(TensorBoardEncoding, FileVersionEventMatchesHandEncodedBytes) {
  const std::string event = encode_file_version_event(0.0);
  EXPECT_EQ(event, std::string("\x09\0\0\0\0\0\0\0\0", 9) + std::string("\x1A\x0D", 2) + "brain.Event:2");
}

TEST(TensorBoardEncoding, TfRecordFrameHasLengthCrcDataCrc) {
  const std::string frame = tfrecord_frame("hello");
  ASSERT_EQ(frame.size(), 8u + 4u + 5u + 4u);
  EXPECT_EQ(frame.substr(0, 8), std::string("\x05\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(frame.substr(12, 5), "hello");
  EXPECT_EQ(read_tfrecords(frame), std::vector<std::string>{"hello"});
}

TEST(TensorBoardEncoding, ReaderRejectsACorruptedRecord) {
  std::string frame = tfrecord_frame("hello");
  frame[13] = 'E';
  EXPECT_THROW(read_tfrecords(frame), std::runtime_error);
}

}  // namespace
}  // namespace mini::runtime
