#include "runtime/data/mnist.h"

#include <algorithm>
#include <filesystem>

#include "runtime/data/idx_file.h"
#include "tensor/error.h"
#include "tensor/ops/factory.h"

namespace mini::runtime {
namespace {

// root/name.gz, else root/name; a missing file says what provides it.
std::string find_idx_file(const std::string& dataset, const std::string& root, const std::string& name) {
  const std::filesystem::path base = std::filesystem::path(root) / name;
  const std::string gz = base.string() + ".gz";
  if (std::filesystem::exists(gz)) return gz;
  if (std::filesystem::exists(base)) return base.string();
  const std::string hint = dataset == "FashionMNIST"
                               ? "the Debian package dataset-fashion-mnist provides it (apt install "
                                 "dataset-fashion-mnist), or set root: to a folder holding the Fashion-MNIST IDX files"
                               : "set root: to a folder holding the four MNIST IDX files";
  throw ValueError(fmt::format("{}: {}: no such file (nor {}); {}", dataset, gz, base.string(), hint));
}

}  // namespace

MnistDataset::MnistDataset(std::string name, MnistOptions options)
    : name_(std::move(name)), options_(std::move(options)) {
  MINI_CHECK(options_.split == "train" || options_.split == "test", "{}: split must be 'train' or 'test', got '{}'",
             name_, options_.split);
  MINI_CHECK(options_.limit >= -1, "{}: limit must be >= 0 (or -1 for all), got {}", name_, options_.limit);
  const std::string prefix = options_.split == "train" ? "train" : "t10k";
  const std::string images_path = find_idx_file(name_, options_.root, prefix + "-images-idx3-ubyte");
  const std::string labels_path = find_idx_file(name_, options_.root, prefix + "-labels-idx1-ubyte");

  IdxFile labels = read_idx_u8(labels_path, 1, "labels", options_.limit);
  IdxFile images = read_idx_u8(images_path, 3, "images", options_.limit);
  MINI_CHECK(images.records_in_header == labels.records_in_header, "{}: {} has {} images but {} has {} labels", name_,
             images_path, images.records_in_header, labels_path, labels.records_in_header);
  size_ = images.dims[0];
  height_ = images.dims[1];
  width_ = images.dims[2];
  pixels_ = std::move(images.data);
  labels_.assign(labels.data.begin(), labels.data.end());
  for (int64_t i = 0; i < size_; ++i) {
    MINI_CHECK(labels_[static_cast<size_t>(i)] < 10, "{}: label {} of sample {} is outside 0..9", labels_path,
               labels_[static_cast<size_t>(i)], i);
  }
  if (size_ > 0) max_label_ = *std::max_element(labels_.begin(), labels_.end());

  const double mean = options_.mean.value_or(0.0), std = options_.std.value_or(1.0);
  MINI_CHECK(std > 0, "{}: std must be positive, got {}", name_, std);
  scale_ = static_cast<float>(1.0 / (255.0 * std));
  shift_ = static_cast<float>(-mean / std);
}

Sample MnistDataset::get(int64_t index) const {
  check_index(index);
  const int64_t one[] = {index};
  Batch batch = get_batch(one);
  Sample sample;
  sample.emplace("input", options_.flatten ? Tensor(batch.at("input").storage(), DType::f32, {height_ * width_}, {1}, 0)
                                           : Tensor(batch.at("input").storage(), DType::f32, {1, height_, width_},
                                                    contiguous_strides({1, height_, width_}), 0));
  sample.emplace("label", Tensor(batch.at("label").storage(), DType::i64, {}, {}, 0));
  return sample;
}

Batch MnistDataset::get_batch(std::span<const int64_t> indices) const {
  for (int64_t index : indices) check_index(index);
  const int64_t count = static_cast<int64_t>(indices.size());
  const int64_t pixels = height_ * width_;
  Tensor input = options_.flatten ? ops::empty({count, pixels}) : ops::empty({count, 1, height_, width_});
  Tensor label = ops::empty({count}, {.dtype = DType::i64});
  float* dst = input.data<float>();
  int64_t* dst_label = label.data<int64_t>();
  // Locals, so the compiler need not reload them after every store through `out`.
  const float scale = scale_, shift = shift_;
  for (int64_t row = 0; row < count; ++row) {
    const int64_t index = indices[static_cast<size_t>(row)];
    const uint8_t* src = pixels_.data() + index * pixels;
    float* out = dst + row * pixels;
    for (int64_t i = 0; i < pixels; ++i) out[i] = static_cast<float>(src[i]) * scale + shift;
    dst_label[row] = labels_[static_cast<size_t>(index)];
  }
  return {{"input", input}, {"label", label}};
}

std::string MnistDataset::describe() const {
  std::string text = fmt::format("{}(split={}, {} samples, input {}", name_, options_.split, size_,
                                 options_.flatten ? shape_str({height_ * width_}) : shape_str({1, height_, width_}));
  if (options_.mean || options_.std) {
    text += fmt::format(", mean={}, std={}", options_.mean.value_or(0.0), options_.std.value_or(1.0));
  }
  if (options_.limit >= 0) text += fmt::format(", limit={}", options_.limit);
  return text + ")";
}

}  // namespace mini::runtime
