#include "runtime/signals.h"

#include <unistd.h>

#include <atomic>

#include "tensor/error.h"

namespace mini::runtime {
namespace {

// NOTE: the handler may only touch lock-free atomics and call
// async-signal-safe functions (write, sigaction, raise).
std::atomic<int> pending_signal{0};
std::atomic<bool> installed{false};
static_assert(std::atomic<int>::is_always_lock_free);

void write_stderr(const char* text, size_t size) {
  [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, text, size);
}

void on_stop_signal(int signal_number) {
  int expected = 0;
  if (pending_signal.compare_exchange_strong(expected, signal_number)) {
    static constexpr char kMessage[] =
        "\nmini-engine: stopping after the current step (press Ctrl-C again to quit at once)\n";
    write_stderr(kMessage, sizeof(kMessage) - 1);
    return;
  }
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  ::sigaction(signal_number, &default_action, nullptr);
  ::raise(signal_number);
}

void install(int signal_number, struct sigaction* previous) {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  // SA_RESTART: a signal arriving during a blocking read (data loading) does
  // not make it fail with EINTR.
  action.sa_flags = SA_RESTART;
  ::sigaction(signal_number, &action, previous);
}

}  // namespace

StopSignal::StopSignal() {
  MINI_CHECK(!installed.exchange(true), "only one StopSignal may be alive at a time");
  pending_signal.store(0);
  install(SIGINT, &previous_interrupt_);
  install(SIGTERM, &previous_terminate_);
}

StopSignal::~StopSignal() {
  ::sigaction(SIGINT, &previous_interrupt_, nullptr);
  ::sigaction(SIGTERM, &previous_terminate_, nullptr);
  pending_signal.store(0);
  installed.store(false);
}

bool StopSignal::requested() const { return pending_signal.load() != 0; }

int StopSignal::signal_number() const { return pending_signal.load(); }

void StopSignal::clear() { pending_signal.store(0); }

}  // namespace mini::runtime
