// Manifest reading, input construction and the reference comparison, written
// to match /work/shared/oracle/verify.py so a case passes here exactly when
// verify.py would pass the same result.
#include "golden_case.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <string_view>

#include "support/tensor_testing.h"  // to_doubles
#include "tensor/ops/copy.h"
#include "tensor/ops/view.h"

namespace mini::golden {
namespace {

Shape shape_of(const nlohmann::json& sizes) {
  Shape shape;
  for (const auto& size : sizes) shape.push_back(size.get<int64_t>());
  return shape;
}

InputSpec parse_input(const nlohmann::json& json) {
  InputSpec input;
  input.name = json.at("name").get<std::string>();
  input.dtype = dtype_from_safetensors_code(json.at("dtype").get<std::string>());
  input.shape = shape_of(json.at("shape"));
  input.requires_grad = json.at("requires_grad").get<bool>();
  if (const auto& noncontig = json.at("noncontig"); !noncontig.is_null()) {
    input.noncontig_perm = shape_of(noncontig.at("perm"));
  }
  input.file = json.at("file").get<std::string>();
  input.tensor = json.at("tensor").get<std::string>();
  return input;
}

OutputSpec parse_output(const std::string& name, const nlohmann::json& json) {
  OutputSpec output;
  output.name = name;
  output.dtype = dtype_from_safetensors_code(json.at("dtype").get<std::string>());
  output.shape = shape_of(json.at("shape"));
  output.rtol = json.at("rtol").get<double>();
  output.atol = json.at("atol").get<double>();
  output.compact = json.value("check", "full") == "compact";
  if (output.compact) {
    output.view_rows = json.at("view2d").at(0).get<int64_t>();
    output.view_cols = json.at("view2d").at(1).get<int64_t>();
    output.sample_count = json.at("sample").at("count").get<int64_t>();
    output.sample_stride = json.at("sample").at("stride").get<int64_t>();
  }
  return output;
}

std::vector<GoldenCase> read_manifest(const std::string& path) {
  std::ifstream in(path);
  MINI_CHECK(in.good(), "golden: cannot open the manifest {}", path);
  try {
    const nlohmann::json manifest = nlohmann::json::parse(in);
    std::vector<GoldenCase> cases;
    for (const auto& json : manifest.at("cases")) {
      GoldenCase golden_case;
      golden_case.name = json.at("name").get<std::string>();
      golden_case.file = json.at("file").get<std::string>();
      golden_case.op = json.at("op").get<std::string>();
      golden_case.attrs = json.at("attrs");
      for (const auto& input : json.at("inputs")) golden_case.inputs.push_back(parse_input(input));
      // nlohmann::json sorts object keys; the outputs' order does not matter.
      for (const auto& [name, output] : json.at("outputs").items()) {
        golden_case.outputs.push_back(parse_output(name, output));
      }
      if (const auto& grad_out = json.at("grad_out"); !grad_out.is_null()) {
        golden_case.grad_out = grad_out.get<std::string>();
      }
      cases.push_back(std::move(golden_case));
    }
    return cases;
  } catch (const nlohmann::json::exception& error) {
    throw ValueError(fmt::format("golden: {}: malformed manifest: {}", path, error.what()));
  }
}

// Files are shared between cases (the MLP inputs), so they are loaded once.
const SafetensorsFile& cached_file(const std::string& relative_path) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<SafetensorsFile>> files;
  const std::lock_guard lock(mutex);
  auto& file = files[relative_path];
  if (!file) file = std::make_unique<SafetensorsFile>(load_safetensors(golden_cases_dir() + "/" + relative_path));
  return *file;
}

Shape argsort(const Shape& perm) {
  Shape inverse(perm.size(), 0);
  for (size_t i = 0; i < perm.size(); ++i) inverse[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
  return inverse;
}

// ---- comparison -------------------------------------------------------------

// Elementwise |result - ref| <= atol + rtol*|ref|; NaN never passes, inf only when identical.
// On failure reports verify.py's figures: max_abs, the worst ratio error/bound and where it is.
void expect_values_within(const std::string& what, const std::vector<double>& result,
                          const std::vector<double>& reference, double rtol, double atol) {
  ASSERT_EQ(result.size(), reference.size()) << what;
  int64_t failures = 0;
  double max_abs = 0, worst_ratio = -1;
  size_t worst = 0;
  for (size_t i = 0; i < result.size(); ++i) {
    const double got = result[i], want = reference[i];
    const double error = std::isnan(got) || std::isnan(want) ? INFINITY : got == want ? 0.0 : std::abs(got - want);
    const double bound = atol + rtol * std::abs(want);
    const double ratio = error == 0 ? 0 : bound == 0 ? INFINITY : error / bound;
    if (ratio > 1) ++failures;
    if (ratio > worst_ratio) {
      worst_ratio = ratio;
      worst = i;
    }
    max_abs = std::max(max_abs, error);
  }
  EXPECT_EQ(failures, 0) << what << ": " << failures << " of " << result.size()
                         << " elements outside atol + rtol*|ref| (rtol " << rtol << ", atol " << atol << "); max_abs "
                         << max_abs << ", ratio " << worst_ratio << ", worst at flat index " << worst << ": ref "
                         << reference[worst] << " got " << result[worst];
}

// Sums of n elements that each meet the tolerance differ by at most
// n*atol + rtol*sum|ref| (plus float64 summation slack), as verify.py.
void expect_sums_within(const std::string& what, const std::vector<double>& result_sums,
                        const std::vector<double>& reference_sums, const std::vector<double>& reference_abs_sums,
                        int64_t terms, double rtol, double atol) {
  ASSERT_EQ(result_sums.size(), reference_sums.size()) << what;
  for (size_t i = 0; i < result_sums.size(); ++i) {
    const double bound = static_cast<double>(terms) * atol + (rtol + 1e-12) * reference_abs_sums[i] + 1e-300;
    const double error = std::abs(result_sums[i] - reference_sums[i]);
    EXPECT_LE(error, bound) << what << "[" << i << "]: ref " << reference_sums[i] << " got " << result_sums[i];
  }
}

void expect_compact_matches(const std::vector<double>& values, const OutputSpec& spec, const SafetensorsFile& reference,
                            double rtol, double atol) {
  const int64_t rows = spec.view_rows, cols = spec.view_cols;
  ASSERT_EQ(static_cast<int64_t>(values.size()), rows * cols) << spec.name;
  const auto at = [&](int64_t r, int64_t c) { return values[static_cast<size_t>(r * cols + c)]; };
  const auto ref = [&](const char* part) { return testing::to_doubles(reference.at(spec.name + part)); };

  std::vector<double> edges;  // first row, last row, first column, last column
  for (int64_t c = 0; c < cols; ++c) edges.push_back(at(0, c));
  for (int64_t c = 0; c < cols; ++c) edges.push_back(at(rows - 1, c));
  for (int64_t r = 0; r < rows; ++r) edges.push_back(at(r, 0));
  for (int64_t r = 0; r < rows; ++r) edges.push_back(at(r, cols - 1));
  expect_values_within(spec.name + "@edges", edges, ref("@edges"), rtol, atol);

  std::vector<double> samples;
  for (int64_t k = 0; k < spec.sample_count; ++k) {
    samples.push_back(values[static_cast<size_t>((k * spec.sample_stride) % (rows * cols))]);
  }
  expect_values_within(spec.name + "@sample", samples, ref("@sample"), rtol, atol);

  std::vector<double> row_sums(static_cast<size_t>(rows), 0.0), col_sums(static_cast<size_t>(cols), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      row_sums[static_cast<size_t>(r)] += at(r, c);
      col_sums[static_cast<size_t>(c)] += at(r, c);
    }
  }
  expect_sums_within(spec.name + "@rowsum", row_sums, ref("@rowsum"), ref("@rowabs"), cols, rtol, atol);
  expect_sums_within(spec.name + "@colsum", col_sums, ref("@colsum"), ref("@colabs"), rows, rtol, atol);
}

}  // namespace

