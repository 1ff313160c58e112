// Transforms: Normalize's arithmetic; flips and crops decided per sample by
// (seed, epoch, sample index), so the same sample gets the same result in any
// batch; shape errors.
#include "runtime/data/transforms.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "data_testing.h"
#include "runtime/data/random_stream.h"
#include "tensor/ops/factory.h"
#include "tensor/ops/view.h"

namespace mini::runtime {
namespace {

using testing::error_of;
using ::testing::HasSubstr;
using testing::values_of;

// (N, 1, 2, 3) images; sample n holds 100 * n + 0..5.
Batch images_for(const std::vector<int64_t>& indices) {
  std::vector<float> values;
  for (int64_t index : indices) {
    for (int p = 0; p < 6; ++p) values.push_back(static_cast<float>(100 * index + p));
  }
  return {{"input", ops::from_vector(values, {static_cast<int64_t>(indices.size()), 1, 2, 3})}};
}

// The values of row r of the field.
std::vector<double> row(const Batch& batch, int64_t r) { return values_of(ops::select(batch.at("input"), 0, r)); }

TEST(Normalize, PerChannelMeanAndStd) {
  Batch batch{{"input", ops::from_vector<float>({1, 2, 3, 4}, {1, 2, 2, 1})}};
  Normalize({1, 2}, {0.5, 2}).apply(batch, std::vector<int64_t>{0}, 0);
  EXPECT_EQ(values_of(batch.at("input")), (std::vector<double>{0, 2, 0.5, 1}));
}

TEST(Normalize, WrongValueCountNamesTheShape) {
  Batch batch{{"input", ops::zeros({2, 3})}};
  EXPECT_THAT(error_of([&] {
                Normalize({0, 0}, {1, 1}).apply(batch, std::vector<int64_t>{0, 1}, 0);
              }),
              HasSubstr("2 mean/std values for field 'input' of shape (2, 3): give 1 or 3"));
}

TEST(RandomHorizontalFlip, ProbabilityOneMirrorsEveryRow) {
  Batch batch = images_for({0});
  RandomHorizontalFlip(1.0).apply(batch, std::vector<int64_t>{0}, 123);
  EXPECT_EQ(values_of(batch.at("input")), (std::vector<double>{2, 1, 0, 5, 4, 3}));
}

TEST(RandomHorizontalFlip, SameSampleFlipsTheSameWayInAnyBatch) {
  const uint64_t key = stream_key(42, 3, kTransformStream);
  std::vector<int64_t> all(40);
  for (int64_t i = 0; i < 40; ++i) all[static_cast<size_t>(i)] = i;
  Batch whole = images_for(all);
  RandomHorizontalFlip(0.5).apply(whole, all, key);
  const std::vector<int64_t> some = {31, 7, 18};
  Batch part = images_for(some);
  RandomHorizontalFlip(0.5).apply(part, some, key);
  for (size_t r = 0; r < some.size(); ++r) EXPECT_EQ(row(part, static_cast<int64_t>(r)), row(whole, some[r])) << r;
  // About half flipped: some but not all.
  int flipped = 0;
  for (int64_t i = 0; i < 40; ++i) flipped += row(whole, i)[0] != 100.0 * i;
  EXPECT_GT(flipped, 5);
  EXPECT_LT(flipped, 35);
}

TEST(RandomHorizontalFlip, DependsOnTheEpoch) {
  std::vector<int64_t> all(32);
  for (int64_t i = 0; i < 32; ++i) all[static_cast<size_t>(i)] = i;
  Batch epoch0 = images_for(all), epoch1 = images_for(all);
  RandomHorizontalFlip(0.5).apply(epoch0, all, stream_key(1, 0, kTransformStream));
  RandomHorizontalFlip(0.5).apply(epoch1, all, stream_key(1, 1, kTransformStream));
  EXPECT_NE(values_of(epoch0.at("input")), values_of(epoch1.at("input")));
}

TEST(RandomHorizontalFlip, FlattenedInputIsAnError) {
  Batch batch{{"input", ops::zeros({2, 784})}};
  EXPECT_THAT(error_of([&] {
                RandomHorizontalFlip(0.5).apply(batch, std::vector<int64_t>{0, 1}, 0);
              }),
              HasSubstr("flatten: true"));
}

TEST(RandomCrop, WithoutPaddingAndFullSizeIsIdentity) {
  Batch batch = images_for({0, 1});
  RandomCrop(2, 3).apply(batch, std::vector<int64_t>{0, 1}, 9);
  EXPECT_TRUE(testing::batches_equal(batch, images_for({0, 1})));
}

TEST(RandomCrop, OutputIsAWindowOfThePaddedImage) {
  // Every crop of the padded 4x5 image is 2x3; check each sample's window is
  // some shift of the source with zeros outside.
  std::vector<int64_t> indices(20);
  for (int64_t i = 0; i < 20; ++i) indices[static_cast<size_t>(i)] = i;
  Batch batch = images_for(indices);
  RandomCrop(2, 3, /*padding=*/1, /*fill=*/-1).apply(batch, indices, 77);
  EXPECT_EQ(batch.at("input").sizes(), Shape({20, 1, 2, 3}));
  std::set<std::pair<int, int>> offsets;
  for (int64_t n = 0; n < 20; ++n) {
    const std::vector<double> got = row(batch, n);
    bool matched = false;
    for (int top = -1; top <= 1 && !matched; ++top) {
      for (int left = -1; left <= 1 && !matched; ++left) {
        bool same = true;
        for (int y = 0; y < 2; ++y) {
          for (int x = 0; x < 3; ++x) {
            const int sy = top + y, sx = left + x;
            const double expected = sy < 0 || sy >= 2 || sx < 0 || sx >= 3 ? -1.0 : 100.0 * n + sy * 3 + sx;
            same = same && got[static_cast<size_t>(y * 3 + x)] == expected;
          }
        }
        if (same) offsets.insert({top, left});
        matched = same;
      }
    }
    EXPECT_TRUE(matched) << "sample " << n;
  }
  EXPECT_GT(offsets.size(), 3u);  // the offsets vary between samples
}

TEST(RandomCrop, LargerThanThePaddedImageIsAnError) {
  Batch batch = images_for({0});
  EXPECT_THAT(error_of([&] { RandomCrop(5, 5, 1).apply(batch, std::vector<int64_t>{0}, 0); }),
              HasSubstr("crop (5, 5) is larger than the padded image (4, 5)"));
}

}  // namespace
}  // namespace mini::runtime
