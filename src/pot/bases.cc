#include "pot/bases.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <sstream>

#include "core/error.h"
#include "core/file_util.h"
#include "core/lock.h"
#include "core/names.h"
#include "core/process.h"
#include "freebsd/release_base.h"
#include "image/safe_extract.h"
#include "pot/leftovers.h"
#include "pot/pots.h"
#include "pot/run_state.h"

namespace pot {
namespace {

constexpr const char* kBusyboxBinary = "/bin/busybox";

void populate_busybox(const fs::path& root) {
  for (const char* dir : {"bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "root", "tmp", "proc",
                          "sys", "dev", "var", "var/log", "var/www", "home"})
    make_dirs(root / dir);
  auto set_mode = [](const fs::path& path, mode_t mode) {
    if (::chmod(path.c_str(), mode) != 0)
      throw_sys("setting the mode of " + quote_name(path.string()));
  };
  set_mode(root / "tmp", 01777);
  set_mode(root / "root", 0700);
  std::error_code ec;
  fs::copy_file(kBusyboxBinary, root / "bin" / "busybox", ec);
  if (ec)
    throw Error("copying " + quote_name(kBusyboxBinary) + ": " + ec.message() +
                " (install busybox-static)");
  set_mode(root / "bin" / "busybox", 0755);
  // busybox knows where each applet belongs (bin/sh, usr/bin/env, ...): link each there.
  fs::path list = root / "tmp" / ".applets";
  int list_fd = ::open(list.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (list_fd < 0) throw_sys("creating " + quote_name(list.string()));
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(list_fd, 1);
    ::execl(kBusyboxBinary, "busybox", "--list-full", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(list_fd);
  if (pid < 0 || wait_exit_code(pid) != 0) throw Error("listing busybox applets failed");
  std::istringstream applets(read_file(list));
  fs::remove(list);
  std::string applet;
  while (std::getline(applets, applet)) {
    if (applet.empty() || applet == "bin/busybox" || applet.find("..") != std::string::npos)
      continue;
    fs::path link = root / applet;
    make_dirs(link.parent_path());
    if (::symlink("/bin/busybox", link.c_str()) != 0 && errno != EEXIST)
      throw_sys("linking applet " + quote_name(applet));
  }
  write_file_atomic(
      root / "etc" / "passwd",
      "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
  write_file_atomic(root / "etc" / "group", "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n");
  write_file_atomic(root / "etc" / "shadow", "root:*::0:::::\n", 0600);
  write_file_atomic(root / "etc" / "hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost\n");
  write_file_atomic(root / "etc" / "os-release", "NAME=\"pot busybox\"\nID=busybox\n");
}

void populate_debian(const fs::path& root, const std::string& suite,
                     const std::vector<std::string>& packages, const std::string& mirror) {
  if (!is_valid_name(suite)) throw Error("invalid Debian suite " + quote_name(suite));
  std::vector<std::string> argv = {"debootstrap", "--variant=minbase"};
  if (!packages.empty()) {
    std::string list;
    for (const auto& pkg : packages) {
      if (!is_valid_name(pkg) || pkg.find_first_of(",+") != std::string::npos)
        throw Error("invalid package name " + quote_name(pkg));
      list += (list.empty() ? "" : ",") + pkg;
    }
    argv.push_back("--include=" + list);
  }
  argv.push_back(suite);
  argv.push_back(root.string());
  argv.push_back(mirror);
  int code = run_program(argv);
  if (code != 0)
    throw Error("debootstrap of " + quote_name(suite) + " failed with code " +
                std::to_string(code));
  // debootstrap leaves its apt lists and caches behind; a base does not need them.
  remove_tree(root / "var" / "cache" / "apt" / "archives");
}

}  // namespace

std::string host_debian_mirror() {
  // The archive apt itself uses: *.list and *.sources files only (apt ignores the rest), a
  // main suite (not -security, -updates or -backports).
  auto main_suite = [](const std::string& suite) {
    for (const char* suffix : {"-security", "-updates", "-backports"}) {
      if (suite.size() > std::strlen(suffix) &&
          suite.compare(suite.size() - std::strlen(suffix), std::string::npos, suffix) == 0)
        return false;
    }
    return !suite.empty();
  };
  std::vector<fs::path> files = {"/etc/apt/sources.list"};
  std::error_code ec;
  std::vector<fs::path> parts;
  for (const auto& entry : fs::directory_iterator("/etc/apt/sources.list.d", ec)) {
    auto ext = entry.path().extension();
    if (ext == ".list" || ext == ".sources") parts.push_back(entry.path());
  }
  std::sort(parts.begin(), parts.end());
  files.insert(files.end(), parts.begin(), parts.end());
  for (const auto& file : files) {
    auto text = read_file_if_exists(file);
    if (!text) continue;
    std::istringstream lines(*text + "\n\n");
    std::string line, uri, suites;
    bool enabled = true;
    while (std::getline(lines, line)) {
      std::istringstream words(line);
      std::string first, word;
      words >> first;
      if (file.extension() == ".sources") {  // deb822 stanzas, separated by blank lines
        if (first == "URIs:") words >> uri;
        if (first == "Suites:") std::getline(words, suites);
        if (first == "Enabled:") words >> word, enabled = word != "no";
        if (!first.empty()) continue;
        std::istringstream suite_words(suites);
        std::string suite;
        suite_words >> suite;
        if (enabled && uri.rfind("http", 0) == 0 && main_suite(suite)) return uri;
        uri.clear(), suites.clear(), enabled = true;
      } else if (first == "deb") {
        words >> word;
        if (!word.empty() && word.front() == '[') {
          while (!word.empty() && word.back() != ']' && words >> word) {
          }
          words >> word;
        }
        std::string suite;
        words >> suite;
        if (word.rfind("http", 0) == 0 && main_suite(suite)) return word;
      }
    }
  }
  throw Error("no Debian mirror found in the host's apt sources");
}

namespace {

// With the base's lock held: its file goes, and a waiter takes a fresh one.
void remove_base_lock_file(const Settings& s, const std::string& name) {
  std::error_code ec;
  fs::remove(base_lock_path(s, name), ec);
}

}  // namespace

void create_base(Context& ctx, const BaseOptions& options) {
  validate_name("base", options.name);
  ctx.storage().ensure_ready();
  const Settings& s = ctx.settings();
  FileLock lock = FileLock::acquire(base_lock_path(s, options.name));
  if (fs::exists(s.base_path(options.name)))
    throw Error("base " + quote_name(options.name) + " already exists");
  remove_abandoned_entries(ctx, s.bases_dir());

  const std::string& source = options.source;
  enum class Kind { kBusybox, kDebian, kTar, kFreeBsdRelease } kind;
  std::string argument;
  if (source == "busybox") {
    kind = Kind::kBusybox;
  } else if (source.rfind("debian:", 0) == 0) {
    kind = Kind::kDebian;
    argument = source.substr(7);
  } else if (source.rfind("tar:", 0) == 0) {
    kind = Kind::kTar;
    argument = source.substr(4);
    if (::access(argument.c_str(), R_OK) != 0) throw_sys("base tarball " + quote_name(argument));
  } else if (!source.empty() && std::isdigit(static_cast<unsigned char>(source.front()))) {
    // A FreeBSD release, as the original's `pot create-base -r 14.1`.
    kind = Kind::kFreeBsdRelease;
    argument = freebsd::release_name(source);
    if (ctx.platform_name() != "freebsd")
      throw Error("base source " + quote_name(source) +
                  ": a FreeBSD release is a base on FreeBSD only (POT_PLATFORM=freebsd)");
  } else {
    throw Error("invalid base source " + quote_name(source) +
                ": expected busybox, debian:SUITE, tar:PATH or a FreeBSD release");
  }

  fs::path tmp = creation_path(s.bases_dir(), options.name);
  try {
    ctx.storage().create(tmp);
    switch (kind) {
      case Kind::kBusybox:
        populate_busybox(tmp);
        break;
      case Kind::kDebian: {
        // POT_DEBIAN_MIRROR overrides the mirror read from the host's apt sources.
        auto configured = s.extra.find("POT_DEBIAN_MIRROR");
        populate_debian(tmp, argument, options.packages,
                        configured != s.extra.end() ? configured->second : host_debian_mirror());
        break;
      }
      case Kind::kTar:
        extract_archive(argument, tmp.string());
        break;
      case Kind::kFreeBsdRelease:
        freebsd::unpack_release_base(s, argument, tmp);
        break;
    }
    with_context("renaming base into place",
                 [&] { ctx.storage().rename(tmp, s.base_path(options.name)); });
  } catch (...) {
    ctx.storage().destroy(tmp);
    remove_base_lock_file(s, options.name);  // no base came of it
    throw;
  }
}

void destroy_base(Context& ctx, const std::string& name) {
  ctx.require_base(name);
  const Settings& s = ctx.settings();
  FileLock lock = FileLock::acquire(base_lock_path(s, name));
  for (const auto& pot : list_pots(ctx)) {
    if (ctx.load_conf(pot).get_or("pot.base", "") == name)
      throw Error("base " + quote_name(name) + " is used by pot " + quote_name(pot));
  }
  // Hidden first, as a pot's destroy: a kill midway leaves no half base under its name.
  fs::path hidden = destruction_path(s.bases_dir(), name);
  with_context("destroying base " + quote_name(name),
               [&] { ctx.storage().rename(s.base_path(name), hidden); });
  ctx.storage().destroy(hidden);
  remove_base_lock_file(s, name);
}

std::vector<std::string> list_bases(const Context& ctx) {
  std::vector<std::string> bases;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ctx.settings().bases_dir(), ec)) {
    std::string name = entry.path().filename().string();
    if (is_valid_name(name)) bases.push_back(name);
  }
  std::sort(bases.begin(), bases.end());
  return bases;
}

}  // namespace pot