std::string golden_cases_dir() {
  // A test binary carried to another machine (scripts/gpu_check.sh) is told where the data lies.
  if (const char* dir = std::getenv("MINI_TEST_DATA_DIR")) return std::string(dir) + "/golden/cases";
  return MINI_TEST_DATA_DIR "/golden/cases";
}

const std::vector<GoldenCase>& golden_cases() {
  static const std::vector<GoldenCase> cases = read_manifest(golden_cases_dir() + "/manifest.json");
  return cases;
}

const GoldenCase& golden_case(const std::string& name) {
  for (const GoldenCase& golden_case : golden_cases()) {
    if (golden_case.name == name) return golden_case;
  }
  throw ValueError(fmt::format("golden: no case named '{}' in the manifest", name));
}

const SafetensorsFile& reference_file(const GoldenCase& golden_case) { return cached_file(golden_case.file); }

std::vector<Tensor> make_inputs(const GoldenCase& golden_case, Device device) {
  std::vector<Tensor> inputs;
  for (const InputSpec& spec : golden_case.inputs) {
    const Tensor stored = ops::to_dtype(cached_file(spec.file).at(spec.tensor), spec.dtype);
    MINI_CHECK(stored.sizes() == spec.shape, "golden: {}: input {} has shape {}, the manifest says {}",
               golden_case.name, spec.name, shape_str(stored.sizes()), shape_str(spec.shape));
    // A private contiguous copy (an in-place op must not write into the
    // shared, cached file), made on the CPU and then moved to the device.
    if (spec.noncontig_perm) {
      // Storage holds x.permute(p); permuting back by argsort(p) gives x's values in a non-contiguous layout.
      const Tensor storage = ops::clone(ops::permute(stored, *spec.noncontig_perm));
      inputs.push_back(ops::permute(ops::to_device(storage, device), argsort(*spec.noncontig_perm)));
    } else {
      inputs.push_back(ops::to_device(ops::clone(stored), device));
    }
  }
  return inputs;
}

