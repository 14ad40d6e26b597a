#include "core/shared_library.h"

namespace pot {

SharedLibrary::SharedLibrary(const char* soname, const std::string& hint)
    : soname_(soname), handle_(::dlopen(soname, RTLD_NOW | RTLD_LOCAL)) {
  if (handle_ == nullptr) {
    const char* why = ::dlerror();
    throw Error("loading " + soname_ + ": " + (why != nullptr ? why : "unknown error") +
                (hint.empty() ? "" : "; " + hint));
  }
}

}  // namespace pot
