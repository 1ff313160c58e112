#include "runtime/logging/tensorboard_writer.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "runtime/logging/crc32c.h"
#include "runtime/logging/proto_wire.h"
#include "tensor/error.h"

namespace mini::runtime {
namespace {

// Field numbers of tensorflow/core/util/event.proto and summary.proto.
constexpr uint32_t kEventWallTime = 1;
constexpr uint32_t kEventStep = 2;
constexpr uint32_t kEventFileVersion = 3;
constexpr uint32_t kEventSummary = 5;
constexpr uint32_t kSummaryValue = 1;
constexpr uint32_t kValueTag = 1;
constexpr uint32_t kValueSimpleValue = 2;

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

std::filesystem::path unused_event_file(const std::filesystem::path& dir) {
  const std::string base =
      "events.out.tfevents." + std::to_string(static_cast<int64_t>(now_seconds())) + "." + host_name();
  std::filesystem::path path = dir / base;
  for (int suffix = 1; std::filesystem::exists(path); ++suffix) path = dir / (base + "." + std::to_string(suffix));
  return path;
}

}  // namespace

std::string tfrecord_frame(std::string_view data) {
  std::string length;
  proto::put_fixed64(length, data.size());
  std::string record;
  record.reserve(data.size() + 16);
  record += length;
  proto::put_fixed32(record, masked_crc32c(length));
  record += data;
  proto::put_fixed32(record, masked_crc32c(data));
  return record;
}

std::string encode_file_version_event(double wall_time) {
  std::string event;
  proto::put_double(event, kEventWallTime, wall_time);
  proto::put_string(event, kEventFileVersion, "brain.Event:2");
  return event;
}

std::string encode_scalar_event(double wall_time, int64_t step,
                                const std::vector<std::pair<std::string, double>>& scalars) {
  MINI_CHECK(step >= 0, "TensorBoard: step must be >= 0, got {}", step);
  std::string summary;
  for (const auto& [tag, value] : scalars) {
    MINI_CHECK(!tag.empty(), "TensorBoard: a scalar at step {} has an empty tag", step);
    std::string value_message;
    proto::put_string(value_message, kValueTag, tag);
    proto::put_float(value_message, kValueSimpleValue, static_cast<float>(value));
    proto::put_bytes(summary, kSummaryValue, value_message);
  }
  std::string event;
  proto::put_double(event, kEventWallTime, wall_time);
  proto::put_int64(event, kEventStep, step);
  proto::put_bytes(event, kEventSummary, summary);
  return event;
}

TensorBoardWriter::TensorBoardWriter(std::filesystem::path dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  MINI_CHECK(!error, "TensorBoard: cannot create directory {}: {}", dir.string(), error.message());
  path_ = unused_event_file(dir);
  file_ = std::fopen(path_.c_str(), "wb");
  MINI_CHECK(file_ != nullptr, "TensorBoard: cannot open {}: {}", path_.string(), std::strerror(errno));
  write_record(encode_file_version_event(now_seconds()));
  flush();
}

TensorBoardWriter::~TensorBoardWriter() {
  // A destructor must not throw; a failed final flush loses at most the
  // records since the last explicit flush().
  if (file_ != nullptr) std::fclose(file_);
}

void TensorBoardWriter::add_scalar(const std::string& tag, double value, int64_t step) {
  write_record(encode_scalar_event(now_seconds(), step, {{tag, value}}));
}

void TensorBoardWriter::add_scalars(int64_t step, const std::map<std::string, double>& scalars) {
  if (scalars.empty()) return;
  write_record(encode_scalar_event(now_seconds(), step, {scalars.begin(), scalars.end()}));
}

void TensorBoardWriter::flush() {
  MINI_CHECK(std::fflush(file_) == 0, "TensorBoard: cannot write {}: {}", path_.string(), std::strerror(errno));
}

void TensorBoardWriter::write_record(std::string_view data) {
  const std::string record = tfrecord_frame(data);
  MINI_CHECK(std::fwrite(record.data(), 1, record.size(), file_) == record.size(), "TensorBoard: cannot write {}: {}",
             path_.string(), std::strerror(errno));
}

}  // namespace mini::runtime
