// Fault injection: every command that changes a pot is killed with a real SIGKILL (strace
// injects it) before each of its steps, one kill per run; then the next natural command runs
// and the state is checked: the pot is whole or gone, `pot ls` and `pot info` agree with the
// disk, the next command succeeds, and after the final destroy nothing is left, as the
// kernel and the disk tell (fault_harness.h). docs/fault_injection.md lists, per command, the
// next natural command, the number of kill points, and how to reproduce one kill by hand.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include "fault_harness.h"
#include "harness.h"
#include "helpers/require.h"
#include "net_harness.h"

namespace potit {
namespace {

using fault::KillPoint;

// Kill points run per command unless POT_FAULT_FULL=1 or POT_FAULT_SAMPLE=N says otherwise.
constexpr size_t kDefaultSample = 15;

// One run of a command: killed at a kill point, or (without one) the traced run that finds
// the kill points, which must pass every check too.
class Case {
 public:
  Case(PotRoot& root, int index, std::optional<KillPoint> point)
      : root_(root), index_(index), point_(std::move(point)) {}

  PotRoot& root() { return root_; }
  const std::optional<KillPoint>& point() const { return point_; }
  // A name of this case's own: prefix + a three-digit index.
  std::string name(const std::string& prefix) const {
    std::ostringstream os;
    os << prefix << std::setw(3) << std::setfill('0') << index_;
    return os.str();
  }
  // A pot this case makes or touches: checked after the kill, destroyed at the end, and
  // checked for leftovers.
  void involves(const std::string& pot) { scope.pots.push_back(pot); }
  void keep(const std::string& pot) { scope.kept.insert(pot); }

  RunResult pot(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    RunOptions options;
    options.timeout_seconds = 60;
    if (!env.empty()) options.env = root_.env(env);
    RunResult r = root_.pot(args, options);
    log(r);
    return r;
  }
  // A question that changes nothing (ls, info): not in the transcript.
  RunResult ask(const std::vector<std::string>& args) { return root_.pot(args, {{}, 60, ""}); }
  // A command of the natural sequence: it must succeed.
  bool must(const std::vector<std::string>& args, const std::string& why,
            const std::vector<std::string>& env = {}) {
    RunResult r = pot(args, env);
    if (!r.ok()) fail(why, r.describe());
    return r.ok();
  }
  // A setup step: failing it is no finding about the kill, but the case cannot go on.
  void setup(const std::vector<std::string>& args) {
    RunResult r = pot(args);
    if (!r.ok()) throw StepFailed("setup step failed:\n" + r.describe());
  }
  bool listed(const std::string& pot_name) {
    auto names = ask({"ls", "-q"}).out_lines();
    return std::find(names.begin(), names.end(), pot_name) != names.end();
  }
  void fail(const std::string& check, const std::string& detail) {
    failures.push_back(check + ": " + detail);
  }
  void log(const RunResult& r) {
    std::string line = "$ pot";
    for (size_t i = 1; i < r.argv.size(); ++i) line += " " + r.argv[i];
    line += "  -> " + std::to_string(r.code) + (r.timed_out ? " (timed out)" : "");
    if (!r.ok() && !r.err_lines().empty()) line += "  " + r.err_lines().back();
    transcript.push_back(line);
  }

  fault::LeakScope scope;
  std::vector<std::string> failures;
  std::vector<std::string> transcript;

