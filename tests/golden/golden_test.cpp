// PyTorch golden tests: every case of tests/golden/cases/manifest.json, run
// through mini-engine on each device and compared with PyTorch 1.13's results
// under the manifest's per-output tolerances.
//   {Cpu,Cuda}/GoldenForward.MatchesPyTorch/<case>:  `out` and the extra forward outputs.
//   {Cpu,Cuda}/GoldenGradient.MatchesPyTorch/<case>: grad_inK after out.backward(grad_out).
// `cuda` is the emulated backend unless a GPU answers (tests/cuda/cuda_testing.h).
#include <gtest/gtest.h>

#include <exception>
#include <ostream>
#include <vector>

#include "autograd/autograd.h"
#include "golden_case.h"
#include "golden_ops.h"
#include "tests/cuda/cuda_testing.h"

namespace mini::golden {
namespace {

// One test: a case on a device.
struct DeviceCase {
  Device device;
  std::string name;
};
void PrintTo(const DeviceCase& param, std::ostream* out) { *out << param.name << " on " << param.device.str(); }

// The case names on `device`, read when the tests are registered. An
// unreadable manifest becomes one failing test carrying the error, rather than
// a crash at start-up.
std::vector<DeviceCase> cases_on(Device device) {
  std::vector<DeviceCase> cases;
  try {
    for (const GoldenCase& golden : golden_cases()) cases.push_back({device, golden.name});
  } catch (const std::exception&) {
    cases = {{device, "manifest_unreadable"}};
  }
  return cases;
}

std::string test_name(const ::testing::TestParamInfo<DeviceCase>& info) { return info.param.name; }

// Tolerances: the manifest's, on every device. The oracle already scales them
// with the dtype (f64: rtol 1e-9 or 1e-7; f32: 1e-4 or 5e-4, ~10^3 ulp), and
// they leave room for cuda's other summation orders (tiled GEMM, block
// reductions, atomics): on the emulator its worst f32 error is 2.3% of the
// bound (the CPU's 3.4%), f64's 8e-6. A cuda result beyond them is a bug to
// find, not a tolerance to widen.
class GoldenTest : public ::testing::TestWithParam<DeviceCase> {
 protected:
  void SetUp() override {
    if (device().is_cuda()) cuda::testing::use_cuda_backend();
  }
  Device device() const { return GetParam().device; }
  const GoldenCase& test_case() const { return golden_case(GetParam().name); }
  // The result on the device under test (an op must not fall back to the
  // CPU), compared on the CPU.
  void expect_matches(const Tensor& result, const OutputSpec& spec) const {
    if (result.defined()) {
      EXPECT_EQ(result.device().str(), device().str()) << spec.name << " left the device";
    }
    expect_matches_reference(result, spec, reference_file(test_case()));
  }
};
class GoldenForward : public GoldenTest {};
class GoldenGradient : public GoldenTest {};

TEST_P(GoldenForward, MatchesPyTorch) {
  const GoldenCase& test_case = this->test_case();
  const GoldenOp* op = find_golden_op(test_case.op);
  ASSERT_NE(op, nullptr) << "no entry for op '" << test_case.op << "' in tests/golden/golden_ops.cpp";
  if (!op->forward) GTEST_SKIP() << test_case.op << ": " << op->missing;

  ForwardOutputs results;
  try {
    results = op->forward(make_inputs(test_case, device()), test_case.attrs);
  } catch (const std::exception& error) {
    FAIL() << test_case.op << " threw: " << error.what();
  }
  int checked = 0;
  for (const OutputSpec& spec : test_case.outputs) {
    if (!is_forward_output(spec.name)) continue;
    const auto result = results.find(spec.name);
    ASSERT_NE(result, results.end()) << "the harness returned no '" << spec.name << "' for op " << test_case.op;
    SCOPED_TRACE(spec.name);
    expect_matches(result->second, spec);
    ++checked;
  }
  EXPECT_GT(checked, 0) << "case " << test_case.name << " lists no forward output";
}

// Inputs get requires_grad as the manifest lists, the op runs through the
// differentiable API, out.backward(grad_out), and every grad_inK is compared.
// The remaining outputs (stepN_inK, out_step2) come from the op's optimizer
// steps, run after the gradients were compared; an op without steps skips
// naming them.
TEST_P(GoldenGradient, MatchesPyTorch) {
  const GoldenCase& test_case = this->test_case();
  std::vector<const OutputSpec*> gradients;
  std::vector<std::string> unchecked;
  for (const OutputSpec& spec : test_case.outputs) {
    if (is_forward_output(spec.name)) continue;
    if (gradient_input_index(spec.name)) {
      gradients.push_back(&spec);
    } else {
      unchecked.push_back(spec.name);
    }
  }
  if (gradients.empty() && unchecked.empty()) GTEST_SKIP() << test_case.op << " has no gradient outputs";

  const GoldenOp* op = find_golden_op(test_case.op);
  ASSERT_NE(op, nullptr) << "no entry for op '" << test_case.op << "' in tests/golden/golden_ops.cpp";
  if (!op->forward) {
    for (const OutputSpec* spec : gradients) unchecked.push_back(spec->name);
    GTEST_SKIP() << test_case.op << ": " << op->missing
                 << "; not checked: " << fmt::format("{}", fmt::join(unchecked, ", "));
  }
  ASSERT_TRUE(test_case.grad_out.has_value()) << "case " << test_case.name << " lists gradients but no grad_out";

  std::vector<Tensor> inputs = make_inputs(test_case, device());
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (test_case.inputs[k].requires_grad) inputs[k].requires_grad_();
  }
  try {
    const ForwardOutputs results = op->forward(inputs, test_case.attrs);
    const auto out = results.find("out");
    ASSERT_NE(out, results.end()) << "the harness returned no 'out' for op " << test_case.op;
    const Tensor grad_out = reference_file(test_case).at(*test_case.grad_out);
    out->second.backward(ops::to_device(ops::to_dtype(grad_out, out->second.dtype()), device()));
  } catch (const std::exception& error) {
    FAIL() << test_case.op << " forward or backward threw: " << error.what();
  }

