// A pot run as a task with its output in numbered files (`pot start -O PREFIX -E PREFIX
// -N MAX_FILES -Z MAX_FILE_SIZE`), as potd asks for Nomad's `logs` block: the pot's monitor
// writes PREFIX.0, .1, ... moving on at the size, keeps the newest MAX_FILES, and a second
// start continues the highest file.
#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "harness.h"

namespace potit {
namespace {

class TaskLogsTest : public PotTest {
 protected:
  // A directory for one task's logs, as an allocation's alloc/logs.
  fs::path logs_dir() {
    fs::path dir = root().tmp() / unique_name("logs");
    fs::create_directories(dir);
    return dir;
  }

  // The numbered files of `prefix`, oldest first: index -> content.
  static std::vector<std::pair<int, std::string>> numbered_files(const fs::path& prefix) {
    std::vector<std::pair<int, std::string>> files;
    const std::string base = prefix.filename().string() + ".";
    std::vector<int> indexes;
    for (const std::string& name : dir_entries(prefix.parent_path())) {
      if (name.rfind(base, 0) != 0) continue;
      indexes.push_back(std::stoi(name.substr(base.size())));
    }
    std::sort(indexes.begin(), indexes.end());
    for (int n : indexes)
      files.emplace_back(n, read_text(prefix.string() + "." + std::to_string(n)));
    return files;
  }

  void wait_for_end(const std::string& name) {
    if (!wait_until([&] { return root().status(name) == "stopped"; }, 20000))
      throw StepFailed("task " + name + " still " + root().status(name));
  }

  // What the pot's command prints: `count` numbered lines of 32 bytes on stdout (for a
  // one-letter tag), one on stderr.
  static std::string command(const std::string& tag, int count) {
    return "sh -c 'i=0; while [ $i -lt " + std::to_string(count) + " ]; do printf \"" + tag +
           "-%04d-xxxxxxxxxxxxxxxxxxxxxxxx\\n\" $i; i=$((i+1)); done; echo " + tag + "-err >&2'";
  }
  static std::string expected_lines(const std::string& tag, int count) {
    std::string text;
    char line[64];
    for (int i = 0; i < count; ++i) {
      std::snprintf(line, sizeof line, "%s-%04d-xxxxxxxxxxxxxxxxxxxxxxxx\n", tag.c_str(), i);
      text += line;
    }
    return text;
  }
};

TEST_F(TaskLogsTest, NumberedFilesRotateAtTheSizeAndKeepTheNewest) {
  ASSERT_EQ(expected_lines("a", 1).size(), 32u) << "the sizes below count 32-byte lines";
  std::string name = create_pot("task-logs");
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", command("a", 200)}));
  fs::path dir = logs_dir();
  fs::path out = dir / "web.stdout", err = dir / "web.stderr";

  // 200 lines of 32 bytes (6400 bytes) into files of 1K, three of them kept.
  ASSERT_POT_OK(
      pot({"start", "-O", out.string(), "-E", err.string(), "-N", "3", "-Z", "1K", name}));
  wait_for_end(name);

  auto files = numbered_files(out);
  ASSERT_EQ(files.size(), 3u) << "at most -N files are kept";
  std::string kept;
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_LE(files[i].second.size(), 1024u) << "file " << files[i].first;
    EXPECT_EQ(files[i].second.size() % 32, 0u) << "whole lines, file " << files[i].first;
    if (i > 0) {
      EXPECT_EQ(files[i].first, files[i - 1].first + 1);
    }
    kept += files[i].second;
  }
  EXPECT_EQ(files.front().first, 4) << "6400 bytes make files .0 to .6; .4 is the oldest kept";
  std::string all = expected_lines("a", 200);
  ASSERT_GE(all.size(), kept.size());
  EXPECT_EQ(kept, all.substr(all.size() - kept.size())) << "the newest output, in order";

  auto errors = numbered_files(err);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], (std::pair<int, std::string>{0, "a-err\n"}));

  // Started again, the task continues the highest file (appending), then moves on.
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", command("b", 10)}));
  int last = files.back().first;
  std::string last_content = files.back().second;
  ASSERT_POT_OK(
      pot({"start", "-O", out.string(), "-E", err.string(), "-N", "3", "-Z", "1K", name}));
  wait_for_end(name);
  std::string expected_b = expected_lines("b", 10);
  auto after = numbered_files(out);
  ASSERT_LE(after.size(), 3u);
  std::string tail;
  for (const auto& [index, content] : after) {
    if (index >= last) tail += content;
  }
  EXPECT_EQ(tail, last_content + expected_b);
  EXPECT_EQ(read_text(err.string() + ".0"), "a-err\nb-err\n");
}

TEST_F(TaskLogsTest, NumberingNeedsTheOutputPathsAndSaneLimits) {
  std::string name = create_pot("task-logs-flags");
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "true"}));
  fs::path dir = logs_dir();
  std::string out = (dir / "o").string(), err = (dir / "e").string();

  RunResult without_paths = pot({"start", "-N", "3", name});
  EXPECT_NE(without_paths.code, 0) << without_paths;
  EXPECT_EQ(without_paths.err_lines().size(), 1U) << without_paths;
  for (const std::vector<std::string>& limits :
       {std::vector<std::string>{"-N", "0"}, {"-N", "many"}, {"-Z", "0"}, {"-Z", "10Q"}}) {
    std::vector<std::string> args = {"start", "-O", out, "-E", err};
    args.insert(args.end(), limits.begin(), limits.end());
    args.push_back(name);
    RunResult bad = pot(args);
    EXPECT_NE(bad.code, 0) << bad;
    EXPECT_EQ(bad.err_lines().size(), 1U) << bad;
    EXPECT_EQ(root().status(name), "stopped");
  }
  EXPECT_TRUE(dir_entries(dir).empty()) << "a refused start writes no file";
}

}  // namespace
}  // namespace potit
