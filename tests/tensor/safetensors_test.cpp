// safetensors: round trips for every dtype and layout, a hand-written byte
// fixture decoded to known values, the validation of corrupt files (each
// error names the file), and the atomic write.
#include "tensor/io/safetensors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "support/tensor_testing.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"
#include "tensor/ops/view.h"

namespace mini {
namespace {

using ::testing::HasSubstr;
using testing::make_noncontiguous;
using testing::random_tensor;
using testing::to_doubles;

namespace fs = std::filesystem;

constexpr DType kAllDTypes[] = {DType::f64, DType::f32, DType::f16, DType::bf16,
                                DType::i64, DType::i32, DType::u8,  DType::b8};

// A fresh directory per test, removed afterwards.
class Safetensors : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / fmt::format("mini_safetensors_{}_{}", ::getpid(), info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::string write_bytes(const std::string& name, const std::string& bytes) const {
    const std::string file = path(name);
    std::ofstream(file, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return file;
  }

  std::vector<std::string> directory_entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  // `bytes` must be rejected by both entry points with a message naming the
  // file and containing `problem`.
  void expect_rejected(const std::string& bytes, const std::string& problem) const {
    try {
      parse_safetensors(bytes.data(), bytes.size(), "fixture.safetensors");
      ADD_FAILURE() << "parse_safetensors accepted a file that should fail with: " << problem;
    } catch (const ValueError& error) {
      EXPECT_THAT(error.what(), HasSubstr("fixture.safetensors"));
      EXPECT_THAT(error.what(), HasSubstr(problem));
    }
    const std::string file = write_bytes("bad.safetensors", bytes);
    try {
      load_safetensors(file);
      ADD_FAILURE() << "load_safetensors accepted a file that should fail with: " << problem;
    } catch (const ValueError& error) {
      EXPECT_THAT(error.what(), HasSubstr(file));
      EXPECT_THAT(error.what(), HasSubstr(problem));
    }
  }

  fs::path dir_;
};

// The 8-byte little-endian length, the header as given (no padding added),
// then the data bytes.
std::string file_bytes(const std::string& header, const std::string& data = "") {
  const uint64_t length = header.size();
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &length, 8);
  return bytes + header + data;
}

std::string file_bytes_with_length(uint64_t declared_length, const std::string& rest) {
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &declared_length, 8);
  return bytes + rest;
}

void expect_same_tensor(const Tensor& actual, const Tensor& expected, const std::string& what) {
  EXPECT_EQ(actual.dtype(), expected.dtype()) << what;
  EXPECT_EQ(actual.sizes(), expected.sizes()) << what << ": " << shape_str(actual.sizes());
  EXPECT_EQ(to_doubles(actual), to_doubles(expected)) << what;
}

// ---- round trips ----------------------------------------------------------

TEST_F(Safetensors, RoundTripsEveryDType) {
  std::vector<std::pair<std::string, Tensor>> tensors;
  uint64_t seed = 1;
  for (DType dtype : kAllDTypes) {
    // Odd sizes mix 1-, 2-, 4- and 8-byte tensors so the data needs reordering to stay aligned.
    tensors.emplace_back(std::string(dtype_name(dtype)), random_tensor({3, 5}, dtype, seed++, -50, 50));
  }
  save_safetensors(path("all.safetensors"), tensors);
  const SafetensorsFile file = load_safetensors(path("all.safetensors"));
  ASSERT_EQ(file.tensors.size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    EXPECT_EQ(file.tensors[i].first, tensors[i].first);
    expect_same_tensor(file.tensors[i].second, tensors[i].second, tensors[i].first);
  }
}

TEST_F(Safetensors, SavesNonContiguousInputsAsContiguousData) {
  for (DType dtype : kAllDTypes) {
    const Tensor values = random_tensor({4, 3, 5}, dtype, 7, -50, 50);
    const Tensor transposed = make_noncontiguous(values);
    const Tensor strided = ops::slice(values, 2, 0, 5, 2);  // every other column
    ASSERT_FALSE(transposed.is_contiguous());
    ASSERT_FALSE(strided.is_contiguous());
    save_safetensors(path("views.safetensors"), {{"transposed", transposed}, {"strided", strided}});
    const SafetensorsFile file = load_safetensors(path("views.safetensors"));
    EXPECT_TRUE(file.at("transposed").is_contiguous());
    expect_same_tensor(file.at("transposed"), values, "transposed " + std::string(dtype_name(dtype)));
    expect_same_tensor(file.at("strided"), ops::contiguous(strided), "strided " + std::string(dtype_name(dtype)));
  }
}

TEST_F(Safetensors, RoundTripsZeroDimAndEmptyTensors) {
  const Tensor scalar = random_tensor({}, DType::f64, 3);
  const Tensor empty_rows = ops::empty({0, 3}, {.dtype = DType::f32});
  const Tensor empty_cols = ops::empty({2, 0}, {.dtype = DType::i64});
  save_safetensors(path("small.safetensors"),
                   {{"scalar", scalar}, {"empty_rows", empty_rows}, {"empty_cols", empty_cols}});
  const SafetensorsFile file = load_safetensors(path("small.safetensors"));
  expect_same_tensor(file.at("scalar"), scalar, "scalar");
  EXPECT_EQ(file.at("scalar").dim(), 0);
  expect_same_tensor(file.at("empty_rows"), empty_rows, "empty_rows");
  expect_same_tensor(file.at("empty_cols"), empty_cols, "empty_cols");
}

TEST_F(Safetensors, RoundTripsAFileWithNoTensors) {
  save_safetensors(path("none.safetensors"), {});
  EXPECT_TRUE(load_safetensors(path("none.safetensors")).tensors.empty());
}

TEST_F(Safetensors, RoundTripsMetadata) {
  const std::map<std::string, std::string> metadata = {
      {"format", "pt"}, {"step", "1200"}, {"note", "ünïcode \"quoted\""}};
  save_safetensors(path("meta.safetensors"), {{"w", ops::ones({2})}}, metadata);
  EXPECT_EQ(load_safetensors(path("meta.safetensors")).metadata, metadata);
}

TEST_F(Safetensors, PadsTheHeaderToAMultipleOfEight) {
  save_safetensors(path("pad.safetensors"), {{"a_name_of_odd_length", ops::ones({3}, {.dtype = DType::u8})}});
  std::ifstream in(path("pad.safetensors"), std::ios::binary);
  uint64_t header_length = 0;
  in.read(reinterpret_cast<char*>(&header_length), 8);
  EXPECT_EQ(header_length % 8, 0u);
  EXPECT_EQ(fs::file_size(path("pad.safetensors")), 8 + header_length + 3);
}

TEST_F(Safetensors, KeepsHeaderOrderWhenDataIsReorderedForAlignment) {
  const std::vector<std::pair<std::string, Tensor>> tensors = {
      {"z_mask", random_tensor({3}, DType::b8, 1)},
      {"a_half", random_tensor({5}, DType::f16, 2)},
      {"m_double", random_tensor({2}, DType::f64, 3)},
  };
  save_safetensors(path("order.safetensors"), tensors);
  const SafetensorsFile file = load_safetensors(path("order.safetensors"));
  ASSERT_EQ(file.tensors.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(file.tensors[i].first, tensors[i].first);
  // Aligned data loads as zero-copy views, each aligned to its element size.
  for (const auto& [name, tensor] : file.tensors) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(tensor.data_ptr()) % tensor.element_size(), 0u) << name;
  }
}

