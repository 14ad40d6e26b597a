// Crash safety of the FreeBSD platform on the fakes: `pot` killed before each step of a
// command, as the fault-injection tier does on Linux (docs/fault_injection.md). Here a step
// is a base-system command pot runs that changes something (zfs create, jail -c, ifconfig
// epair create, pfctl -f, rctl -a, mount_nullfs...); the fake's `=> kill-caller` rule
// (tests/freebsd/fakes/fakebsd.py) SIGKILLs whichever process ran it, `pot` itself or the
// monitor a `pot start` forked, before the step happens.
//
// For each command: one run without a kill records its calls; then, for each step (or a
// sample of them), a fresh host with the same setup, the command killed before that step,
// the next natural command (which must succeed), the checks that the pot is whole or gone
// and that `pot ls` and `pot info` agree, a final `pot destroy`, and the check that nothing
// is left in the fakes' state: no jail, no epair, no pot-rdr rule, no rctl rule, no cpuset,
// no mount, no dataset under zroot/pot/jails, no process of the pot.
//
// POT_FREEBSD_CRASH_FULL=1 runs every step (87, 14 minutes); otherwise each command
// runs a few (its `sample`, 18 in all, about 2.5 minutes; POT_FREEBSD_CRASH_SAMPLE=N for all)
// spread evenly over its steps, the first and the last among them. docs/fault_injection.md
// has the table of commands, setups and next commands.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <set>
#include <sstream>

#include "fakebsd_leftovers.h"
#include "freebsd_host.h"

namespace pot::testing {
namespace {

using Call = FakeFreeBSD::Call;
constexpr const char* kPot = "web";
constexpr const char* kJailsDataset = "zroot/pot/jails/";
// `pot start` of a one-shot pot whose command failed (lifecycle.h's kExitApplicationError).
constexpr int kCommandFailedExit = 125;

bool has_text(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

bool has_word(const Call& call, std::string_view word) {
  return std::find(call.begin() + 1, call.end(), word) != call.end();
}

// A call that changes the fakes' state or runs something in a jail: a step a kill can come
// before. Reads (zfs list/get, jls, sysctl -n, mount -p, pfctl -s, rctl -u) are not steps.
bool is_step(const Call& call) {
  const std::string& command = call[0];
  std::string first = call.size() > 1 ? call[1] : "";
  if (command == "zfs") return first != "list" && first != "get";
  if (command == "jail" || command == "jexec" || command == "mount_nullfs" || command == "umount" ||
      command == "kldload" || command == "sysrc" || command == "service")
    return true;
  if (command == "mount") return first == "-t";
  if (command == "ifconfig") return call.size() > 2 && first != "-g" && first != "-l";
  if (command == "pfctl")
    return has_word(call, "-f") || has_word(call, "-F") || has_word(call, "-e");
  if (command == "rctl") return first == "-a" || first == "-r";
  if (command == "cpuset") return !has_word(call, "-g");
  if (command == "sysctl")
    return std::any_of(call.begin() + 1, call.end(),
                       [](const auto& w) { return w.find('=') != std::string::npos; });
  return false;
}

// A fail rule's pattern for `call`: its leading words up to the first that may differ from one
// host or run to the next (a path, a number, a snapshot's time, an epair's unit) or that a
// rule cannot hold. The kill point then is the n-th call matching it, counted the same way.
std::vector<std::string> rule_pattern(const Call& call) {
  std::vector<std::string> pattern;
  for (const auto& word : call) {
    bool varies = word.find_first_of("0123456789/") != std::string::npos;
    if (word.empty() || varies || word.find_first_of(" \t\n") != std::string::npos ||
        word == "=>" || word == "*" || word == "once" || word[0] == '#')
      break;
    pattern.push_back(word);
  }
  return pattern;
}

bool matches(const std::vector<std::string>& pattern, const Call& call) {
  return pattern.size() <= call.size() && std::equal(pattern.begin(), pattern.end(), call.begin());
}

std::string joined(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& word : words) text += (text.empty() ? "" : " ") + word;
  return text;
}

// Before the `occurrence`-th call matching `pattern` of the killed command.
struct KillPoint {
  size_t index = 0;  // among the command's calls in the recorded run
  Call call;
  std::vector<std::string> pattern;
  int occurrence = 0;
  std::string rule() const {
    return joined(pattern) + " => kill-caller " + std::to_string(occurrence) + " once";
  }
};

std::vector<KillPoint> kill_points_of(const std::vector<Call>& calls) {
  std::vector<KillPoint> points;
  for (size_t i = 0; i < calls.size(); ++i) {
    if (!is_step(calls[i])) continue;
    KillPoint point{i, calls[i], rule_pattern(calls[i]), 0};
    for (size_t j = 0; j <= i; ++j) point.occurrence += matches(point.pattern, calls[j]) ? 1 : 0;
    points.push_back(std::move(point));
  }
  return points;
}

size_t env_number(const char* name, size_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::stoul(value) : fallback;
}

// All with POT_FREEBSD_CRASH_FULL=1; else POT_FREEBSD_CRASH_SAMPLE (default: the case's
// own) spread evenly, the first and the last among them.
std::vector<KillPoint> choose(const std::vector<KillPoint>& all, size_t default_limit) {
  size_t limit = env_number("POT_FREEBSD_CRASH_SAMPLE", default_limit);
  if (env_number("POT_FREEBSD_CRASH_FULL", 0) != 0 || all.size() <= limit || limit < 2) return all;
  std::vector<KillPoint> chosen;
  for (size_t i = 0; i < limit; ++i) chosen.push_back(all[i * (all.size() - 1) / (limit - 1)]);
  return chosen;
}

// The pids the fake jails recorded (jexec'd commands) that are still alive.
std::vector<pid_t> jailed_processes(const FakeFreeBSD& bsd) {
  std::vector<pid_t> found;
  nlohmann::json state = bsd.state();
  if (!state.contains("jails")) return found;
  for (const auto& [name, jail] : state["jails"].items()) {
    for (const auto& entry : jail["pids"]) {
      auto pid = entry[0].get<pid_t>();
      if (!entry[1].is_null() && process_start_time(pid) == entry[1].get<uint64_t>())
        found.push_back(pid);
    }
  }
  return found;
}

// The checks of one kill point: every failed check is a line.
class Checks {
 public:
  explicit Checks(FreeBsdHost& bsd) : bsd_(bsd) {}

