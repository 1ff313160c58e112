#pragma once
// The current stream of each device, per host thread (as in PyTorch): work the
// backend queues goes to it. nullptr, the default stream, unless a StreamGuard
// switches it for a scope:
//
//   Stream side = Stream::create();
//   { StreamGuard guard(0, side.handle()); ... ops on cuda:0 run on `side` ... }
//
// Ordering between streams is the caller's job, with events:
//
//   Event ready; ready.record(producer);  ready.block(consumer);
//
// and a tensor allocated on one stream but used on another must be announced
// to the caching allocator with record_stream (cuda/runtime/record_stream.h),
// or its memory may be handed out again while the other stream still reads it.
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
  // Waits for the stream's work first: the caching allocator keys free blocks
  // by stream handle, and a new stream may get this handle back while work
  // queued here still reads a block cached under it.
  ~Stream() {
    if (handle_ == nullptr) return;
    stream_synchronize(handle_);
    stream_destroy(handle_);
  }
  StreamHandle handle() const { return handle_; }
  void synchronize() const { stream_synchronize(handle_); }

 private:
  explicit Stream(StreamHandle handle) : handle_(handle) {}
  StreamHandle handle_;
};

MINI_CUDA_END_NAMESPACE

MINI_CUDA_BEGIN_NAMESPACE

// An owned event (destroyed with the object), created without timing.
class Event {
 public:
  Event() : handle_(event_create()) {}
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() { event_destroy(handle_); }

  EventHandle handle() const { return handle_; }
  // Marks the point in `stream` reached by the work queued so far.
  void record(StreamHandle stream) const { event_record(handle_, stream); }
  // Work queued on `stream` from now on waits for the recorded point.
  void block(StreamHandle stream) const { stream_wait_event(stream, handle_); }
  bool query() const { return event_query(handle_); }
  void synchronize() const { event_synchronize(handle_); }

 private:
  EventHandle handle_;
};

MINI_CUDA_END_NAMESPACE