TEST_F(Safetensors, LoadsAlignedTensorsAsViewsOfTheMapping) {
  save_safetensors(path("w.safetensors"), {{"a", ops::ones({3})}, {"b", ops::zeros({2})}});
  const SafetensorsFile file = load_safetensors(path("w.safetensors"));
  // Adjacent in memory exactly as in the file: views, not copies.
  EXPECT_EQ(static_cast<const char*>(file.at("b").data_ptr()) - static_cast<const char*>(file.at("a").data_ptr()),
            3 * 4);
}

TEST_F(Safetensors, LoadedTensorsOutliveTheFileObject) {
  const Tensor values = random_tensor({6, 7}, DType::f32, 11);
  save_safetensors(path("w.safetensors"), {{"w", values}});
  Tensor loaded = load_safetensors(path("w.safetensors")).at("w");
  expect_same_tensor(loaded, values, "w after the SafetensorsFile is gone");
}

TEST_F(Safetensors, WritingALoadedTensorLeavesTheFileUnchanged) {
  const Tensor values = random_tensor({4}, DType::f64, 5);
  save_safetensors(path("w.safetensors"), {{"w", values}});
  {
    const Tensor loaded = load_safetensors(path("w.safetensors")).at("w");
    loaded.data<double>()[0] = 1234.5;
    EXPECT_EQ(loaded.data<double>()[0], 1234.5);
  }
  expect_same_tensor(load_safetensors(path("w.safetensors")).at("w"), values, "w reloaded");
}