  for (const OutputSpec* spec : gradients) {
    const size_t k = *gradient_input_index(spec->name);
    ASSERT_LT(k, inputs.size()) << spec->name << ": the case has " << inputs.size() << " inputs";
    ASSERT_TRUE(test_case.inputs[k].requires_grad) << spec->name << ": input " << k << " does not require grad";
    // No gradient reached the input: PyTorch's writer stores zeros then (torch.zeros_like).
    Tensor grad = inputs[k].grad();
    if (!grad.defined()) grad = ops::zeros_like(inputs[k]);
    SCOPED_TRACE(spec->name);
    expect_matches(grad, *spec);
  }
  if (unchecked.empty()) return;
  if (!op->steps) {
    GTEST_SKIP() << "gradients checked; not checked (the op has no optimizer steps in the harness): "
                 << fmt::format("{}", fmt::join(unchecked, ", "));
  }

  // The training cases: the optimizer steps start from the gradients above.
  ForwardOutputs steps;
  try {
    steps = op->steps(inputs, test_case.attrs);
  } catch (const std::exception& error) {
    FAIL() << test_case.op << " optimizer steps threw: " << error.what();
  }
  for (const std::string& name : unchecked) {
    const auto result = steps.find(name);
    const OutputSpec* spec = nullptr;
    for (const OutputSpec& output : test_case.outputs) {
      if (output.name == name) spec = &output;
    }
    // Every output the case lists must be compared: none is skipped silently.
    EXPECT_NE(result, steps.end()) << "the optimizer steps of op " << test_case.op << " returned no '" << name << "'";
    if (result == steps.end()) continue;
    SCOPED_TRACE(name);
    expect_matches(result->second, *spec);
  }
}

INSTANTIATE_TEST_SUITE_P(Cpu, GoldenForward, ::testing::ValuesIn(cases_on(Device::cpu())), test_name);
INSTANTIATE_TEST_SUITE_P(Cpu, GoldenGradient, ::testing::ValuesIn(cases_on(Device::cpu())), test_name);
INSTANTIATE_TEST_SUITE_P(Cuda, GoldenForward, ::testing::ValuesIn(cases_on(Device::cuda())), test_name);
INSTANTIATE_TEST_SUITE_P(Cuda, GoldenGradient, ::testing::ValuesIn(cases_on(Device::cuda())), test_name);

}  // namespace
}  // namespace mini::golden
