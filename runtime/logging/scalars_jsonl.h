#pragma once
// ScalarsJsonlWriter: one JSON object per logged step, appended to a
// `scalars.jsonl` file (MMEngine's vis_data/scalars.json, same keys), so a
// run can be plotted with a few lines of any language.
//
//   runtime::ScalarsJsonlWriter scalars(log_dir / "scalars.jsonl");
//   scalars.write({{"step", int64_t{100}}, {"epoch", int64_t{1}}, {"iter", int64_t{100}},
//                  {"lr", 0.05}, {"loss", 0.4123}, {"time", 0.0041}, {"data_time", 0.0002}});
//   // {"step":100,"epoch":1,"iter":100,"lr":0.05,"loss":0.4123,"time":0.0041,"data_time":0.0002}
//
// Keys keep the order given. Integers stay integers. A non-finite double is
// written as the string "nan", "inf" or "-inf": JSON has no such numbers,
// and a string (unlike null) still says that the loss diverged; Python's
// float("nan") and pandas' to_numeric read them back. Each line is flushed
// as it is written, so a crash loses no logged step.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace mini::runtime {

using ScalarValue = std::variant<int64_t, double>;
using ScalarFields = std::vector<std::pair<std::string, ScalarValue>>;

class ScalarsJsonlWriter {
 public:
  // Appends to `path` (creating its directory); throws mini::ValueError naming it when it cannot.
  explicit ScalarsJsonlWriter(std::filesystem::path path);
  ~ScalarsJsonlWriter();
  ScalarsJsonlWriter(const ScalarsJsonlWriter&) = delete;
  ScalarsJsonlWriter& operator=(const ScalarsJsonlWriter&) = delete;

  void write(const ScalarFields& fields);
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
};

// The line written for `fields` (without the newline).
std::string scalars_json_line(const ScalarFields& fields);

}  // namespace mini::runtime
