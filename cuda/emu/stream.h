#pragma once
// Streams and events for the emulator. Every emulated operation (launch,
// memcpy, memset) completes before it returns, so a stream is trivially in
// order and synchronising is a no-op; these objects exist so that code written
// against streams and events runs unchanged, and so events can time work.
// Not emulated: overlap between streams (everything is serial here).

#include <cstdint>

namespace mini::cuda::emu {

struct StreamState;
using Stream = StreamState*;  // nullptr is the default stream, as in CUDA

struct EventState;
using Event = EventState*;

Stream stream_create();
void stream_destroy(Stream stream);
void stream_synchronize(Stream stream);
// Work later queued on `stream` waits for `event`: already true here.
void stream_wait_event(Stream stream, Event event);

Event event_create();
void event_destroy(Event event);
void event_record(Event event, Stream stream);
void event_synchronize(Event event);
// Whether the work before the event's record point is done: always, here,
// except for events recorded while hold_events(true) is in effect.
bool event_query(Event event);
// For tests of code that waits for the device (the caching allocator's
// cross-stream frees): while held, newly recorded events report not-ready
// from event_query until released or synchronised.
void hold_events(bool held);
// Milliseconds between two recorded events; throws if either was never recorded.
float event_elapsed_ms(Event start, Event end);

void device_synchronize();

}  // namespace mini::cuda::emu
