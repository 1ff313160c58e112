// MNIST / Fashion-MNIST: the real files' known first labels, tiny generated
// IDX files (gzip and raw), shapes, scaling, and the errors for bad magic,
// truncation, mismatched counts and missing files.
#include "runtime/data/mnist.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "data_testing.h"

namespace mini::runtime {
namespace {

using testing::error_of;
using ::testing::HasSubstr;
using testing::ScratchDir;
using testing::values_of;
using testing::write_gzip;
using testing::write_tiny_mnist;

bool have_fashion_mnist() {
  return std::filesystem::exists(std::string(kFashionMnistRoot) + "/train-labels-idx1-ubyte.gz");
}

TEST(FashionMnist, FirstTrainLabelsMatchTheRealDataset) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  MnistDataset train("FashionMNIST", {.split = "train", .limit = 10});
  ASSERT_EQ(train.size(), 10);
  std::vector<int64_t> all(10);
  for (int64_t i = 0; i < 10; ++i) all[static_cast<size_t>(i)] = i;
  EXPECT_EQ(values_of(train.get_batch(all).at("label")), (std::vector<double>{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}));
}

TEST(FashionMnist, RealImagesAreScaledToTheUnitInterval) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  MnistDataset test("FashionMNIST", {.split = "test", .flatten = true, .limit = 5});
  const Sample sample = test.get(0);
  EXPECT_EQ(sample.at("input").sizes(), Shape({784}));
  const std::vector<double> pixels = values_of(sample.at("input"));
  EXPECT_GE(*std::min_element(pixels.begin(), pixels.end()), 0.0);
  EXPECT_LE(*std::max_element(pixels.begin(), pixels.end()), 1.0);
  EXPECT_GT(*std::max_element(pixels.begin(), pixels.end()), 0.5);  // not all black
  EXPECT_EQ(test.num_classes(), 10);
}

TEST(MnistDataset, ReadsGzipIdxFilesAsImagesAndLabels) {
  ScratchDir dir;
  write_tiny_mnist(dir, "train", 12);
  MnistDataset data("MNIST", {.root = dir.path().string()});
  ASSERT_EQ(data.size(), 12);
  const Sample sample = data.get(5);
  EXPECT_EQ(sample.at("input").sizes(), Shape({1, 4, 3}));
  EXPECT_EQ(sample.at("input").dtype(), DType::f32);
  EXPECT_EQ(sample.at("label").dim(), 0);
  EXPECT_EQ(sample.at("label").dtype(), DType::i64);
  EXPECT_EQ(sample.at("label").item<int64_t>(), 5);
  const std::vector<double> pixels = values_of(sample.at("input"));
  for (size_t p = 0; p < pixels.size(); ++p) EXPECT_NEAR(pixels[p], (5 * 7 + p) / 255.0, 1e-6) << p;
  EXPECT_EQ(data.max_label(), 9);
}

TEST(MnistDataset, ReadsUncompressedIdxFiles) {
  ScratchDir dir;
  write_tiny_mnist(dir, "t10k", 3, 2, 2, /*gzip=*/false);
  MnistDataset data("MNIST", {.root = dir.path().string(), .split = "test"});
  EXPECT_EQ(data.size(), 3);
  EXPECT_EQ(data.get(2).at("label").item<int64_t>(), 2);
}

TEST(MnistDataset, FlattenGivesRowVectors) {
  ScratchDir dir;
  write_tiny_mnist(dir, "train", 4);
  MnistDataset data("MNIST", {.root = dir.path().string(), .flatten = true});
  const int64_t rows[] = {3, 1};
  const Batch batch = data.get_batch(rows);
  EXPECT_EQ(batch.at("input").sizes(), Shape({2, 12}));
  EXPECT_EQ(values_of(batch.at("label")), (std::vector<double>{3, 1}));
}

TEST(MnistDataset, MeanAndStdApplyAfterScaling) {
  ScratchDir dir;
  write_tiny_mnist(dir, "train", 2);
  MnistDataset data("MNIST", {.root = dir.path().string(), .mean = 0.5, .std = 0.25});
  const std::vector<double> pixels = values_of(data.get(1).at("input"));
  for (size_t p = 0; p < pixels.size(); ++p) EXPECT_NEAR(pixels[p], ((7 + p) / 255.0 - 0.5) / 0.25, 1e-5) << p;
}

TEST(MnistDataset, GetBatchMatchesGetPerSample) {
  ScratchDir dir;
  write_tiny_mnist(dir, "train", 9);
  MnistDataset data("MNIST", {.root = dir.path().string()});
  const int64_t rows[] = {8, 0, 4};
  const Batch batch = data.get_batch(rows);
  for (size_t r = 0; r < 3; ++r) {
    const std::vector<double> whole = values_of(batch.at("input"));
    const std::vector<double> one = values_of(data.get(rows[r]).at("input"));
    EXPECT_TRUE(std::equal(one.begin(), one.end(), whole.begin() + static_cast<ptrdiff_t>(r * 12))) << r;
  }
}

