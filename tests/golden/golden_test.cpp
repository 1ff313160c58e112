// PyTorch golden tests: every case of tests/golden/cases/manifest.json, run
// through mini-engine and compared with PyTorch 1.13's results under the
// manifest's per-output tolerances.
//   GoldenForward/<case>:  `out` and the extra forward outputs.
//   GoldenGradient/<case>: grad_inK and optimizer steps (skipped until autograd exists).
#include <gtest/gtest.h>

#include <exception>

#include "golden_case.h"
#include "golden_ops.h"

namespace mini::golden {
namespace {

// The case names, read when the tests are registered. An unreadable manifest
// becomes one failing test carrying the error, rather than a crash at start-up.
std::vector<std::string> case_names() {
  std::vector<std::string> names;
  try {
    for (const GoldenCase& golden : golden_cases()) names.push_back(golden.name);
  } catch (const std::exception&) {
    names = {"manifest_unreadable"};
  }
  return names;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

class GoldenForward : public ::testing::TestWithParam<std::string> {};
class GoldenGradient : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenForward, MatchesPyTorch) {
  const GoldenCase& test_case = golden_case(GetParam());
  const GoldenOp* op = find_golden_op(test_case.op);
  ASSERT_NE(op, nullptr) << "no entry for op '" << test_case.op << "' in tests/golden/golden_ops.cpp";
  if (!op->forward) GTEST_SKIP() << test_case.op << ": " << op->missing;

  ForwardOutputs results;
  try {
    results = op->forward(make_inputs(test_case), test_case.attrs);
  } catch (const std::exception& error) {
    FAIL() << test_case.op << " threw: " << error.what();
  }
  int checked = 0;
  for (const OutputSpec& spec : test_case.outputs) {
    if (!is_forward_output(spec.name)) continue;
    const auto result = results.find(spec.name);
    ASSERT_NE(result, results.end()) << "the harness returned no '" << spec.name << "' for op " << test_case.op;
    SCOPED_TRACE(spec.name);
    expect_matches_reference(result->second, spec, reference_file(test_case));
    ++checked;
  }
  EXPECT_GT(checked, 0) << "case " << test_case.name << " lists no forward output";
}

// NOTE: the extension point for autograd (see golden_ops.h): run the forward
// with inputs that require grad, backward(grad_out), then compare each
// grad_inK (and, for the model cases, stepN_inK after the optimizer steps)
// with expect_matches_reference.
TEST_P(GoldenGradient, MatchesPyTorch) {
  const GoldenCase& test_case = golden_case(GetParam());
  std::vector<std::string> unchecked;
  for (const OutputSpec& spec : test_case.outputs) {
    if (!is_forward_output(spec.name)) unchecked.push_back(spec.name);
  }
  if (unchecked.empty()) GTEST_SKIP() << test_case.op << " has no gradient outputs";
  GTEST_SKIP() << "needs autograd: " << fmt::format("{}", fmt::join(unchecked, ", ")) << " not checked";
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenForward, ::testing::ValuesIn(case_names()), test_name);
INSTANTIATE_TEST_SUITE_P(Cases, GoldenGradient, ::testing::ValuesIn(case_names()), test_name);

}  // namespace
}  // namespace mini::golden
