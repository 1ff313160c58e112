#pragma once
// MNIST and Fashion-MNIST from their IDX files (gzip or raw), kept in memory
// as bytes and converted to float while gathering a batch.
//
//   MnistDataset train("FashionMNIST", {.root = kFashionMnistRoot, .split = "train", .flatten = true});
//   train.get(0);   // {"input": (784,) f32 in [0, 1], "label": () i64}
//
// Files under root: train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
// t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz].
#include <optional>
#include <string>
#include <vector>

#include "runtime/data/dataset.h"

namespace mini::runtime {

// Where the Debian package dataset-fashion-mnist installs the files.
inline constexpr const char* kFashionMnistRoot = "/usr/share/datasets/fashion-mnist";

struct MnistOptions {
  std::string root = kFashionMnistRoot;
  std::string split = "train";  // "train" or "test"
  bool flatten = false;         // (784,) instead of (1, 28, 28)
  // Applied after scaling pixels to [0, 1]: (x - mean) / std.
  std::optional<double> mean = std::nullopt, std = std::nullopt;
  int64_t limit = -1;  // keep the first `limit` samples; -1 keeps all
};

class MnistDataset : public Dataset {
 public:
  // `name` ("MNIST", "FashionMNIST") words describe() and the errors.
  MnistDataset(std::string name, MnistOptions options);

  int64_t size() const override { return size_; }
  Sample get(int64_t index) const override;
  Batch get_batch(std::span<const int64_t> indices) const override;
  std::string describe() const override;
  int64_t num_classes() const override { return 10; }
  int64_t max_label() const override { return max_label_; }

  int64_t height() const { return height_; }
  int64_t width() const { return width_; }

 private:
  std::string name_;
  MnistOptions options_;
  int64_t size_ = 0, height_ = 0, width_ = 0;
  std::vector<uint8_t> pixels_;  // (size, height, width)
  std::vector<int64_t> labels_;
  int64_t max_label_ = -1;
  float scale_ = 1, shift_ = 0;  // pixel byte -> float: byte * scale + shift
};

}  // namespace mini::runtime
