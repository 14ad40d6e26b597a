#include "runtime/overlay_root.h"

#include <sched.h>
#include <sys/mount.h>

#include "core/child_report.h"
#include "core/error.h"
#include "core/process.h"
#include "core/unique_fd.h"
#include "runtime/root_path.h"

namespace pot {

void with_overlay_mounted(const std::string& root, const OverlayRoot& overlay,
                          const std::function<void(int root_fd)>& fn) {
  // The child reports "ready" only once `fn` is done: then it has nothing left to do.
  ReadyChild child =
      fork_and_wait_ready("the process mounting " + quote_name(root), [&](ChildReporter& reporter) {
        if (::unshare(CLONE_NEWNS) != 0) throw_sys("unshare mount namespace");
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
          throw_sys("making mounts private");
        if (::mount("overlay", root.c_str(), "overlay", 0,
                    overlay_mount_options(overlay).c_str()) != 0)
          throw_sys("mounting the overlay root " + quote_name(root));
        UniqueFd root_fd = open_root_dir(root.c_str());
        fn(root_fd.get());
        reporter.ready();
      });
  wait_exit_code(child.pid);
}

}  // namespace pot