TEST_F(Safetensors, OverwritesAnExistingFile) {
  save_safetensors(path("w.safetensors"), {{"old", ops::ones({100})}});
  const Tensor still_loaded = load_safetensors(path("w.safetensors")).at("old");
  save_safetensors(path("w.safetensors"), {{"new", ops::zeros({2})}});
  const SafetensorsFile file = load_safetensors(path("w.safetensors"));
  ASSERT_EQ(file.tensors.size(), 1u);
  EXPECT_EQ(file.tensors[0].first, "new");
  // The old mapping still reads the replaced file's data (rename, not truncate).
  EXPECT_EQ(to_doubles(still_loaded), std::vector<double>(100, 1.0));
}

// ---- atomic write ----------------------------------------------------------

TEST_F(Safetensors, AtomicWriteLeavesNoTemporaryFile) {
  save_safetensors(path("w.safetensors"), {{"w", ops::ones({3, 3})}});
  EXPECT_EQ(directory_entries(), std::vector<std::string>{"w.safetensors"});
}

TEST_F(Safetensors, FailedSaveKeepsTheOldFileAndLeavesNoTemporaryFile) {
  save_safetensors(path("w.safetensors"), {{"w", ops::ones({3})}});
  const auto try_save = [&](const std::vector<std::pair<std::string, Tensor>>& tensors, const std::string& problem) {
    try {
      save_safetensors(path("w.safetensors"), tensors);
      ADD_FAILURE() << "saved despite: " << problem;
    } catch (const ValueError& error) {
      EXPECT_THAT(error.what(), HasSubstr(path("w.safetensors")));
      EXPECT_THAT(error.what(), HasSubstr(problem));
    }
  };
  try_save({{"a", ops::ones({1})}, {"a", ops::ones({2})}}, "'a' appears more than once");
  try_save({{"__metadata__", ops::ones({1})}}, "reserved");
  try_save({{"undefined", Tensor()}}, "'undefined' is undefined");
  EXPECT_EQ(directory_entries(), std::vector<std::string>{"w.safetensors"});
  expect_same_tensor(load_safetensors(path("w.safetensors")).at("w"), ops::ones({3}), "old file");
}

TEST_F(Safetensors, SaveIntoAMissingDirectoryNamesThePath) {
  const std::string target = path("no/such/dir/w.safetensors");
  try {
    save_safetensors(target, {{"w", ops::ones({1})}});
    ADD_FAILURE() << "saved into a missing directory";
  } catch (const ValueError& error) {
    EXPECT_THAT(error.what(), HasSubstr(target));
    EXPECT_THAT(error.what(), HasSubstr("cannot create"));
  }
}

// ---- a hand-written file -----------------------------------------------------

// Header written by hand with one space of padding, so the data starts at an
// odd offset and load_safetensors must copy rather than view; values in
// little-endian bytes.
std::string hand_written_file() {
  const std::string header =
      R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"I64","shape":[],"data_offsets":[8,16]},"c":{"dtype":"BOOL","shape":[1,3],"data_offsets":[16,19]},)"
      R"("d":{"dtype":"BF16","shape":[1],"data_offsets":[19,21]}} )";  // 253 bytes: the data starts at 261
  const char data[] = {
      '\x00', '\x00', '\xc0', '\x3f',                                  // 1.5f  = 0x3fc00000
      '\x00', '\x00', '\x10', '\xc0',                                  // -2.25f = 0xc0100000
      '\xfd', '\xff', '\xff', '\xff', '\xff', '\xff', '\xff', '\xff',  // int64 -3
      '\x01', '\x00', '\x01',                                          // true, false, true
      '\x80', '\x3f',                                                  // bf16 1.0 = 0x3f80
  };
  return file_bytes(header, std::string(data, sizeof(data)));
}

