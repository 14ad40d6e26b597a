// Resource limits (pot set-rss) as the processes in a pot meet them, and get-rss.
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "harness.h"

namespace potit {
namespace {

// The probe's forkbomb line, "forked=K first_errno=E", as {K, E}; nullopt when it is not one.
std::optional<std::pair<long, int>> forkbomb_report(std::string_view out) {
  constexpr std::string_view kForked = "forked=", kErrno = " first_errno=";
  if (!out.starts_with(kForked)) return std::nullopt;
  const char* end = out.data() + out.size();
  long forked = 0;
  auto [after_forked, forked_error] = std::from_chars(out.data() + kForked.size(), end, forked);
  std::string_view rest(after_forked, static_cast<size_t>(end - after_forked));
  if (forked_error != std::errc() || !rest.starts_with(kErrno)) return std::nullopt;
  int first_errno = 0;
  if (std::from_chars(rest.data() + kErrno.size(), end, first_errno).ec != std::errc())
    return std::nullopt;
  return std::pair{forked, first_errno};
}

// A minimal JSON reader: enough to find a number by its path of object keys in get-rss
// output. Returns nullopt when the text is not well-formed or the path is not there.
class MiniJson {
 public:
  explicit MiniJson(std::string text) : text_(std::move(text)) {}

  std::optional<double> number_at(const std::vector<std::string>& path) {
    pos_ = 0;
    found_.reset();
    path_ = path;
    if (!value(0)) return std::nullopt;
    skip_space();
    if (pos_ != text_.size()) return std::nullopt;
    return found_;
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool literal(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::optional<std::string> string() {
    if (!literal('"')) return std::nullopt;
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\\') ++pos_;
      if (pos_ < text_.size()) out += text_[pos_++];
    }
    if (pos_ >= text_.size()) return std::nullopt;
    ++pos_;
    return out;
  }
  // Parses a value; `depth` keys of the path have matched on the way here (or -1: none can).
  bool value(int depth) {
    skip_space();
    if (pos_ >= text_.size()) return false;
    char c = text_[pos_];
    if (c == '{') {
      ++pos_;
      if (literal('}')) return true;
      do {
        auto key = string();
        if (!key || !literal(':')) return false;
        bool on_path =
            depth >= 0 && static_cast<size_t>(depth) < path_.size() && *key == path_[depth];
        if (!value(on_path ? depth + 1 : -1)) return false;
      } while (literal(','));
      return literal('}');
    }
    if (c == '"') return string().has_value();
    size_t start = pos_;
    while (pos_ < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[pos_])) ||
                                   std::strchr("+-.eE", text_[pos_]) != nullptr))
      ++pos_;
    if (pos_ == start) return false;
    if (depth >= 0 && static_cast<size_t>(depth) == path_.size())
      found_ = std::strtod(text_.substr(start, pos_ - start).c_str(), nullptr);
    return true;
  }

  std::string text_;
  size_t pos_ = 0;
  std::vector<std::string> path_;
  std::optional<double> found_;
};

class LimitsTest : public PotTest {};

TEST_F(LimitsTest, MemoryLimitKillsAnAllocationThatExceedsIt) {
  std::string name = create_one_shot("mem", "/probe alloc 200");
  copy_probe(name);
  ASSERT_POT_OK(pot({"set-rss", "-p", name, "-M", "32M"}));
  RunResult info = pot({"info", "-p", name});
  EXPECT_NE(info.out.find("max amount memory: 32M"), std::string::npos) << info;

  RunResult start = pot({"start", name});
  EXPECT_EQ(start.code, 125) << start;
  EXPECT_NE(start.out.find("allocated 8 MB"), std::string::npos) << "the probe ran\n" << start;
  EXPECT_EQ(start.out.find("done"), std::string::npos) << "200 MB fit under a 32 MB limit\n"
                                                       << start;
  EXPECT_EQ(trim(pot({"last-run-stats", "-p", name}).out),
            R"({"ExitCode":137,"Signal":9,"OOMKilled":true})")
      << "killed by SIGKILL (OOM)";
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty());

  // The host is fine, and the same pot runs a command that fits under the limit.
  EXPECT_POT_OK(run_once(name, "/probe alloc 8"));
  EXPECT_EQ(trim(pot({"last-run-stats", "-p", name}).out),
            R"({"ExitCode":0,"Signal":0,"OOMKilled":false})");
  EXPECT_POT_OK(pot({"ls", "-q"}));
}