 private:
  PotRoot& root_;
  int index_;
  std::optional<KillPoint> point_;
};

// A command under test and what follows it.
struct Scenario {
  std::string command;  // for reports
  // Makes what the command works on; declares the pots involved; returns the command's args.
  std::function<std::vector<std::string>(Case&)> setup;
  // After the kill: the next natural commands, each of which must succeed, and the checks
  // particular to the command. The pots are destroyed and checked for leftovers afterwards.
  std::function<void(Case&)> recover;
};

// The pot is whole (listed, `pot info` knows it, its pot.conf and root are there) or gone
// (not listed, and no jails/NAME at all: a half-removed directory blocks a new pot of the
// name).
void check_whole_or_gone(Case& c, const std::string& pot_name) {
  RunResult ls = c.ask({"ls", "-q"});
  if (!ls.ok()) c.fail("pot ls after the kill", ls.describe());
  auto names = ls.out_lines();
  bool listed = std::find(names.begin(), names.end(), pot_name) != names.end();
  bool info = c.ask({"info", "-q", "-p", pot_name}).code == 0;
  fs::path jail = c.root().jail_dir(pot_name);
  std::error_code ec;
  bool conf = fs::exists(jail / "conf" / "pot.conf", ec);
  bool root = fs::is_directory(jail / "m", ec);
  std::string what_is_there;
  for (const auto& entry : dir_entries(jail)) what_is_there += " " + entry;
  std::string listed_text = listed ? "lists it" : "does not list it";
  if (listed != info)
    c.fail("ls and info agree", "pot ls " + listed_text + ", `pot info -q -p " + pot_name +
                                    "` says " + (info ? "it exists" : "it does not"));
  if (listed != conf)
    c.fail("ls agrees with the disk", "pot ls " + listed_text + ", jails/" + pot_name +
                                          "/conf/pot.conf " + (conf ? "exists" : "is missing"));
  if (listed && !root)
    c.fail("whole or gone", "pot " + pot_name + " is listed but its root jails/" + pot_name +
                                "/m is missing (jails/" + pot_name + " has:" + what_is_there + ")");
  if (listed) {
    RunResult full = c.ask({"info", "-p", pot_name});
    if (!full.ok()) c.fail("pot info on a listed pot", full.describe());
  }
  if (!listed && fs::exists(jail, ec))
    c.fail("whole or gone",
           "pot " + pot_name + " is not listed but jails/" + pot_name +
               " exists, with:" + (what_is_there.empty() ? " nothing" : what_is_there));
}

// The pot's address from its pot.conf (for the nftables check), if it has one.
void note_address(Case& c, const std::string& pot_name) {
  auto conf = parse_assignments(read_text(c.root().jail_dir(pot_name) / "conf" / "pot.conf"));
  if (conf.count("ip") && !conf["ip"].empty()) c.scope.addresses.insert(conf["ip"]);
}

// The processes a pot's run state names (they must be gone after the final destroy).
void note_state_processes(Case& c, const std::string& pot_name) {
  auto state = c.root().state(pot_name);
  for (const char* role : {"monitor", "init"}) {
    std::string pid_key = std::string(role) + "_pid", start_key = std::string(role) + "_start";
    if (!state.count(pid_key)) continue;
    pid_t pid = static_cast<pid_t>(fault::leading_number(state[pid_key]));
    if (pid <= 0) continue;
    if (auto start = fault::process_start_time(pid)) c.scope.processes[pid] = *start;
  }
}

struct Outcome {
  KillPoint point;
  bool fired = false;
  std::string victim;
  int code = 0;
  std::vector<std::string> failures;
};

class FaultInjectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    POT_REQUIRE_ROOT("pot integration tests");
    RunResult strace = run_process({"strace", "-V"}, {base_environment(), 30, ""});
    ASSERT_TRUE(strace.ok()) << "the fault-injection tier needs strace (scripts/install-deps.sh)\n"
                             << strace;
    shared_client_network();  // POT_EXTIF for the bridge pots
    root_ = std::make_unique<PotRoot>(
        RootOptions{"btrfs",
                    false,
                    {"POT_NETWORK=10.125.0.0/16", "POT_GATEWAY=10.125.0.1",
                     std::string("POT_EXTIF=") + ClientNetwork::kHostInterface}});
    try {
      root_->init_with_base();
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
  }

  void TearDown() override {
    if (!root_) return;
    for (const auto& problem : root_->teardown()) ADD_FAILURE() << problem;
    root_.reset();
  }

  PotRoot& root() { return *root_; }
  RunResult pot(const std::vector<std::string>& args) { return root_->pot(args); }

  // Traces the command once, then kills it at each chosen kill point; reports every case
  // and fails with the details of each that did not pass.
  void run_scenario(const Scenario& scenario, const std::set<std::string>& kept = {});

