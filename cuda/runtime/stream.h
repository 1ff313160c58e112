#pragma once
// The current stream of each device, per host thread (as in PyTorch): work the
// backend queues goes to it. nullptr, the default stream, unless a StreamGuard
// switches it for a scope:
//
//   Stream side = Stream::create();
//   { StreamGuard guard(0, side.handle()); ... ops on cuda:0 run on `side` ... }
#include "cuda/runtime/device_api.h"

MINI_CUDA_BEGIN_NAMESPACE

inline constexpr int kMaxDevices = 16;

StreamHandle current_stream(int device);
void set_current_stream(int device, StreamHandle stream);

// Sets the current stream of `device` for a scope, then restores the previous one.
class StreamGuard {
 public:
  StreamGuard(int device, StreamHandle stream);
  StreamGuard(const StreamGuard&) = delete;
  StreamGuard& operator=(const StreamGuard&) = delete;
  ~StreamGuard();

 private:
  int device_;
  StreamHandle previous_;
};

// An owned stream (destroyed with the object).
class Stream {
 public:
  static Stream create() { return Stream(stream_create()); }
  Stream(Stream&& other) noexcept : handle_(other.handle_) { other.handle_ = nullptr; }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  Stream& operator=(Stream&&) = delete;
  ~Stream() {
    if (handle_ != nullptr) stream_destroy(handle_);
  }
  StreamHandle handle() const { return handle_; }
  void synchronize() const { stream_synchronize(handle_); }

 private:
  explicit Stream(StreamHandle handle) : handle_(handle) {}
  StreamHandle handle_;
};

MINI_CUDA_END_NAMESPACE
