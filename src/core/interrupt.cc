#include "core/interrupt.h"

#include <atomic>
#include <cstring>
#include <exception>

#include "core/error.h"

namespace pot {
namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
std::atomic<int> received_signal{0};

void record_signal(int signal) {
  received_signal.store(signal);
}

}  // namespace

InterruptScope::InterruptScope() {
  struct sigaction action {};
  action.sa_handler = record_signal;
  sigemptyset(&action.sa_mask);
  // No SA_RESTART: a blocking read or write returns EINTR, and the loop around it looks at
  // the flag.
  for (size_t i = 0; i < std::size(kSignals); ++i) ::sigaction(kSignals[i], &action, &previous_[i]);
}

InterruptScope::~InterruptScope() {
  for (size_t i = 0; i < std::size(kSignals); ++i) ::sigaction(kSignals[i], &previous_[i], nullptr);
  // A signal that came after the last check must not be lost. With no error on its way out
  // the operation finished, and the signal now gets its usual meaning; with one, it stays
  // recorded, so a caller that would carry on (prepare after an import) sees it too.
  if (std::uncaught_exceptions() != 0) return;
  if (int signal = received_signal.exchange(0); signal != 0) ::raise(signal);
}

bool interrupted() {
  return received_signal.load() != 0;
}

void throw_if_interrupted() {
  if (int signal = received_signal.load(); signal != 0)
    throw Error(std::string("interrupted by SIG") + sigabbrev_np(signal));
}

}  // namespace pot