 private:
  fault::TracedRun run_case(const Scenario& scenario, Case& c, const std::set<std::string>& kept);
  std::unique_ptr<PotRoot> root_;
};

fault::TracedRun FaultInjectionTest::run_case(const Scenario& scenario, Case& c,
                                              const std::set<std::string>& kept) {
  for (const auto& pot_name : kept) c.keep(pot_name);
  std::vector<std::string> args;
  fault::TracedRun run;
  try {
    args = scenario.setup(c);
  } catch (const std::exception& e) {
    c.fail("setup", e.what());
    for (const auto& problem : fault::scrub_leftovers(root(), c.scope))
      c.fail("cleaning up by force", problem);
    return run;
  }
  fs::path traces = root().tmp() / "traces";
  fs::create_directories(traces);
  std::string id = c.point() ? c.point()->id() : "plain";
  run = fault::run_traced(root(), args, c.point(), traces / (scenario.command + "." + id));
  c.log(run.result);
  for (const auto& [pid, start] : run.survivors) c.scope.processes[pid] = start;
  for (const auto& pot_name : c.scope.pots) note_state_processes(c, pot_name);
  if (run.result.timed_out) c.fail("the command", "hung, killed after the timeout");
  if (!c.point() && !run.result.ok()) c.fail("the command without a kill", run.result.describe());

  // What the kill left: each pot whole or gone.
  for (const auto& pot_name : c.scope.pots) check_whole_or_gone(c, pot_name);
  // The next natural commands.
  scenario.recover(c);
  // The end of the story: the pots go, and with them everything they had.
  for (const auto& pot_name : c.scope.pots) {
    if (c.listed(pot_name)) {
      note_address(c, pot_name);
      c.must({"destroy", "-p", pot_name}, "the final destroy");
    }
  }
  for (const auto& problem : fault::find_leftovers(root(), c.scope))
    c.fail("nothing left after the final destroy", problem);
  for (const auto& problem : fault::scrub_leftovers(root(), c.scope))
    c.fail("cleaning up by force (later cases may fail for it)", problem);
  return run;
}

void FaultInjectionTest::run_scenario(const Scenario& scenario, const std::set<std::string>& kept) {
  auto started = std::chrono::steady_clock::now();
  Case plain(root(), 0, std::nullopt);
  fault::TracedRun traced = run_case(scenario, plain, kept);
  if (!plain.failures.empty()) {
    std::string details;
    for (const auto& f : plain.failures) details += "\n  - " + f;
    details += "\n  commands:";
    for (const auto& line : plain.transcript) details += "\n    " + line;
    FAIL() << "`pot " << scenario.command
           << "` without a kill does not pass the checks:" << details;
  }
  auto all = fault::kill_points_of(traced, root().fs_root());
  auto chosen = fault::choose_kill_points(all, kDefaultSample);

  std::vector<Outcome> outcomes;
  std::vector<std::string> reports;
  int index = 0;
  for (const auto& point : chosen) {
    Case c(root(), ++index, point);
    fault::TracedRun run = run_case(scenario, c, kept);
    Outcome outcome{point, run.killed.has_value(), run.killed_role, run.result.code, c.failures};
    std::cout << "[  fault   ] " << scenario.command << " " << index << "/" << chosen.size() << " "
              << point.id() << " (" << point.process << ": " << point.call
              << "): " << (outcome.fired ? "killed the " + outcome.victim : "not reached")
              << ", exit " << outcome.code << ": "
              << (c.failures.empty() ? "ok" : std::to_string(c.failures.size()) + " FAILED")
              << std::endl;
    if (!c.failures.empty()) {
      std::string report = scenario.command + " killed at " + point.id() + ", before " +
                           point.call + " (" +
                           (outcome.fired ? "it killed the " + outcome.victim
                                          : "not reached: the command ran to its end") +
                           ")\n  failed checks:";
      for (const auto& f : c.failures) report += "\n  - " + f;
      report += "\n  commands:";
      for (const auto& line : c.transcript) report += "\n    " + line;
      report += "\n  reproduce the kill (after the setup commands above):\n    " +
                fault::reproduction(root(), point,
                                    run.result.argv.size() > 1
                                        ? std::vector<std::string>(run.result.argv.begin() + 1,
                                                                   run.result.argv.end())
                                        : std::vector<std::string>{});
      reports.push_back(report);
    }
    outcomes.push_back(std::move(outcome));
  }

  size_t killed = 0, passed = 0;
  for (const auto& o : outcomes) {
    killed += o.fired;
    passed += o.failures.empty();
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "[  fault   ] " << scenario.command << ": " << all.size() << " kill points, "
            << chosen.size() << " run (" << killed << " killed a process, "
            << chosen.size() - killed << " not reached), " << passed << " passed, "
            << chosen.size() - passed << " failed, " << std::fixed << std::setprecision(1)
            << seconds << " s" << std::endl;
  if (const char* path = std::getenv("POT_FAULT_REPORT"); path != nullptr && *path != '\0') {
    std::ofstream out(path, std::ios::app);
    out << scenario.command << " " << all.size() << " " << chosen.size() << " " << killed << " "
        << passed << " " << std::fixed << std::setprecision(1) << seconds << "\n";
  }
  for (const auto& report : reports) ADD_FAILURE() << report;
}

// ---------------------------------------------------------------------------------------------
// Pieces of setup
// ---------------------------------------------------------------------------------------------

// A public-bridge pot with an exported port (a forward in nftables while it runs) and a
// long-running persistent command.
void make_bridge_pot(Case& c, const std::string& name) {
  c.setup({"create", "-p", name, "-b", "bb", "-N", "public-bridge"});
  c.setup({"export-ports", "-p", name, "-e", "80"});
  c.setup({"set-cmd", "-p", name, "-c", "sleep 3600"});
  note_address(c, name);
}

bool is_running(Case& c, const std::string& name) {
  return c.ask({"info", "-r", "-p", name}).code == 0;
}

std::string status_of(Case& c, const std::string& name) {
  for (const auto& line : c.ask({"info", "-p", name}).out_lines()) {
    auto at = line.find("status : ");
    if (at != std::string::npos) return trim(line.substr(at + 9));
  }
  return "";
}

void write_file(const fs::path& path, const std::string& text) {
  write_text(path, text);
}

// ---------------------------------------------------------------------------------------------
// The commands
// ---------------------------------------------------------------------------------------------

// Killed create: destroy what `pot ls` lists; then the same create succeeds.
TEST_F(FaultInjectionTest, Create) {
  run_scenario({"create",
                [](Case& c) {
                  c.involves(c.name("fcr"));
                  return std::vector<std::string>{"create", "-p", c.name("fcr"), "-b", "bb"};
                },
                [](Case& c) {
                  std::string name = c.name("fcr");
                  if (c.listed(name)) c.must({"destroy", "-p", name}, "destroy the killed create");
                  c.must({"create", "-p", name, "-b", "bb"}, "create again");
                }});
}

// Killed clone: the same as create.
TEST_F(FaultInjectionTest, Clone) {
  ASSERT_POT_OK(pot({"create", "-p", "csrc", "-b", "bb"}));
  write_text(root().jail_dir("csrc") / "m" / "from-source", "source\n");
  run_scenario({"clone",
                [](Case& c) {
                  c.involves(c.name("fcl"));
                  return std::vector<std::string>{"clone", "-P", "csrc", "-p", c.name("fcl")};
                },
                [](Case& c) {
                  std::string name = c.name("fcl");
                  if (c.listed(name)) c.must({"destroy", "-p", name}, "destroy the killed clone");
                  c.must({"clone", "-P", "csrc", "-p", name}, "clone again");
                  if (!fs::exists(c.root().jail_dir(name) / "m" / "from-source"))
                    c.fail("the clone has the source's files", "m/from-source is missing");
                }},
               {"csrc"});
  EXPECT_POT_OK(pot({"destroy", "-p", "csrc"}));
}

// Killed rename: exactly one of the two names is the pot; a rename that did not happen
// runs again.
TEST_F(FaultInjectionTest, Rename) {
  run_scenario({"rename",
                [](Case& c) {
                  std::string from = c.name("frna"), to = c.name("frnb");
                  c.involves(from);
                  c.involves(to);
                  c.setup({"create", "-p", from, "-b", "bb"});
                  return std::vector<std::string>{"rename", "-p", from, "-n", to};
                },
                [](Case& c) {
                  std::string from = c.name("frna"), to = c.name("frnb");
                  bool old_name = c.listed(from), new_name = c.listed(to);
                  if (old_name == new_name)
                    c.fail("one pot", std::string("pot ls lists ") +
                                          (old_name ? "both names" : "neither name"));
                  if (old_name) c.must({"rename", "-p", from, "-n", to}, "rename again");
                  if (!c.listed(to)) c.fail("renamed", "pot ls does not list " + to);
                }});
}

// Killed destroy: a pot still listed is finished by destroy; one not listed is gone, and
// its name is free for a new pot.
TEST_F(FaultInjectionTest, Destroy) {
  run_scenario({"destroy",
                [](Case& c) {
                  std::string name = c.name("fde");
                  c.involves(name);
                  c.setup({"create", "-p", name, "-b", "bb"});
                  c.setup({"snapshot", "-p", name});
                  return std::vector<std::string>{"destroy", "-p", name};
                },
                [](Case& c) {
                  std::string name = c.name("fde");
                  if (c.listed(name)) {
                    c.must({"destroy", "-p", name}, "destroy again");
                  } else {
                    c.must({"create", "-p", name, "-b", "bb"}, "create the name again");
                  }
                }});
}

// Killed `destroy -F` of a running public-bridge pot with a port forward: the same.
TEST_F(FaultInjectionTest, DestroyRunning) {
  run_scenario({"destroy -F",
                [](Case& c) {
                  std::string name = c.name("fdr");
                  c.involves(name);
                  make_bridge_pot(c, name);
                  c.setup({"start", name});
                  return std::vector<std::string>{"destroy", "-F", "-p", name};
                },
                [](Case& c) {
                  std::string name = c.name("fdr");
                  if (c.listed(name)) {
                    c.must({"destroy", "-F", "-p", name}, "destroy -F again");
                  } else {
                    c.must({"create", "-p", name, "-b", "bb", "-N", "public-bridge"},
                           "create the name again");
                    note_address(c, name);
                  }
                }});
}

// Killed snapshot: snapshot again succeeds, every listed snapshot is there, and revert
// (to the newest) succeeds.
TEST_F(FaultInjectionTest, Snapshot) {
  run_scenario({"snapshot",
                [](Case& c) {
                  std::string name = c.name("fsn");
                  c.involves(name);
                  c.setup({"create", "-p", name, "-b", "bb"});
                  return std::vector<std::string>{"snapshot", "-p", name};
                },
                [](Case& c) {
                  std::string name = c.name("fsn");
                  c.must({"snapshot", "-p", name}, "snapshot again");
                  for (const auto& snapshot : c.ask({"info", "-s", "-p", name}).out_lines()) {
                    if (!fs::is_directory(c.root().jail_dir(name) / "snap" / snapshot))
                      c.fail("listed snapshots exist", "snap/" + snapshot + " is missing");
                  }
                  c.must({"revert", "-p", name}, "revert to the newest snapshot");
                }});
}

// Killed revert: revert again succeeds, the root is the snapshot's, nothing of the
// killed revert stays in the pot's directory, and the pot starts.
TEST_F(FaultInjectionTest, Revert) {
  run_scenario({"revert",
                [](Case& c) {
                  std::string name = c.name("frv");
                  c.involves(name);
                  c.setup({"create", "-p", name, "-b", "bb"});
                  write_file(c.root().jail_dir(name) / "m" / "before", "in the snapshot\n");
                  c.setup({"snapshot", "-p", name});
                  write_file(c.root().jail_dir(name) / "m" / "after", "after the snapshot\n");
                  c.setup({"set-attr", "-p", name, "-A", "persistent", "-V", "NO"});
                  c.setup({"set-cmd", "-p", name, "-c", "/bin/true"});
                  return std::vector<std::string>{"revert", "-p", name};
                },
                [](Case& c) {
                  std::string name = c.name("frv");
                  c.must({"revert", "-p", name}, "revert again");
                  fs::path m = c.root().jail_dir(name) / "m";
                  if (!fs::exists(m / "before") || fs::exists(m / "after"))
                    c.fail("the root is the snapshot's",
                           std::string("m/before ") +
                               (fs::exists(m / "before") ? "exists" : "is missing") + ", m/after " +
                               (fs::exists(m / "after") ? "exists" : "is gone"));
                  for (const auto& entry : dir_entries(c.root().jail_dir(name))) {
                    if (entry[0] == '.')
                      c.fail("nothing left in the pot's directory", "jails/" + name + "/" + entry);
                  }
                  c.must({"start", name}, "start the reverted pot");
                }});
}

// Killed start of a persistent public-bridge pot: stop it if it runs; then it starts, runs
// and stops.
TEST_F(FaultInjectionTest, StartPersistent) {
  run_scenario({"start",
                [](Case& c) {
                  std::string name = c.name("fst");
                  c.involves(name);
                  make_bridge_pot(c, name);
                  return std::vector<std::string>{"start", name};
                },
                [](Case& c) {
                  std::string name = c.name("fst");
                  if (is_running(c, name)) c.must({"stop", name}, "stop the killed start's pot");
                  if (!c.must({"start", name}, "start again")) return;
                  if (!is_running(c, name)) c.fail("started", "pot info -r says it does not run");
                  c.must({"stop", name}, "stop");
                }});
}

// Killed start of a one-shot pot (pot start is the monitor): start again runs it to its end.
TEST_F(FaultInjectionTest, StartOneShot) {
  run_scenario({"start (one-shot)",
                [](Case& c) {
                  std::string name = c.name("fso");
                  c.involves(name);
                  c.setup({"create", "-p", name, "-b", "bb"});
                  c.setup({"set-attr", "-p", name, "-A", "persistent", "-V", "NO"});
                  c.setup({"set-cmd", "-p", name, "-c", "/bin/true"});
                  return std::vector<std::string>{"start", name};
                },
                [](Case& c) {
                  std::string name = c.name("fso");
                  c.must({"start", name}, "start again");
                  if (is_running(c, name))
                    c.fail("ran to its end", "pot info -r says it still runs");
                }});
}

// Killed stop of a running public-bridge pot: a stop that did not finish is finished by the
// next stop (exit 0); then the pot starts and stops again.
TEST_F(FaultInjectionTest, Stop) {
  run_scenario({"stop",
                [](Case& c) {
                  std::string name = c.name("fsp");
                  c.involves(name);
                  make_bridge_pot(c, name);
                  c.setup({"start", name});
                  return std::vector<std::string>{"stop", name};
                },
                [](Case& c) {
                  std::string name = c.name("fsp");
                  std::string status = status_of(c, name);
                  if (is_running(c, name) || status != "stopped")
                    c.must({"stop", name}, "finish the stop (status was " + status + ")");
                  if (!c.must({"start", name}, "start again")) return;
                  c.must({"stop", name}, "stop");
                }});
}

// Killed export: export again succeeds, the image verifies, and the directory holds the
// image's files only.
TEST_F(FaultInjectionTest, Export) {
  ASSERT_POT_OK(pot({"create", "-p", "esrc", "-b", "bb"}));
  ASSERT_POT_OK(pot({"snapshot", "-p", "esrc"}));
  run_scenario(
      {"export",
       [](Case& c) {
         fs::path dir = c.root().tmp() / "exports" / c.name("e");
         fs::create_directories(dir);
         return std::vector<std::string>{"export", "-p", "esrc", "-t", "1.0", "-D", dir.string()};
       },
       [](Case& c) {
         fs::path dir = c.root().tmp() / "exports" / c.name("e");
         if (!c.must({"export", "-p", "esrc", "-t", "1.0", "-D", dir.string()}, "export again"))
           return;
         RunResult check = run_process(
             {"/bin/sh", "-c", "cd '" + dir.string() + "' && sha256sum -c esrc_1.0.sha256"},
             {base_environment(), 60, ""});
         if (!check.ok()) c.fail("the image verifies", check.describe());
         std::set<std::string> expected = {"esrc_1.0.tar.zst", "esrc_1.0.manifest.json",
                                           "esrc_1.0.sha256", "index.json"};
         for (const auto& entry : dir_entries(dir)) {
           if (!expected.count(entry))
             c.fail("only the image in the export directory", "also " + entry);
         }
       }},
      {"esrc"});
  EXPECT_POT_OK(pot({"destroy", "-p", "esrc"}));
}

// The registry the import and prepare tests fetch from: a directory, as file://.
std::string export_image(PotRoot& root, const std::string& pot_name) {
  fs::path registry = root.tmp() / "registry";
  fs::create_directories(registry);
  expect_ok(root.pot({"create", "-p", pot_name, "-b", "bb"}));
  expect_ok(root.pot({"set-cmd", "-p", pot_name, "-c", "/bin/true"}));
  expect_ok(root.pot({"export", "-p", pot_name, "-t", "1.0", "-D", registry.string()}));
  return "file://" + registry.string();
}

// Each case starts without the image in the cache, so it downloads it again.
void forget_cached_image(Case& c, const std::string& image) {
  std::error_code ec;
  for (const auto& entry : dir_entries(c.root().fs_root() / "cache")) {
    if (fault::names_pot(entry, image)) fs::remove_all(c.root().fs_root() / "cache" / entry, ec);
  }
}

// What the cache may hold after an import: the image's archive and manifest, nothing half.
void check_cache(Case& c, const std::string& image) {
  std::set<std::string> expected = {image + ".tar.zst", image + ".manifest.json"};
  for (const auto& entry : dir_entries(c.root().fs_root() / "cache")) {
    if (!expected.count(entry)) c.fail("only whole images in the cache", "also cache/" + entry);
  }
}

// Killed import: an image pot that is listed is destroyed; then the import succeeds.
TEST_F(FaultInjectionTest, Import) {
  std::string url;
  ASSERT_NO_THROW(url = export_image(root(), "isrc"));
  run_scenario({"import",
                [url](Case& c) {
                  c.involves("isrc_1.0");
                  forget_cached_image(c, "isrc_1.0");
                  return std::vector<std::string>{"import", "-p", "isrc", "-t", "1.0", "-U", url};
                },
                [url](Case& c) {
                  if (c.listed("isrc_1.0"))
                    c.must({"destroy", "-p", "isrc_1.0"}, "destroy the killed import");
                  c.must({"import", "-p", "isrc", "-t", "1.0", "-U", url}, "import again");
                  check_cache(c, "isrc_1.0");
                }},
               {"isrc"});
  EXPECT_POT_OK(pot({"destroy", "-p", "isrc"}));
}

// Killed prepare (which imports the image first): a prepared pot that is listed must be
// whole (its prepare settings written) and is destroyed; then the prepare succeeds.
TEST_F(FaultInjectionTest, Prepare) {
  std::string url;
  ASSERT_NO_THROW(url = export_image(root(), "psrc"));
  auto prepared = [](Case& c) { return c.name("t") + "_" + c.name("a"); };
  auto args = [url](Case& c) {
    return std::vector<std::string>{"prepare", "-U", url,         "-p", "psrc",     "-t",
                                    "1.0",     "-a", c.name("a"), "-n", c.name("t")};
  };
  run_scenario({"prepare",
                [=](Case& c) {
                  c.involves("psrc_1.0");
                  c.involves(prepared(c));
                  forget_cached_image(c, "psrc_1.0");
                  return args(c);
                },
                [=](Case& c) {
                  std::string name = prepared(c);
                  if (c.listed(name)) {
                    auto conf =
                        parse_assignments(read_text(c.root().jail_dir(name) / "conf" / "pot.conf"));
                    if (conf["pot.attr.persistent"] != "NO" || conf["pot.attr.prunable"] != "YES" ||
                        conf.count("pot.image"))
                      c.fail("a listed prepared pot is whole",
                             "pot.attr.persistent=" + conf["pot.attr.persistent"] +
                                 ", pot.attr.prunable=" + conf["pot.attr.prunable"] +
                                 (conf.count("pot.image") ? ", pot.image still set" : ""));
                    c.must({"destroy", "-p", name}, "destroy the killed prepare's pot");
                  }
                  c.must(args(c), "prepare again");
                  check_cache(c, "psrc_1.0");
                }},
               {"psrc"});
  EXPECT_POT_OK(pot({"destroy", "-p", "psrc"}));
}

// ---------------------------------------------------------------------------------------------
// The checks themselves: each must see what it looks for
// ---------------------------------------------------------------------------------------------

TEST_F(FaultInjectionTest, LeftoverChecksSeeWhatIsLeft) {
  PotRoot& r = root();
  fault::LeakScope scope;
  scope.pots = {"leak"};
  ASSERT_TRUE(fault::find_leftovers(r, scope).empty()) << "a fresh root has no leftovers";

  // One of each kind of leftover.
  ASSERT_POT_OK(pot({"create", "-p", "leak", "-b", "bb", "-N", "public-bridge"}));
  ASSERT_POT_OK(pot({"export-ports", "-p", "leak", "-e", "80"}));
  ASSERT_POT_OK(pot({"set-cmd", "-p", "leak", "-c", "sleep 3600"}));
  ASSERT_POT_OK(pot({"start", "leak"}));
  auto conf = parse_assignments(read_text(r.jail_dir("leak") / "conf" / "pot.conf"));
  scope.addresses.insert(conf["ip"]);
  fs::create_directories(r.fs_root() / "jails" / ".creating.1.2.leak");
  ASSERT_EQ(::mkdir((r.fs_root() / "jails" / ".creating.1.2.leak" / "m").c_str(), 0755), 0);
  ASSERT_TRUE(run_process({"btrfs", "subvolume", "create",
                           (r.fs_root() / "jails" / ".creating.1.2.leak" / "sub").string()},
                          {base_environment(), 30, ""})
                  .ok());
  ASSERT_EQ(::mount("tmpfs", (r.fs_root() / "jails" / ".creating.1.2.leak" / "m").c_str(), "tmpfs",
                    0, "size=1m"),
            0);
  write_text(r.fs_root() / "run" / "leak.log.1", "an old log\n");
  ASSERT_FALSE(r.pot_cgroup_dirs("leak").empty()) << "the running pot has a cgroup";

  auto problems = fault::find_leftovers(r, scope);
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  for (const std::string& expected : std::vector<std::string>{
           "jails/leak is still there", "hidden leftover jails/.creating.1.2.leak",
           "btrfs subvolume left: jails/leak/m",
           "btrfs subvolume left: jails/.creating.1.2.leak/sub", "mount left: ", "cgroup left: ",
           "network link left: ", "nftables map fwd4", "still names " + conf["ip"],
           "run file left: run/leak.log.1", "run file left: run/leak.state", "still lives: "}) {
    EXPECT_NE(all.find(expected), std::string::npos) << "not found: " << expected << "\nin:\n"
                                                     << all;
  }

  // And the scrub removes all of it.
  auto left = fault::scrub_leftovers(r, scope);
  EXPECT_TRUE(left.empty()) << left.size() << " left, first: " << (left.empty() ? "" : left[0]);
}

TEST_F(FaultInjectionTest, WholeOrGoneCheckSeesAHalfPot) {
  Case c(root(), 1, std::nullopt);
  ASSERT_POT_OK(pot({"create", "-p", "half", "-b", "bb"}));
  check_whole_or_gone(c, "half");
  EXPECT_TRUE(c.failures.empty()) << c.failures[0];

  // A listed pot without its root.
  ASSERT_TRUE(
      run_process({"btrfs", "subvolume", "delete", (root().jail_dir("half") / "m").string()},
                  {base_environment(), 30, ""})
          .ok());
  check_whole_or_gone(c, "half");
  ASSERT_EQ(c.failures.size(), 1U);
  EXPECT_NE(c.failures[0].find("is listed but its root"), std::string::npos) << c.failures[0];

  // A pot that is not listed, but whose directory is there.
  c.failures.clear();
  fs::remove(root().jail_dir("half") / "conf" / "pot.conf");
  check_whole_or_gone(c, "half");
  ASSERT_EQ(c.failures.size(), 1U);
  EXPECT_NE(c.failures[0].find("is not listed but jails/half exists"), std::string::npos)
      << c.failures[0];
  fs::remove_all(root().jail_dir("half"));
}

TEST(FaultHarness, NamesPotAsAWholeWord) {
  EXPECT_TRUE(fault::names_pot("fcr003.lock", "fcr003"));
  EXPECT_TRUE(fault::names_pot("pot.fcr003.lock", "fcr003"));
  EXPECT_TRUE(fault::names_pot("img_1.0.state", "img_1.0"));
  EXPECT_FALSE(fault::names_pot("fcr0031.lock", "fcr003"));
  EXPECT_FALSE(fault::names_pot("img_1.0.state", "img"));
  EXPECT_FALSE(fault::names_pot("img_1.0.state", "img_1"));
}

}  // namespace
}  // namespace potit
