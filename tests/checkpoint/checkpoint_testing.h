#pragma once
// Helpers for the checkpoint tests: a temporary checkpoints directory, sample
// checkpoint contents and a byte-exact tensor comparison.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "runtime/checkpoint/checkpoint.h"
#include "runtime/checkpoint/checkpoint_manager.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"
#include "tensor/random.h"

namespace mini::testing {

// A fresh directory, removed with everything in it. Under /dev/shm when it
// exists: tmpfs makes the many fsyncs of a save free, which keeps these tests
// fast (what they check, the state after a failure or a crash, does not
// depend on the file system).
class TempDir {
 public:
  static std::filesystem::path base_directory() {
    std::error_code error;
    if (std::filesystem::is_directory("/dev/shm", error)) return "/dev/shm";
    return std::filesystem::temp_directory_path();
  }

  TempDir() {
    std::random_device entropy;
    path_ = base_directory() / ("mini_ckpt_test_" + std::to_string(::getpid()) + "_" + std::to_string(entropy()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Model, optimizer and counters that differ for each `seed`.
inline runtime::CheckpointState sample_checkpoint(uint64_t seed) {
  Generator generator(seed);
  runtime::CheckpointState checkpoint;
  nn::StateDict model;
  model.insert("fc1.weight", ops::randn({3, 4}, {}, &generator));
  model.insert("fc1.bias", ops::randn({3}, {}, &generator));
  model.insert("steps", ops::randint(0, 1000, {2}, {.dtype = DType::i64}, &generator));
  model.insert("scale", ops::randn({}, {.dtype = DType::f64}, &generator));
  checkpoint.tensors.emplace("model", std::move(model));
  nn::StateDict optimizer;
  optimizer.insert("state.0.exp_avg", ops::randn({3, 4}, {.dtype = DType::bf16}, &generator));
  checkpoint.tensors.emplace("optimizer", std::move(optimizer));
  checkpoint.state = {{"counters", {{"epoch", seed}, {"micro_step", seed * 100}}}, {"config", "model:\n  type: Mlp\n"}};
  return checkpoint;
}

// Same names, dtypes, shapes and bytes, in the same order.
inline void expect_bit_identical(const nn::StateDict& actual, const nn::StateDict& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& [name, want] = expected.items()[i];
    const auto& [got_name, got] = actual.items()[i];
    EXPECT_EQ(got_name, name);
    ASSERT_EQ(got.dtype(), want.dtype()) << name;
    ASSERT_EQ(got.sizes(), want.sizes()) << name;
    const Tensor a = ops::contiguous(got);
    const Tensor b = ops::contiguous(want);
    EXPECT_EQ(std::memcmp(a.data_ptr(), b.data_ptr(), static_cast<size_t>(b.numel()) * b.element_size()), 0) << name;
  }
}

inline void expect_same_checkpoint(const runtime::CheckpointState& actual, const runtime::CheckpointState& expected) {
  ASSERT_EQ(actual.tensors.size(), expected.tensors.size());
  for (const auto& [stem, tensors] : expected.tensors) {
    ASSERT_TRUE(actual.tensors.contains(stem)) << stem;
    expect_bit_identical(actual.tensors.at(stem), tensors);
  }
  EXPECT_EQ(actual.state, expected.state);
}

// Names in `dir` that an interrupted save leaves behind.
inline std::vector<std::string> leftovers(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.find(".tmp-") != std::string::npos || name.find(".old-") != std::string::npos) names.push_back(name);
  }
  return names;
}

inline std::string read_last(const std::filesystem::path& dir) {
  std::ifstream in(dir / "last");
  std::string name;
  in >> name;
  return name;
}

}  // namespace mini::testing
