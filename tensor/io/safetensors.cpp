// safetensors reading (mmap or memory) and atomic writing. Validation follows
// the reference Rust implementation (safetensors/src/tensor.rs): header size
// limit, JSON object, known dtypes, byte sizes matching the shapes, and the
// tensors tiling the data section exactly.
#include "tensor/io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>  // ordered_json: keeps the header's tensor order
#include <numeric>
#include <optional>
#include <set>

#include "tensor/ops/copy.h"     // contiguous, to_device
#include "tensor/ops/factory.h"  // empty, from_blob

namespace mini {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; a big-endian host would need byte swapping");

namespace {

using Json = nlohmann::ordered_json;

// The Rust implementation's MAX_HEADER_SIZE: a bigger header is a corrupt file, not a model.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr std::string_view kMetadataKey = "__metadata__";

template <typename... Args>
void check(bool ok, std::string_view source, fmt::format_string<Args...> format, Args&&... args) {
  if (!ok) [[unlikely]] {
    throw ValueError(fmt::format("safetensors: {}: {}", source, fmt::format(format, std::forward<Args>(args)...)));
  }
}

constexpr std::pair<std::string_view, DType> kDTypeCodes[] = {
    {"F64", DType::f64}, {"F32", DType::f32}, {"F16", DType::f16}, {"BF16", DType::bf16},
    {"I64", DType::i64}, {"I32", DType::i32}, {"U8", DType::u8},   {"BOOL", DType::b8},
};

std::optional<DType> dtype_of_code(std::string_view code) {
  for (const auto& [name, dtype] : kDTypeCodes) {
    if (name == code) return dtype;
  }
  return std::nullopt;
}

std::string errno_text() { return std::strerror(errno); }

// ---- header -------------------------------------------------------------

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;  // byte offsets into the data section
};

struct Header {
  std::vector<Entry> entries;  // header order
  std::map<std::string, std::string> metadata;
  uint64_t data_start;  // 8 + header length
};

// nlohmann keeps the last of duplicate keys silently; a file naming a tensor
// twice is ambiguous, so the parse callback rejects it (at any depth).
Json parse_json_rejecting_duplicates(const char* first, const char* last, std::string_view source) {
  std::vector<std::set<std::string>> keys_per_object;
  std::string duplicate;
  auto callback = [&](int, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) {
      keys_per_object.emplace_back();
    } else if (event == Json::parse_event_t::object_end) {
      keys_per_object.pop_back();
    } else if (event == Json::parse_event_t::key && duplicate.empty()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!keys_per_object.back().insert(key).second) duplicate = key;
    }
    return true;
  };
  Json json;
  try {
    json = Json::parse(first, last, callback);
  } catch (const Json::exception& error) {
    check(false, source, "header is not valid JSON: {}", error.what());
  }
  check(duplicate.empty(), source, "header names \"{}\" more than once", duplicate);
  return json;
}

// A non-negative JSON integer, or nullopt.
std::optional<uint64_t> as_count(const Json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0) return static_cast<uint64_t>(value.get<int64_t>());
  return std::nullopt;
}

