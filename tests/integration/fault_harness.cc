#include "fault_harness.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "net/interface_names.h"

namespace potit::fault {

// Every call that can change something outside the calling process. fsync and friends are
// left out on purpose: a killed process loses nothing the page cache holds, so a kill just
// before an fsync leaves the same state as a kill just after the write before it.
const char* const kTracedSyscalls =
    "execve,"
    "mkdir,mkdirat,rmdir,rename,renameat,renameat2,unlink,unlinkat,link,linkat,symlink,"
    "symlinkat,mknod,mknodat,open,openat,?openat2,creat,truncate,ftruncate,fallocate,chmod,"
    "fchmod,fchmodat,chown,fchown,fchownat,lchown,utimensat,setxattr,lsetxattr,fsetxattr,"
    "removexattr,lremovexattr,fremovexattr,copy_file_range,"
    "write,pwrite64,writev,pwritev,?pwritev2,"
    "ioctl,mount,umount2,pivot_root,?move_mount,?open_tree,?fsopen,?fsconfig,?fsmount,"
    "?mount_setattr,"
    "clone,?clone3,fork,vfork,kill,tkill,tgkill,?pidfd_send_signal,"
    "sendto,sendmsg";

namespace {

using Clock = std::chrono::steady_clock;

// The arguments of a traced call split at its top-level commas: "a, {b, c}, d" -> 3.
std::vector<std::string> call_arguments(const std::string& text) {
  std::vector<std::string> args;
  size_t open = text.find('(');
  if (open == std::string::npos) return args;
  int depth = 0;
  bool quoted = false;
  std::string current;
  for (size_t i = open + 1; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      current += c;
      if (c == '\\' && i + 1 < text.size()) {
        current += text[++i];
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"') quoted = true;
    if (c == '(' || c == '[' || c == '{' || c == '<') ++depth;
    if (c == ')' || c == ']' || c == '}' || c == '>') {
      if (depth == 0) break;  // the call's closing parenthesis
      --depth;
    }
    if (c == ',' && depth == 0) {
      args.push_back(trim(current));
      current.clear();
      continue;
    }
    current += c;
  }
  if (!trim(current).empty()) args.push_back(trim(current));
  return args;
}

// "5</path/file>" -> {5, "/path/file"}.
std::pair<int, std::string> fd_and_target(const std::string& arg) {
  int fd = static_cast<int>(leading_number(arg));
  size_t lt = arg.find('<');
  size_t gt = arg.rfind('>');
  if (lt == std::string::npos || gt == std::string::npos || gt < lt) return {fd, ""};
  return {fd, arg.substr(lt + 1, gt - lt - 1)};
}

bool is_write_like(const std::string& syscall) {
  return syscall == "write" || syscall == "pwrite64" || syscall == "writev" ||
         syscall == "pwritev" || syscall == "pwritev2";
}

std::string write_target(const TracedCall& call) {
  auto args = call_arguments(call.text);
  return args.empty() ? "" : fd_and_target(args[0]).second;
}

std::string field_after(const std::string& text, const std::string& key) {
  size_t at = text.find(key);
  if (at == std::string::npos) return "";
  at += key.size();
  size_t end = text.find_first_of(",}", at);
  return text.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// Whether a kill just before this call can leave a state that a kill before the next step
// does not: the call changes a file, a directory, the kernel's objects, another process, or
// sends a pot process a message. A call that failed changed nothing.
bool is_step(const TracedCall& call) {
  const std::string& s = call.syscall;
  if (call.result.rfind("-1", 0) == 0) return false;
  if (s == "execve") return false;
  auto args = call_arguments(call.text);
  if (s == "clone" || s == "clone3") {
    return call.text.find("CLONE_THREAD") == std::string::npos;  // a thread changes nothing
  }
  if (is_write_like(s)) {
    if (args.empty()) return true;
    auto [fd, target] = fd_and_target(args[0]);
    if (fd <= 2) return false;  // output for the user (or a monitor's log): not state
    return target.rfind("/dev/", 0) != 0;
  }
  if (s == "sendto" || s == "sendmsg") {
    if (call.text.find("nlmsg_type=") == std::string::npos) return true;  // to a pot process
    // A netlink request that only reads (a dump, a get) changes nothing.
    std::string type = field_after(call.text, "nlmsg_type=");
    std::string flags = field_after(call.text, "nlmsg_flags=");
    return type.find("GET") == std::string::npos && flags.find("NLM_F_DUMP") == std::string::npos;
  }
  if (s == "ioctl") {
    std::string request = args.size() > 1 ? args[1] : "";
    for (const char* reads : {"GET", "SEARCH", "INFO", "LOOKUP", "FIONREAD", "SIOCG"}) {
      if (request.find(reads) != std::string::npos) return false;
    }
    return true;
  }
  if (s == "kill" || s == "tkill" || s == "pidfd_send_signal") {
    return !(args.size() > 1 && args[1] == "0");  // signal 0 only asks whether it lives
  }
  if (s == "tgkill") return !(args.size() > 2 && args[2] == "0");
  if (s == "open" || s == "openat" || s == "openat2") {
    for (const char* flag : {"O_CREAT", "O_TRUNC", "O_TMPFILE"}) {
      if (call.text.find(flag) != std::string::npos) return true;
    }
    return false;
  }
  return true;
}

int signal_number(const std::string& name) {
  std::string bare = name.rfind("SIG", 0) == 0 ? name.substr(3) : name;
  for (int sig = 1; sig < 65; ++sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    if (abbrev != nullptr && bare == abbrev) return sig;
  }
  return 0;
}

// Reads a growing trace file line by line.
class TraceTail {
 public:
  explicit TraceTail(const fs::path& path) : path_(path) {}
  std::vector<std::string> new_lines() {
    std::vector<std::string> lines;
    std::ifstream in(path_, std::ios::binary);
    if (!in) return lines;
    in.seekg(static_cast<std::streamoff>(offset_));
    std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t begin = 0;
    for (size_t nl; (nl = chunk.find('\n', begin)) != std::string::npos; begin = nl + 1)
      lines.push_back(chunk.substr(begin, nl - begin));
    offset_ += begin;  // a partial last line is read again next time
    return lines;
  }

 private:
  fs::path path_;
  size_t offset_ = 0;
};

// "1234  rename(...) = 0" -> {1234, "rename(...) = 0"}.
std::pair<pid_t, std::string> split_pid(const std::string& line) {
  size_t digits = line.find_first_not_of("0123456789");
  if (digits == 0 || digits == std::string::npos) return {0, line};
  pid_t pid = static_cast<pid_t>(leading_number(line));
  size_t rest = line.find_first_not_of(' ', digits);
  return {pid, rest == std::string::npos ? "" : line.substr(rest)};
}

std::string result_of(const std::string& text) {
  size_t eq = text.rfind(" = ");
  return eq == std::string::npos ? "" : trim(text.substr(eq + 3));
}

// Parses a whole trace into calls, exits and process roles.
void parse_trace(const std::string& trace, TracedRun& run) {
  std::map<pid_t, std::map<std::string, int>> counts;
  std::map<pid_t, size_t> pending;  // pid -> index of its unfinished call
  std::map<pid_t, pid_t> parent;
  std::set<pid_t> threads;
  std::map<pid_t, std::string> ended;  // pid -> "exited with N" / "killed by SIGX"
  std::vector<pid_t> order;
  for (const auto& line : split_lines(trace)) {
    auto [pid, rest] = split_pid(line);
    if (pid == 0) continue;
    if (std::find(order.begin(), order.end(), pid) == order.end()) order.push_back(pid);
    if (rest.rfind("+++ ", 0) == 0) {
      ended[pid] = rest.substr(4, rest.find(" +++", 4) - 4);
      continue;
    }
    if (rest.rfind("---", 0) == 0) continue;
    if (rest.rfind("<... ", 0) == 0) {
      auto it = pending.find(pid);
      if (it == pending.end()) continue;
      TracedCall& call = run.calls[it->second];
      size_t close = rest.find('>');
      call.text += close == std::string::npos ? rest : rest.substr(close + 1);
      call.result = result_of(call.text);
      pending.erase(it);
      continue;
    }
    size_t paren = rest.find('(');
    if (paren == std::string::npos) continue;
    TracedCall call;
    call.pid = pid;
    call.syscall = rest.substr(0, paren);
    call.occurrence = ++counts[pid][call.syscall];
    const std::string unfinished = " <unfinished ...>";
    if (rest.size() >= unfinished.size() &&
        rest.compare(rest.size() - unfinished.size(), unfinished.size(), unfinished) == 0) {
      call.text = rest.substr(0, rest.size() - unfinished.size());
      call.result = "?";
      pending[pid] = run.calls.size();
    } else {
      call.text = rest;
      call.result = result_of(rest);
    }
    if (call.syscall == "execve" && run.command_pid == 0) run.command_pid = pid;
    if ((call.syscall == "clone" || call.syscall == "clone3" || call.syscall == "fork" ||
         call.syscall == "vfork") &&
        !call.result.empty() && std::isdigit(static_cast<unsigned char>(call.result[0]))) {
      pid_t child = static_cast<pid_t>(leading_number(call.result));
      parent[child] = pid;
      if (call.text.find("CLONE_THREAD") != std::string::npos) threads.insert(child);
    }
    run.calls.push_back(std::move(call));
  }

  // Roles: the command, its children, their children; threads named after their process.
  // A child's pid in a new pid namespace (the pot's own processes) is not the host pid the
  // trace shows, so those have no known parent.
  std::function<std::string(pid_t, int)> role = [&](pid_t pid, int depth) -> std::string {
    if (pid == run.command_pid) return "command";
    auto it = parent.find(pid);
    if (it == parent.end() || depth > 10) return "process in the pot";
    std::string up = role(it->second, depth + 1);
    if (threads.count(pid)) return "thread of " + up;
    if (up == "command") return "child";
    if (up == "child") return "grandchild";
    return "descendant";
  };
  for (pid_t pid : order) run.roles[pid] = role(pid, 0);

  if (auto it = ended.find(run.command_pid); it != ended.end()) {
    const std::string& end = it->second;
    if (end.rfind("exited with ", 0) == 0) {
      run.result.code = static_cast<int>(leading_number(std::string_view(end).substr(12)));
    } else if (end.rfind("killed by ", 0) == 0) {
      std::string name = end.substr(10, end.find(' ', 10) - 10);
      run.result.code = 128 + signal_number(name);
    }
  }
  for (pid_t pid : order) {
    if (!ended.count(pid)) {
      if (auto start = process_start_time(pid)) run.survivors[pid] = *start;
    }
  }
}

// The call the injected kill stopped: the process's n-th call of the syscall, which never
// returned, and the process was then killed by SIGKILL.
std::optional<TracedCall> find_killed(const TracedRun& run, const KillPoint& point,
                                      const std::string& trace) {
  std::set<pid_t> killed;
  for (const auto& line : split_lines(trace)) {
    auto [pid, rest] = split_pid(line);
    if (rest.rfind("+++ killed by SIGKILL", 0) == 0) killed.insert(pid);
  }
  for (const auto& call : run.calls) {
    if (call.syscall == point.syscall && call.occurrence == point.occurrence &&
        call.result == "?" && killed.count(call.pid))
      return call;
  }
  return std::nullopt;
}

std::string shorten(std::string text, const std::string& prefix, size_t limit = 180) {
  for (size_t at; !prefix.empty() && (at = text.find(prefix)) != std::string::npos;)
    text.replace(at, prefix.size(), "$ROOT");
  if (text.size() > limit) text = text.substr(0, limit) + "...";
  return text;
}

std::string shell_word(const std::string& word) {
  if (!word.empty() && word.find_first_of(" \t\n'\"\\$`*?;&|<>(){}[]#~") == std::string::npos)
    return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

RunResult host(const std::vector<std::string>& argv) {
  return run_process(argv, {base_environment(), 60, ""});
}

}  // namespace

std::optional<unsigned long long> process_start_time(pid_t pid) {
  std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return std::nullopt;
  if (stat[close + 2] == 'Z' || stat[close + 2] == 'X') return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  // Field 22 (starttime); the state is field 3, the first after the name.
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return std::strtoull(field.c_str(), nullptr, 10);
  }
  return std::nullopt;
}

long leading_number(std::string_view text) {
  long value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

bool process_alive_since(pid_t pid, unsigned long long start_time) {
  auto start = process_start_time(pid);
  return start && *start == start_time;
}

// ---------------------------------------------------------------------------------------------
// Running a command under strace
// ---------------------------------------------------------------------------------------------

TracedRun run_traced(const PotRoot& root, const std::vector<std::string>& args,
                     const std::optional<KillPoint>& kill, const fs::path& trace_file,
                     const std::vector<std::string>& extra_env, int timeout_seconds) {
  TracedRun run;
  // -I2: SIGTERM makes strace detach from what it traces and exit (by default, with -o and
  // a command, it blocks the signal). -y: descriptors with their paths, for is_step.
  std::vector<std::string> argv = {"strace",           "-f", "-q", "-I2", "-y", "-s", "64", "-o",
                                   trace_file.string()};
  if (kill) {
    // The process calls too, for the roles of the processes (which one the kill hit).
    argv.insert(argv.end(), {"-e", "trace=execve,clone,?clone3,fork,vfork," + kill->syscall, "-e",
                             "inject=" + kill->syscall +
                                 ":signal=KILL:when=" + std::to_string(kill->occurrence)});
  } else {
    argv.insert(argv.end(), {"-e", std::string("trace=") + kTracedSyscalls});
  }
  argv.push_back("--");
  argv.push_back(root.binary());
  argv.insert(argv.end(), args.begin(), args.end());
  run.result.argv = {root.binary()};
  run.result.argv.insert(run.result.argv.end(), args.begin(), args.end());

  fs::path out_file = trace_file.string() + ".out", err_file = trace_file.string() + ".err";
  std::vector<std::string> env = root.env(extra_env);
  // The sanitizer build's leak check cannot run under ptrace (it fails every traced exit).
  env.push_back("ASAN_OPTIONS=detect_leaks=0");
  auto started = Clock::now();
  Background strace(argv, env, out_file, err_file);

  // Wait for the command (the first process the trace shows) to end, then let strace go.
  TraceTail tail(trace_file);
  pid_t command = 0;
  bool command_ended = false, sent_term = false;
  Clock::time_point deadline = started + std::chrono::seconds(timeout_seconds);
  Clock::time_point term_deadline{};
  for (;;) {
    if (!strace.running()) break;
    for (const auto& line : tail.new_lines()) {
      auto [pid, rest] = split_pid(line);
      if (command == 0 && rest.rfind("execve(", 0) == 0) command = pid;
      if (pid == command && rest.rfind("+++ ", 0) == 0) command_ended = true;
    }
    auto now = Clock::now();
    if (!command_ended && now >= deadline && command != 0 && !run.result.timed_out) {
      run.result.timed_out = true;
      ::kill(command, SIGKILL);
    }
    if ((command_ended || now >= deadline + std::chrono::seconds(10)) && !sent_term) {
      strace.kill(SIGTERM);  // detach from a monitor or pot left running
      sent_term = true;
      term_deadline = now + std::chrono::seconds(10);
    }
    if (sent_term && now >= term_deadline) {
      strace.kill(SIGKILL);
      strace.wait(10000);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(command_ended ? 1 : 3));
  }
  run.result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  run.result.out = read_text(out_file);
  run.result.err = read_text(err_file);
  std::string trace = read_text(trace_file);
  parse_trace(trace, run);
  if (kill) {
    run.killed = find_killed(run, *kill, trace);
    if (run.killed) run.killed_role = run.roles[run.killed->pid];
  }
  return run;
}

// ---------------------------------------------------------------------------------------------
// Kill points
// ---------------------------------------------------------------------------------------------

std::vector<KillPoint> kill_points_of(const TracedRun& run, const fs::path& root_prefix) {
  // The steps, with runs of writes to one file by one process (an archive, a long file)
  // reduced to their first and last write: a kill anywhere inside leaves the same kind of
  // state, a file cut short.
  std::vector<bool> keep(run.calls.size(), false);
  std::map<pid_t, std::vector<size_t>> steps_of;
  for (size_t i = 0; i < run.calls.size(); ++i) {
    if (is_step(run.calls[i])) steps_of[run.calls[i].pid].push_back(i);
  }
  for (const auto& [pid, pid_steps] : steps_of) {
    // clang 14 (clang-tidy) cannot yet capture a structured binding in a lambda, as C++20 allows.
    const std::vector<size_t>& steps = pid_steps;
    for (size_t k = 0; k < steps.size(); ++k) {
      const TracedCall& call = run.calls[steps[k]];
      auto same_file = [&](size_t other) {
        const TracedCall& o = run.calls[steps[other]];
        return is_write_like(o.syscall) && is_write_like(call.syscall) &&
               write_target(o) == write_target(call);
      };
      bool inside_run = k > 0 && k + 1 < steps.size() && same_file(k - 1) && same_file(k + 1);
      keep[steps[k]] = !inside_run;
    }
  }
  std::vector<KillPoint> points;
  std::set<std::pair<std::string, int>> seen;
  for (size_t i = 0; i < run.calls.size(); ++i) {
    const TracedCall& call = run.calls[i];
    if (!keep[i] || !seen.insert({call.syscall, call.occurrence}).second) continue;
    auto role = run.roles.find(call.pid);
    points.push_back(KillPoint{call.syscall, call.occurrence,
                               role == run.roles.end() ? "?" : role->second,
                               shorten(call.text, root_prefix.string())});
  }
  return points;
}

std::vector<KillPoint> choose_kill_points(const std::vector<KillPoint>& all, size_t default_limit) {
  if (const char* only = std::getenv("POT_FAULT_POINTS"); only != nullptr && *only != '\0') {
    std::set<std::string> wanted;
    std::stringstream list(only);
    for (std::string id; std::getline(list, id, ',');) wanted.insert(trim(id));
    std::vector<KillPoint> chosen;
    for (const auto& point : all) {
      if (wanted.count(point.id())) chosen.push_back(point);
    }
    return chosen;
  }
  const char* full = std::getenv("POT_FAULT_FULL");
  if (full != nullptr && std::string(full) == "1") return all;
  size_t limit = default_limit;
  if (const char* sample = std::getenv("POT_FAULT_SAMPLE"); sample != nullptr && *sample != '\0')
    limit = std::max<size_t>(2, std::strtoul(sample, nullptr, 10));
  if (all.size() <= limit) return all;

  // The first and the last call of each kind: a long stretch of one kind (the files an
  // import unpacks) must not crowd out the few steps before and after it.
  std::set<size_t> picked;
  std::map<std::string, std::pair<size_t, size_t>> ends;
  for (size_t i = 0; i < all.size(); ++i) {
    auto [it, first] = ends.try_emplace(all[i].syscall, i, i);
    if (!first) it->second.second = i;
  }
  for (const auto& [syscall, range] : ends) picked.insert({range.first, range.second});
  // Then `limit` points spread evenly, the first and the last among them.
  for (size_t k = 0; k < limit; ++k) picked.insert(k * (all.size() - 1) / (limit - 1));
  std::vector<KillPoint> chosen;
  for (size_t i : picked) chosen.push_back(all[i]);
  return chosen;
}

std::string reproduction(const PotRoot& root, const KillPoint& point,
                         const std::vector<std::string>& args) {
  std::string text;
  for (const auto& entry : root.env()) {
    if (entry.rfind("POT_", 0) == 0) text += shell_word(entry) + " ";
  }
  text += "strace -f -e trace=none -e inject=" + point.syscall +
          ":signal=KILL:when=" + std::to_string(point.occurrence) + " " + root.binary();
  for (const auto& arg : args) text += " " + shell_word(arg);
  return text;
}

// ---------------------------------------------------------------------------------------------
// Leftovers
// ---------------------------------------------------------------------------------------------

bool names_pot(const std::string& text, const std::string& pot) {
  auto word_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  };
  for (size_t at = text.find(pot); at != std::string::npos; at = text.find(pot, at + 1)) {
    bool starts = at == 0 || !word_char(text[at - 1]);
    size_t end = at + pot.size();
    // A '.' followed by a digit continues a name such as `img_1.0`.
    bool ends = end == text.size() || (!word_char(text[end]) &&
                                       !(text[end] == '.' && end + 1 < text.size() &&
                                         std::isdigit(static_cast<unsigned char>(text[end + 1]))));
    if (starts && ends) return true;
  }
  return false;
}

namespace {

// Mount points under the root's temporary directory other than the pool itself.
std::vector<std::string> stray_mounts(const PotRoot& root) {
  std::vector<std::string> stray;
  for (const auto& point : mounts_under(root.tmp())) {
    if (point != root.fs_root().string()) stray.push_back(point);
  }
  return stray;
}

// Loop devices backed by files under the root's temporary directory: "/dev/loopN (file)".
std::vector<std::pair<std::string, std::string>> loop_devices(const PotRoot& root) {
  std::vector<std::pair<std::string, std::string>> devices;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/sys/block", ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("loop", 0) != 0) continue;
    std::string backing = trim(read_text(entry.path() / "loop" / "backing_file"));
    if (backing.rfind(root.tmp().string() + "/", 0) == 0)
      devices.push_back({"/dev/" + name, backing});
  }
  return devices;
}

// Subvolumes under jails/ (paths relative to jails/) that belong to no kept pot.
std::vector<std::string> stray_subvolumes(const PotRoot& root, const std::set<std::string>& kept) {
  std::vector<std::string> stray;
  if (root.storage() != "btrfs") return stray;
  RunResult list = host({"btrfs", "subvolume", "list", root.fs_root().string()});
  for (const auto& line : list.out_lines()) {
    size_t at = line.find(" path ");
    if (at == std::string::npos) continue;
    std::string path = line.substr(at + 6);
    size_t jails = path.rfind("jails/", 0) == 0 ? 0 : path.find("/jails/");
    if (jails == std::string::npos) continue;
    std::string inside = path.substr(path.find("jails/", jails) + 6);
    std::string pot = inside.substr(0, inside.find('/'));
    if (!kept.count(pot)) stray.push_back(inside);
  }
  return stray;
}

std::vector<std::string> pot_links(const PotRoot& root, const std::vector<std::string>& pots) {
  std::vector<std::string> links;
  for (const auto& link : dir_entries("/sys/class/net")) {
    for (const auto& pot : pots) {
      if (link.rfind(pot::net::pot_veth_prefix(root.root_tag(), pot), 0) == 0)
        links.push_back(link + " (pot " + pot + ")");
    }
  }
  return links;
}

std::string nft_table(const PotRoot& root) {
  return pot::net::firewall_table(root.root_tag());
}

// The elements of the root's port-forward maps, and lines naming the case's addresses.
std::vector<std::string> nft_leftovers(const PotRoot& root, const LeakScope& scope) {
  std::vector<std::string> found;
  RunResult table = host({"nft", "list", "table", "inet", nft_table(root)});
  if (!table.ok()) return found;  // no table: nothing in it
  for (const char* map : {"fwd4", "fwd6"}) {
    RunResult list = host({"nft", "list", "map", "inet", nft_table(root), map});
    if (list.out.find("elements") != std::string::npos)
      found.push_back("nftables map " + std::string(map) +
                      " still has elements: " + shorten(trim(list.out), "", 400));
  }
  for (const auto& address : scope.addresses) {
    for (const auto& line : table.out_lines()) {
      size_t at = line.find(address);
      size_t end = at + address.size();
      if (at != std::string::npos &&
          (end == line.size() || !std::isdigit(static_cast<unsigned char>(line[end]))))
        found.push_back("nftables table " + nft_table(root) + " still names " + address + ": " +
                        trim(line));
    }
  }
  return found;
}

std::vector<fs::path> run_files(const PotRoot& root, const std::vector<std::string>& pots) {
  std::vector<fs::path> files;
  std::error_code ec;
  fs::path run = root.fs_root() / "run";
  for (auto it = fs::recursive_directory_iterator(run, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    for (const auto& pot : pots) {
      if (names_pot(name, pot)) {
        files.push_back(it->path());
        break;
      }
    }
  }
  return files;
}

// Processes whose command line has a pot's name as one of its words (its monitor:
// `pot-monitor NAME`, or `pot start NAME` before it renames itself), other than this test
// and strace.
std::map<pid_t, std::string> processes_naming(const std::vector<std::string>& pots) {
  std::map<pid_t, std::string> found;
  for (const auto& entry : dir_entries("/proc")) {
    pid_t pid = static_cast<pid_t>(leading_number(entry));
    if (pid <= 0 || pid == ::getpid() || !process_start_time(pid)) continue;
    // Split at spaces too: a monitor rewrites its command line as one string ("pot-monitor
    // NAME").
    std::string raw = read_text("/proc/" + entry + "/cmdline");
    std::replace(raw.begin(), raw.end(), '\0', ' ');
    std::vector<std::string> words;
    std::stringstream split(raw);
    for (std::string word; split >> word;) words.push_back(word);
    if (words.empty() || fs::path(words[0]).filename() == "strace") continue;
    for (const auto& word : words) {
      if (std::find(pots.begin(), pots.end(), word) != pots.end()) {
        std::string line;
        for (const auto& w : words) line += (line.empty() ? "" : " ") + w;
        found[pid] = line;
      }
    }
  }
  return found;
}

std::string process_line(pid_t pid) {
  std::string raw = read_text("/proc/" + std::to_string(pid) + "/cmdline");
  std::replace(raw.begin(), raw.end(), '\0', ' ');
  return trim(raw);
}

}  // namespace

std::vector<std::string> find_leftovers(const PotRoot& root, const LeakScope& scope) {
  std::vector<std::string> problems;
  fs::path jails = root.fs_root() / "jails";
  for (const auto& entry : dir_entries(jails)) {
    if (scope.kept.count(entry)) continue;
    std::string inside;
    for (const auto& name : dir_entries(jails / entry)) inside += " " + name;
    problems.push_back((entry[0] == '.' ? "hidden leftover jails/" : "jails/") + entry +
                       " is still there" + (inside.empty() ? "" : ", with:" + inside));
  }
  for (const auto& subvolume : stray_subvolumes(root, scope.kept))
    problems.push_back("btrfs subvolume left: jails/" + subvolume);
  for (const auto& point : stray_mounts(root)) problems.push_back("mount left: " + point);
  auto loops = loop_devices(root);
  fs::path pool = root.fs_root() / ".pot-pool.img";
  bool pool_seen = false;
  for (const auto& [device, backing] : loops) {
    if (backing == pool.string() && !pool_seen) {
      pool_seen = true;
      continue;
    }
    problems.push_back("loop device left: " + device + " on " + backing);
  }
  for (const auto& pot : scope.pots) {
    for (const auto& dir : root.pot_cgroup_dirs(pot))
      problems.push_back("cgroup left: " + dir.string());
  }
  // A veth goes with its pot's namespace, asynchronously: give the kernel a moment.
  std::vector<std::string> links;
  wait_until(
      [&] {
        links = pot_links(root, scope.pots);
        return links.empty();
      },
      5000, 50);
  for (const auto& link : links) problems.push_back("network link left: " + link);
  for (const auto& line : nft_leftovers(root, scope)) problems.push_back(line);
  for (const auto& file : run_files(root, scope.pots))
    problems.push_back("run file left: " + file.lexically_relative(root.fs_root()).string());
  for (const auto& [pid, start] : scope.processes) {
    if (process_alive_since(pid, start))
      problems.push_back("process " + std::to_string(pid) +
                         " of the killed run still lives: " + process_line(pid));
  }
  for (const auto& [pid, line] : processes_naming(scope.pots)) {
    if (!scope.processes.count(pid))
      problems.push_back("process " + std::to_string(pid) + " still lives: " + line);
  }
  return problems;
}

std::vector<std::string> scrub_leftovers(const PotRoot& root, const LeakScope& scope) {
  for (const auto& [pid, start] : scope.processes) {
    if (process_alive_since(pid, start)) ::kill(pid, SIGKILL);
  }
  for (const auto& [pid, line] : processes_naming(scope.pots)) ::kill(pid, SIGKILL);
  for (const auto& pot : scope.pots) {
    if (root.pot({"info", "-q", "-p", pot}).code == 0) root.pot({"destroy", "-F", "-p", pot});
  }
  auto mounts = stray_mounts(root);
  std::sort(mounts.begin(), mounts.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& point : mounts) ::umount2(point.c_str(), MNT_DETACH);
  auto subvolumes = stray_subvolumes(root, scope.kept);
  std::sort(subvolumes.begin(), subvolumes.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& subvolume : subvolumes)
    host({"btrfs", "subvolume", "delete", (root.fs_root() / "jails" / subvolume).string()});
  std::error_code ec;
  for (const auto& entry : dir_entries(root.fs_root() / "jails")) {
    if (!scope.kept.count(entry)) fs::remove_all(root.fs_root() / "jails" / entry, ec);
  }
  for (const auto& pot : scope.pots) {
    for (const auto& dir : root.pot_cgroup_dirs(pot)) {
      for (int attempt = 0; attempt < 100 && fs::exists(dir, ec); ++attempt) {
        for (const auto& line : split_lines(read_text(dir / "cgroup.procs")))
          ::kill(static_cast<pid_t>(leading_number(line)), SIGKILL);
        ::rmdir(dir.c_str());
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  }
  for (const auto& link : pot_links(root, scope.pots))
    host({"ip", "link", "del", link.substr(0, link.find(' '))});
  for (const char* map : {"fwd4", "fwd6"})
    host({"nft", "flush", "map", "inet", nft_table(root), map});
  for (const auto& file : run_files(root, scope.pots)) fs::remove_all(file, ec);
  return find_leftovers(root, scope);
}

}  // namespace potit::fault
