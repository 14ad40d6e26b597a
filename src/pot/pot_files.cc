#include "pot/pot_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include "core/copy_tree.h"
#include "core/error.h"
#include "core/unique_fd.h"
#include "pot/lifecycle.h"
#include "pot/run_state.h"
#include "runtime/root_path.h"

namespace pot {
void with_pot_root(Context& ctx, const std::string& pot, const std::function<void(int)>& fn) {
  ctx.require_pot(pot);
  RunState state = RunState::load(ctx.settings(), pot);
  // Only where the root is: a pot.conf typo elsewhere (a limit) must not stop a copy-in,
  // which may be how the user means to fix the pot.
  PotConf conf = ctx.load_conf(pot);
  JailSpec spec = root_spec(ctx, pot, conf);
  std::optional<JailHandle> running;
  if (state.running()) running = jail_handle(ctx, pot, state);
  ctx.runtime().with_root(spec, running ? &*running : nullptr, fn);
}

void copy_into_pot(Context& ctx, const std::string& pot, const std::string& source,
                   const std::string& destination, bool create_parents, bool allow_running) {
  if (destination.empty() || destination.front() != '/')
    throw Error("copy-in destination " + quote_name(destination) +
                ": must be an absolute path in the pot");
  if (::access(source.c_str(), R_OK) != 0) throw_sys("copy-in source " + quote_name(source));
  std::string dest = destination;
  while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
  if (dest == "/")
    throw Error("copy-in destination " + quote_name(destination) + ": cannot replace the root");
  std::string parent = dest.substr(0, dest.rfind('/'));
  std::string leaf = dest.substr(dest.rfind('/') + 1);
  std::string source_leaf = fs::path(source).lexically_normal().filename().string();
  if (source_leaf.empty())
    source_leaf = fs::path(source).lexically_normal().parent_path().filename().string();
  ctx.require_pot(pot);
  FileLock lock = lock_pot(ctx.settings(), pot);
  if (!allow_running && RunState::load(ctx.settings(), pot).running())
    throw Error("pot " + quote_name(pot) + " is running: use -F to copy into a running pot");
  with_pot_root(ctx, pot, [&](int root_fd) {
    UniqueFd dir = create_parents ? make_dirs_in_root(root_fd, parent)
                                  : open_in_root(root_fd, parent, O_PATH | O_DIRECTORY);
    struct stat st {};
    bool into_directory =
        ::fstatat(dir.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    if (into_directory) {
      UniqueFd target = open_in_root(root_fd, dest, O_PATH | O_DIRECTORY | O_NOFOLLOW);
      copy_tree(AT_FDCWD, source, target.get(), source_leaf);
    } else {
      copy_tree(AT_FDCWD, source, dir.get(), leaf);
    }
  });
}

void remove_from_pot(Context& ctx, const std::string& pot, const std::string& path) {
  if (path.empty() || path.front() != '/')
    throw Error("path in the pot " + quote_name(path) + ": must be absolute");
  std::string parent = path.substr(0, path.rfind('/'));
  std::string leaf = path.substr(path.rfind('/') + 1);
  FileLock lock = lock_pot(ctx.settings(), pot);
  with_pot_root(ctx, pot, [&](int root_fd) {
    UniqueFd dir = open_in_root(root_fd, parent, O_PATH | O_DIRECTORY);
    if (::unlinkat(dir.get(), leaf.c_str(), 0) != 0 && errno != ENOENT)
      throw_sys("removing " + quote_name(path) + " from pot " + quote_name(pot));
  });
}

}  // namespace pot
