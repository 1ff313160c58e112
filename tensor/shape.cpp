#include "tensor/shape.h"

#include <algorithm>

#include "tensor/error.h"

namespace mini {

int64_t numel_of(const Shape& sizes) {
  int64_t count = 1;
  for (int64_t size : sizes) count *= size;
  return count;
}

Shape contiguous_strides(const Shape& sizes) {
  Shape strides(sizes.size(), 1);
  int64_t stride = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= std::max<int64_t>(sizes[i], 1);
  }
  return strides;
}

std::string shape_str(const Shape& sizes) {
  if (sizes.size() == 1) return fmt::format("({},)", sizes[0]);
  return fmt::format("({})", fmt::join(sizes, ", "));
}

int64_t wrap_dim(int64_t dim, int64_t rank, const char* op) {
  const int64_t effective_rank = std::max<int64_t>(rank, 1);  // a 0-d tensor accepts dim 0 and -1, as in PyTorch
  MINI_CHECK_INDEX(dim >= -effective_rank && dim < effective_rank,
                   "{}: dim {} is out of range for a tensor of rank {} (expected {} to {})", op, dim, rank,
                   -effective_rank, effective_rank - 1);
  return dim < 0 ? dim + effective_rank : dim;
}

Shape wrap_dims(const Shape& dims, int64_t rank, const char* op) {
  Shape wrapped;
  for (int64_t dim : dims) wrapped.push_back(wrap_dim(dim, rank, op));
  std::sort(wrapped.begin(), wrapped.end());
  for (size_t i = 1; i < wrapped.size(); ++i) {
    MINI_CHECK(wrapped[i] != wrapped[i - 1], "{}: dim {} appears more than once in {}", op, wrapped[i],
               shape_str(dims));
  }
  return wrapped;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const size_t rank = std::max(a.size(), b.size());
  Shape result(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t size_a = i < a.size() ? a[a.size() - 1 - i] : 1;
    const int64_t size_b = i < b.size() ? b[b.size() - 1 - i] : 1;
    MINI_CHECK(size_a == size_b || size_a == 1 || size_b == 1,
               "{}: shapes {} and {} cannot be broadcast: size {} and {} differ at dim {} from the right", op,
               shape_str(a), shape_str(b), size_a, size_b, i);
    result[rank - 1 - i] = size_a == 1 ? size_b : size_a;
  }
  return result;
}

}  // namespace mini
