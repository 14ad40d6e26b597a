// pot.user (Nomad's task `user`): the pot's command runs as a user of the pot, looked up in
// the pot's own /etc/passwd and /etc/group, while the pot's init stays root.
#include <string>
#include <vector>

#include "harness.h"

namespace potit {
namespace {

class UserTest : public PotTest {
 protected:
  // A pot whose /etc/passwd and /etc/group also know `web` (uid 1000), a member of `www`
  // (gid 33) besides its own group.
  std::string create_pot_with_web_user(const std::string& prefix) {
    std::string name = create_pot(prefix);
    fs::path etc = root().jail_dir(name) / "m" / "etc";
    write_text(etc / "passwd",
               read_text(etc / "passwd") + "web:x:1000:1000:Web:/home/web:/bin/sh\n");
    write_text(etc / "group", read_text(etc / "group") + "web:x:1000:\nwww:x:33:other,web\n");
    return name;
  }
  // The way the driver sets it: a pot.conf key.
  void set_user_in_conf(const std::string& name, const std::string& user) {
    fs::path conf = root().jail_dir(name) / "conf" / "pot.conf";
    write_text(conf, read_text(conf) + "pot.user=" + user + "\n");
  }
  pid_t init_of(const std::string& name) {
    auto state = root().state(name);
    return state.count("init_pid") ? static_cast<pid_t>(std::stol(state["init_pid"])) : 0;
  }
  // "Uid:" or "Gid:" of /proc/PID/status: real, effective, saved, filesystem.
  static std::string ids_of(pid_t pid, const std::string& field) {
    for (const auto& line : split_lines(read_text("/proc/" + std::to_string(pid) + "/status"))) {
      if (line.rfind(field, 0) == 0) return trim(line.substr(field.size()));
    }
    return "";
  }
};

constexpr char kShowIdentity[] = R"(sh -c 'id -u; id -g; id -G; echo "$HOME|$USER|$LOGNAME"')";

TEST_F(UserTest, CommandRunsAsTheUserOfThePot) {
  std::string name = create_pot_with_web_user("user");
  ASSERT_POT_OK(pot({"set-attr", "-p", name, "-A", "persistent", "-V", "NO"}));
  ASSERT_POT_OK(pot({"set-user", "-p", name, "-u", "web"}));
  RunResult start = run_once(name, kShowIdentity);
  ASSERT_POT_OK(start);
  std::vector<std::string> lines = start.out_lines();
  ASSERT_EQ(lines.size(), 4U) << start;
  EXPECT_EQ(lines[0], "1000") << start;
  EXPECT_EQ(lines[1], "1000") << start;
  // Supplementary groups from the pot's /etc/group, and none of root's.
  EXPECT_EQ(lines[2], "1000 33") << start;
  EXPECT_EQ(lines[3], "/home/web|web|web") << start;
}

TEST_F(UserTest, NumericIdsNeedNoEntry) {
  std::string name = create_one_shot("uidgid", kShowIdentity);
  set_user_in_conf(name, "1234:2345");
  RunResult start = pot({"start", name});
  ASSERT_POT_OK(start);
  std::vector<std::string> lines = start.out_lines();
  ASSERT_EQ(lines.size(), 4U) << start;
  EXPECT_EQ(lines[0], "1234") << start;
  EXPECT_EQ(lines[1], "2345") << start;
  EXPECT_EQ(lines[2], "2345") << start;
  EXPECT_EQ(lines[3], "/||") << "HOME=/ for a uid without an entry\n" << start;
}

TEST_F(UserTest, ExplicitGroupAndEnvironmentFromPotEnv) {
  std::string name = create_pot_with_web_user("usergroup");
  ASSERT_POT_OK(pot({"set-attr", "-p", name, "-A", "persistent", "-V", "NO"}));
  set_user_in_conf(name, "web:www");
  ASSERT_POT_OK(pot({"set-env", "-p", name, "-E", "HOME=/srv", "-E", "USER=custom"}));
  RunResult start = run_once(name, kShowIdentity);
  ASSERT_POT_OK(start);
  std::vector<std::string> lines = start.out_lines();
  ASSERT_EQ(lines.size(), 4U) << start;
  EXPECT_EQ(lines[0], "1000") << start;
  EXPECT_EQ(lines[1], "33") << start;
  EXPECT_EQ(lines[2], "33") << "an explicit group drops the others\n" << start;
  EXPECT_EQ(lines[3], "/srv|custom|web") << "pot.env wins\n" << start;
}

TEST_F(UserTest, InitStaysRootAndExecRunsAsTheUser) {
  std::string name = create_pot_with_web_user("userexec");
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "sleep 3600"}));
  set_user_in_conf(name, "web");
  ASSERT_POT_OK(pot({"start", name}));
  pid_t init = init_of(name);
  ASSERT_GT(init, 0);
  EXPECT_EQ(ids_of(init, "Uid:"), "0\t0\t0\t0");
  // The pot's command: the process of the pot's group that is not init.
  pid_t command = 0;
  for (const auto& dir : root().pot_cgroup_dirs(name)) {
    for (const auto& line : split_lines(read_text(dir / "cgroup.procs"))) {
      if (!line.empty() && std::stol(line) != init) command = static_cast<pid_t>(std::stol(line));
    }
  }
  ASSERT_GT(command, 0) << "no command beside init";
  EXPECT_EQ(ids_of(command, "Uid:"), "1000\t1000\t1000\t1000");
  EXPECT_EQ(ids_of(command, "Gid:"), "1000\t1000\t1000\t1000");
  EXPECT_EQ(ids_of(command, "CapEff:"), "0000000000000000") << "no capabilities left";

  RunResult id = pot({"exec", "-p", name, "id", "-u"});
  ASSERT_POT_OK(id);
  EXPECT_EQ(trim(id.out), "1000");
  RunResult home = pot({"exec", "-p", name, "-e", "LOGNAME=x", "sh", "-c", "echo $HOME $LOGNAME"});
  ASSERT_POT_OK(home);
  EXPECT_EQ(trim(home.out), "/home/web x");
  EXPECT_POT_OK(pot({"stop", name}));
}

