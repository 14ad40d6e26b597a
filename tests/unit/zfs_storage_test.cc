// The ZFS backend's command sequences, checked against what the original pot runs (its
// share/pot/*.sh, named at each test, and /work/shared/freebsd-facts.md), with a scripted
// SystemCommands that records every argv and answers from a table.
#include "freebsd/zfs_storage.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/unique_fd.h"
#include "freebsd/command_stream.h"
#include "test_util.h"

namespace pot::freebsd {
namespace {

using pot::testing::TempDir;
using Argv = std::vector<std::string>;

// Records each call; answers from `answers` (keyed by the argv joined with spaces), else
// `zfs list` says the dataset does not exist and everything else succeeds silently.
class ScriptedCommands : public SystemCommands {
 public:
  CommandResult run(const Argv& argv, const std::string& /*input*/) override {
    calls.push_back(argv);
    auto found = answers.find(join(argv));
    if (found != answers.end()) return found->second;
    if (argv.size() > 1 && argv[0] == "zfs" && argv[1] == "list")
      return {1, "", "cannot open '" + argv.back() + "': dataset does not exist\n"};
    return {};
  }

  void answer(const Argv& argv, CommandResult result) { answers[join(argv)] = std::move(result); }
  void exists(const std::string& dataset) { answer(list(dataset), {0, dataset + "\n", ""}); }

  static Argv list(const std::string& dataset) {
    return {"zfs", "list", "-o", "name", "-H", dataset};
  }

  std::vector<Argv> calls;
  std::map<std::string, CommandResult> answers;

  static std::string join(const Argv& argv) {
    std::string text;
    for (const auto& word : argv) text += (text.empty() ? "" : " ") + word;
    return text;
  }
};

class ZfsStorageTest : public ::testing::Test {
 protected:
  ZfsStorageTest() {
    settings_.fs_root = dir_ / "pot";
    settings_.zfs_root = "zroot/pot";
    settings_.cache_pot = dir_ / "cache-pot";
    storage_ = make_zfs_storage(settings_, commands_);
  }

  fs::path jails() const { return settings_.jails_dir(); }

