#pragma once
// PyTorch's Tensor.record_stream: tells the caching allocator that work queued
// on `stream` uses `tensor`'s memory, so freeing the tensor does not hand that
// memory out again before the work is done (see NOTE [ cross-stream frees ] in
// caching_allocator.h). Needed only when a tensor allocated on one stream is
// used on another; ordering the streams themselves is done with Event.
#include "cuda/runtime/device_api.h"
#include "tensor/tensor.h"

MINI_CUDA_BEGIN_NAMESPACE

void record_stream(const Tensor& tensor, StreamHandle stream);

MINI_CUDA_END_NAMESPACE
