// Paths that lead out of a pot: symlinks planted inside a pot must never make `pot` write
// on the host, whatever follows them (copy-in, mount-in, the /etc/hosts written at start).
#include <string>

#include "harness.h"

namespace potit {
namespace {

// A real, unique host directory under /tmp, removed at the end of the test. Files in it
// show that something escaped a pot.
class HostDir {
 public:
  HostDir() : path_(make_temp_dir("potit-host")) {}
  ~HostDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  HostDir(const HostDir&) = delete;
  HostDir& operator=(const HostDir&) = delete;
  const fs::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  std::set<std::string> entries() const { return dir_entries(path_); }

 private:
  fs::path path_;
};

std::string describe_entries(const std::set<std::string>& entries) {
  std::string out;
  for (const auto& e : entries) out += " " + e;
  return out.empty() ? "(empty)" : out;
}

class PathsTest : public PotTest {
 protected:
  // A pot of `type`, running (`sleep 3600`) or stopped (a one-shot pot).
  std::string make_pot(const std::string& prefix, const std::string& type, bool running) {
    if (!running) return create_one_shot(prefix, "true", {"-t", type});
    std::string name = create_pot(prefix, {"-t", type});
    expect_ok(pot({"set-cmd", "-p", name, "-c", "sleep 3600"}));
    expect_ok(pot({"start", name}));
    return name;
  }

  // Runs a shell script inside the pot: `pot exec` when it runs, else a one-shot run.
  // The script must not contain single quotes.
  // A stopped pot's command is `true` again afterwards.
  RunResult in_pot(const std::string& name, const std::string& script) {
    if (is_running(name)) return pot({"exec", "-p", name, "sh", "-c", script});
    RunResult r = run_once(name, "sh -c '" + script + "'");
    expect_ok(pot({"set-cmd", "-p", name, "-c", "true"}));
    return r;
  }

