#include "cuda/runtime/record_stream.h"

#include "cuda/runtime/caching_allocator.h"
#include "tensor/backend.h"
#include "tensor/error.h"

MINI_CUDA_BEGIN_NAMESPACE

void record_stream(const Tensor& tensor, StreamHandle stream) {
  MINI_CHECK(tensor.device().type == DeviceType::cuda, "record_stream: the tensor is on {}, not a cuda device",
             tensor.device().str());
  const Storage& storage = tensor.storage();
  if (storage == nullptr || storage->data() == nullptr) return;  // empty: no memory to protect
  // Both variants of the backend may be linked in (NOTE [ two variants in one
  // binary ]); only the registered one's allocator owns the memory.
  auto* allocator = dynamic_cast<DeviceCachingAllocator*>(&backend_for(tensor.device()).allocator());
  MINI_CHECK(allocator != nullptr, "record_stream: {} is served by another build of the cuda backend",
             tensor.device().str());
  allocator->record_stream(storage->data(), stream);
}

MINI_CUDA_END_NAMESPACE
