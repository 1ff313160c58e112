#pragma once
// CSVDataset: a table of numbers, one sample per row. Every column but the
// label becomes a feature of "input" (N, F) float32; the label column becomes
// "label" (N,) int64 for classification or "target" (N, 1) float32 for
// regression.
//
//   CsvDataset iris({.path = "iris.csv", .label_column = "species"});
//   iris.get(0);   // {"input": (4,) f32, "label": () i64}
//
// Fields are split on the delimiter and trimmed of spaces; quoting is not
// supported. Blank lines are skipped.
#include <string>

#include "runtime/data/tensor_dataset.h"

namespace mini::runtime {

struct CsvTable;  // the parsed file (csv_dataset.cpp)

struct CsvOptions {
  std::string path = "";
  // A header name, or a column index ("0", "-1" = last). Empty: the last column.
  std::string label_column = "";
  bool header = true;
  char delimiter = ',';
  bool regression = false;  // float "target" instead of an int64 "label"
};

class CsvDataset : public TensorDataset {
 public:
  explicit CsvDataset(CsvOptions options);
  std::string describe() const override;

 private:
  CsvDataset(CsvTable table, CsvOptions options);
  CsvOptions options_;
  std::string label_name_;
};

}  // namespace mini::runtime