Entry parse_entry(const std::string& name, const Json& info, uint64_t data_size, std::string_view source) {
  check(info.is_object(), source, "tensor '{}': expected an object with dtype, shape and data_offsets, got {}", name,
        info.dump());
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    check(info.contains(field), source, "tensor '{}': missing \"{}\"", name, field);
  }
  Entry entry;
  entry.name = name;

  const Json& code = info["dtype"];
  check(code.is_string(), source, "tensor '{}': dtype must be a string, got {}", name, code.dump());
  const std::optional<DType> dtype = dtype_of_code(code.get_ref<const std::string&>());
  check(dtype.has_value(), source,
        "tensor '{}': unsupported dtype \"{}\" (supported: F64 F32 F16 BF16 I64 I32 U8 BOOL)", name,
        code.get_ref<const std::string&>());
  entry.dtype = *dtype;

  const Json& shape = info["shape"];
  check(shape.is_array(), source, "tensor '{}': shape must be an array of integers, got {}", name, shape.dump());
  uint64_t nbytes = element_size(entry.dtype);
  for (const Json& size : shape) {
    const std::optional<uint64_t> count = as_count(size);
    check(count.has_value() && *count <= static_cast<uint64_t>(INT64_MAX), source,
          "tensor '{}': shape must hold non-negative integers, got {}", name, shape.dump());
    entry.shape.push_back(static_cast<int64_t>(*count));
    check(!__builtin_mul_overflow(nbytes, *count, &nbytes), source, "tensor '{}': shape {} overflows", name,
          shape.dump());
  }

  const Json& offsets = info["data_offsets"];
  check(offsets.is_array() && offsets.size() == 2 && as_count(offsets[0]) && as_count(offsets[1]), source,
        "tensor '{}': data_offsets must be two non-negative integers [begin, end], got {}", name, offsets.dump());
  entry.begin = *as_count(offsets[0]);
  entry.end = *as_count(offsets[1]);
  check(entry.begin <= entry.end, source, "tensor '{}': data_offsets {} end before begin", name, offsets.dump());
  check(entry.end <= data_size, source, "tensor '{}': data_offsets {} past the end of the {}-byte data section", name,
        offsets.dump(), data_size);
  check(entry.end - entry.begin == nbytes, source,
        "tensor '{}': data_offsets {} hold {} bytes, but dtype {} and shape {} need {}", name, offsets.dump(),
        entry.end - entry.begin, code.get_ref<const std::string&>(), shape_str(entry.shape), nbytes);
  return entry;
}

// Rejects gaps and overlaps between tensors and bytes after the last one.
void check_tiling(const std::vector<Entry>& entries, uint64_t data_size, std::string_view source) {
  std::vector<const Entry*> by_offset;
  for (const Entry& entry : entries) by_offset.push_back(&entry);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const Entry* a, const Entry* b) { return std::pair(a->begin, a->end) < std::pair(b->begin, b->end); });
  uint64_t position = 0;
  const Entry* previous = nullptr;
  for (const Entry* entry : by_offset) {
    check(entry->begin >= position, source, "tensors '{}' [{}, {}] and '{}' [{}, {}] overlap",
          previous ? previous->name : "", previous ? previous->begin : 0, position, entry->name, entry->begin,
          entry->end);
    check(entry->begin == position, source, "{} unused bytes before tensor '{}' (tensors must tile the data section)",
          entry->begin - position, entry->name);
    position = entry->end;
    previous = entry;
  }
  check(position == data_size, source, "{} unused bytes after the last tensor (tensors must tile the data section)",
        data_size - position);
}

Header parse_header(const std::byte* bytes, size_t size, std::string_view source) {
  check(size >= 8, source, "file is {} bytes, shorter than the 8-byte header length", size);
  uint64_t header_size;
  std::memcpy(&header_size, bytes, 8);
  check(header_size <= kMaxHeaderBytes, source, "header length {} exceeds the {}-byte limit", header_size,
        kMaxHeaderBytes);
  check(header_size <= size - 8, source, "header length {} is larger than the {} bytes after it", header_size,
        size - 8);
  const char* text = reinterpret_cast<const char*>(bytes + 8);
  const Json json = parse_json_rejecting_duplicates(text, text + header_size, source);
  check(json.is_object(), source, "header must be a JSON object, got {}", json.type_name());

  Header header;
  header.data_start = 8 + header_size;
  const uint64_t data_size = size - header.data_start;
  for (const auto& item : json.items()) {
    const std::string& name = item.key();
    const Json& value = item.value();
    if (name == kMetadataKey) {
      check(value.is_object(), source, "__metadata__ must be an object of strings, got {}", value.type_name());
      for (const auto& field : value.items()) {
        const std::string& key = field.key();
        const Json& text_value = field.value();
        check(text_value.is_string(), source, "__metadata__[\"{}\"] must be a string, got {}", key, text_value.dump());
        header.metadata.emplace(key, text_value.get<std::string>());
      }
      continue;
    }
    header.entries.push_back(parse_entry(name, value, data_size, source));
  }
  check_tiling(header.entries, data_size, source);
  return header;
}

// ---- tensors ------------------------------------------------------------

// bool values other than 0 and 1 are undefined behaviour in C++.
void check_bools(const Entry& entry, const std::byte* data, std::string_view source) {
  if (entry.dtype != DType::b8) return;
  for (uint64_t i = 0; i < entry.end - entry.begin; ++i) {
    const auto value = static_cast<unsigned>(data[i]);
    check(value <= 1, source, "tensor '{}': BOOL element {} is {} (must be 0 or 1)", entry.name, i, value);
  }
}

