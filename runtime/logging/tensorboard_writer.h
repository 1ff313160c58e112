#pragma once
// TensorBoardWriter: scalar summaries in TensorBoard's event-file format, so
// `tensorboard --logdir work_dir` plots a run without any Python in training.
//
//   runtime::TensorBoardWriter tb(log_dir / "tensorboard");
//   tb.add_scalar("train/loss", 0.41, /*step=*/100);
//   tb.add_scalars(100, {{"train/lr", 0.05}, {"train/loss", 0.41}});
//   tb.flush();  // also done by the destructor
//
// File: `events.out.tfevents.<unix_time>.<hostname>` (a ".<n>" suffix when a
// writer in the same second already took that name), a sequence of TFRecords:
//   uint64 length (LE) | uint32 masked_crc32c(length bytes) | data | uint32 masked_crc32c(data)
// where each data is a serialized tensorflow.Event protobuf:
//   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//   Summary { repeated Value value = 1; }
//   Value   { string tag = 1; float simple_value = 2; }
// The first record is Event{file_version: "brain.Event:2"}. Values are stored
// as float32, as TensorBoard's simple_value is. Not thread-safe: one logger
// thread writes.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mini::runtime {

class TensorBoardWriter {
 public:
  // Creates `dir` if needed and the event file in it; throws mini::ValueError
  // naming the path when it cannot.
  explicit TensorBoardWriter(std::filesystem::path dir);
  ~TensorBoardWriter();
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  // `step` must be >= 0 (the x axis in TensorBoard).
  void add_scalar(const std::string& tag, double value, int64_t step);
  // All values in one event, sharing a step and a wall time.
  void add_scalars(int64_t step, const std::map<std::string, double>& scalars);
  // Pushes buffered records to the OS; throws when the write failed (disk full).
  void flush();

  const std::filesystem::path& path() const { return path_; }

 private:
  void write_record(std::string_view data);

  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
};

// ---- the encoding, exposed for tests and other writers ----
// One TFRecord: header, data and both masked CRCs.
std::string tfrecord_frame(std::string_view data);
// Event{wall_time, file_version: "brain.Event:2"}.
std::string encode_file_version_event(double wall_time);
// Event{wall_time, step, summary: {value: [{tag, simple_value}...]}}.
std::string encode_scalar_event(double wall_time, int64_t step,
                                const std::vector<std::pair<std::string, double>>& scalars);

}  // namespace mini::runtime
