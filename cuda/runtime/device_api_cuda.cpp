// The device API over the CUDA runtime (compiled by g++ against cuda_runtime.h).
#include <cuda_runtime.h>

#include "cuda/runtime/device_api.h"
#include "tensor/error.h"

MINI_CUDA_BEGIN_NAMESPACE
namespace {

void check(cudaError_t status, const char* call) {
  if (status != cudaSuccess) throw Error(fmt::format("cuda: {} failed: {}", call, cudaGetErrorString(status)));
}

cudaStream_t as_stream(StreamHandle stream) { return static_cast<cudaStream_t>(stream); }
cudaEvent_t as_event(EventHandle event) { return static_cast<cudaEvent_t>(event); }

}  // namespace

int device_count() {
  int count = 0;
  // No driver or no device: report none rather than fail, so callers can fall back.
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return count;
}

void set_device(int index) { check(cudaSetDevice(index), "cudaSetDevice"); }

void* device_malloc(size_t bytes) {
  void* pointer = nullptr;
  const cudaError_t status = cudaMalloc(&pointer, bytes);
  if (status == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();  // clear the sticky error so the retry can succeed
    return nullptr;
  }
  check(status, "cudaMalloc");
  return pointer;
}

void device_free(void* pointer) { check(cudaFree(pointer), "cudaFree"); }

DeviceMemoryInfo device_memory_info() {
  size_t free_bytes = 0, total_bytes = 0;
  check(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo");
  return {free_bytes, total_bytes};
}

void memcpy_async(void* dst, const void* src, size_t bytes, CopyKind kind, StreamHandle stream) {
  const cudaMemcpyKind cuda_kind = kind == CopyKind::host_to_device   ? cudaMemcpyHostToDevice
                                   : kind == CopyKind::device_to_host ? cudaMemcpyDeviceToHost
                                                                      : cudaMemcpyDeviceToDevice;
  check(cudaMemcpyAsync(dst, src, bytes, cuda_kind, as_stream(stream)), "cudaMemcpyAsync");
}

void memset_async(void* dst, int value, size_t bytes, StreamHandle stream) {
  check(cudaMemsetAsync(dst, value, bytes, as_stream(stream)), "cudaMemsetAsync");
}

StreamHandle stream_create() {
  cudaStream_t stream = nullptr;
  check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  return stream;
}

void stream_destroy(StreamHandle stream) { check(cudaStreamDestroy(as_stream(stream)), "cudaStreamDestroy"); }
void stream_synchronize(StreamHandle stream) {
  check(cudaStreamSynchronize(as_stream(stream)), "cudaStreamSynchronize");
}
void device_synchronize() { check(cudaDeviceSynchronize(), "cudaDeviceSynchronize"); }

EventHandle event_create() {
  cudaEvent_t event = nullptr;
  check(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), "cudaEventCreateWithFlags");
  return event;
}
void event_destroy(EventHandle event) { check(cudaEventDestroy(as_event(event)), "cudaEventDestroy"); }
void event_record(EventHandle event, StreamHandle stream) {
  check(cudaEventRecord(as_event(event), as_stream(stream)), "cudaEventRecord");
}
bool event_query(EventHandle event) {
  const cudaError_t status = cudaEventQuery(as_event(event));
  if (status == cudaErrorNotReady) {
    (void)cudaGetLastError();  // not an error: the work is still queued
    return false;
  }
  check(status, "cudaEventQuery");
  return true;
}
void event_synchronize(EventHandle event) { check(cudaEventSynchronize(as_event(event)), "cudaEventSynchronize"); }
void stream_wait_event(StreamHandle stream, EventHandle event) {
  check(cudaStreamWaitEvent(as_stream(stream), as_event(event), 0), "cudaStreamWaitEvent");
}

MINI_CUDA_END_NAMESPACE