  TempDir dir_{"pot-zfs"};
  Settings settings_;
  ScriptedCommands commands_;
  std::unique_ptr<Storage> storage_;
};

// share/pot/init.sh: the root with its properties, then bases, jails, fscomp, and the cache
// mounted at POT_CACHE, each only when `zfs list` does not know it.
TEST_F(ZfsStorageTest, InitCreatesTheOriginalsDatasets) {
  storage_->init();
  const std::string root = settings_.fs_root.string();
  const std::string cache = settings_.cache_pot.string();
  std::vector<Argv> expected{
      ScriptedCommands::list("zroot/pot"),
      {"zfs", "create", "-o", "mountpoint=" + root, "-o", "canmount=off", "-o", "compression=lz4",
       "-o", "atime=off", "zroot/pot"},
      ScriptedCommands::list("zroot/pot/bases"),
      {"zfs", "create", "zroot/pot/bases"},
      ScriptedCommands::list("zroot/pot/jails"),
      {"zfs", "create", "zroot/pot/jails"},
      ScriptedCommands::list("zroot/pot/fscomp"),
      {"zfs", "create", "zroot/pot/fscomp"},
      ScriptedCommands::list("zroot/pot/cache"),
      {"zfs", "create", "-o", "mountpoint=" + cache, "-o", "compression=off", "zroot/pot/cache"}};
  EXPECT_EQ(commands_.calls, expected);
  for (const auto& private_dir :
       {settings_.jails_dir(), settings_.run_dir(), settings_.bridges_dir()}) {
    struct stat st {};
    ASSERT_EQ(::stat(private_dir.c_str(), &st), 0) << private_dir;
    EXPECT_EQ(st.st_mode & 07777, 0700u) << private_dir;
  }
}

TEST_F(ZfsStorageTest, InitTwiceOnlyAsks) {
  for (const char* dataset :
       {"zroot/pot", "zroot/pot/bases", "zroot/pot/jails", "zroot/pot/fscomp", "zroot/pot/cache"})
    commands_.exists(dataset);
  storage_->init();
  storage_->init();
  ASSERT_EQ(commands_.calls.size(), 10u);
  for (const auto& call : commands_.calls) EXPECT_EQ(call[1], "list");
}

TEST_F(ZfsStorageTest, EnsureReadyIsOneQuestion) {
  EXPECT_THROW(
      {
        try {
          storage_->ensure_ready();
        } catch (const Error& e) {
          EXPECT_STREQ(e.what(), "POT_ZFS_ROOT `zroot/pot` is not initialised: run `pot init`");
          throw;
        }
      },
      Error);
  commands_.exists("zroot/pot");
  storage_->ensure_ready();
  EXPECT_EQ(commands_.calls.size(), 2u);
}

// share/pot/create.sh: `zfs create P/jails/NAME`, then `zfs create P/jails/NAME/m`.
TEST_F(ZfsStorageTest, CreateMakesThePotsDatasetFirst) {
  storage_->create(jails() / "web" / "m");
  std::vector<Argv> expected{ScriptedCommands::list("zroot/pot/jails/web"),
                             {"zfs", "create", "zroot/pot/jails/web"},
                             {"zfs", "create", "zroot/pot/jails/web/m"}};
  EXPECT_EQ(commands_.calls, expected);
}

TEST_F(ZfsStorageTest, CreateUnderAnExistingPotDatasetMakesOnlyItself) {
  commands_.exists("zroot/pot/jails/web");
  storage_->create(jails() / "web" / "m");
  ASSERT_EQ(commands_.calls.size(), 2u);
  EXPECT_EQ(commands_.calls[1], (Argv{"zfs", "create", "zroot/pot/jails/web/m"}));
}

// The pot layer writes conf/ into its work directory before asking for the root: the new
// dataset is mounted over that directory, so what was in it must end up inside.
TEST_F(ZfsStorageTest, CreateKeepsWhatTheWorkDirectoryHeld) {
  fs::path work = jails() / ".creating.1.2.web";
  fs::create_directories(work / "conf");
  pot::testing::write_text(work / "conf" / "pot.conf", "pot.level=0\n");
  storage_->create(work / "m");
  EXPECT_EQ(commands_.calls[1], (Argv{"zfs", "create", "zroot/pot/jails/.creating.1.2.web"}));
  EXPECT_EQ(pot::testing::read_text(work / "conf" / "pot.conf"), "pot.level=0\n");
  EXPECT_FALSE(fs::exists(jails() / ".creating.1.2.web.carry"));
}

TEST_F(ZfsStorageTest, FailedCreateIsOneLineNamingTheDataset) {
  commands_.exists("zroot/pot/jails/web");
  commands_.answer({"zfs", "create", "zroot/pot/jails/web/m"},
                   {1, "", "cannot create 'zroot/pot/jails/web/m': out of space\nmore\n"});
  try {
    storage_->create(jails() / "web" / "m");
    FAIL() << "no error";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("zroot/pot/jails/web/m"), std::string::npos) << message;
    EXPECT_NE(message.find("out of space"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST_F(ZfsStorageTest, PathsOutsideTheRootAreRefused) {
  for (const fs::path& path : {fs::path("/etc/web"), settings_.fs_root / ".." / "x",
                               fs::path("jails/web"), jails() / "has space"}) {
    try {
      storage_->create(path);
      FAIL() << path;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(commands_.calls.empty());
}

// The facts file (prepare): `zfs clone ... P/jails/IMAGE/m@S P/jails/NEW/m`; a base is
// snapshotted for its clone first.
TEST_F(ZfsStorageTest, CloneSnapshotsTheSourceAndClonesThatSnapshot) {
  commands_.exists("zroot/pot/jails/web");
  storage_->clone(settings_.bases_dir() / "14.1", jails() / "web" / "m", /*read_only=*/true);
  ASSERT_EQ(commands_.calls.size(), 3u);
  const Argv& snapshot = commands_.calls[1];
  ASSERT_EQ(snapshot.size(), 3u);
  EXPECT_EQ(snapshot[1], "snapshot");
  EXPECT_EQ(snapshot[2].rfind("zroot/pot/bases/14.1@pot-clone-", 0), 0u) << snapshot[2];
  EXPECT_EQ(commands_.calls[2],
            (Argv{"zfs", "clone", "-o", "readonly=on", snapshot[2], "zroot/pot/jails/web/m"}));
}

TEST_F(ZfsStorageTest, TwoClonesOfOneSourceTakeTwoSnapshots) {
  commands_.exists("zroot/pot/jails/a");
  commands_.exists("zroot/pot/jails/b");
  storage_->clone(settings_.bases_dir() / "b", jails() / "a" / "m", false);
  storage_->clone(settings_.bases_dir() / "b", jails() / "b" / "m", false);
  EXPECT_NE(commands_.calls[1][2], commands_.calls[4][2]);
  EXPECT_EQ(commands_.calls[2].size(), 4u);  // writable: no -o readonly=on
}

// share/pot/common.sh _pot_zfs_snap: `zfs snapshot -r P/jails/NAME@<epoch>`.
TEST_F(ZfsStorageTest, SnapshotCoversThePotsDatasets) {
  storage_->snapshot(jails() / "web", "1700000000");
  EXPECT_EQ(commands_.calls,
            (std::vector<Argv>{{"zfs", "snapshot", "-r", "zroot/pot/jails/web@1700000000"}}));
}

// share/pot/common.sh _zfs_last_snap: `zfs list -d 1 -H -t snapshot DS`, the greatest name last.
TEST_F(ZfsStorageTest, SnapshotsAreThePotsNumberedOnesOldestFirst) {
  Argv list{"zfs", "list", "-H", "-t", "snapshot", "-o", "name", "-d", "1", "zroot/pot/jails/web"};
  commands_.answer(list, {0,
                          "zroot/pot/jails/web@1700000100\n"
                          "zroot/pot/jails/web@pot-clone-1700000050-12-0\n"
                          "zroot/pot/jails/web@999999999\n"
                          "zroot/pot/jails/web@1700000000\n",
                          ""});
  EXPECT_EQ(storage_->snapshots(jails() / "web"),
            (std::vector<std::string>{"999999999", "1700000000", "1700000100"}));
  EXPECT_EQ(commands_.calls, (std::vector<Argv>{list}));
}

// share/pot/common.sh _remove_oldest_pot_snap: `zfs destroy -r P/jails/NAME@S`.
TEST_F(ZfsStorageTest, DestroySnapshotIsRecursive) {
  storage_->destroy_snapshot(jails() / "web", "1700000000");
  EXPECT_EQ(commands_.calls,
            (std::vector<Argv>{{"zfs", "destroy", "-r", "zroot/pot/jails/web@1700000000"}}));
}

// share/pot/revert.sh: every dataset of the pot that has the snapshot, children first.
TEST_F(ZfsStorageTest, RollbackGoesBackInEachDatasetChildrenFirst) {
  Argv list{"zfs", "list", "-H", "-r", "-t", "snapshot", "-o", "name", "zroot/pot/jails/web"};
  commands_.answer(list, {0,
                          "zroot/pot/jails/web@1700000000\n"
                          "zroot/pot/jails/web/m@1700000000\n"
                          "zroot/pot/jails/web/m@1700000100\n"
                          "zroot/pot/jails/web/m/data@1700000100\n",
                          ""});
  storage_->rollback(jails() / "web", "1700000000");
  EXPECT_EQ(commands_.calls,
            (std::vector<Argv>{list,
                               {"zfs", "rollback", "-r", "zroot/pot/jails/web/m@1700000000"},
                               {"zfs", "rollback", "-r", "zroot/pot/jails/web@1700000000"}}));
  EXPECT_THROW(storage_->rollback(jails() / "web", "1600000000"), Error);
}

TEST_F(ZfsStorageTest, SnapshotRootIsTheRootsZfsDirectory) {
  EXPECT_EQ(storage_->snapshot_root(jails() / "web", "1700000000"),
            jails() / "web" / "m" / ".zfs" / "snapshot" / "1700000000");
}

TEST_F(ZfsStorageTest, RenameOfADatasetIsZfsRename) {
  commands_.exists("zroot/pot/jails/.creating.1.2.web");
  storage_->rename(jails() / ".creating.1.2.web", jails() / "web");
  EXPECT_EQ(commands_.calls.back(),
            (Argv{"zfs", "rename", "zroot/pot/jails/.creating.1.2.web", "zroot/pot/jails/web"}));
}

TEST_F(ZfsStorageTest, RenameOfAPlainDirectoryMovesIt) {
  fs::create_directories(jails() / "a" / "conf");
  storage_->rename(jails() / "a", jails() / "b");
  EXPECT_TRUE(fs::is_directory(jails() / "b" / "conf"));
  EXPECT_FALSE(fs::exists(jails() / "a"));
  EXPECT_EQ(commands_.calls.size(), 1u);  // the question only
}

// share/pot/destroy.sh: `zfs destroy -r -f` when there is a dataset, then `rm -rf`.
TEST_F(ZfsStorageTest, DestroyOfAMissingDatasetRemovesTheDirectoryOnly) {
  fs::create_directories(jails() / ".destroying.1.2.web" / "conf");
  storage_->destroy(jails() / ".destroying.1.2.web");
  EXPECT_EQ(commands_.calls, (std::vector<Argv>{{"zfs", "list", "-H", "-r", "-o", "name,origin",
                                                 "zroot/pot/jails/.destroying.1.2.web"}}));
  EXPECT_FALSE(fs::exists(jails() / ".destroying.1.2.web"));
  storage_->destroy(jails() / "never-was");  // missing altogether is fine too
}

TEST_F(ZfsStorageTest, DestroyPromotesClonesElsewhereAndDropsItsCloneSnapshot) {
  const std::string web = "zroot/pot/jails/web";
  commands_.answer({"zfs", "list", "-H", "-r", "-o", "name,origin", web},
                   {0, web + "\t-\n" + web + "/m\tzroot/pot/bases/b@pot-clone-1-2-3\n", ""});
  commands_.answer({"zfs", "list", "-H", "-r", "-t", "snapshot", "-o", "clones", web},
                   {0, "\nzroot/pot/jails/copy/m\n", ""});
  storage_->destroy(jails() / "web");
  std::vector<Argv> tail(commands_.calls.begin() + 2, commands_.calls.end());
  EXPECT_EQ(tail, (std::vector<Argv>{{"zfs", "promote", "zroot/pot/jails/copy/m"},
                                     {"zfs", "destroy", "-r", "-f", web},
                                     {"zfs", "destroy", "zroot/pot/bases/b@pot-clone-1-2-3"}}));
}

TEST_F(ZfsStorageTest, DeinitDestroysTheRoot) {
  commands_.exists("zroot/pot");
  storage_->deinit();
  EXPECT_EQ(commands_.calls.back(), (Argv{"zfs", "destroy", "-r", "zroot/pot"}));
}

struct StreamCall {
  Argv argv;
  int stdin_fd;
  int stdout_fd;
};

// share/pot/export.sh `zfs send -R P/jails/NAME@S`; import.sh `zfs receive -x encryption`.
TEST(ZfsStorageStreams, SendAndReceiveRunWithTheCallersFds) {
  TempDir dir("pot-zfs");
  Settings settings;
  settings.fs_root = dir / "pot";
  ScriptedCommands commands;
  std::vector<StreamCall> calls;
  CommandResult next;
  auto storage = make_zfs_storage(settings, commands, [&](const Argv& argv, int in, int out) {
    calls.push_back({argv, in, out});
    return next;
  });
  EXPECT_TRUE(storage->has_streams());
  storage->send(settings.jails_dir() / "web", "1700000000", 7);
  const std::string received = "zroot/pot/jails/web_1_0";
  Argv listing{"zfs", "list", "-H", "-r", "-o", "name,type", received};
  commands.answer(listing, {0, received + "\tfilesystem\n" + received + "/m\tfilesystem\n", ""});
  storage->receive(8, settings.jails_dir() / "web_1_0");
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].argv, (Argv{"zfs", "send", "-R", "zroot/pot/jails/web@1700000000"}));
  EXPECT_EQ(calls[0].stdout_fd, 7);
  // import.sh's `zfs receive -x encryption`; beyond it (the stream is untrusted) unmounted and
  // without the sender's mount and privilege properties, checked, then mounted.
  EXPECT_EQ(calls[1].argv,
            (Argv{"zfs", "receive", "-u", "-x", "encryption", "-x", "mountpoint", "-x", "canmount",
                  "-x", "setuid", "-x", "devices", "-x", "exec", received}));
  EXPECT_EQ(calls[1].stdin_fd, 8);
  EXPECT_EQ(
      std::vector<Argv>(commands.calls.end() - 3, commands.calls.end()),
      (std::vector<Argv>{listing, {"zfs", "mount", received}, {"zfs", "mount", received + "/m"}}));

  // A stream that brought more than a pot's datasets (a zvol, another child) is refused
  // before anything of it is mounted.
  commands.answer(listing, {0, received + "\tfilesystem\n" + received + "/evil\tvolume\n", ""});
  size_t before = commands.calls.size();
  EXPECT_THROW(storage->receive(8, settings.jails_dir() / "web_1_0"), Error);
  for (size_t i = before; i < commands.calls.size(); ++i)
    EXPECT_NE(commands.calls[i][1], "mount") << ScriptedCommands::join(commands.calls[i]);
  calls.clear();
  next = {1, "", "cannot receive: invalid stream\n"};
  EXPECT_THROW(storage->receive(8, settings.jails_dir() / "x"), Error);
  ASSERT_EQ(calls.size(), 1u);
}

TEST(ZfsStorageStreams, RunStreamingConnectsTheFdsAndKeepsStderr) {
  TempDir dir("pot-zfs");
  pot::testing::write_text(dir / "in", "the stream\n");
  UniqueFd in(::open((dir / "in").c_str(), O_RDONLY | O_CLOEXEC));
  UniqueFd out(::open((dir / "out").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  ASSERT_TRUE(in && out);
  Argv argv{"sh", "-c", "cat; echo broken pipe dream >&2; exit 3"};
  CommandResult result = run_streaming(argv, in.get(), out.get());
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.err, "broken pipe dream\n");
  EXPECT_EQ(pot::testing::read_text(dir / "out"), "the stream\n");
  try {
    check_result(argv, result);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("failed: broken pipe dream"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(run_streaming({"true"}, -1, -1).exit_code, 0);
  EXPECT_THROW(run_streaming({"pot-no-such-tool"}, -1, -1), Error);
}

}  // namespace
}  // namespace pot::freebsd
