#include "runtime/root_mounts.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/error.h"
#include "core/file_util.h"
#include "core/unique_fd.h"

namespace pot {

const std::vector<std::string>& masked_paths() {
  static const std::vector<std::string> kMasked = {
      "/proc/acpi",        "/proc/asound",        "/proc/kcore",
      "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
      "/proc/timer_stats", "/proc/sched_debug",   "/proc/scsi",
      "/proc/interrupts",  "/sys/firmware",       "/sys/devices/virtual/powercap",
  };
  return kMasked;
}

const std::vector<std::string>& read_only_paths() {
  static const std::vector<std::string> kReadOnly = {
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
  };
  return kReadOnly;
}

namespace {

void do_mount(const char* source, const std::string& target, const char* fstype,
              unsigned long flags, const char* data = nullptr) {
  if (::mount(source, target.c_str(), fstype, flags, data) != 0)
    throw_sys(std::string("mounting ") +
              (fstype   ? fstype
               : source ? source
                        : "") +
              " on " + quote_name(target));
}

void ensure_dir(const std::string& path, mode_t mode = 0755) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
    throw_sys("creating " + quote_name(path));
}

void ensure_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0 && errno != EEXIST) throw_sys("creating " + quote_name(path));
  if (fd >= 0) ::close(fd);
}

void mount_root(const JailSpec& spec) {
  if (spec.overlay) {
    do_mount("overlay", spec.root, "overlay", MS_NODEV,
             overlay_mount_options(*spec.overlay).c_str());
  } else {
    do_mount(spec.root.c_str(), spec.root, nullptr, MS_BIND | MS_REC);
    do_mount(nullptr, spec.root, nullptr, MS_BIND | MS_REMOUNT | MS_NODEV);
  }
}