TEST_F(UserTest, UnknownUserIsAOneLineStartError) {
  std::string name = create_one_shot("nouser", "id -u");
  ASSERT_POT_OK(pot({"set-user", "-p", name, "-u", "nobody2"}));
  RunResult start = pot({"start", name});
  EXPECT_NE(start.code, 0) << start;
  ASSERT_EQ(start.err_lines().size(), 1U) << start;
  EXPECT_NE(start.err.find("pot `" + name + "`: user `nobody2` not found in the pot's /etc/passwd"),
            std::string::npos)
      << start;
  EXPECT_TRUE(start.out.empty()) << start;
  EXPECT_EQ(root().status(name), "stopped");
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty());

  // An unknown group too; then back to root with an empty user.
  ASSERT_POT_OK(pot({"set-user", "-p", name, "-u", "root:staff"}));
  RunResult group = pot({"start", name});
  EXPECT_NE(group.code, 0) << group;
  EXPECT_NE(group.err.find("group `staff` not found in the pot's /etc/group"), std::string::npos)
      << group;
  ASSERT_POT_OK(pot({"set-user", "-p", name, "-u", ""}));
  RunResult as_root = pot({"start", name});
  ASSERT_POT_OK(as_root);
  EXPECT_EQ(trim(as_root.out), "0");
}

TEST_F(UserTest, TheHostsPasswdIsNeverRead) {
  // The pot's /etc/passwd is a link to a host file naming `hostonly`: looked up inside the
  // pot's root, the link leads nowhere.
  std::string name = create_one_shot("hostpasswd", "id -u");
  fs::path host = host_file("passwd", "hostonly:x:4321:4321::/:/bin/sh\n");
  fs::path passwd = root().jail_dir(name) / "m" / "etc" / "passwd";
  fs::remove(passwd);
  fs::create_symlink(host, passwd);
  set_user_in_conf(name, "hostonly");
  RunResult start = pot({"start", name});
  EXPECT_NE(start.code, 0) << start;
  EXPECT_NE(start.err.find("user `hostonly` not found in the pot's /etc/passwd"), std::string::npos)
      << start;
}

TEST_F(UserTest, SetUserRejectsMalformedUsers) {
  std::string name = create_pot("baduser");
  fs::path conf = root().jail_dir(name) / "conf" / "pot.conf";
  std::string before = read_text(conf);
  for (const char* user : {":", "web:", ":33", "a:b:c", "we b", "web\nx"}) {
    RunResult r = pot({"set-user", "-p", name, "-u", user});
    EXPECT_NE(r.code, 0) << r;
    EXPECT_EQ(r.err_lines().size(), 1U) << r;
    EXPECT_EQ(read_text(conf), before) << r;
  }
}

}  // namespace
}  // namespace potit
