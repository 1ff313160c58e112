// The golden harness itself: input construction follows the oracle's rules
// and the comparison fails when it should (a harness that cannot fail would
// make every golden case meaningless).
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cmath>

#include "golden_case.h"
#include "golden_ops.h"
#include "support/tensor_testing.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"
#include "tests/cuda/cuda_testing.h"  // registers cuda (emulated unless a GPU answers)

namespace mini::golden {
namespace {

const GoldenCase& noncontiguous_case() { return golden_case("sub_noncontig_f64"); }

const OutputSpec& out_spec(const GoldenCase& test_case) {
  for (const OutputSpec& spec : test_case.outputs) {
    if (spec.name == "out") return spec;
  }
  throw ValueError("golden: case " + test_case.name + " has no output 'out'");
}

// EXPECT_FATAL_FAILURE's statement cannot use locals, hence these two.
void compare_float32_copy_of_reference() {
  const GoldenCase& test_case = noncontiguous_case();
  const Tensor reference = reference_file(test_case).at("out");
  expect_matches_reference(ops::to_dtype(reference, DType::f32), out_spec(test_case), reference_file(test_case));
}

void compare_flattened_zeros() {
  const GoldenCase& test_case = noncontiguous_case();
  expect_matches_reference(ops::zeros({91}, {.dtype = DType::f64}), out_spec(test_case), reference_file(test_case));
}

// A copy of `reference` with element `index` replaced by `value`.
Tensor with_element(const Tensor& reference, int64_t index, double value) {
  Tensor result = ops::clone(reference);
  result.data<double>()[index] = value;
  return result;
}

TEST(GoldenHarness, BuildsPermutedInputsWithTheStoredValues) {
  const GoldenCase& test_case = noncontiguous_case();
  ASSERT_TRUE(test_case.inputs[0].noncontig_perm.has_value());
  const std::vector<Tensor> inputs = make_inputs(test_case, Device::cpu());
  EXPECT_FALSE(inputs[0].is_contiguous());
  EXPECT_EQ(inputs[0].strides(), (Shape{1, 7}));  // (7, 13) stored as its transpose
  EXPECT_EQ(testing::to_doubles(inputs[0]), testing::to_doubles(reference_file(test_case).at("in0")));
}

// The cuda run must see the same awkward layouts as the CPU run.
TEST(GoldenHarness, BuildsPermutedInputsOnTheDevice) {
  const GoldenCase& test_case = noncontiguous_case();
  const std::vector<Tensor> inputs = make_inputs(test_case, Device::cuda());
  ASSERT_EQ(inputs.size(), test_case.inputs.size());
  for (const Tensor& input : inputs) EXPECT_TRUE(input.device().is_cuda());
  EXPECT_EQ(inputs[0].strides(), (Shape{1, 7}));
  EXPECT_EQ(testing::to_doubles(inputs[0]), testing::to_doubles(reference_file(test_case).at("in0")));
}

TEST(GoldenHarness, ConvertsStoredFloat32InputsToTheCaseDType) {
  const GoldenCase& test_case = golden_case("mlp_sgd_f64");
  const std::vector<Tensor> inputs = make_inputs(test_case, Device::cpu());
  EXPECT_EQ(inputs[0].dtype(), DType::f64);
  EXPECT_EQ(inputs[1].dtype(), DType::i64);
  EXPECT_EQ(inputs[0].sizes(), (Shape{32, 784}));
}

TEST(GoldenHarness, AcceptsTheReferenceItselfAndErrorsWithinTolerance) {
  const GoldenCase& test_case = noncontiguous_case();
  const OutputSpec& spec = out_spec(test_case);
  const Tensor reference = reference_file(test_case).at(spec.name);
  expect_matches_reference(reference, spec, reference_file(test_case));
  const double value = reference.data<double>()[3];
  const double nudged = value + 0.5 * (spec.atol + spec.rtol * std::abs(value));
  expect_matches_reference(with_element(reference, 3, nudged), spec, reference_file(test_case));
}

TEST(GoldenHarness, RejectsAnErrorBeyondTolerance) {
  const GoldenCase& test_case = noncontiguous_case();
  const OutputSpec& spec = out_spec(test_case);
  const Tensor reference = reference_file(test_case).at(spec.name);
  const double value = reference.data<double>()[3];
  const double off = value + 2 * (spec.atol + spec.rtol * std::abs(value));
  EXPECT_NONFATAL_FAILURE(expect_matches_reference(with_element(reference, 3, off), spec, reference_file(test_case)),
                          "1 of 91 elements outside");
}

TEST(GoldenHarness, RejectsNaNAndInfinity) {
  const GoldenCase& test_case = noncontiguous_case();
  const OutputSpec& spec = out_spec(test_case);
  const Tensor reference = reference_file(test_case).at(spec.name);
  EXPECT_NONFATAL_FAILURE(expect_matches_reference(with_element(reference, 0, NAN), spec, reference_file(test_case)),
                          "outside");
  EXPECT_NONFATAL_FAILURE(
      expect_matches_reference(with_element(reference, 0, INFINITY), spec, reference_file(test_case)), "outside");
}

TEST(GoldenHarness, RejectsAWrongShapeOrDType) {
  EXPECT_FATAL_FAILURE(compare_float32_copy_of_reference(), "dtype float32, expected float64");
  EXPECT_FATAL_FAILURE(compare_flattened_zeros(), "shape (91,), expected (7, 13)");
}

TEST(GoldenHarness, ComparesIntegerOutputsExactly) {
  const GoldenCase& test_case = golden_case("one_hot_f64");
  const OutputSpec& spec = out_spec(test_case);
  ASSERT_EQ(spec.dtype, DType::i64);
  Tensor wrong = ops::clone(reference_file(test_case).at(spec.name));
  wrong.data<int64_t>()[0] += 1;
  EXPECT_NONFATAL_FAILURE(expect_matches_reference(wrong, spec, reference_file(golden_case("one_hot_f64"))), "outside");
}

TEST(GoldenHarness, RecognisesGradientOutputNames) {
  EXPECT_EQ(gradient_input_index("grad_in0"), 0u);
  EXPECT_EQ(gradient_input_index("grad_in12"), 12u);
  EXPECT_EQ(gradient_input_index("grad_in"), std::nullopt);
  EXPECT_EQ(gradient_input_index("grad_inx"), std::nullopt);
  EXPECT_EQ(gradient_input_index("step1_in2"), std::nullopt);
  EXPECT_EQ(gradient_input_index("out_step2"), std::nullopt);
}

// GoldenGradient compares grad_inK with input K's grad; a grad_inK naming an
// input that does not require grad would compare zeros.
TEST(GoldenHarness, EveryGradientOutputNamesAnInputThatRequiresGrad) {
  for (const GoldenCase& test_case : golden_cases()) {
    for (const OutputSpec& spec : test_case.outputs) {
      const std::optional<size_t> k = gradient_input_index(spec.name);
      if (!k) continue;
      ASSERT_LT(*k, test_case.inputs.size()) << test_case.name << ": " << spec.name;
      EXPECT_TRUE(test_case.inputs[*k].requires_grad) << test_case.name << ": " << spec.name;
      EXPECT_TRUE(test_case.grad_out.has_value()) << test_case.name << ": " << spec.name;
    }
  }
}

// Outputs that are neither forward outputs nor gradients (stepN_inK,
// out_step2) come only from an op's optimizer steps: an implemented op whose
// cases list them must have steps, or GoldenGradient would skip them.
TEST(GoldenHarness, ImplementedOpsProduceEveryOptimizerStepOutput) {
  int training_cases = 0;
  for (const GoldenCase& test_case : golden_cases()) {
    const GoldenOp* op = find_golden_op(test_case.op);
    if (op == nullptr || !op->forward) continue;
    for (const OutputSpec& spec : test_case.outputs) {
      if (is_forward_output(spec.name) || gradient_input_index(spec.name)) continue;
      EXPECT_TRUE(static_cast<bool>(op->steps))
          << test_case.name << ": " << spec.name << " needs " << test_case.op << "'s optimizer steps";
      ++training_cases;
      break;
    }
  }
  EXPECT_EQ(training_cases, 4) << "the four mlp_{sgd,adamw}_{f64,f32} cases";
}

}  // namespace
}  // namespace mini::golden
