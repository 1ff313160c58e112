#include "cuda/emu/stream.h"

#include <atomic>
#include <chrono>
#include <optional>

#include "cuda/emu/host_error.h"

namespace mini::cuda::emu {

struct StreamState {};

struct EventState {
  std::optional<std::chrono::steady_clock::time_point> recorded_at;
  bool recorded_while_held = false;
};

namespace {
std::atomic<bool> events_held{false};
}  // namespace

Stream stream_create() { return new StreamState{}; }

void stream_destroy(Stream stream) {
  if (stream == nullptr) throw_host_error("stream_destroy: the default stream cannot be destroyed");
  delete stream;
}

void stream_synchronize(Stream) {}

void stream_wait_event(Stream, Event event) {
  if (event == nullptr) throw_host_error("stream_wait_event: null event");
}

Event event_create() { return new EventState{}; }

void event_destroy(Event event) { delete event; }

void event_record(Event event, Stream) {
  if (event == nullptr) throw_host_error("event_record: null event");
  event->recorded_at = std::chrono::steady_clock::now();
  event->recorded_while_held = events_held.load();
}

bool event_query(Event event) {
  if (event == nullptr) throw_host_error("event_query: null event");
  return !(event->recorded_while_held && events_held.load());
}

void hold_events(bool held) { events_held.store(held); }

void event_synchronize(Event event) {
  if (event == nullptr) throw_host_error("event_synchronize: null event");
  event->recorded_while_held = false;
}

float event_elapsed_ms(Event start, Event end) {
  if (start == nullptr || end == nullptr || !start->recorded_at || !end->recorded_at) {
    throw_host_error("event_elapsed_ms: both events must have been recorded");
  }
  return std::chrono::duration<float, std::milli>(*end->recorded_at - *start->recorded_at).count();
}

void device_synchronize() {}

}  // namespace mini::cuda::emu
