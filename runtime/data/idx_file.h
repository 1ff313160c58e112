#pragma once
// Reader for IDX files (the MNIST format: a big-endian header of magic
// 0x0000TTDD, type TT = 0x08 for unsigned bytes and DD dims, then the dims as
// uint32, then the data), gzip-compressed or raw: zlib reads both.
#include <cstdint>
#include <string>
#include <vector>

namespace mini::runtime {

struct IdxFile {
  std::string path;
  std::vector<int64_t> dims;  // dims[0] = the records read (at most `limit`)
  int64_t records_in_header = 0;
  std::vector<uint8_t> data;  // dims' product bytes
};

// Reads an IDX file of unsigned bytes with `ndims` dims, keeping only the
// first `limit` records when limit >= 0 (the rest is never decompressed).
// `record_name` ("images", "labels") words the errors:
//   ".../train-labels-idx1-ubyte.gz: truncated: expected 60000 labels, file has 1234"
IdxFile read_idx_u8(const std::string& path, int ndims, const std::string& record_name, int64_t limit = -1);

}  // namespace mini::runtime
