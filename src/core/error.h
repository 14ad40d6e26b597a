// One error type for the whole project: a message that says what failed and on what, the
// errno that caused it (0 when none), and context prepended as the error travels up:
//   starting pot `web`: creating cgroup `/sys/fs/cgroup/memory/pot-1a2b/web`: mkdir: Permission
//   denied
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pot {

class Error : public std::runtime_error {
 public:
  explicit Error(std::string message, int sys_errno = 0)
      : std::runtime_error(message), errno_(sys_errno) {}

  int sys_errno() const { return errno_; }

  // Returns the same error with `context: ` in front, keeping the errno.
  Error wrapped(std::string_view context) const {
    return Error(std::string(context) + ": " + what(), errno_);
  }

 private:
  int errno_;
};

// Throws `what: strerror(err)`.
[[noreturn]] void throw_sys(std::string_view what, int err = errno);

// Runs `fn`; an Error escaping it is rethrown with `context` in front.
template <typename Fn>
auto with_context(std::string_view context, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Error& e) {
    throw e.wrapped(context);
  }
}

// `name`, quoted the way every message in pot quotes a thing: `name`.
std::string quote_name(std::string_view name);

}  // namespace pot