void expect_hand_written_values(const SafetensorsFile& file) {
  ASSERT_EQ(file.tensors.size(), 4u);
  EXPECT_EQ(file.tensors[0].first, "a");
  EXPECT_EQ(file.tensors[3].first, "d");
  EXPECT_EQ(file.metadata, (std::map<std::string, std::string>{{"format", "pt"}}));
  EXPECT_EQ(file.at("a").dtype(), DType::f32);
  EXPECT_EQ(to_doubles(file.at("a")), (std::vector<double>{1.5, -2.25}));
  EXPECT_EQ(file.at("b").dtype(), DType::i64);
  EXPECT_EQ(file.at("b").dim(), 0);
  EXPECT_EQ(file.at("b").item<int64_t>(), -3);
  EXPECT_EQ(file.at("c").sizes(), (Shape{1, 3}));
  EXPECT_EQ(to_doubles(file.at("c")), (std::vector<double>{1, 0, 1}));
  EXPECT_EQ(file.at("d").dtype(), DType::bf16);
  EXPECT_EQ(to_doubles(file.at("d")), (std::vector<double>{1.0}));
}

TEST_F(Safetensors, DecodesAHandWrittenFileFromMemory) {
  const std::string bytes = hand_written_file();
  expect_hand_written_values(parse_safetensors(bytes.data(), bytes.size(), "hand.safetensors"));
}

TEST_F(Safetensors, DecodesAHandWrittenFileWithMisalignedDataFromDisk) {
  const SafetensorsFile file = load_safetensors(write_bytes("hand.safetensors", hand_written_file()));
  expect_hand_written_values(file);
  for (const auto& [name, tensor] : file.tensors) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(tensor.data_ptr()) % tensor.element_size(), 0u) << name;
  }
}

TEST_F(Safetensors, AtNamesTheFileAndTheMissingTensor) {
  const std::string bytes = hand_written_file();
  const SafetensorsFile file = parse_safetensors(bytes.data(), bytes.size(), "hand.safetensors");
  EXPECT_EQ(file.find("zz"), nullptr);
  EXPECT_THAT([&] { (void)file.at("zz"); },
              ::testing::ThrowsMessage<ValueError>(
                  ::testing::AllOf(HasSubstr("hand.safetensors"), HasSubstr("'zz'"), HasSubstr("a, b, c, d"))));
}

// ---- corrupt files -------------------------------------------------------------

const std::string kOneFloat = R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";

TEST_F(Safetensors, RejectsAFileShorterThanTheLengthField) {
  expect_rejected(std::string("\x01\x02\x03\x04\x05", 5), "shorter than the 8-byte header length");
  expect_rejected("", "shorter than the 8-byte header length");
}

TEST_F(Safetensors, RejectsAHeaderLongerThanTheFile) {
  expect_rejected(file_bytes_with_length(kOneFloat.size() + 5, kOneFloat + "1234"), "larger than the");
}

TEST_F(Safetensors, RejectsAnOversizedHeaderLength) {
  expect_rejected(file_bytes_with_length(200'000'000, kOneFloat), "exceeds the 100000000-byte limit");
  expect_rejected(file_bytes_with_length(~uint64_t{0}, kOneFloat), "exceeds the 100000000-byte limit");
}

TEST_F(Safetensors, RejectsATruncatedDataSection) {
  expect_rejected(file_bytes(kOneFloat, "12"), "past the end of the 2-byte data section");
}

TEST_F(Safetensors, RejectsAHeaderThatIsNotJson) {
  expect_rejected(file_bytes(R"({"x": {"dtype": "F32",)", ""), "header is not valid JSON");
  expect_rejected(file_bytes(std::string("{\"\xff\xfe\":1}"), ""), "header is not valid JSON");
}

TEST_F(Safetensors, RejectsAHeaderThatIsNotAnObject) {
  expect_rejected(file_bytes("[1, 2]"), "header must be a JSON object, got array");
}

