// Interrupting long operations (export, import, download) cleanly: while an InterruptScope is
// alive, SIGINT, SIGTERM and SIGHUP only set a flag, and the long loops call
// throw_if_interrupted() between steps, so the error unwinds through the RAII owners of
// temporary files and half-made datasets instead of killing the process mid-step.
#pragma once
#include <csignal>

namespace pot {

class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();  // restores the previous handlers
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  struct sigaction previous_[3];
};

bool interrupted();
// Throws Error("interrupted by SIGINT") (or the signal that came) once one arrived.
void throw_if_interrupted();

}  // namespace pot
