// The FreeBSD storage backend: every base and pot root is a ZFS dataset, driven through the
// `zfs` command as the original pot drives it. POT_ZFS_ROOT (zroot/pot) is mounted at
// POT_FS_ROOT, and a host path under the root is the dataset of the same relative name:
// /opt/pot/jails/web/m is zroot/pot/jails/web/m.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/settings.h"
#include "freebsd/system_command.h"
#include "storage/storage.h"

namespace pot::freebsd {

// How `zfs send` and `zfs receive` run, with their stream on a caller's fd (-1: /dev/null):
// run_streaming, or a test's recorder.
using StreamRunner =
    std::function<CommandResult(const std::vector<std::string>& argv, int stdin_fd, int stdout_fd)>;

// `commands` must outlive the storage.
std::unique_ptr<Storage> make_zfs_storage(const Settings& settings, SystemCommands& commands,
                                          StreamRunner run_stream = {});

}  // namespace pot::freebsd