TEST_F(Safetensors, RejectsAnUnknownDType) {
  expect_rejected(file_bytes(R"({"x":{"dtype":"I8","shape":[4],"data_offsets":[0,4]}})", "1234"),
                  "tensor 'x': unsupported dtype \"I8\"");
}

TEST_F(Safetensors, RejectsShapesThatAreNotNonNegativeIntegers) {
  for (const std::string shape : {R"([2.5])", R"("4")", R"([-1])", R"([1, "2"])"}) {
    expect_rejected(file_bytes(R"({"x":{"dtype":"U8","shape":)" + shape + R"(,"data_offsets":[0,4]}})", "1234"),
                    "tensor 'x': shape must");
  }
}

TEST_F(Safetensors, RejectsMalformedOffsets) {
  for (const std::string offsets : {R"([0])", R"([0, 4.0])", R"([-4, 0])", R"("0,4")"}) {
    expect_rejected(file_bytes(R"({"x":{"dtype":"U8","shape":[4],"data_offsets":)" + offsets + "}}", "1234"),
                    "data_offsets must be two non-negative integers");
  }
  expect_rejected(file_bytes(R"({"x":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}})", "1234"), "end before begin");
}

TEST_F(Safetensors, RejectsAByteSizeThatDisagreesWithTheShape) {
  expect_rejected(file_bytes(R"({"x":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", std::string(12, 'a')),
                  "hold 12 bytes, but dtype F32 and shape (2, 2) need 16");
}

TEST_F(Safetensors, RejectsAShapeWhoseByteSizeOverflows) {
  expect_rejected(file_bytes(R"({"x":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}})"),
                  "overflows");
}

TEST_F(Safetensors, RejectsOverlappingTensors) {
  expect_rejected(file_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                             std::string(12, 'a')),
                  "tensors 'a' [0, 8] and 'b' [4, 12] overlap");
}

TEST_F(Safetensors, RejectsADataSectionNotFullyCovered) {
  expect_rejected(file_bytes(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}})", "1234"),
                  "2 unused bytes before tensor 'a'");
  expect_rejected(file_bytes(kOneFloat, "123456"), "2 unused bytes after the last tensor");
}

TEST_F(Safetensors, RejectsDuplicateNames) {
  expect_rejected(file_bytes(R"({"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                             R"("x":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}})",
                             "1234"),
                  "names \"x\" more than once");
}

TEST_F(Safetensors, RejectsBoolBytesOtherThanZeroAndOne) {
  expect_rejected(
      file_bytes(R"({"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})", std::string("\x01\x02\x00", 3)),
      "tensor 'm': BOOL element 1 is 2");
}

TEST_F(Safetensors, RejectsMetadataThatIsNotStrings) {
  expect_rejected(file_bytes(R"({"__metadata__":{"step":12}})"), "__metadata__[\"step\"] must be a string");
  expect_rejected(file_bytes(R"({"__metadata__":[1]})"), "__metadata__ must be an object of strings");
}

TEST_F(Safetensors, RejectsEntriesThatAreNotTensorDescriptions) {
  expect_rejected(file_bytes(R"({"x":3})"), "tensor 'x': expected an object");
  expect_rejected(file_bytes(R"({"x":{"dtype":"U8","shape":[0]}})"), "tensor 'x': missing \"data_offsets\"");
}

TEST_F(Safetensors, LoadOfAMissingFileNamesThePath) {
  const std::string missing = path("missing.safetensors");
  EXPECT_THAT([&] { load_safetensors(missing); },
              ::testing::ThrowsMessage<ValueError>(::testing::AllOf(HasSubstr(missing), HasSubstr("cannot open"))));
}

TEST(SafetensorsDType, CodesRoundTripAndUnknownCodesAreNamed) {
  for (DType dtype : kAllDTypes) EXPECT_EQ(dtype_from_safetensors_code(safetensors_dtype_code(dtype)), dtype);
  EXPECT_THAT([] { dtype_from_safetensors_code("F8_E4M3"); },
              ::testing::ThrowsMessage<ValueError>(HasSubstr("\"F8_E4M3\"")));
}

}  // namespace
}  // namespace mini