  // Runs a command that must succeed.
  PotRun must(const std::vector<std::string>& args) {
    PotRun run = bsd_.pot(args);
    if (!run.ok())
      fail("`pot " + joined(args) + "` failed (" + std::to_string(run.code) + "): " + run.err);
    return run;
  }

  bool listed() {
    PotRun ls = must({"ls", "-q"});
    std::istringstream names(ls.out);
    for (std::string name; names >> name;)
      if (name == kPot) return true;
    return false;
  }

  // Whole or gone: `pot ls`, `pot info` and the disk and datasets agree.
  void whole_or_gone() {
    bool is_listed = listed();
    bool info_knows = bsd_.pot({"info", "-q", "-p", kPot}).ok();
    fs::path dir = bsd_.fs_root() / "jails" / kPot;
    bool has_conf = fs::exists(dir / "conf" / "pot.conf");
    bool has_dataset = bsd_.has_dataset(std::string(kJailsDataset) + kPot);
    if (info_knows != is_listed) fail("`pot info -q` and `pot ls` disagree");
    if (has_conf != is_listed) fail("pot.conf exists: " + std::to_string(has_conf));
    if (is_listed) {
      if (!has_dataset) fail("listed, but no dataset " + std::string(kJailsDataset) + kPot);
      if (!fs::is_directory(dir / "m")) fail("listed, but no root " + (dir / "m").string());
      must({"info", "-p", kPot});
    } else {
      if (fs::exists(dir)) fail("not listed, but " + dir.string() + " is there");
      if (has_dataset) fail("not listed, but its dataset is there");
    }
  }

  // The final destroy, then nothing may be left.
  void destroyed_leaving_nothing() {
    if (listed()) must({"destroy", "-F", "-p", kPot});
    std::vector<pid_t> jailed = jailed_processes(bsd_);
    for (const auto& line : host_leftovers(bsd_)) fail("left: " + line);
    for (pid_t pid : jailed) {
      if (::kill(pid, 0) == 0) fail("left: a process of the jail, " + std::to_string(pid));
    }
  }

