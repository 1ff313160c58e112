// CSVDataset: features and labels by column name or index, regression
// targets, and errors that point at file:line:column.
#include "runtime/data/csv_dataset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data_testing.h"

namespace mini::runtime {
namespace {

using testing::error_of;
using ::testing::HasSubstr;
using testing::ScratchDir;
using testing::values_of;

TEST(CsvDataset, LastColumnIsTheLabelByDefault) {
  ScratchDir dir;
  const std::string path = dir.write_text("t.csv", "a,b,y\n1.5,2,0\n-3, 4e1 ,2\n\n");
  CsvDataset data({.path = path});
  ASSERT_EQ(data.size(), 2);
  const Sample second = data.get(1);
  EXPECT_EQ(second.at("input").sizes(), Shape({2}));
  EXPECT_EQ(values_of(second.at("input")), (std::vector<double>{-3, 40}));
  EXPECT_EQ(second.at("label").item<int64_t>(), 2);
  EXPECT_EQ(data.max_label(), 2);
}

TEST(CsvDataset, LabelColumnByNameAnywhereInTheRow) {
  ScratchDir dir;
  const std::string path = dir.write_text("t.csv", "y,a,b\n1,10,20\n0,30,40\n");
  CsvDataset data({.path = path, .label_column = "y"});
  const int64_t rows[] = {0, 1};
  const Batch batch = data.get_batch(rows);
  EXPECT_EQ(values_of(batch.at("input")), (std::vector<double>{10, 20, 30, 40}));
  EXPECT_EQ(values_of(batch.at("label")), (std::vector<double>{1, 0}));
  EXPECT_THAT(data.describe(), HasSubstr("label=y"));
}

TEST(CsvDataset, LabelColumnByIndexWithoutHeaderAndOtherDelimiter) {
  ScratchDir dir;
  const std::string path = dir.write_text("t.csv", "5;1;2\n6;0;3\n");
  CsvDataset data({.path = path, .label_column = "1", .header = false, .delimiter = ';'});
  EXPECT_EQ(values_of(data.get(1).at("input")), (std::vector<double>{6, 3}));
  EXPECT_EQ(data.get(1).at("label").item<int64_t>(), 0);
}

TEST(CsvDataset, RegressionGivesAFloatTargetColumn) {
  ScratchDir dir;
  const std::string path = dir.write_text("t.csv", "x,y\n1,0.25\n2,-1.5\n");
  CsvDataset data({.path = path, .regression = true});
  const Sample sample = data.get(1);
  EXPECT_FALSE(sample.contains("label"));
  EXPECT_EQ(sample.at("target").sizes(), Shape({1}));
  EXPECT_EQ(sample.at("target").dtype(), DType::f32);
  EXPECT_EQ(values_of(sample.at("target")), (std::vector<double>{-1.5}));
}

TEST(CsvDataset, NonNumericCellNamesFileLineAndColumn) {
  ScratchDir dir;
  const std::string path = dir.write_text("t.csv", "a,b,y\n1,2,0\n3,abc,1\n");
  EXPECT_THAT(error_of([&] { CsvDataset({.path = path}); }), HasSubstr(path + ":3:2: expected a number, got 'abc'"));
}

TEST(CsvDataset, RaggedRowNamesTheLineAndBothCounts) {
  ScratchDir dir;
  const std::string path = dir.write_text("t.csv", "a,b,y\n1,2,0\n3,1\n");
  EXPECT_THAT(error_of([&] { CsvDataset({.path = path}); }), HasSubstr(path + ":3: row has 2 columns, expected 3"));
}

TEST(CsvDataset, FractionalClassLabelIsAnError) {
  ScratchDir dir;
  const std::string path = dir.write_text("t.csv", "a,y\n1,0.5\n");
  const std::string message = error_of([&] { CsvDataset({.path = path}); });
  EXPECT_THAT(message, HasSubstr(path + ":2:2: a classification label must be a non-negative integer, got '0.5'"));
  EXPECT_THAT(message, HasSubstr("task: regression"));
}

TEST(CsvDataset, UnknownLabelColumnListsTheHeader) {
  ScratchDir dir;
  const std::string path = dir.write_text("t.csv", "a,b,y\n1,2,0\n");
  EXPECT_THAT(error_of([&] { CsvDataset({.path = path, .label_column = "label"}); }),
              HasSubstr("no column named 'label'; the header has: a, b, y"));
}

TEST(CsvDataset, MissingFileNamesThePath) {
  EXPECT_THAT(error_of([] { CsvDataset({.path = "/nonexistent/data.csv"}); }),
              HasSubstr("/nonexistent/data.csv: cannot open"));
}

TEST(CsvDataset, HeaderOnlyFileIsEmpty) {
  ScratchDir dir;
  CsvDataset data({.path = dir.write_text("t.csv", "a,b,y\n")});
  EXPECT_EQ(data.size(), 0);
}

}  // namespace
}  // namespace mini::runtime