// A detached copy of a host tree, to be attached inside the pot after pivot_root.
UniqueFd clone_tree(const BindMount& bind) {
  UniqueFd tree(::open_tree(AT_FDCWD, bind.host_path.c_str(),
                            OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
  if (!tree) throw_sys("mount-in source " + quote_name(bind.host_path));
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_NODEV | (bind.read_only ? MOUNT_ATTR_RDONLY : 0);
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0)
    throw_sys("setting the flags of mount-in " + quote_name(bind.host_path));
  return tree;
}

void attach_tree(int tree, const BindMount& bind) {
  struct stat st {};
  if (::fstat(tree, &st) != 0) throw_sys("mount-in source " + quote_name(bind.host_path));
  // Created after pivot_root: a symlink on the way resolves inside the pot, never the host.
  std::string parent = bind.pot_path.substr(0, bind.pot_path.rfind('/'));
  if (!parent.empty()) make_dirs(parent);
  if (S_ISDIR(st.st_mode)) {
    ensure_dir(bind.pot_path);
  } else {
    ensure_file(bind.pot_path);
  }
  if (::move_mount(tree, "", AT_FDCWD, bind.pot_path.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    throw_sys("mount-in on " + quote_name(bind.pot_path));
}

void pivot_into(const std::string& root) {
  if (::chdir(root.c_str()) != 0) throw_sys("entering " + quote_name(root));
  // pivot_root(".", ".") stacks the old root on top of the new one; detaching "." then
  // leaves only the new root, with no directory needed for the old one.
  if (::syscall(SYS_pivot_root, ".", ".") != 0) throw_sys("pivot_root into " + quote_name(root));
  if (::umount2(".", MNT_DETACH) != 0) throw_sys("detaching the host root");
  if (::chdir("/") != 0) throw_sys("chdir /");
}

void make_dev() {
  const unsigned long nosuid_noexec = MS_NOSUID | MS_NOEXEC;
  ensure_dir("/dev");
  do_mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  struct Node {
    const char* name;
    unsigned major, minor;
  };
  for (const Node& node : {Node{"null", 1, 3}, Node{"zero", 1, 5}, Node{"full", 1, 7},
                           Node{"random", 1, 8}, Node{"urandom", 1, 9}, Node{"tty", 5, 0}}) {
    std::string path = std::string("/dev/") + node.name;
    if (::mknod(path.c_str(), S_IFCHR | 0666, makedev(node.major, node.minor)) != 0)
      throw_sys("creating " + quote_name(path));
    if (::chmod(path.c_str(), 0666) != 0)  // mknod applies the umask
      throw_sys("setting the mode of " + quote_name(path));
  }
  ensure_dir("/dev/pts");
  do_mount("devpts", "/dev/pts", "devpts", nosuid_noexec,
           "newinstance,ptmxmode=0666,mode=0620,gid=5");
  if (::symlink("pts/ptmx", "/dev/ptmx") != 0) throw_sys("creating /dev/ptmx");
  ensure_dir("/dev/shm", 01777);
  do_mount("shm", "/dev/shm", "tmpfs", nosuid_noexec | MS_NODEV, "mode=1777,size=65536k");
  ensure_dir("/dev/mqueue");
  do_mount("mqueue", "/dev/mqueue", "mqueue", nosuid_noexec | MS_NODEV);
  for (auto [link, target] :
       {std::pair{"/dev/fd", "/proc/self/fd"}, std::pair{"/dev/stdin", "/proc/self/fd/0"},
        std::pair{"/dev/stdout", "/proc/self/fd/1"}, std::pair{"/dev/stderr", "/proc/self/fd/2"}}) {
    if (::symlink(target, link) != 0) throw_sys(std::string("creating ") + link);
  }
}

void mask_and_protect() {
  for (const auto& path : masked_paths()) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;  // not on this kernel
    if (S_ISDIR(st.st_mode)) {
      do_mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0k");
    } else {
      do_mount("/dev/null", path, nullptr, MS_BIND);
    }
  }
  for (const auto& path : read_only_paths()) {
    if (::access(path.c_str(), F_OK) != 0) continue;
    do_mount(path.c_str(), path, nullptr, MS_BIND | MS_REC);
    do_mount(nullptr, path, nullptr,
             MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
  }
}

// Written after pivot_root, so a symlinked file can only lead inside the pot. The pot's own
// file may be a symlink it planted (to a mount-in, say): replace the link rather than write
// through it.
void write_etc_file(const char* path, const std::string& text) {
  int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0 && errno == ELOOP && ::unlink(path) == 0)
    fd = ::open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) throw_sys(std::string("writing ") + path + " in the pot");
  ssize_t n = ::write(fd, text.data(), text.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size()))
    throw_sys(std::string("writing ") + path + " in the pot");
}

void write_etc_files(const JailSpec& spec) {
  struct stat st {};
  if (::stat("/etc", &st) != 0 || !S_ISDIR(st.st_mode)) return;
  std::string hosts =
      "127.0.0.1\tlocalhost " + spec.hostname + "\n::1\tlocalhost " + spec.hostname + "\n";
  for (const auto& line : spec.extra_hosts) hosts += line + "\n";
  write_etc_file("/etc/hosts", hosts);
  if (spec.resolv_conf) write_etc_file("/etc/resolv.conf", *spec.resolv_conf);
}

}  // namespace

void setup_root_filesystem(const JailSpec& spec) {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    throw_sys("making mounts private");
  mount_root(spec);

  std::vector<UniqueFd> trees;
  for (const auto& bind : spec.mounts) trees.push_back(clone_tree(bind));

  pivot_into(spec.root);

  const unsigned long hardened = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  ensure_dir("/proc", 0555);
  do_mount("proc", "/proc", "proc", hardened);
  ensure_dir("/sys", 0555);
  do_mount("sysfs", "/sys", "sysfs", hardened | MS_RDONLY);
  make_dev();
  // mkdir applies the umask; an existing /tmp keeps the mode the pot gave it.
  if (::mkdir("/tmp", 01777) == 0 && ::chmod("/tmp", 01777) != 0)
    throw_sys("setting the mode of /tmp");
  for (size_t i = 0; i < trees.size(); ++i) attach_tree(trees[i].get(), spec.mounts[i]);
  mask_and_protect();
  write_etc_files(spec);
}

}  // namespace pot
