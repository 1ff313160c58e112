#pragma once
// Shape vocabulary shared by every op: the Shape type, element counts,
// contiguous strides, dimension wrapping and broadcasting.
#include <cstdint>
#include <string>

#include "tensor/small_vector.h"

namespace mini {

// Sizes or strides of a tensor. Six dims stay inline; more spill to the heap.
using Shape = SmallVector<int64_t, 6>;

int64_t numel_of(const Shape& sizes);
// Row-major strides, in elements, for `sizes`.
Shape contiguous_strides(const Shape& sizes);
// "(2, 3, 4)": how shapes appear in every error message.
std::string shape_str(const Shape& sizes);

// Maps a possibly negative dim into [0, rank); `op` names the caller in the error.
int64_t wrap_dim(int64_t dim, int64_t rank, const char* op);
// Sorted, wrapped, duplicate-checked dims; an empty list means "all dims".
Shape wrap_dims(const Shape& dims, int64_t rank, const char* op);

// The broadcast shape of a and b (align from the right; size 1 stretches).
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace mini