Tensor copy_tensor(const Entry& entry, const std::byte* data) {
  Tensor tensor = ops::empty(entry.shape, {.dtype = entry.dtype});
  if (entry.end > entry.begin) std::memcpy(tensor.data_ptr(), data, entry.end - entry.begin);
  return tensor;
}

// `make_tensor(entry, data)` turns each validated entry into a Tensor.
template <typename MakeTensor>
SafetensorsFile decode(const std::byte* bytes, size_t size, const std::string& source, MakeTensor&& make_tensor) {
  Header header = parse_header(bytes, size, source);
  SafetensorsFile file;
  file.source = source;
  file.metadata = std::move(header.metadata);
  for (const Entry& entry : header.entries) {
    const std::byte* data = bytes + header.data_start + entry.begin;
    check_bools(entry, data, source);
    file.tensors.emplace_back(entry.name, make_tensor(entry, data, header.data_start + entry.begin));
  }
  return file;
}

// Closes a file descriptor on scope exit.
struct FileDescriptor {
  int fd;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

class FileMapping {
 public:
  explicit FileMapping(const std::string& path) {
    const FileDescriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    check(file.fd >= 0, path, "cannot open: {}", errno_text());
    struct stat info {};
    const bool stat_ok = ::fstat(file.fd, &info) == 0;
    check(stat_ok, path, "cannot stat: {}", errno_text());
    check(S_ISREG(info.st_mode), path, "not a regular file");
    size_ = static_cast<size_t>(info.st_size);
    check(size_ >= 8, path, "file is {} bytes, shorter than the 8-byte header length", size_);
    // MAP_PRIVATE + PROT_WRITE: tensors may be written in place (copy-on-write), the file never changes.
    data_ = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE, file.fd, 0);
    check(data_ != MAP_FAILED, path, "cannot mmap {} bytes: {}", size_, errno_text());
  }
  ~FileMapping() { ::munmap(data_, size_); }
  FileMapping(const FileMapping&) = delete;
  FileMapping& operator=(const FileMapping&) = delete;

