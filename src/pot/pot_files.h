// Host-side access to files inside a pot: copy-in and the flavour script. Every path is
// resolved inside the pot's root (runtime/root_path.h), whether the pot is stopped (its
// root directory, or its overlay assembled in a private mount namespace that vanishes
// afterwards) or running (the root as its init sees it, through /proc/<pid>/root).
#pragma once

#include <functional>
#include <string>

#include "pot/context.h"

namespace pot {

// Calls fn with an fd of the pot's root directory.
void with_pot_root(Context& ctx, const std::string& pot,
                   const std::function<void(int root_fd)>& fn);

// cp -a SRC DST: into DST when it is a directory in the pot, as DST otherwise. A running
// pot needs `allow_running` (the original's -F): its processes see files arrive. Holds the
// pot's lock, so the pot cannot start or stop under the copy.
void copy_into_pot(Context& ctx, const std::string& pot, const std::string& source,
                   const std::string& destination, bool create_parents, bool allow_running);
void remove_from_pot(Context& ctx, const std::string& pot, const std::string& path);

}  // namespace pot
