#include "runtime/data/synthetic.h"

#include "tensor/error.h"
#include "tensor/ops/factory.h"
#include "tensor/random.h"

namespace mini::runtime {
namespace {

// Standard normals from their own Philox stream.
std::vector<float> normals(Generator& generator, int64_t count) {
  Tensor values = ops::randn({count}, {}, &generator);
  const float* data = values.data<float>();
  return {data, data + count};
}

void check_positive(const char* dataset, const char* name, int64_t value) {
  MINI_CHECK(value > 0, "{}: {} must be positive, got {}", dataset, name, value);
}

TensorMap make_blobs(const SyntheticClassificationOptions& o) {
  check_positive("SyntheticClassification", "num_samples", o.num_samples);
  check_positive("SyntheticClassification", "num_features", o.num_features);
  check_positive("SyntheticClassification", "num_classes", o.num_classes);
  MINI_CHECK(o.noise >= 0, "SyntheticClassification: noise must be >= 0, got {}", o.noise);
  Generator generator(o.seed);
  const std::vector<float> centres = normals(generator, o.num_classes * o.num_features);
  const std::vector<float> noise = normals(generator, o.num_samples * o.num_features);
  std::vector<float> input(noise.size());
  std::vector<int64_t> label(static_cast<size_t>(o.num_samples));
  for (int64_t i = 0; i < o.num_samples; ++i) {
    const int64_t cls = i % o.num_classes;
    label[static_cast<size_t>(i)] = cls;
    for (int64_t f = 0; f < o.num_features; ++f) {
      const size_t at = static_cast<size_t>(i * o.num_features + f);
      input[at] = centres[static_cast<size_t>(cls * o.num_features + f)] + static_cast<float>(o.noise) * noise[at];
    }
  }
  return {{"input", ops::from_vector(input, {o.num_samples, o.num_features})},
          {"label", ops::from_vector(label, {o.num_samples})}};
}

TensorMap make_linear(const SyntheticRegressionOptions& o) {
  check_positive("SyntheticRegression", "num_samples", o.num_samples);
  check_positive("SyntheticRegression", "num_features", o.num_features);
  check_positive("SyntheticRegression", "num_targets", o.num_targets);
  MINI_CHECK(o.noise >= 0, "SyntheticRegression: noise must be >= 0, got {}", o.noise);
  Generator generator(o.seed);
  const std::vector<float> weight = normals(generator, o.num_features * o.num_targets);  // (F, T)
  const std::vector<float> bias = normals(generator, o.num_targets);
  const std::vector<float> input = normals(generator, o.num_samples * o.num_features);
  const std::vector<float> noise = normals(generator, o.num_samples * o.num_targets);
  std::vector<float> target(noise.size());
  for (int64_t i = 0; i < o.num_samples; ++i) {
    for (int64_t t = 0; t < o.num_targets; ++t) {
      // Accumulate in double so the targets do not depend on summation order.
      double value = bias[static_cast<size_t>(t)];
      for (int64_t f = 0; f < o.num_features; ++f) {
        value += static_cast<double>(input[static_cast<size_t>(i * o.num_features + f)]) *
                 weight[static_cast<size_t>(f * o.num_targets + t)];
      }
      const size_t at = static_cast<size_t>(i * o.num_targets + t);
      target[at] = static_cast<float>(value + o.noise * noise[at]);
    }
  }
  return {{"input", ops::from_vector(input, {o.num_samples, o.num_features})},
          {"target", ops::from_vector(target, {o.num_samples, o.num_targets})}};
}

}  // namespace

SyntheticClassification::SyntheticClassification(SyntheticClassificationOptions options)
    : TensorDataset(make_blobs(options), "SyntheticClassification"), options_(options) {}

std::string SyntheticClassification::describe() const {
  return fmt::format("SyntheticClassification(seed={}, noise={}, {} classes; {})", options_.seed, options_.noise,
                     options_.num_classes, fields_summary());
}

SyntheticRegression::SyntheticRegression(SyntheticRegressionOptions options)
    : TensorDataset(make_linear(options), "SyntheticRegression"), options_(options) {}

std::string SyntheticRegression::describe() const {
  return fmt::format("SyntheticRegression(seed={}, noise={}; {})", options_.seed, options_.noise, fields_summary());
}

}  // namespace mini::runtime
