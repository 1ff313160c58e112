// The device API over the SIMT emulator's host side (cuda/emu/device_memory.h,
// cuda/emu/stream.h): every call completes before it returns.
#include "cuda/emu/device_memory.h"
#include "cuda/emu/stream.h"
#include "cuda/runtime/device_api.h"
#include "tensor/error.h"

MINI_CUDA_BEGIN_NAMESPACE

int device_count() { return 1; }

void set_device(int index) {
  MINI_CHECK(index == 0, "cuda: device {} does not exist (the emulator has one device, cuda:0)", index);
}

void* device_malloc(size_t bytes) { return emu::malloc(bytes); }
void device_free(void* pointer) { emu::free(pointer); }

DeviceMemoryInfo device_memory_info() {
  const emu::MemoryInfo info = emu::memory_info();
  return {info.free_bytes, info.total_bytes};
}

void memcpy_async(void* dst, const void* src, size_t bytes, CopyKind kind, StreamHandle) {
  const emu::MemcpyKind emu_kind = kind == CopyKind::host_to_device   ? emu::MemcpyKind::host_to_device
                                   : kind == CopyKind::device_to_host ? emu::MemcpyKind::device_to_host
                                                                      : emu::MemcpyKind::device_to_device;
  emu::memcpy(dst, src, bytes, emu_kind);
}

void memset_async(void* dst, int value, size_t bytes, StreamHandle) { emu::memset(dst, value, bytes); }

StreamHandle stream_create() { return emu::stream_create(); }
void stream_destroy(StreamHandle stream) { emu::stream_destroy(static_cast<emu::Stream>(stream)); }
void stream_synchronize(StreamHandle stream) { emu::stream_synchronize(static_cast<emu::Stream>(stream)); }
void device_synchronize() { emu::device_synchronize(); }

EventHandle event_create() { return emu::event_create(); }
void event_destroy(EventHandle event) { emu::event_destroy(static_cast<emu::Event>(event)); }
void event_record(EventHandle event, StreamHandle stream) {
  emu::event_record(static_cast<emu::Event>(event), static_cast<emu::Stream>(stream));
}
bool event_query(EventHandle event) { return emu::event_query(static_cast<emu::Event>(event)); }
void event_synchronize(EventHandle event) { emu::event_synchronize(static_cast<emu::Event>(event)); }
void stream_wait_event(StreamHandle stream, EventHandle event) {
  emu::stream_wait_event(static_cast<emu::Stream>(stream), static_cast<emu::Event>(event));
}

MINI_CUDA_END_NAMESPACE
