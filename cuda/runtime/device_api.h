#pragma once
// The few runtime calls the backend makes, behind one interface for both
// variants: cudaMalloc & co. on a GPU (device_api_cuda.cpp), the emulator's
// emu::malloc & co. in the emulated build (device_api_emulated.cpp). Errors
// throw mini::Error naming the call and the CUDA error string.
#include <cstddef>

#include "cuda/variant.h"

MINI_CUDA_BEGIN_NAMESPACE

using StreamHandle = void*;  // cudaStream_t or emu::Stream; nullptr is the default stream
using EventHandle = void*;   // cudaEvent_t or emu::Event

enum class CopyKind { host_to_device, device_to_host, device_to_device };

// Devices this variant can use (the emulator always has one).
int device_count();
void set_device(int index);

// Returns nullptr when the device is out of memory (the caller frees its cache and retries).
void* device_malloc(size_t bytes);
void device_free(void* pointer);
struct DeviceMemoryInfo {
  size_t free_bytes;
  size_t total_bytes;
};
DeviceMemoryInfo device_memory_info();

// Asynchronous on `stream` (host memory must stay valid until the stream is synchronised).
void memcpy_async(void* dst, const void* src, size_t bytes, CopyKind kind, StreamHandle stream);
void memset_async(void* dst, int value, size_t bytes, StreamHandle stream);

StreamHandle stream_create();
void stream_destroy(StreamHandle stream);
void stream_synchronize(StreamHandle stream);
void device_synchronize();

// Events without timing (cheaper on a GPU): ordering and completion only.
EventHandle event_create();
void event_destroy(EventHandle event);
void event_record(EventHandle event, StreamHandle stream);
// True when the work queued before the record point has finished.
bool event_query(EventHandle event);
void event_synchronize(EventHandle event);
// Work queued on `stream` after this call waits for `event` (no host wait).
void stream_wait_event(StreamHandle stream, EventHandle event);

MINI_CUDA_END_NAMESPACE
