#include "runtime/runtime.h"

#include "runtime/root_path.h"

namespace pot {

void Runtime::with_root(const JailSpec& spec, const JailHandle* /*running*/,
                        const std::function<void(int root_fd)>& fn) {
  UniqueFd root = open_root_dir(spec.root.c_str());
  fn(root.get());
}

}  // namespace pot
