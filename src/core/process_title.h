// What `ps` and /proc/<pid>/cmdline show for this process. A pot's init is a copy of the
// `pot` process, so without this it shows the host's path of the pot binary to everyone in
// the pot; the monitor is named after its pot, for the host's `ps`.
#pragma once

#include <string_view>

namespace pot {

// Overwrites the command line in place (never longer than the original, the rest zeroed)
// and sets the thread name (comm) to `title`'s first 15 bytes.
void set_process_title(std::string_view title);

}  // namespace pot
