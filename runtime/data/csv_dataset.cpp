#include "runtime/data/csv_dataset.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "tensor/error.h"
#include "tensor/ops/factory.h"

namespace mini::runtime {

struct CsvTable {
  TensorMap fields;
  std::string label_name;
};

namespace {

std::string_view trim(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t\r") - begin + 1);
}

std::vector<std::string_view> split(std::string_view line, char delimiter) {
  std::vector<std::string_view> cells;
  size_t start = 0;
  while (true) {
    const size_t end = line.find(delimiter, start);
    cells.push_back(trim(line.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start)));
    if (end == std::string_view::npos) return cells;
    start = end + 1;
  }
}

bool parse_double(std::string_view text, double& value) {
  if (text.empty()) return false;
  // from_chars rejects a leading '+', which spreadsheets sometimes write.
  if (text.front() == '+') text.remove_prefix(1);
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

// Parses the label column spec against the header (or the column count).
int64_t resolve_label_column(const CsvOptions& options, const std::vector<std::string_view>& first_row,
                             bool first_row_is_header) {
  const int64_t columns = static_cast<int64_t>(first_row.size());
  if (options.label_column.empty()) return columns - 1;
  int64_t index = 0;
  const std::string& spec = options.label_column;
  const auto [end, error] = std::from_chars(spec.data(), spec.data() + spec.size(), index);
  if (error == std::errc() && end == spec.data() + spec.size()) {
    MINI_CHECK(index >= -columns && index < columns, "{}: label_column {} is out of range for {} columns", options.path,
               index, columns);
    return index < 0 ? index + columns : index;
  }
  MINI_CHECK(first_row_is_header, "{}: label_column '{}' is a name, but the file has no header (header: false)",
             options.path, spec);
  std::vector<std::string> names;
  for (int64_t c = 0; c < columns; ++c) {
    if (first_row[static_cast<size_t>(c)] == spec) return c;
    names.emplace_back(first_row[static_cast<size_t>(c)]);
  }
  throw ValueError(
      fmt::format("{}:1: no column named '{}'; the header has: {}", options.path, spec, fmt::join(names, ", ")));
}

CsvTable read_csv(const CsvOptions& options) {
  std::string label_name;
  std::ifstream file(options.path);
  MINI_CHECK(file.good(), "CSVDataset: {}: cannot open (no such file, or not readable)", options.path);
  std::vector<float> features;
  std::vector<double> labels;
  int64_t columns = -1, label_column = -1, line_number = 0, rows = 0;
  std::string line;
  while (std::getline(file, line)) {
    ++line_number;
    if (trim(line).empty()) continue;
    const std::vector<std::string_view> cells = split(line, options.delimiter);
    if (columns < 0) {
      columns = static_cast<int64_t>(cells.size());
      MINI_CHECK(columns >= 2, "{}:{}: found 1 column; a CSV dataset needs features and a label (delimiter '{}')",
                 options.path, line_number, options.delimiter);
      label_column = resolve_label_column(options, cells, options.header);
      label_name = options.header ? std::string(cells[static_cast<size_t>(label_column)])
                                  : fmt::format("column {}", label_column);
      if (options.header) continue;
    }
    MINI_CHECK(static_cast<int64_t>(cells.size()) == columns, "{}:{}: row has {} columns, expected {} (as line 1)",
               options.path, line_number, cells.size(), columns);
    for (int64_t c = 0; c < columns; ++c) {
      const std::string_view cell = cells[static_cast<size_t>(c)];
      double value = 0;
      MINI_CHECK(parse_double(cell, value), "{}:{}:{}: expected a number, got '{}'", options.path, line_number, c + 1,
                 cell);
      if (c != label_column) {
        features.push_back(static_cast<float>(value));
        continue;
      }
      if (!options.regression) {
        MINI_CHECK(value >= 0 && value == std::floor(value) && value < 9.0e15,
                   "{}:{}:{}: a classification label must be a non-negative integer, got '{}' "
                   "(set task: regression for real-valued targets)",
                   options.path, line_number, c + 1, cell);
      }
      labels.push_back(value);
    }
    ++rows;
  }
  MINI_CHECK(!file.bad(), "{}: read error", options.path);
  const int64_t feature_count = std::max<int64_t>(columns - 1, 0);
  TensorMap fields;
  fields.emplace("input", ops::from_vector(features, {rows, feature_count}));
  if (options.regression) {
    std::vector<float> targets(labels.begin(), labels.end());
    fields.emplace("target", ops::from_vector(targets, {rows, 1}));
  } else {
    std::vector<int64_t> classes(labels.begin(), labels.end());
    fields.emplace("label", ops::from_vector(classes, {rows}));
  }
  return {std::move(fields), std::move(label_name)};
}

}  // namespace

CsvDataset::CsvDataset(CsvOptions options) : CsvDataset(read_csv(options), options) {}

CsvDataset::CsvDataset(CsvTable table, CsvOptions options)
    : TensorDataset(std::move(table.fields), "CSVDataset"),
      options_(std::move(options)),
      label_name_(std::move(table.label_name)) {}

std::string CsvDataset::describe() const {
  return fmt::format("CSVDataset({}, label={}, {}; {})", options_.path, label_name_,
                     options_.regression ? "regression" : "classification", fields_summary());
}

}  // namespace mini::runtime
