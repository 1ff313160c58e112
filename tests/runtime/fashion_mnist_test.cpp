// End to end: the README's example config trains an MLP on a slice of
// Fashion-MNIST (Debian's dataset-fashion-mnist) to a set accuracy.
#include "runtime_testing.h"

namespace mini::runtime::testing {
namespace {

TEST(FashionMnist, ExampleMlpLearnsOnASlice) {
  TempDir dir;
  register_builtin_components();
  RunnerOptions options;
  options.work_dir = (dir / "work").string();
  options.quiet = true;
  const std::string example = std::string(MINI_TEST_DATA_DIR) + "/../examples/fashion_mnist_mlp.yaml";
  auto runner = Runner::from_config(
      config::load_config(example, {"train_dataloader.dataset.limit=12000", "val_dataloader.dataset.limit=2000",
                                    "train_cfg.max_epochs=2"}),
      options);
  runner->train();
  // 2 epochs over 12k images reach ~82%; 78% leaves room for thread-count differences.
  EXPECT_GT(runner->message_hub().latest("val/accuracy/top1"), 78.0);
}

}  // namespace
}  // namespace mini::runtime::testing
