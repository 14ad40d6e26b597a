#include "storage/storage.h"

#include <sys/stat.h>

#include "core/error.h"
#include "core/file_util.h"

namespace pot {

std::unique_ptr<Storage> make_btrfs_storage(const Settings& settings);
std::unique_ptr<Storage> make_dir_storage(const Settings& settings);

void make_private_dirs(const Settings& settings) {
  for (const auto& dir : {settings.bases_dir(), settings.jails_dir(), settings.cache_dir(),
                          settings.bridges_dir(), settings.run_dir()}) {
    make_dirs(dir, 0700);
    if (::chmod(dir.c_str(), 0700) != 0) throw_sys("chmod " + quote_name(dir.string()));
  }
}

void Storage::create_jail_dir(const std::filesystem::path& path) {
  if (::mkdir(path.c_str(), 0755) != 0) throw_sys("creating " + quote_name(path.string()));
}

void Storage::send(const std::filesystem::path& pot_dir, const std::string& /*snapshot*/,
                   int /*fd*/) {
  throw Error("sending " + quote_name(pot_dir.string()) + ": the " + name() +
              " storage has no replication streams");
}

void Storage::receive(int /*fd*/, const std::filesystem::path& pot_dir) {
  throw Error("receiving " + quote_name(pot_dir.string()) + ": the " + name() +
              " storage has no replication streams");
}

std::unique_ptr<Storage> make_storage(const Settings& settings) {
  if (settings.storage == "dir") return make_dir_storage(settings);
  return make_btrfs_storage(settings);
}

}  // namespace pot
