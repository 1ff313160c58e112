#include "runtime/data/idx_file.h"

#include <zlib.h>

#include <algorithm>
#include <memory>

#include "tensor/error.h"

namespace mini::runtime {
namespace {

struct GzCloser {
  void operator()(gzFile_s* file) const { gzclose(file); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

// Reads up to `bytes` bytes; returns how many arrived (fewer at the end of the file).
size_t read_some(gzFile file, const std::string& path, uint8_t* out, size_t bytes) {
  size_t total = 0;
  while (total < bytes) {
    // gzread takes an unsigned count; read in 1 GiB pieces.
    const unsigned piece = static_cast<unsigned>(std::min<size_t>(bytes - total, size_t{1} << 30));
    const int got = gzread(file, out + total, piece);
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(file, &code);
      throw ValueError(fmt::format("{}: not a readable gzip or IDX file: {}", path, message));
    }
    if (got == 0) break;
    total += static_cast<size_t>(got);
  }
  // A gzip stream cut short reads as a short file; zlib reports it only here.
  int code = Z_OK;
  const char* message = gzerror(file, &code);
  if (code != Z_OK && code != Z_BUF_ERROR) throw ValueError(fmt::format("{}: gzip error: {}", path, message));
  return total;
}

uint32_t big_endian_u32(const uint8_t* bytes) {
  return static_cast<uint32_t>(bytes[0]) << 24 | static_cast<uint32_t>(bytes[1]) << 16 |
         static_cast<uint32_t>(bytes[2]) << 8 | bytes[3];
}

}  // namespace

IdxFile read_idx_u8(const std::string& path, int ndims, const std::string& record_name, int64_t limit) {
  GzFile file(gzopen(path.c_str(), "rb"));
  MINI_CHECK(file != nullptr, "{}: cannot open", path);
  gzbuffer(file.get(), 1 << 18);

  const uint32_t expected_magic = 0x0800u | static_cast<uint32_t>(ndims);
  const size_t header_bytes = 4 + 4 * static_cast<size_t>(ndims);
  std::vector<uint8_t> header(header_bytes);
  const size_t got = read_some(file.get(), path, header.data(), header_bytes);
  MINI_CHECK(got >= 4, "{}: truncated: the file has {} bytes, too short for an IDX header", path, got);
  const uint32_t magic = big_endian_u32(header.data());
  MINI_CHECK(magic == expected_magic,
             "{}: bad magic number 0x{:08x}; expected 0x{:08x} (an IDX file of unsigned bytes with {} dims)", path,
             magic, expected_magic, ndims);
  MINI_CHECK(got == header_bytes, "{}: truncated: the header needs {} bytes, file has {}", path, header_bytes, got);

  IdxFile result;
  result.path = path;
  int64_t record_bytes = 1;
  for (int d = 0; d < ndims; ++d) {
    const int64_t size = big_endian_u32(header.data() + 4 + 4 * d);
    result.dims.push_back(size);
    if (d > 0) record_bytes *= size;
  }
  result.records_in_header = result.dims[0];
  const int64_t records = limit >= 0 ? std::min(limit, result.dims[0]) : result.dims[0];
  result.dims[0] = records;
  result.data.resize(static_cast<size_t>(records * record_bytes));
  const size_t data_bytes = read_some(file.get(), path, result.data.data(), result.data.size());
  if (data_bytes < result.data.size()) {
    throw ValueError(fmt::format("{}: truncated: expected {} {}, file has {}", path, records, record_name,
                                 static_cast<int64_t>(data_bytes) / std::max<int64_t>(record_bytes, 1)));
  }
  return result;
}

}  // namespace mini::runtime