TEST_F(LimitsTest, LimitsApplyToExecToo) {
  std::string name = create_pot("exec-limits");
  copy_probe(name);
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "sleep 3600"}));
  // The limit leaves the allocating probe far more memory than the pot's init has, so the
  // OOM killer picks the probe. The init of a debug (ASan) build holds about 26 MB; under
  // 32 MB it was sometimes the larger process and was killed instead. Lowering the init's
  // oom_score_adj would need CAP_SYS_RESOURCE, which a CI root may lack.
  ASSERT_POT_OK(pot({"set-rss", "-p", name, "-M", "128M", "-P", "20"}));
  ASSERT_POT_OK(pot({"start", name}));
  RunResult alloc = pot({"exec", "-p", name, "/probe", "alloc", "200"});
  EXPECT_EQ(alloc.code, 137) << "an exec'd command is in the pot's memory limit\n" << alloc;
  EXPECT_TRUE(is_running(name)) << "the OOM kill took the pot down";
  RunResult bomb = pot({"exec", "-p", name, "/probe", "forkbomb", "100"});
  ASSERT_POT_OK(bomb);
  auto report = forkbomb_report(bomb.out);
  ASSERT_TRUE(report) << bomb;
  auto [forked, first_errno] = *report;
  EXPECT_LT(forked, 20) << bomb;
  EXPECT_EQ(first_errno, EAGAIN) << bomb;
  EXPECT_POT_OK(pot({"stop", name}));
}

TEST_F(LimitsTest, ProcessLimitStopsAForkBomb) {
  std::string name = create_one_shot("pids", "/probe forkbomb 100");
  copy_probe(name);
  ASSERT_POT_OK(pot({"set-rss", "-p", name, "-P", "20"}));
  RunResult start = pot({"start", name});
  ASSERT_POT_OK(start);
  auto report = forkbomb_report(start.out);
  ASSERT_TRUE(report) << start;
  auto [forked, first_errno] = *report;
  EXPECT_LT(forked, 20) << start;
  EXPECT_GT(forked, 0) << start;
  EXPECT_EQ(first_errno, EAGAIN) << start;
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty());
}

TEST_F(LimitsTest, GetRssReportsUsageOfARunningPot) {
  std::string name = create_pot("rss");
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "sleep 3600"}));
  ASSERT_POT_OK(pot({"set-rss", "-p", name, "-M", "64M", "-C", "1", "-P", "50"}));

  RunResult stopped = pot({"get-rss", "-p", name, "-J"});
  EXPECT_NE(stopped.code, 0) << "get-rss needs a running pot\n" << stopped;
  EXPECT_EQ(stopped.err_lines().size(), 1U) << stopped;

  ASSERT_POT_OK(pot({"start", name}));
  // The limits are the cgroup's: memory.max (v2) or memory.limit_in_bytes (v1).
  bool memory_limit_seen = false;
  for (const auto& dir : root().pot_cgroup_dirs(name)) {
    for (const char* knob : {"memory.max", "memory.limit_in_bytes"}) {
      std::string value = trim(read_text(dir / knob));
      if (value.empty()) continue;
      memory_limit_seen = true;
      EXPECT_EQ(value, std::to_string(64 << 20)) << dir / knob;
    }
    std::string quota = trim(read_text(dir / "cpu.cfs_quota_us"));
    if (!quota.empty()) {
      EXPECT_EQ(quota, "100000") << "-C 1: one CPU";
    }
    std::string cpu_max = trim(read_text(dir / "cpu.max"));
    if (!cpu_max.empty()) {
      EXPECT_EQ(cpu_max, "100000 100000") << "-C 1: one CPU";
    }
    std::string pids = trim(read_text(dir / "pids.max"));
    if (!pids.empty()) {
      EXPECT_EQ(pids, "50") << dir;
    }
  }
  EXPECT_TRUE(memory_limit_seen) << "no memory limit file in the pot's cgroup";

  RunResult rss = pot({"get-rss", "-p", name, "-J"});
  ASSERT_POT_OK(rss);
  EXPECT_EQ(rss.out_lines().size(), 1U) << rss;
  MiniJson json(rss.out);
  auto bytes = json.number_at({"ResourceUsage", "MemoryStats", "RSS"});
  ASSERT_TRUE(bytes.has_value()) << "no ResourceUsage.MemoryStats.RSS\n" << rss;
  EXPECT_GT(*bytes, 0) << rss;
  EXPECT_LT(*bytes, 64.0 * (1 << 20)) << rss;
  EXPECT_TRUE(json.number_at({"ResourceUsage", "MemoryStats", "Swap"}).has_value()) << rss;
  auto percent = json.number_at({"ResourceUsage", "CpuStats", "Percent"});
  ASSERT_TRUE(percent.has_value()) << rss;
  EXPECT_GE(*percent, 0) << rss;
  EXPECT_TRUE(json.number_at({"ResourceUsage", "CpuStats", "TotalTicks"}).has_value()) << rss;
  EXPECT_POT_OK(pot({"stop", name}));
}

