#pragma once
// The safetensors file format (https://github.com/huggingface/safetensors),
// the exchange format for checkpoints and the PyTorch golden cases:
//
//   8 bytes  little-endian u64 N, the header length
//   N bytes  UTF-8 JSON object, padded with spaces to a multiple of 8:
//            {"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
//             "__metadata__": {"<key>": "<string value>"}}
//   rest     raw little-endian row-major data; offsets are relative to its start
//
// Supported dtypes: F64 F32 F16 BF16 I64 I32 U8 BOOL.
//
// Loading validates like the reference Rust implementation: every failure is a
// mini::ValueError that names the file and the problem, and nothing is read
// outside the buffer. The tensors must tile the data section exactly (no gaps,
// overlaps or trailing bytes).
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace mini {

struct SafetensorsFile {
  std::string source;  // the path (or caller-given name) used in error messages
  // In the order the header lists them.
  std::vector<std::pair<std::string, Tensor>> tensors;
  std::map<std::string, std::string> metadata;

  // nullptr when there is no tensor of that name.
  const Tensor* find(std::string_view name) const;
  // Throws mini::ValueError naming the file and the missing tensor.
  const Tensor& at(std::string_view name) const;
};

// Memory-maps `path` (copy-on-write: writing to a loaded tensor never changes
// the file). Tensors whose data is aligned to their element size are zero-copy
// views of the mapping, which stays alive while any of them does; the others
// are copied. NOTE: a view of the mapping faults (SIGBUS) if another process
// truncates the file in place; save_safetensors replaces files by rename, so
// rewriting a checkpoint that is still loaded is safe.
SafetensorsFile load_safetensors(const std::string& path);

// Decodes an in-memory file. The tensors are copies: `bytes` may be freed
// afterwards. `name_for_errors` stands in for the path in error messages.
SafetensorsFile parse_safetensors(const void* bytes, size_t size, const std::string& name_for_errors);

// Writes `tensors` in the given header order (any strides and devices; the
// data is written contiguous, largest element size first so every tensor is
// aligned for a zero-copy load). Atomic: writes `path.tmp.<pid>`, fsyncs it,
// renames it over `path` and fsyncs the directory, so readers see the old
// file or the new one, never a partial one. Names must be unique and not
// "__metadata__".
void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// The header's dtype code ("F32", ...) and back; parsing throws a
// mini::ValueError naming the code.
std::string_view safetensors_dtype_code(DType dtype);
DType dtype_from_safetensors_code(std::string_view code);

}  // namespace mini
