// capture_rng_state / restore_rng_state: restoring the default generator's
// (seed, offset) makes later random ops repeat exactly.
#include "runtime/checkpoint/rng_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "checkpoint_testing.h"
#include "tensor/ops/elementwise.h"

namespace mini::runtime {
namespace {

using ::testing::HasSubstr;

TEST(RngState, RestoringReproducesTheSameRandomTensor) {
  manual_seed(123);
  ops::randn({10});  // move the offset away from 0
  const nlohmann::json saved = capture_rng_state();
  const Tensor first = ops::randn({4, 5});
  ops::randn({7});
  restore_rng_state(saved);
  EXPECT_TRUE(ops::equal(ops::randn({4, 5}), first));
}

TEST(RngState, SurvivesAJsonTextRoundTripWithFull64BitSeeds) {
  manual_seed(0xFFFF'FFFF'FFFF'FFF1ULL);
  ops::randn({3});
  const nlohmann::json saved = nlohmann::json::parse(capture_rng_state().dump());
  const Tensor first = ops::rand({6});
  manual_seed(1);
  restore_rng_state(saved);
  EXPECT_EQ(default_generator().seed(), 0xFFFF'FFFF'FFFF'FFF1ULL);
  EXPECT_TRUE(ops::equal(ops::rand({6}), first));
}

TEST(RngState, AnyGeneratorRoundTrips) {
  Generator generator(99);
  generator.reserve(1000);
  Generator restored;
  set_generator_state(restored, generator_state(generator));
  EXPECT_EQ(restored.seed(), 99u);
  EXPECT_EQ(restored.offset(), 1000u);
}

TEST(RngState, AMissingFieldIsNamed) {
  Generator generator;
  try {
    set_generator_state(generator, {{"seed", 1}}, "sampler generator");
    FAIL() << "expected an error";
  } catch (const ValueError& error) {
    EXPECT_THAT(error.what(), HasSubstr("sampler generator state: missing \"offset\""));
  }
}

TEST(RngState, ANegativeOffsetIsRejected) {
  EXPECT_THROW(restore_rng_state({{"default", {{"seed", 1}, {"offset", -5}}}}), ValueError);
}

}  // namespace
}  // namespace mini::runtime