// Nomad's cpu_shares and memory reservation: relative weights, set beside the hard limits.
TEST_F(LimitsTest, CpuSharesAndMemoryReservationReachTheCgroup) {
  std::string name = create_pot("weights");
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "sleep 3600"}));
  ASSERT_POT_OK(pot({"set-rss", "-p", name, "-M", "64M", "-S", "512", "-R", "32M"}));
  fs::path conf = root().jail_dir(name) / "conf" / "pot.conf";
  std::string text = read_text(conf);
  EXPECT_NE(text.find("pot.rss.cpu_shares=512\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pot.rss.memory_reservation=32M\n"), std::string::npos) << text;

  ASSERT_POT_OK(pot({"start", name}));
  bool shares_seen = false, reservation_seen = false;
  for (const auto& dir : root().pot_cgroup_dirs(name)) {
    // v1: cpu.shares as given, memory.soft_limit_in_bytes; v2: cpu.weight 1 + (510 * 9999)
    // / 262142 = 20, memory.low.
    if (std::string shares = trim(read_text(dir / "cpu.shares")); !shares.empty()) {
      shares_seen = true;
      EXPECT_EQ(shares, "512") << dir;
    }
    if (std::string weight = trim(read_text(dir / "cpu.weight")); !weight.empty()) {
      shares_seen = true;
      EXPECT_EQ(weight, "20") << dir;
    }
    for (const char* knob : {"memory.soft_limit_in_bytes", "memory.low"}) {
      std::string value = trim(read_text(dir / knob));
      if (value.empty()) continue;
      reservation_seen = true;
      EXPECT_EQ(value, std::to_string(32 << 20)) << dir / knob;
    }
    for (const char* knob : {"memory.max", "memory.limit_in_bytes"}) {
      std::string value = trim(read_text(dir / knob));
      if (!value.empty()) {
        EXPECT_EQ(value, std::to_string(64 << 20)) << "the hard limit stays";
      }
    }
  }
  EXPECT_TRUE(shares_seen) << "no cpu.shares or cpu.weight in the pot's cgroup";
  EXPECT_TRUE(reservation_seen) << "no memory.soft_limit_in_bytes or memory.low";
  EXPECT_POT_OK(pot({"stop", name}));
}

// The keys as the driver writes them into pot.conf; a bad value is a one-line start error.
TEST_F(LimitsTest, BadCpuSharesInPotConfAreAStartError) {
  std::string name = create_one_shot("badshares", "true");
  fs::path conf = root().jail_dir(name) / "conf" / "pot.conf";
  std::string before = read_text(conf);
  for (const char* line : {"pot.rss.cpu_shares=1", "pot.rss.cpu_shares=262145",
                           "pot.rss.cpu_shares=many", "pot.rss.memory_reservation=12Q"}) {
    write_text(conf, before + line + "\n");
    RunResult start = pot({"start", name});
    EXPECT_NE(start.code, 0) << start;
    EXPECT_EQ(start.err_lines().size(), 1U) << start;
    std::string key = std::string(line).substr(0, std::string(line).find('='));
    EXPECT_NE(start.err.find(key), std::string::npos) << "names the key\n" << start;
    EXPECT_TRUE(root().pot_cgroup_dirs(name).empty());
  }
  write_text(conf, before + "pot.rss.cpu_shares=262144\npot.rss.memory_reservation=16M\n");
  EXPECT_POT_OK(pot({"start", name}));
}

TEST_F(LimitsTest, InvalidLimitsAreRejectedAndChangeNothing) {
  std::string name = create_pot("badrss");
  ASSERT_POT_OK(pot({"set-rss", "-p", name, "-M", "64M"}));
  fs::path conf = root().jail_dir(name) / "conf" / "pot.conf";
  std::string before = read_text(conf);
  ASSERT_FALSE(before.empty());
  for (const std::vector<std::string>& flags : {std::vector<std::string>{"-M", "12Q"},
                                                {"-M", "512K"},
                                                {"-M", "-5M"},
                                                {"-M", ""},
                                                {"-P", "0"},
                                                {"-P", "abc"},
                                                {"-C", "-1"},
                                                {"-C", "1x"},
                                                {"-M", "99999999999999999999"},
                                                {"-S", "1"},
                                                {"-S", "262145"},
                                                {"-S", "x"},
                                                {"-R", "512K"},
                                                {"-R", "12Q"},
                                                {}}) {
    std::vector<std::string> args = {"set-rss", "-p", name};
    args.insert(args.end(), flags.begin(), flags.end());
    RunResult r = pot(args);
    EXPECT_NE(r.code, 0) << r;
    EXPECT_EQ(r.err_lines().size(), 1U) << "one line of error\n" << r;
    EXPECT_TRUE(r.out.empty()) << r;
    EXPECT_EQ(read_text(conf), before) << "pot.conf changed\n" << r;
  }
}

}  // namespace
}  // namespace potit
