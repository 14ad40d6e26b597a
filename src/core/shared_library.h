// A shared library loaded with dlopen on first use, for the libraries a few commands need and
// most never do (libnftables, libcurl): linking them would cost every command the loader's
// time, and Debian ships no static archive of either.
#pragma once
#include <dlfcn.h>

#include <string>

#include "core/error.h"

namespace pot {

// Never unloaded: both libraries keep process-wide state from their first use (libnftables
// hands its allocator to libgmp, curl_global_init runs once), which unloading and loading
// again would break. Callers keep what they resolved in a function-local static.
class SharedLibrary {
 public:
  // dlopen(RTLD_NOW | RTLD_LOCAL); throws Error("loading SONAME: why; HINT").
  SharedLibrary(const char* soname, const std::string& hint);

  // Sets `fn` to the symbol `name`, typed as the library's header declares it (declare the
  // pointer with decltype(&::function): that does not reference the symbol, so nothing links
  // against the library). Throws naming the library and the symbol when it is missing.
  template <typename Fn>
  void resolve(const char* name, Fn& fn) const {
    fn = reinterpret_cast<Fn>(::dlsym(handle_, name));
    if (fn == nullptr) throw Error("loading " + soname_ + ": it has no " + name);
  }

 private:
  std::string soname_;
  void* handle_;
};

}  // namespace pot