bool is_forward_output(const std::string& name) {
  return name == "out" || (name.starts_with("out_") && name != "out_step2");
}

std::optional<size_t> gradient_input_index(const std::string& name) {
  constexpr std::string_view prefix = "grad_in";
  if (!name.starts_with(prefix) || name.size() == prefix.size()) return std::nullopt;
  size_t index = 0;
  for (const char digit : name.substr(prefix.size())) {
    if (digit < '0' || digit > '9') return std::nullopt;
    index = index * 10 + static_cast<size_t>(digit - '0');
  }
  return index;
}

void expect_matches_reference(const Tensor& result, const OutputSpec& spec, const SafetensorsFile& reference) {
  ASSERT_TRUE(result.defined()) << spec.name << ": the harness produced no tensor";
  ASSERT_EQ(result.sizes(), spec.shape) << spec.name << ": shape " << shape_str(result.sizes()) << ", expected "
                                        << shape_str(spec.shape);
  ASSERT_EQ(result.dtype(), spec.dtype) << spec.name << ": dtype " << dtype_name(result.dtype()) << ", expected "
                                        << dtype_name(spec.dtype);
  const bool exact = !is_floating(spec.dtype);
  const double rtol = exact ? 0 : spec.rtol, atol = exact ? 0 : spec.atol;
  const std::vector<double> values = testing::to_doubles(result);
  if (spec.compact) {
    expect_compact_matches(values, spec, reference, rtol, atol);
  } else {
    expect_values_within(spec.name, values, testing::to_doubles(reference.at(spec.name)), rtol, atol);
  }
}

}  // namespace mini::golden
