// Building datasets, transforms, samplers and whole dataloaders from config
// nodes, and the errors a config can earn: typos with suggestions, bad
// values with their location, empty datasets.
#include "runtime/data/register.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "config/load.h"
#include "data_testing.h"
#include "runtime/data/mnist.h"

namespace mini::runtime {
namespace {

using testing::error_of;
using ::testing::HasSubstr;
using testing::ScratchDir;
using testing::values_of;

// The train_dataloader section of a YAML document.
config::Node section(const std::string& yaml) {
  return config::parse_yaml("train_dataloader:\n" + yaml, "train.yaml").at("train_dataloader");
}

class DataRegistry : public ::testing::Test {
 protected:
  void SetUp() override {
    register_data_components();
    testing::write_tiny_mnist(dir_, "train", 20);
  }
  std::string mnist(const std::string& extra = "") const {
    return "  dataset: {type: MNIST, root: '" + dir_.path().string() + "'" + extra + "}\n";
  }
  ScratchDir dir_;
};

TEST_F(DataRegistry, BuildsAnMmengineStyleLoader) {
  auto loader = build_dataloader(section("  batch_size: 8\n  num_workers: 1\n  drop_last: false\n"
                                         "  sampler: {type: DefaultSampler, shuffle: true, seed: null}\n" +
                                         mnist()),
                                 /*default_seed=*/21);
  EXPECT_EQ(loader->batches_per_epoch(), 3);
  EXPECT_EQ(loader->options().num_workers, 1);
  EXPECT_EQ(loader->dataset().size(), 20);
  // seed: null takes the run's seed.
  EXPECT_EQ(loader->sampler().epoch_indices(2), seeded_permutation(20, 21, 2));
  DataLoader::Iterator it = loader->begin_epoch(0);
  const std::optional<Batch> batch = it.next();
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->at("input").sizes(), Shape({8, 1, 4, 3}));
}

TEST_F(DataRegistry, ExplicitSeedOverridesTheRunSeed) {
  auto loader = build_dataloader(section("  batch_size: 4\n  shuffle: true\n  seed: 5\n" + mnist()), 21);
  EXPECT_EQ(loader->sampler().epoch_indices(0), seeded_permutation(20, 5, 0));
}

TEST_F(DataRegistry, WithoutSamplerOrShuffleTheOrderIsSequential) {
  auto loader = build_dataloader(section("  batch_size: 4\n" + mnist()), 21);
  EXPECT_EQ(loader->sampler().epoch_indices(3).front(), 0);
  EXPECT_EQ(loader->sampler().epoch_indices(3).back(), 19);
}

TEST_F(DataRegistry, DefaultSamplerShardsAcrossRanks) {
  auto loader = build_dataloader(section("  batch_size: 4\n  sampler: {type: DefaultSampler}\n" + mnist()), 3,
                                 /*rank=*/1, /*world_size=*/3);
  EXPECT_EQ(loader->samples_per_epoch(), 7);  // ceil(20 / 3), padded
}

TEST_F(DataRegistry, PipelineIsBuiltAndApplied) {
  auto loader = build_dataloader(
      section("  batch_size: 2\n" + mnist(", flatten: false, pipeline: [{type: RandomHorizontalFlip, p: 1.0}]")), 0);
  const Batch batch = *loader->begin_epoch(0).next();
  // Image 0 is 0..11 / 255 in rows of 3, so each row reads backwards.
  const std::vector<double> pixels = values_of(batch.at("input"));
  EXPECT_NEAR(pixels[0], 2 / 255.0, 1e-6);
  EXPECT_NEAR(pixels[2], 0.0, 1e-6);
  ASSERT_EQ(loader->dataset().pipeline().size(), 1u);
  EXPECT_EQ(loader->dataset().pipeline()[0]->describe(), "RandomHorizontalFlip(p=1)");
}

TEST_F(DataRegistry, MisspelledLoaderKeySuggestsTheRightOne) {
  const std::string message = error_of([&] { build_dataloader(section("  bach_size: 8\n" + mnist()), 0); });
  EXPECT_THAT(message, HasSubstr("train.yaml:2"));
  EXPECT_THAT(message, HasSubstr("unknown dataloader key 'bach_size'; did you mean 'batch_size'?"));
}

TEST_F(DataRegistry, MisspelledDatasetArgumentSuggestsTheRightOne) {
  const std::string message = error_of([&] {
    build_dataloader(section("  batch_size: 8\n  dataset: {type: SyntheticClassification, num_sample: 10}\n"), 0);
  });
  EXPECT_THAT(message, HasSubstr("did you mean 'num_samples'?"));
}

TEST_F(DataRegistry, MisspelledTransformTypeSuggestsTheRightOne) {
  const std::string message = error_of(
      [&] { build_dataloader(section("  batch_size: 8\n" + mnist(", pipeline: [{type: RandomHorizonalFlip}]")), 0); });
  EXPECT_THAT(message, HasSubstr("did you mean 'RandomHorizontalFlip'?"));
}

TEST_F(DataRegistry, NonPositiveBatchSizeNamesItsLocation) {
  const std::string message = error_of([&] { build_dataloader(section("  batch_size: 0\n" + mnist()), 0); });
  EXPECT_THAT(message, HasSubstr("train.yaml:2"));
  EXPECT_THAT(message, HasSubstr("train_dataloader.batch_size: must be positive, got 0"));
}

TEST_F(DataRegistry, WrongTypeNamesTheArgument) {
  const std::string message = error_of([&] { build_dataloader(section("  batch_size: big\n" + mnist()), 0); });
  EXPECT_THAT(message, HasSubstr("train_dataloader.batch_size"));
  EXPECT_THAT(message, HasSubstr("expects int"));
}

TEST_F(DataRegistry, EmptyDatasetIsAnErrorAtTheDatasetKey) {
  const std::string message =
      error_of([&] { build_dataloader(section("  batch_size: 8\n" + mnist(", limit: 0")), 0); });
  EXPECT_THAT(message, HasSubstr("train_dataloader.dataset: MNIST("));
  EXPECT_THAT(message, HasSubstr("limit=0) is empty"));
}

TEST_F(DataRegistry, EmptyFashionMnistNamesTheDataset) {
  if (!std::filesystem::exists(std::string(kFashionMnistRoot) + "/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  const std::string message =
      error_of([&] { build_dataloader(section("  batch_size: 8\n  dataset: {type: FashionMNIST, limit: 0}\n"), 0); });
  EXPECT_THAT(message, HasSubstr("train_dataloader.dataset: FashionMNIST("));
  EXPECT_THAT(message, HasSubstr("is empty"));
}

TEST_F(DataRegistry, DatasetConstructionErrorsPointAtTheDatasetKey) {
  const std::string message = error_of(
      [&] { build_dataloader(section("  batch_size: 8\n  dataset: {type: MNIST, root: /nonexistent/mnist}\n"), 0); });
  EXPECT_THAT(message, HasSubstr("train.yaml:3: train_dataloader.dataset: MNIST: /nonexistent/mnist/train-images"));
}

TEST_F(DataRegistry, PipelineThatDoesNotFitTheDataFailsAtBuild) {
  const std::string message = error_of([&] {
    build_dataloader(section("  batch_size: 8\n" + mnist(", flatten: true, pipeline: [{type: RandomCrop, size: 2}]")),
                     0);
  });
  EXPECT_THAT(message, HasSubstr("train_dataloader.dataset.pipeline: does not fit MNIST("));
  EXPECT_THAT(message, HasSubstr("flatten: true"));
}

TEST_F(DataRegistry, DropLastThatDropsEverythingIsAnError) {
  EXPECT_THAT(error_of([&] { build_dataloader(section("  batch_size: 32\n  drop_last: true\n" + mnist()), 0); }),
              HasSubstr("drops every sample: 20 samples per epoch is less than batch_size 32"));
}

TEST_F(DataRegistry, ShuffleAndSamplerTogetherIsAnError) {
  EXPECT_THAT(error_of([&] {
                build_dataloader(
                    section("  batch_size: 4\n  shuffle: true\n  sampler: {type: DefaultSampler}\n" + mnist()), 0);
              }),
              HasSubstr("give either shuffle or a sampler, not both"));
}

TEST_F(DataRegistry, MissingDatasetIsAnError) {
  EXPECT_THAT(error_of([&] { build_dataloader(section("  batch_size: 4\n"), 0); }), HasSubstr("missing key 'dataset'"));
}

TEST_F(DataRegistry, CsvAndByteTextDatasetsBuildFromConfig) {
  const std::string csv = dir_.write_text("t.csv", "y,a\n1,2.5\n0,3\n");
  const std::string text = dir_.write_text("t.txt", "hello world");
  auto table = dataset_registry().build(
      config::parse_yaml("{type: CSVDataset, path: '" + csv + "', label_column: y}", "d.yaml"));
  EXPECT_EQ(values_of(table->get(0).at("input")), (std::vector<double>{2.5}));
  EXPECT_EQ(table->get(0).at("label").item<int64_t>(), 1);
  auto by_index = dataset_registry().build(
      config::parse_yaml("{type: CSVDataset, path: '" + csv + "', label_column: 0, task: regression}", "d.yaml"));
  EXPECT_EQ(values_of(by_index->get(1).at("target")), (std::vector<double>{0}));
  auto bytes = dataset_registry().build(
      config::parse_yaml("{type: ByteTextDataset, path: '" + text + "', block_size: 4, stride: 2}", "d.yaml"));
  EXPECT_EQ(bytes->size(), 4);
}

TEST_F(DataRegistry, RegistrationIsIdempotentAndDocumented) {
  const size_t datasets = dataset_registry().components().size();
  register_data_components();
  EXPECT_EQ(dataset_registry().components().size(), datasets);
  for (const config::RegistryBase* registry : {static_cast<const config::RegistryBase*>(&dataset_registry()),
                                               static_cast<const config::RegistryBase*>(&transform_registry()),
                                               static_cast<const config::RegistryBase*>(&sampler_registry())}) {
    for (const config::ComponentInfo* info : registry->components()) {
      EXPECT_FALSE(info->doc.empty()) << info->type;
      for (const config::ArgSpec& arg : info->args) EXPECT_FALSE(arg.doc.empty()) << info->type << "." << arg.name;
    }
  }
  for (const char* type :
       {"MNIST", "FashionMNIST", "CSVDataset", "SyntheticClassification", "SyntheticRegression", "ByteTextDataset"}) {
    EXPECT_TRUE(dataset_registry().contains(type)) << type;
  }
}

}  // namespace
}  // namespace mini::runtime