  void fail(const std::string& what) { failures_.push_back(what); }
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  FreeBsdHost& bsd_;
  std::vector<std::string> failures_;
};

// Whatever still runs with this host's fake state (a monitor, its command): killed.
void kill_processes_of(const FreeBsdHost& bsd) {
  for (pid_t pid : jailed_processes(bsd)) ::kill(pid, SIGKILL);
  for (pid_t pid : processes_of_host(bsd)) ::kill(pid, SIGKILL);
}

// One command under test.
struct CrashCase {
  std::string title;
  std::vector<std::string> command;
  std::function<void(FreeBsdHost&)> setup;
  // After the kill: the next natural command(s), which must leave the pot whole or gone.
  // `ordinal`: which of the case's kill points this is, for cases that alternate.
  std::function<void(FreeBsdHost&, Checks&, size_t ordinal)> recover;
  size_t sample = 3;   // kill points run by default (the suite stays within about 3 minutes)
  int clean_exit = 0;  // the command's exit code when nothing kills it
  // A persistent pot's command is started by its keeper once `pot start` has returned: its
  // `jexec … /usr/bin/env …` is not a step of the start (the clean run may or may not have
  // recorded it by the time it is read), and a kill there kills the command, not the start.
  bool command_after_return = false;
};

PotRun expect_ok(const PotRun& run, const std::string& what) {
  FreeBsdHost::expect_ok(run, what);
  return run;
}

void create_pot(FreeBsdHost& bsd) {
  expect_ok(bsd.pot({"create", "-p", kPot, "-b", "14.1", "-N", "public-bridge"}), "create");
}

// A public-bridge pot with an exported port and limits: its start makes an epair, a
// pot-rdr anchor, rctl rules, a cpuset, and tmpfs, devfs and nullfs mounts.
void create_full_pot(FreeBsdHost& bsd) {
  create_pot(bsd);
  fs::path shared = bsd.fs_root() / "shared-data";
  fs::create_directories(shared);
  expect_ok(bsd.pot({"set-cmd", "-p", kPot, "-c", "sleep 300"}), "set-cmd");
  expect_ok(bsd.pot({"export-ports", "-p", kPot, "-e", "80"}), "export-ports");
  expect_ok(bsd.pot({"set-rss", "-p", kPot, "-M", "64M", "-C", "1", "-P", "50"}), "set-rss");
  expect_ok(bsd.pot({"mount-in", "-p", kPot, "-d", shared.string(), "-m", "/data"}), "mount-in");
}

// The pot's command runs: the fake jexec was called with it (a start's last step, which its
// monitor's keeper takes after `pot start` returned).
void wait_for_command(FreeBsdHost& bsd) {
  for (int i = 0; i < 400; ++i) {
    for (const auto& call : bsd.calls_of("jexec")) {
      if (call.size() >= 2 && call[call.size() - 2] == "sleep" && call.back() == "300") return;
    }
    ::usleep(25000);
  }
  throw std::runtime_error("the command of pot web did not start");
}

void start_full_pot(FreeBsdHost& bsd) {
  create_full_pot(bsd);
  expect_ok(bsd.pot({"start", "-p", kPot}), "start");
  wait_for_command(bsd);
}

// The pot starts again and runs (the final destroy -F stops it).
void start_again(FreeBsdHost& bsd, Checks& checks) {
  checks.must({"start", "-p", kPot});
  if (!bsd.pot({"info", "-r", "-p", kPot}).ok()) checks.fail("not running after the start");
  if (!bsd.has_jail(kPot)) checks.fail("no jail after the start");
}

// A stop after a kill: it finishes what the kill left (a pot it finds not running, it says
// so), and the pot is then stopped, with no jail.
void stop_after_kill(FreeBsdHost& bsd, Checks& checks) {
  PotRun stop = bsd.pot({"stop", "-p", kPot});
  if (!stop.ok() && !has_text(stop.err, "is not running"))
    checks.fail("`pot stop` after the kill failed: " + stop.err);
  if (bsd.pot({"info", "-r", "-p", kPot}).ok()) checks.fail("running after the stop");
  if (bsd.has_jail(kPot)) checks.fail("the jail is still there after the stop");
}

class FreeBsdCrash : public ::testing::Test {
 protected:
  void run_case(const CrashCase& c) {
    auto began = std::chrono::steady_clock::now();
    std::vector<KillPoint> points;
    {
      FreeBsdHost bsd;
      bsd.init_with_base();
      c.setup(bsd);
      bsd.clear_calls();
      PotRun clean = bsd.pot(c.command);
      ASSERT_EQ(clean.code, c.clean_exit) << c.title << " without a kill: " << clean.err;
      std::set<std::string> targets;
      for (const auto& mount : bsd.mounts())
        EXPECT_TRUE(targets.insert(mount.target).second) << "mounted twice: " << mount.target;
      points = kill_points_of(bsd.calls());
      if (c.command_after_return) {
        std::erase_if(points, [](const KillPoint& point) {
          return point.call.size() > 2 && point.call[0] == "jexec" &&
                 point.call[2] == "/usr/bin/env";
        });
      }
      bsd.pot({"destroy", "-F", "-p", kPot});
      kill_processes_of(bsd);
    }
    ASSERT_FALSE(points.empty()) << c.title << ": no step recorded";
    size_t killed = 0, killed_before = 0, passed = 0;
    std::vector<KillPoint> chosen = choose(points, c.sample);
    for (size_t ordinal = 0; ordinal < chosen.size(); ++ordinal) {
      const KillPoint& point = chosen[ordinal];
      std::vector<std::string> failures = run_point(c, point, ordinal, killed);
      bool reached = killed > killed_before;
      killed_before = killed;
      std::printf("[ %-8s ] kill before #%zu `%s` (occurrence %d)%s: %s\n", c.title.c_str(),
                  point.index, joined(point.call).substr(0, 90).c_str(), point.occurrence,
                  reached ? "" : " not reached",
                  failures.empty() ? "ok" : (std::to_string(failures.size()) + " failed").c_str());
      std::fflush(stdout);  // before the next fork, whose freopen would write it again
      if (failures.empty()) {
        ++passed;
        continue;
      }
      std::string text;
      for (const auto& failure : failures) text += "\n  " + failure;
      ADD_FAILURE() << c.title << " killed before call #" << point.index << " `"
                    << joined(point.call) << "` (rule `" << point.rule() << "`):" << text;
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    std::printf("[ %-8s ] %zu steps, %zu run, %zu killed a process, %zu passed, %.1f s\n",
                c.title.c_str(), points.size(), chosen.size(), killed, passed, seconds);
    std::fflush(stdout);
  }

 private:
  std::vector<std::string> run_point(const CrashCase& c, const KillPoint& point, size_t ordinal,
                                     size_t& killed) {
    FreeBsdHost bsd;
    bsd.init_with_base();
    c.setup(bsd);
    bsd.clear_calls();
    bsd.fail_always(point.rule());  // `once` is in the rule: it goes when it fires
    PotRun run = bsd.pot(c.command);
    Checks checks(bsd);
    bool fired = !has_text(read_text(bsd.state_dir() / "fail"), "kill-caller");
    if (fired) {
      ++killed;
      if (run.code == c.clean_exit) checks.fail("the killed command ended as without a kill");
    } else {
      fs::remove(bsd.state_dir() / "fail");
      if (run.code != c.clean_exit) checks.fail("not reached, and the command failed: " + run.err);
    }
    checks.whole_or_gone();
    c.recover(bsd, checks, ordinal);
    checks.whole_or_gone();
    checks.destroyed_leaving_nothing();
    kill_processes_of(bsd);  // a failed point leaves nothing running for the next
    return checks.failures();
  }
};

// The fake's kill rule itself: the second matching call kills the shell that made it, before
// the call changes anything, and the rule goes.
TEST(FreeBsdCrashRule, KillCallerKillsTheCallerAtTheNthMatchBeforeTheStep) {
  FakeFreeBSD bsd;
  bsd.fail_next("zfs create => kill-caller 2");
  pid_t shell = ::fork();
  if (shell == 0) {
    ::execlp("sh", "sh", "-c",
             "zfs create -p zroot/first && zfs create -p zroot/second; echo survived", nullptr);
    ::_exit(127);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(shell, &status, 0), shell);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  EXPECT_TRUE(bsd.has_dataset("zroot/first"));
  EXPECT_FALSE(bsd.has_dataset("zroot/second"));
  EXPECT_EQ(bsd.calls_of("zfs").size(), 2u);
  EXPECT_FALSE(has_text(read_text(bsd.state_dir() / "fail"), "kill-caller"));
}

// After a killed start, every other kill point has a `pot stop` first and the others start
// again at once: either must finish what the kill left.
TEST_F(FreeBsdCrash, StartKilledAtEachStepIsFinishedByTheNextStopOrStart) {
  run_case({"start",
            {"start", "-p", kPot},
            create_full_pot,
            [](FreeBsdHost& bsd, Checks& checks, size_t ordinal) {
              if (ordinal % 2 == 0) stop_after_kill(bsd, checks);
              if (bsd.pot({"info", "-r", "-p", kPot}).ok()) checks.must({"stop", "-p", kPot});
              start_again(bsd, checks);
            },
            4,
            0,
            /*command_after_return=*/true});
}

// A one-shot start runs the whole life in `pot start`: the jail, the command (exit 3), and
// the cleanup when it ends, so the last kill points hit that cleanup.
TEST_F(FreeBsdCrash, OneShotStartKilledAtEachStepIsCleanedByTheNextStart) {
  auto one_shot = [](FreeBsdHost& bsd) {
    create_full_pot(bsd);
    expect_ok(bsd.pot({"set-cmd", "-p", kPot, "-c", "/bin/sh -c 'exit 3'"}), "set-cmd");
    expect_ok(bsd.pot({"set-attr", "-p", kPot, "-A", "persistent", "-V", "NO"}), "set-attr");
  };
  run_case({"one-shot",
            {"start", "-p", kPot},
            one_shot,
            [](FreeBsdHost& bsd, Checks& checks, size_t) {
              PotRun again = bsd.pot({"start", "-p", kPot});
              if (again.code != kCommandFailedExit)
                checks.fail("`pot start` after the kill: exit " + std::to_string(again.code) +
                            ": " + again.err);
              if (bsd.pot({"info", "-r", "-p", kPot}).ok()) checks.fail("running after its end");
              if (bsd.has_jail(kPot)) checks.fail("the jail outlived the one-shot command");
            },
            2,
            kCommandFailedExit});
}

TEST_F(FreeBsdCrash, StopKilledAtEachStepIsFinishedByTheNextStop) {
  run_case({"stop",
            {"stop", "-p", kPot},
            start_full_pot,
            [](FreeBsdHost& bsd, Checks& checks, size_t) {
              stop_after_kill(bsd, checks);
              start_again(bsd, checks);
            },
            3});
}

TEST_F(FreeBsdCrash, CreateKilledAtEachStepLeavesThePotWholeOrGone) {
  run_case({"create",
            {"create", "-p", kPot, "-b", "14.1", "-N", "public-bridge"},
            [](FreeBsdHost&) {},
            [](FreeBsdHost&, Checks& checks, size_t) {
              if (checks.listed()) checks.must({"destroy", "-p", kPot});
              checks.must({"create", "-p", kPot, "-b", "14.1", "-N", "public-bridge"});
            },
            2});
}

TEST_F(FreeBsdCrash, DestroyKilledAtEachStepIsFinishedByTheNextDestroy) {
  run_case({"destroy",
            {"destroy", "-p", kPot},
            [](FreeBsdHost& bsd) {
              create_pot(bsd);
              expect_ok(bsd.pot({"snapshot", "-p", kPot}), "snapshot");
            },
            [](FreeBsdHost&, Checks& checks, size_t) {
              if (checks.listed()) checks.must({"destroy", "-p", kPot});
              checks.must({"create", "-p", kPot, "-b", "14.1"});  // the name is free
            },
            2});
}

TEST_F(FreeBsdCrash, DestroyOfARunningPotKilledAtEachStepIsFinishedByTheNextDestroy) {
  run_case({"destroyF",
            {"destroy", "-F", "-p", kPot},
            start_full_pot,
            [](FreeBsdHost&, Checks& checks, size_t) {
              if (checks.listed()) checks.must({"destroy", "-F", "-p", kPot});
              checks.must({"create", "-p", kPot, "-b", "14.1"});
            },
            2});
}

TEST_F(FreeBsdCrash, SnapshotKilledAtEachStepLeavesSnapshotsThatExist) {
  run_case({"snapshot",
            {"snapshot", "-p", kPot},
            create_pot,
            [](FreeBsdHost& bsd, Checks& checks, size_t) {
              checks.must({"snapshot", "-p", kPot});
              std::istringstream names(checks.must({"info", "-s", "-p", kPot}).out);
              for (std::string name; std::getline(names, name);) {
                std::string snapshot = std::string(kJailsDataset) + kPot + "@" + name;
                if (!name.empty() && !bsd.has_dataset(snapshot))
                  checks.fail("`pot info -s` lists " + name + ", but zfs has no " + snapshot);
              }
              checks.must({"revert", "-p", kPot});
            },
            1});
}

TEST_F(FreeBsdCrash, RevertKilledAtEachStepIsFinishedByTheNextRevert) {
  auto root = [](FreeBsdHost& bsd) { return bsd.fs_root() / "jails" / kPot / "m"; };
  run_case({"revert",
            {"revert", "-p", kPot},
            [&](FreeBsdHost& bsd) {
              create_pot(bsd);
              write_text(root(bsd) / "before", "1");
              expect_ok(bsd.pot({"snapshot", "-p", kPot}), "snapshot");
              write_text(root(bsd) / "after", "2");
            },
            [&](FreeBsdHost& bsd, Checks& checks, size_t) {
              checks.must({"revert", "-p", kPot});
              if (!fs::exists(root(bsd) / "before")) checks.fail("`before` is gone");
              if (fs::exists(root(bsd) / "after")) checks.fail("`after` is still there");
            },
            2});
}

}  // namespace
}  // namespace pot::testing