  void check_copy_in(const std::string& type, bool running);
};

void PathsTest::check_copy_in(const std::string& type, bool running) {
  SCOPED_TRACE(type + (running ? " pot, running" : " pot, stopped"));
  HostDir host;
  std::string name = make_pot("cpin-" + type, type, running);
  ASSERT_POT_OK(
      in_pot(name, "ln -s " + host.str() + " /evil && ln -s " + host.str() + "/leaf /evil-leaf"));
  fs::path payload = host_file(name + ".payload", "payload\n");

  struct Case {
    std::string dest;
    bool create_parents;
  };
  for (const Case& c :
       {Case{"/evil/file", false}, Case{"/evil/file", true}, Case{"/evil/sub/file", true},
        Case{"/evil-leaf", false}, Case{"/../../../.." + host.str() + "/dotdot", false},
        Case{"/../../../.." + host.str() + "/dotdot", true}}) {
    std::vector<std::string> args = {"copy-in", "-p", name, "-s", payload.string(), "-d", c.dest};
    if (c.create_parents) args.push_back("-c");
    RunResult r = pot(args);
    EXPECT_TRUE(host.entries().empty())
        << "copy-in -d " << c.dest << " wrote onto the host: " << host.str() << " now has"
        << describe_entries(host.entries()) << "\n"
        << r;
    if (r.ok()) {
      EXPECT_TRUE(r.err.empty()) << r;
    } else {
      EXPECT_EQ(r.err_lines().size(), 1U) << r;
    }
  }
  // The leaf symlink was replaced inside the pot, as cp would: the pot has the file now.
  RunResult leaf = in_pot(name, "cat /evil-leaf");
  if (leaf.ok()) {
    EXPECT_EQ(leaf.out, "payload\n") << leaf;
  }
  EXPECT_TRUE(host.entries().empty()) << describe_entries(host.entries());
}

TEST_F(PathsTest, CopyInDoesNotFollowSymlinksOntoTheHost) {
  for (const char* type : {"single", "multi"}) {
    for (bool running : {false, true}) check_copy_in(type, running);
  }
}

TEST_F(PathsTest, MountInDoesNotFollowSymlinksOntoTheHost) {
  HostDir host;
  HostDir source;
  write_text(source.path() / "shared.txt", "shared\n");
  for (const char* type : {"single", "multi"}) {
    SCOPED_TRACE(type);
    std::string name = create_one_shot(std::string("mntin-") + type, "true", {"-t", type});
    ASSERT_POT_OK(
        in_pot(name, "ln -s " + host.str() + " /evil && ln -s " + host.str() + " /evil-point"));

    for (const char* mount_point : {"/evil/sub", "/evil-point", "/evil/a/b"}) {
      ASSERT_POT_OK(pot({"mount-in", "-p", name, "-d", source.str(), "-m", mount_point}));
      RunResult start = pot({"start", name});
      EXPECT_TRUE(host.entries().empty())
          << "mount-in on " << mount_point
          << " created on the host:" << describe_entries(host.entries()) << "\n"
          << start;
      if (!start.ok()) {
        EXPECT_EQ(start.err_lines().size(), 1U) << start;
      }
      EXPECT_EQ(root().status(name), "stopped");
      EXPECT_TRUE(root().pot_cgroup_dirs(name).empty()) << "a failed start left the cgroup";
      EXPECT_TRUE(mounts_under(host.path()).empty());
      ASSERT_POT_OK(pot({"mount-out", "-p", name, "-m", mount_point}));
    }
    EXPECT_POT_OK(pot({"start", name})) << "the pot works again without the mount";
  }
  EXPECT_EQ(dir_entries(source.path()), std::set<std::string>{"shared.txt"});
}

// `pot start` writes the pot's /etc/hosts. A symlink planted there must resolve inside the
// pot: to a file the pot does not have (the start may then fail), or to the pot's own copy
// of a host path, never to the host's file.
TEST_F(PathsTest, PlantedEtcHostsSymlinkIsNotFollowedOntoTheHost) {
  HostDir host;
  write_text(host.path() / "hosts", "original\n");
  for (const char* type : {"single", "multi"}) {
    for (bool also_in_pot : {false, true}) {
      for (const std::string& target : {host.str() + "/hosts", host.str() + "/created"}) {
        SCOPED_TRACE(std::string(type) + ", /etc/hosts -> " + target +
                     (also_in_pot ? " (a path the pot has too)" : " (a path only the host has)"));
        std::string name = create_pot(std::string("hosts-") + type, {"-t", type});
        ASSERT_POT_OK(pot({"start", name}));
        std::string script = "ln -sf " + target + " /etc/hosts";
        if (also_in_pot)
          script = "mkdir -p " + host.str() + " && echo in-the-pot > " + host.str() + "/hosts && " +
                   script;
        ASSERT_POT_OK(pot({"exec", "-p", name, "sh", "-c", script}));
        ASSERT_POT_OK(pot({"stop", name}));

        RunResult start = pot({"start", name});
        EXPECT_EQ(read_text(host.path() / "hosts"), "original\n") << "the host's file was written\n"
                                                                  << start;
        EXPECT_EQ(host.entries(), std::set<std::string>{"hosts"})
            << describe_entries(host.entries()) << "\n"
            << start;
        if (also_in_pot) {
          // The link resolves inside the pot, so the start works and writes the pot's file.
          EXPECT_POT_OK(start);
          RunResult hosts = pot({"exec", "-p", name, "cat", "/etc/hosts"});
          EXPECT_NE(hosts.out.find(name), std::string::npos) << hosts;
        } else if (!start.ok()) {
          EXPECT_EQ(start.err_lines().size(), 1U) << start;
          EXPECT_TRUE(root().pot_cgroup_dirs(name).empty()) << "a failed start left the cgroup";
        }
        EXPECT_POT_OK(pot({"destroy", "-F", "-p", name}));
      }
    }
  }
}

TEST_F(PathsTest, MountInSharesAHostDirectory) {
  HostDir shared;
  write_text(shared.path() / "file", "from-the-host\n");
  std::string name = create_one_shot("share", "true");
  ASSERT_POT_OK(pot({"mount-in", "-p", name, "-d", shared.str(), "-m", "/mnt/ro", "-r"}));
  ASSERT_POT_OK(pot({"mount-in", "-p", name, "-d", shared.str(), "-m", "/mnt/rw"}));

  RunResult read = run_once(name, "cat /mnt/ro/file");
  EXPECT_POT_OK(read);
  EXPECT_EQ(read.out, "from-the-host\n");
  RunResult write_ro = run_once(name, "touch /mnt/ro/new-ro");
  EXPECT_EQ(write_ro.code, 125) << "-r mounts are read-only\n" << write_ro;
  EXPECT_FALSE(fs::exists(shared.path() / "new-ro"));
  RunResult write_rw = run_once(name, "touch /mnt/rw/new-rw");
  EXPECT_POT_OK(write_rw);
  EXPECT_TRUE(fs::exists(shared.path() / "new-rw"));

  RunResult taken = pot({"mount-in", "-p", name, "-d", shared.str(), "-m", "/mnt/rw"});
  EXPECT_NE(taken.code, 0) << taken;
  EXPECT_EQ(taken.err_lines().size(), 1U) << taken;
  RunResult missing = pot({"mount-out", "-p", name, "-m", "/mnt/none"});
  EXPECT_NE(missing.code, 0) << missing;
  EXPECT_EQ(missing.err_lines().size(), 1U) << missing;
  EXPECT_TRUE(mounts_under(shared.path()).empty()) << "the host sees no mount from the pot";
}

}  // namespace
}  // namespace potit