  const std::byte* bytes() const { return static_cast<const std::byte*>(data_); }
  std::byte* mutable_bytes() const { return static_cast<std::byte*>(data_); }
  size_t size() const { return size_; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

// ---- writing ------------------------------------------------------------

void write_all(int fd, const void* data, size_t size, std::string_view path) {
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t written = ::write(fd, bytes, size);
    if (written < 0 && errno == EINTR) continue;
    check(written > 0, path, "write failed: {}", errno_text());
    bytes += written;
    size -= static_cast<size_t>(written);
  }
}

// The temporary file of an atomic save; removed unless committed.
class TempFile {
 public:
  TempFile(std::string path, std::string_view target) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    check(fd_ >= 0, target, "cannot create {}: {}", path_, errno_text());
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd() const { return fd_; }
  // fsync, close and rename over `target`, then fsync the directory so the rename itself is durable.
  void commit(const std::string& target) {
    const bool synced = ::fsync(fd_) == 0;
    check(synced, target, "fsync failed: {}", errno_text());
    const int close_result = ::close(fd_);
    fd_ = -1;
    check(close_result == 0, target, "close failed: {}", errno_text());
    const bool renamed = ::rename(path_.c_str(), target.c_str()) == 0;
    check(renamed, target, "cannot rename {} to it: {}", path_, errno_text());
    committed_ = true;
    const std::filesystem::path parent = std::filesystem::path(target).parent_path();
    const std::string directory = parent.empty() ? std::string(".") : parent.string();
    const FileDescriptor dir{::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    check(dir.fd >= 0, target, "cannot open directory {} to fsync it: {}", directory, errno_text());
    const bool dir_synced = ::fsync(dir.fd) == 0;
    check(dir_synced, target, "fsync of directory {} failed: {}", directory, errno_text());
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

std::string_view safetensors_dtype_code(DType dtype) {
  for (const auto& [name, code_dtype] : kDTypeCodes) {
    if (code_dtype == dtype) return name;
  }
  throw InternalError("safetensors_dtype_code: invalid dtype");
}

DType dtype_from_safetensors_code(std::string_view code) {
  const std::optional<DType> dtype = dtype_of_code(code);
  MINI_CHECK(dtype.has_value(), "safetensors: unsupported dtype \"{}\" (supported: F64 F32 F16 BF16 I64 I32 U8 BOOL)",
             code);
  return *dtype;
}

const Tensor* SafetensorsFile::find(std::string_view name) const {
  for (const auto& [tensor_name, tensor] : tensors) {
    if (tensor_name == name) return &tensor;
  }
  return nullptr;
}

const Tensor& SafetensorsFile::at(std::string_view name) const {
  if (const Tensor* tensor = find(name)) return *tensor;
  std::vector<std::string_view> names;
  for (const auto& entry : tensors) names.push_back(entry.first);
  throw ValueError(
      fmt::format("safetensors: {}: no tensor named '{}' (the file has: {})", source, name, fmt::join(names, ", ")));
}

SafetensorsFile parse_safetensors(const void* bytes, size_t size, const std::string& name_for_errors) {
  return decode(static_cast<const std::byte*>(bytes), size, name_for_errors,
                [](const Entry& entry, const std::byte* data, uint64_t) { return copy_tensor(entry, data); });
}

SafetensorsFile load_safetensors(const std::string& path) {
  auto mapping = std::make_shared<FileMapping>(path);
  return decode(mapping->bytes(), mapping->size(), path,
                [&](const Entry& entry, const std::byte* data, uint64_t file_offset) {
                  // The mapping is page-aligned, so the file offset decides alignment.
                  const bool aligned = file_offset % element_size(entry.dtype) == 0;
                  if (!aligned || entry.end == entry.begin) return copy_tensor(entry, data);
                  std::byte* view = mapping->mutable_bytes() + file_offset;
                  return ops::from_blob(view, entry.shape, entry.dtype, [keep_alive = mapping](void*) {});
                });
}

void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::set<std::string_view> names;
  std::vector<Tensor> host;  // contiguous CPU copies (or the tensors themselves)
  for (const auto& [name, tensor] : tensors) {
    check(name != kMetadataKey, path, "\"__metadata__\" is reserved and cannot name a tensor");
    check(names.insert(name).second, path, "tensor name '{}' appears more than once", name);
    check(tensor.defined(), path, "tensor '{}' is undefined", name);
    host.push_back(ops::contiguous(ops::to_device(tensor, Device::cpu())));
  }

  // Data in order of decreasing element size: every offset is then a multiple
  // of its element size, and the data section starts 8-aligned.
  std::vector<size_t> data_order(tensors.size());
  std::iota(data_order.begin(), data_order.end(), 0);
  std::stable_sort(data_order.begin(), data_order.end(),
                   [&](size_t a, size_t b) { return host[a].element_size() > host[b].element_size(); });
  std::vector<uint64_t> begins(tensors.size());
  uint64_t data_size = 0;
  for (size_t index : data_order) {
    begins[index] = data_size;
    data_size += static_cast<uint64_t>(host[index].numel()) * host[index].element_size();
  }

  Json header = Json::object();
  if (!metadata.empty()) header[std::string(kMetadataKey)] = metadata;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& tensor = host[i];
    const uint64_t nbytes = static_cast<uint64_t>(tensor.numel()) * tensor.element_size();
    header[tensors[i].first] = {
        {"dtype", safetensors_dtype_code(tensor.dtype())},
        {"shape", std::vector<int64_t>(tensor.sizes().begin(), tensor.sizes().end())},
        {"data_offsets", {begins[i], begins[i] + nbytes}},
    };
  }
  std::string header_text;
  try {
    header_text = header.dump();
  } catch (const Json::exception& error) {
    check(false, path, "a tensor name or metadata string is not valid UTF-8: {}", error.what());
  }
  header_text.append((8 - header_text.size() % 8) % 8, ' ');
  const uint64_t header_size = header_text.size();

  TempFile temp(fmt::format("{}.tmp.{}", path, ::getpid()), path);
  write_all(temp.fd(), &header_size, 8, path);
  write_all(temp.fd(), header_text.data(), header_text.size(), path);
  for (size_t index : data_order) {
    const Tensor& tensor = host[index];
    write_all(temp.fd(), tensor.data_ptr(), static_cast<size_t>(tensor.numel()) * tensor.element_size(), path);
  }
  temp.commit(path);
}

}  // namespace mini
