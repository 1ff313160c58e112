// Dataset basics: collate stacks fields and explains mismatches; the default
// get_batch goes through get(); TensorDataset gathers rows; load_batch runs
// the pipeline.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data_testing.h"
#include "runtime/data/tensor_dataset.h"
#include "runtime/data/transforms.h"
#include "tensor/ops/factory.h"

namespace mini::runtime {
namespace {

using testing::error_of;
using ::testing::HasSubstr;
using testing::values_of;

TEST(Collate, StacksEachFieldAlongANewFirstDim) {
  const Sample a{{"input", ops::from_vector<float>({1, 2})}, {"label", ops::scalar_tensor(3, {.dtype = DType::i64})}};
  const Sample b{{"input", ops::from_vector<float>({4, 5})}, {"label", ops::scalar_tensor(7, {.dtype = DType::i64})}};
  const Batch batch = collate({a, b});
  EXPECT_EQ(batch.at("input").sizes(), Shape({2, 2}));
  EXPECT_EQ(values_of(batch.at("input")), (std::vector<double>{1, 2, 4, 5}));
  EXPECT_EQ(batch.at("label").sizes(), Shape({2}));
  EXPECT_EQ(values_of(batch.at("label")), (std::vector<double>{3, 7}));
}

TEST(Collate, ShapeMismatchNamesTheFieldAndBothShapes) {
  const Sample a{{"input", ops::zeros({784})}};
  const Sample b{{"input", ops::zeros({1, 28, 28})}};
  EXPECT_THAT(error_of([&] {
                collate({a, b});
              }),
              HasSubstr("field 'input': sample 1 is (1, 28, 28) float32, sample 0 is (784,) float32"));
}

TEST(Collate, MissingFieldIsNamed) {
  const Sample a{{"input", ops::zeros({2})}, {"label", ops::zeros({})}};
  const Sample b{{"input", ops::zeros({2})}};
  EXPECT_THAT(error_of([&] { collate({a, b}); }), HasSubstr("sample 1 has no field 'label'"));
}

// A dataset that only implements get(): exercises the default get_batch.
class SquaresDataset : public Dataset {
 public:
  int64_t size() const override { return 5; }
  Sample get(int64_t index) const override {
    check_index(index);
    return {{"input", ops::from_vector<float>({static_cast<float>(index * index)})}};
  }
  std::string describe() const override { return "Squares"; }
};

TEST(Dataset, DefaultGetBatchCollatesGet) {
  SquaresDataset data;
  const int64_t rows[] = {4, 2};
  EXPECT_EQ(values_of(data.get_batch(rows).at("input")), (std::vector<double>{16, 4}));
  EXPECT_THAT(error_of([&] { data.get(5); }), HasSubstr("Squares: index 5 out of range for 5 samples"));
}

TEST(TensorDataset, GathersRowsOfEveryField) {
  TensorDataset data({{"input", ops::arange(0, 12, 1, {.dtype = DType::f32})}, {"label", ops::arange(12)}});
  const int64_t rows[] = {11, 0, 5};
  const Batch batch = data.get_batch(rows);
  EXPECT_EQ(values_of(batch.at("input")), (std::vector<double>{11, 0, 5}));
  EXPECT_EQ(values_of(data.get(3).at("label")), (std::vector<double>{3}));
  EXPECT_EQ(data.get(3).at("label").dim(), 0);
  EXPECT_EQ(data.max_label(), 11);
}

TEST(TensorDataset, FieldsMustHaveTheSameLength) {
  EXPECT_THAT(error_of([] {
                TensorDataset({{"input", ops::zeros({4, 2})}, {"label", ops::zeros({3})}});
              }),
              HasSubstr("field 'label' has 3 rows"));
}

TEST(Dataset, LoadBatchAppliesThePipelineInOrder) {
  auto data = std::make_shared<TensorDataset>(TensorMap{{"input", ops::arange(0, 4, 1, {.dtype = DType::f32})}});
  data->set_pipeline({std::make_shared<Normalize>(std::vector<double>{1}, std::vector<double>{2}),
                      std::make_shared<Normalize>(std::vector<double>{0}, std::vector<double>{0.5})});
  const int64_t rows[] = {3, 1};
  EXPECT_EQ(values_of(data->load_batch(rows, 0, 0).at("input")), (std::vector<double>{2, 0}));
  // get_batch stays untransformed.
  EXPECT_EQ(values_of(data->get_batch(rows).at("input")), (std::vector<double>{3, 1}));
}

}  // namespace
}  // namespace mini::runtime
