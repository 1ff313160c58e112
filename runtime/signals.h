#pragma once
// StopSignal: turns SIGINT (Ctrl-C) and SIGTERM into a request the training
// loop polls, so a run can stop at the end of the current step and save a
// checkpoint instead of dying mid-write.
//
//   StopSignal stop;                       // installs the handlers
//   while (training) {
//     step();
//     if (stop.requested()) { save_checkpoint("interrupted"); break; }
//   }                                      // ~StopSignal restores the previous handlers
//
// A second signal while a stop is already pending restores the default action
// and re-raises it, so pressing Ctrl-C twice quits at once. Only one StopSignal
// may exist at a time (the flag is process-wide, as signal dispositions are).
#include <csignal>

namespace mini::runtime {

class StopSignal {
 public:
  // Throws mini::ValueError if another StopSignal is alive.
  StopSignal();
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  bool requested() const;
  // The signal that requested the stop (SIGINT, SIGTERM), 0 if none.
  int signal_number() const;
  // Forgets a pending request (after the caller has acted on it).
  void clear();

 private:
  struct sigaction previous_interrupt_ {};
  struct sigaction previous_terminate_ {};
};

}  // namespace mini::runtime