TEST(MnistDataset, LimitKeepsTheFirstSamples) {
  ScratchDir dir;
  write_tiny_mnist(dir, "train", 20);
  MnistDataset data("MNIST", {.root = dir.path().string(), .limit = 7});
  EXPECT_EQ(data.size(), 7);
  EXPECT_EQ(data.get(6).at("label").item<int64_t>(), 6);
  EXPECT_THAT(data.describe(), HasSubstr("limit=7"));
}

TEST(MnistDataset, IndexOutOfRangeIsAnIndexError) {
  ScratchDir dir;
  write_tiny_mnist(dir, "train", 3);
  MnistDataset data("MNIST", {.root = dir.path().string()});
  EXPECT_THROW(data.get(3), IndexError);
  EXPECT_THAT(error_of([&] { data.get(-1); }), HasSubstr("index -1 out of range for 3 samples"));
}

TEST(MnistDataset, BadMagicNamesTheFileAndBothNumbers) {
  ScratchDir dir;
  write_tiny_mnist(dir, "train", 3);
  write_gzip(dir.file("train-labels-idx1-ubyte.gz"), testing::idx_bytes({3}, {0, 1, 2}, 0x00000803));
  const std::string message = error_of([&] { MnistDataset("MNIST", {.root = dir.path().string()}); });
  EXPECT_THAT(message, HasSubstr("train-labels-idx1-ubyte.gz: bad magic number 0x00000803; expected 0x00000801"));
}

TEST(MnistDataset, TruncatedLabelsSayHowManyTheFileHas) {
  ScratchDir dir;
  write_tiny_mnist(dir, "train", 6);
  std::vector<uint8_t> labels = testing::idx_bytes({6}, {0, 1, 2, 3, 4, 5});
  labels.resize(labels.size() - 2);
  write_gzip(dir.file("train-labels-idx1-ubyte.gz"), labels);
  const std::string message = error_of([&] { MnistDataset("MNIST", {.root = dir.path().string()}); });
  EXPECT_THAT(message, HasSubstr("train-labels-idx1-ubyte.gz: truncated: expected 6 labels, file has 4"));
}

TEST(MnistDataset, TruncatedImagesCountWholeImages) {
  ScratchDir dir;
  write_tiny_mnist(dir, "train", 4);
  std::vector<uint8_t> pixels(4 * 12 - 5, 1);
  write_gzip(dir.file("train-images-idx3-ubyte.gz"), testing::idx_bytes({4, 4, 3}, pixels));
  const std::string message = error_of([&] { MnistDataset("MNIST", {.root = dir.path().string()}); });
  EXPECT_THAT(message, HasSubstr("train-images-idx3-ubyte.gz: truncated: expected 4 images, file has 3"));
}

TEST(MnistDataset, CutGzipStreamIsAnError) {
  ScratchDir dir;
  write_tiny_mnist(dir, "train", 50);
  const std::string path = dir.file("train-images-idx3-ubyte.gz");
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  const std::string message = error_of([&] { MnistDataset("MNIST", {.root = dir.path().string()}); });
  EXPECT_THAT(message, HasSubstr("train-images-idx3-ubyte.gz"));
}

TEST(MnistDataset, ImageAndLabelCountsMustAgree) {
  ScratchDir dir;
  write_tiny_mnist(dir, "train", 5);
  write_gzip(dir.file("train-labels-idx1-ubyte.gz"), testing::idx_bytes({4}, {0, 1, 2, 3}));
  const std::string message = error_of([&] { MnistDataset("MNIST", {.root = dir.path().string()}); });
  EXPECT_THAT(message, HasSubstr("has 5 images but"));
  EXPECT_THAT(message, HasSubstr("train-labels-idx1-ubyte.gz has 4 labels"));
}

TEST(MnistDataset, LabelsAboveNineAreRejected) {
  ScratchDir dir;
  write_tiny_mnist(dir, "train", 2);
  write_gzip(dir.file("train-labels-idx1-ubyte.gz"), testing::idx_bytes({2}, {3, 12}));
  EXPECT_THAT(error_of([&] { MnistDataset("MNIST", {.root = dir.path().string()}); }),
              HasSubstr("label 12 of sample 1 is outside 0..9"));
}

TEST(MnistDataset, MissingFashionMnistFileNamesThePathAndThePackage) {
  ScratchDir dir;
  const std::string message = error_of([&] { MnistDataset("FashionMNIST", {.root = dir.path().string()}); });
  EXPECT_THAT(message, HasSubstr(dir.file("train-images-idx3-ubyte.gz")));
  EXPECT_THAT(message, HasSubstr("no such file"));
  EXPECT_THAT(message, HasSubstr("dataset-fashion-mnist"));
}

TEST(MnistDataset, UnknownSplitIsAnError) {
  EXPECT_THAT(error_of([] { MnistDataset("MNIST", {.root = "/nonexistent", .split = "val"}); }),
              HasSubstr("split must be 'train' or 'test', got 'val'"));
}

}  // namespace
}  // namespace mini::runtime
