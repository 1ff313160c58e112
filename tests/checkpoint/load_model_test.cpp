// load_model_state: one error naming the checkpoint and listing every
// missing key, unexpected key and shape mismatch.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "checkpoint_testing.h"
#include "nn/layers/linear.h"
#include "nn/serialization.h"
#include "tensor/ops/elementwise.h"

namespace mini::runtime {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ThreeLayers : public nn::Module {
 public:
  ThreeLayers(int64_t hidden) : Module("ThreeLayers") {
    fc1 = register_module("fc1", std::make_shared<nn::Linear>(6, hidden));
    fc2 = register_module("fc2", std::make_shared<nn::Linear>(hidden, 4));
    fc3 = register_module("fc3", std::make_shared<nn::Linear>(4, 2));
  }
  std::shared_ptr<nn::Linear> fc1, fc2, fc3;
};

// A checkpoint of a different model: fc1 is wider, fc3 is gone and a head was added.
nn::StateDict other_model_state() {
  nn::StateDict state;
  state.insert("fc1.weight", ops::zeros({8, 6}));
  state.insert("fc1.bias", ops::zeros({8}));
  state.insert("fc2.weight", ops::zeros({4, 8}));
  state.insert("fc2.bias", ops::zeros({4}));
  state.insert("head.weight", ops::zeros({2, 4}));
  return state;
}

std::string load_error(nn::Module& model, const nn::StateDict& state, bool strict) {
  try {
    load_model_state(model, state, "work/checkpoints/epoch_2/model.safetensors", strict);
  } catch (const ValueError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(LoadModelState, AMismatchListsEveryKeyAndShapeInOneError) {
  ThreeLayers model(5);
  EXPECT_THAT(
      load_error(model, other_model_state(), /*strict=*/true),
      AllOf(HasSubstr("checkpoint work/checkpoints/epoch_2/model.safetensors does not match the model "
                      "(ThreeLayers):"),
            HasSubstr("missing keys: fc3.weight, fc3.bias"), HasSubstr("unexpected keys: head.weight"),
            HasSubstr("fc1.weight: expected (5, 6), got (8, 6)"), HasSubstr("fc1.bias: expected (5), got (8)"),
            HasSubstr("fc2.weight: expected (4, 5), got (4, 8)"), ::testing::Not(HasSubstr("load_state_dict"))));
}

TEST(LoadModelState, NonStrictStillRejectsShapeMismatches) {
  ThreeLayers model(5);
  const std::string error = load_error(model, other_model_state(), /*strict=*/false);
  EXPECT_THAT(error, HasSubstr("fc1.weight: expected (5, 6), got (8, 6)"));
  EXPECT_THAT(error, ::testing::Not(HasSubstr("missing keys")));
}

TEST(LoadModelState, NonStrictLoadsMatchingKeysAndReturnsTheSkippedOnes) {
  ThreeLayers model(8);
  const Tensor fc3_before = ops::clone(model.fc3->weight());
  const nn::LoadStateResult result = load_model_state(model, other_model_state(), "ckpt", /*strict=*/false);
  EXPECT_THAT(result.missing_keys, ElementsAre("fc3.weight", "fc3.bias"));
  EXPECT_THAT(result.unexpected_keys, ElementsAre("head.weight"));
  EXPECT_TRUE(ops::equal(model.fc1->weight(), ops::zeros({8, 6})));
  EXPECT_TRUE(ops::equal(model.fc3->weight(), fc3_before));
}

TEST(LoadModelState, AMatchingStateLoadsEveryValue) {
  ThreeLayers source(5), target(5);
  const nn::LoadStateResult result = load_model_state(target, source.state_dict(), "ckpt", /*strict=*/true);
  EXPECT_TRUE(result.missing_keys.empty());
  EXPECT_TRUE(result.unexpected_keys.empty());
  testing::expect_bit_identical(target.state_dict(), source.state_dict());
}

}  // namespace
}  // namespace mini::runtime
