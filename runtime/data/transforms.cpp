#include "runtime/data/transforms.h"

#include <algorithm>

#include "runtime/data/random_stream.h"
#include "tensor/error.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"

namespace mini::runtime {
namespace {

// The field a transform works on, as a contiguous float32 tensor.
Tensor& float_field(Batch& batch, const std::string& field, const std::string& transform) {
  auto found = batch.find(field);
  MINI_CHECK(found != batch.end(), "{}: the batch has no field '{}'", transform, field);
  Tensor& tensor = found->second;
  MINI_CHECK(tensor.dtype() == DType::f32 && tensor.device().is_cpu(),
             "{}: field '{}' must be a float32 CPU tensor, got {} on {}", transform, field, tensor.dtype(),
             tensor.device().str());
  if (!tensor.is_contiguous()) tensor = ops::contiguous(tensor);
  return tensor;
}

// (N, [C, ...,] H, W) as N samples of `planes` planes of height x width.
struct ImageGeometry {
  int64_t count, planes, height, width;
};

ImageGeometry image_geometry(const Tensor& images, const std::string& field, const std::string& transform) {
  MINI_CHECK(images.dim() >= 3,
             "{}: field '{}' must hold images (N, C, H, W) or (N, H, W), got {}; "
             "a flattened dataset (flatten: true) cannot be flipped or cropped",
             transform, field, shape_str(images.sizes()));
  const int64_t count = images.size(0), height = images.size(-2), width = images.size(-1);
  const int64_t planes = count * height * width == 0 ? 0 : images.numel() / (count * height * width);
  return {count, planes, height, width};
}

std::string format_list(const std::vector<double>& values) { return fmt::format("[{}]", fmt::join(values, ", ")); }

}  // namespace

Normalize::Normalize(std::vector<double> mean, std::vector<double> std, std::string field)
    : mean_(std::move(mean)), std_(std::move(std)), field_(std::move(field)) {
  MINI_CHECK(!mean_.empty() && mean_.size() == std_.size(),
             "Normalize: mean and std need the same non-zero length, got {} and {}", mean_.size(), std_.size());
  for (double s : std_) MINI_CHECK(s > 0, "Normalize: std values must be positive, got {}", format_list(std_));
}

void Normalize::apply(Batch& batch, std::span<const int64_t>, uint64_t) const {
  Tensor& tensor = float_field(batch, field_, "Normalize");
  const int64_t channels = tensor.dim() >= 2 ? tensor.size(1) : 1;
  const int64_t values = static_cast<int64_t>(mean_.size());
  MINI_CHECK(values == 1 || values == channels,
             "Normalize: {} mean/std values for field '{}' of shape {}: give 1 or {} (its dim 1)", values, field_,
             shape_str(tensor.sizes()), channels);
  const int64_t count = tensor.dim() >= 1 ? tensor.size(0) : 1;
  const int64_t inner = count * channels == 0 ? 0 : tensor.numel() / (count * channels);
  float* data = tensor.data<float>();
  for (int64_t n = 0; n < count; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      const size_t which = values == 1 ? 0 : static_cast<size_t>(c);
      const float scale = static_cast<float>(1.0 / std_[which]);
      const float shift = static_cast<float>(-mean_[which] / std_[which]);
      float* row = data + (n * channels + c) * inner;
      for (int64_t i = 0; i < inner; ++i) row[i] = row[i] * scale + shift;
    }
  }
}

std::string Normalize::describe() const {
  return fmt::format("Normalize(mean={}, std={})", format_list(mean_), format_list(std_));
}

RandomHorizontalFlip::RandomHorizontalFlip(double p, std::string field) : p_(p), field_(std::move(field)) {
  MINI_CHECK(p >= 0 && p <= 1, "RandomHorizontalFlip: p must be in [0, 1], got {}", p);
}

void RandomHorizontalFlip::apply(Batch& batch, std::span<const int64_t> indices, uint64_t key) const {
  Tensor& images = float_field(batch, field_, "RandomHorizontalFlip");
  const ImageGeometry g = image_geometry(images, field_, "RandomHorizontalFlip");
  float* data = images.data<float>();
  for (int64_t n = 0; n < g.count; ++n) {
    SampleRandom random(key, indices[static_cast<size_t>(n)]);
    if (!(random.uniform() < p_)) continue;
    float* sample = data + n * g.planes * g.height * g.width;
    for (int64_t row = 0; row < g.planes * g.height; ++row)
      std::reverse(sample + row * g.width, sample + (row + 1) * g.width);
  }
}

std::string RandomHorizontalFlip::describe() const { return fmt::format("RandomHorizontalFlip(p={})", p_); }

RandomCrop::RandomCrop(int64_t height, int64_t width, int64_t padding, double fill, std::string field)
    : height_(height), width_(width), padding_(padding), fill_(fill), field_(std::move(field)) {
  MINI_CHECK(height > 0 && width > 0, "RandomCrop: size must be positive, got ({}, {})", height, width);
  MINI_CHECK(padding >= 0, "RandomCrop: padding must be >= 0, got {}", padding);
}

void RandomCrop::apply(Batch& batch, std::span<const int64_t> indices, uint64_t key) const {
  Tensor& images = float_field(batch, field_, "RandomCrop");
  const ImageGeometry g = image_geometry(images, field_, "RandomCrop");
  const int64_t padded_height = g.height + 2 * padding_, padded_width = g.width + 2 * padding_;
  MINI_CHECK(height_ <= padded_height && width_ <= padded_width,
             "RandomCrop: crop ({}, {}) is larger than the padded image ({}, {}) of field '{}' {}", height_, width_,
             padded_height, padded_width, field_, shape_str(images.sizes()));
  Shape sizes = images.sizes();
  sizes[sizes.size() - 2] = height_;
  sizes[sizes.size() - 1] = width_;
  Tensor out = ops::empty(sizes, {.dtype = DType::f32});
  const float* src = images.data<float>();
  float* dst = out.data<float>();
  const float fill = static_cast<float>(fill_);
  for (int64_t n = 0; n < g.count; ++n) {
    SampleRandom random(key, indices[static_cast<size_t>(n)]);
    // Window origin in padded coordinates, shifted back to the source image's.
    const int64_t top = random.below(padded_height - height_ + 1) - padding_;
    const int64_t left = random.below(padded_width - width_ + 1) - padding_;
    for (int64_t plane = 0; plane < g.planes; ++plane) {
      const float* src_plane = src + (n * g.planes + plane) * g.height * g.width;
      float* dst_plane = dst + (n * g.planes + plane) * height_ * width_;
      for (int64_t y = 0; y < height_; ++y) {
        float* dst_row = dst_plane + y * width_;
        const int64_t source_y = top + y;
        if (source_y < 0 || source_y >= g.height) {
          std::fill(dst_row, dst_row + width_, fill);
          continue;
        }
        for (int64_t x = 0; x < width_; ++x) {
          const int64_t source_x = left + x;
          dst_row[x] = source_x < 0 || source_x >= g.width ? fill : src_plane[source_y * g.width + source_x];
        }
      }
    }
  }
  images = std::move(out);
}

std::string RandomCrop::describe() const {
  return fmt::format("RandomCrop(size=({}, {}), padding={}, fill={})", height_, width_, padding_, fill_);
}

}  // namespace mini::runtime
