#include "runtime/pot_user.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/unique_fd.h"
#include "runtime/root_path.h"
#include "test_util.h"

namespace pot {
namespace {

namespace fs = std::filesystem;

const char kPasswd[] =
    "root:x:0:0:root:/root:/bin/sh\n"
    "web:x:1000:1000:Web server,,,:/home/web:/bin/sh\n"
    "nohome:x:1001:100:::/bin/false\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const char kGroup[] =
    "root:x:0:\n"
    "users:x:100:web,nohome\n"
    "web:x:1000:\n"
    "www-data:x:33:web\n"
    "audio:x:29:other,web\n"
    "nogroup:x:65534:\n";

std::string error_of(std::string_view spec, std::string_view passwd = kPasswd,
                     std::string_view group = kGroup) {
  try {
    resolve_pot_user(spec, passwd, group);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(PasswdLine, ParsesTheFields) {
  auto entry = parse_passwd_line("web:x:1000:1001:Web server,,,:/home/web:/bin/sh");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->name, "web");
  EXPECT_EQ(entry->uid, 1000u);
  EXPECT_EQ(entry->gid, 1001u);
  EXPECT_EQ(entry->home, "/home/web");
}

TEST(PasswdLine, SkipsCommentsBlanksNisAndMalformedLines) {
  for (const char* line : {
           "",
           "# root:x:0:0:root:/root:/bin/sh",
           "+web:x:1000:1000::/home/web:/bin/sh",
           "-web:x:1000:1000::/home/web:/bin/sh",
           "web:x:1000:1000::/home/web",                // six fields
           "web:x:1000:1000::/home/web:/bin/sh:more",   // eight
           ":x:1000:1000::/home/web:/bin/sh",           // no name
           "web:x::1000::/home/web:/bin/sh",            // no uid
           "web:x:10a0:1000::/home/web:/bin/sh",        // not a number
           "web:x:-1:1000::/home/web:/bin/sh",          // signed
           "web:x: 1000:1000::/home/web:/bin/sh",       // a space
           "web:x:4294967295:1000::/home/web:/bin/sh",  // (uid_t)-1
           "web:x:99999999999:1000::/home/web:/bin/sh",
           "web:x:1000:4294967296::/home/web:/bin/sh",
       }) {
    EXPECT_FALSE(parse_passwd_line(line)) << line;
  }
  auto highest = parse_passwd_line("big:x:4294967294:0::/:/bin/sh");
  ASSERT_TRUE(highest);
  EXPECT_EQ(highest->uid, 4294967294u);
}

TEST(GroupLine, ParsesMembers) {
  auto entry = parse_group_line("audio:x:29:other,web,,last");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->name, "audio");
  EXPECT_EQ(entry->gid, 29u);
  EXPECT_EQ(entry->members, (std::vector<std::string>{"other", "web", "last"}));
  auto empty = parse_group_line("root:x:0:");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->members.empty());
  EXPECT_FALSE(parse_group_line("root:x:0"));
  EXPECT_FALSE(parse_group_line("root:x:zero:"));
  EXPECT_FALSE(parse_group_line("# root:x:0:"));
}

TEST(FindPasswdEntry, ByNameOrUid) {
  EXPECT_EQ(find_passwd_entry(kPasswd, "web")->uid, 1000u);
  EXPECT_EQ(find_passwd_entry(kPasswd, "1000")->name, "web");
  EXPECT_EQ(find_passwd_entry(kPasswd, "0")->name, "root");
  EXPECT_FALSE(find_passwd_entry(kPasswd, "nobody2"));
  EXPECT_FALSE(find_passwd_entry(kPasswd, "4242"));
  EXPECT_FALSE(find_passwd_entry(kPasswd, "we"));
  EXPECT_FALSE(find_passwd_entry("", "root"));
  // The last line needs no newline.
  EXPECT_EQ(find_passwd_entry("a:x:1:2::/a:/bin/sh\nb:x:3:4::/b:/bin/sh", "b")->gid, 4u);
}

TEST(ResolvePotUser, NameGetsItsEntryAndGroups) {
  PotUser user = resolve_pot_user("web", kPasswd, kGroup);
  EXPECT_EQ(user.uid, 1000u);
  EXPECT_EQ(user.gid, 1000u);
  EXPECT_EQ(user.name, "web");
  EXPECT_EQ(user.home, "/home/web");
  // The primary group first, then those that list the user, each once.
  EXPECT_EQ(user.groups, (std::vector<gid_t>{1000, 100, 33, 29}));
}

TEST(ResolvePotUser, UidWithAnEntryIsThatUser) {
  PotUser user = resolve_pot_user("1000", kPasswd, kGroup);
  EXPECT_EQ(user.name, "web");
  EXPECT_EQ(user.gid, 1000u);
  EXPECT_EQ(user.groups, (std::vector<gid_t>{1000, 100, 33, 29}));
}

TEST(ResolvePotUser, UidWithoutAnEntryRunsWithGroupZero) {
  PotUser user = resolve_pot_user("4242", kPasswd, kGroup);
  EXPECT_EQ(user.uid, 4242u);
  EXPECT_EQ(user.gid, 0u);
  EXPECT_EQ(user.groups, (std::vector<gid_t>{0}));
  EXPECT_EQ(user.name, "");
  EXPECT_EQ(user.home, "/");
}

TEST(ResolvePotUser, ExplicitGroupReplacesPrimaryAndSupplementaryGroups) {
  PotUser by_gid = resolve_pot_user("1000:33", kPasswd, kGroup);
  EXPECT_EQ(by_gid.uid, 1000u);
  EXPECT_EQ(by_gid.gid, 33u);
  EXPECT_EQ(by_gid.groups, (std::vector<gid_t>{33}));
  PotUser by_name = resolve_pot_user("web:www-data", kPasswd, kGroup);
  EXPECT_EQ(by_name.gid, 33u);
  EXPECT_EQ(by_name.groups, (std::vector<gid_t>{33}));
  EXPECT_EQ(by_name.home, "/home/web");
  PotUser unknown_ids = resolve_pot_user("4242:4343", kPasswd, kGroup);
  EXPECT_EQ(unknown_ids.uid, 4242u);
  EXPECT_EQ(unknown_ids.gid, 4343u);
}

TEST(ResolvePotUser, EmptyHomeIsRoot) {
  PotUser user = resolve_pot_user("nohome", kPasswd, kGroup);
  EXPECT_EQ(user.home, "/");
  EXPECT_EQ(user.groups, (std::vector<gid_t>{100}));
}

TEST(ResolvePotUser, MissingEntriesAreOneLineErrors) {
  EXPECT_EQ(error_of("nobody2"), "user `nobody2` not found in the pot's /etc/passwd");
  EXPECT_EQ(error_of("web:staff"), "group `staff` not found in the pot's /etc/group");
  EXPECT_EQ(error_of("nobody2:1000"), "user `nobody2` not found in the pot's /etc/passwd");
  // Names are not looked up in the host's files: an empty pot database knows nobody.
  EXPECT_EQ(error_of("root", "", ""), "user `root` not found in the pot's /etc/passwd");
}

TEST(ResolvePotUser, MalformedSpecsAreRejected) {
  for (const char* spec :
       {"", ":", ":1000", "web:", "web:1000:1000", "1000::", "we b", "web\n", "web:\tx"}) {
    EXPECT_NE(error_of(spec).find("invalid user"), std::string::npos) << spec;
  }
}

TEST(ParseUserSpec, SplitsUserAndGroup) {
  UserSpec name = parse_user_spec("web");
  EXPECT_EQ(name.user, "web");
  EXPECT_FALSE(name.group);
  UserSpec ids = parse_user_spec("1000:33");
  EXPECT_EQ(ids.user, "1000");
  EXPECT_EQ(ids.group, "33");
  EXPECT_THROW(parse_user_spec("evil\nname"), Error);
}

TEST(ResolvePotUser, MalformedLinesAreSkippedNotTrusted) {
  std::string passwd =
      "web:x:0:0:trying to be root\n"  // too few fields: not web
      "web:x:oops:0::/:/bin/sh\n"      // not a number
      "web:x:1000:1000::/home/web:/bin/sh\n";
  std::string group = "users:x:zero:web\nusers:x:100:web\n";
  PotUser user = resolve_pot_user("web", passwd, group);
  EXPECT_EQ(user.uid, 1000u);
  EXPECT_EQ(user.groups, (std::vector<gid_t>{1000, 100}));
}

TEST(ResolvePotUser, LongLinesAreFine) {
  std::string passwd = std::string(200000, 'x') + "\n" +
                       "web:x:1000:1000:" + std::string(100000, 'g') + ":/home/web:/bin/sh\n";
  std::string group = "big:x:7:" + std::string(100000, 'm') + ",web\n";
  PotUser user = resolve_pot_user("web", passwd, group);
  EXPECT_EQ(user.uid, 1000u);
  EXPECT_EQ(user.home, "/home/web");
  EXPECT_EQ(user.groups, (std::vector<gid_t>{1000, 7}));
}

TEST(AddUserEnvironment, FillsWhatIsNotSet) {
  PotUser user;
  user.name = "web";
  user.home = "/home/web";
  std::vector<std::string> env = {"PATH=/bin", "USER=custom"};
  add_user_environment(env, user);
  EXPECT_EQ(
      env, (std::vector<std::string>{"PATH=/bin", "USER=custom", "HOME=/home/web", "LOGNAME=web"}));
  PotUser numeric;
  numeric.uid = 4242;
  numeric.home = "/";
  std::vector<std::string> bare = {"HOMEX=1"};
  add_user_environment(bare, numeric);
  EXPECT_EQ(bare, (std::vector<std::string>{"HOMEX=1", "HOME=/"}));
}

// The files come from under a pot's root, never through a link out of it.
class ResolveInRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "root" / "etc");
    fs::create_directories(dir_ / "host" / "etc");
    write(dir_ / "host" / "etc" / "passwd", "hostonly:x:7:7::/host:/bin/sh\n");
  }
  static void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }
  PotUser resolve(std::string_view spec) {
    UniqueFd root = open_root_dir((dir_ / "root").c_str());
    return resolve_pot_user_in_root(root.get(), spec);
  }
  std::string error_of(std::string_view spec) {
    try {
      resolve(spec);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  testing::TempDir tmp_{"pot-user"};
  fs::path dir_ = tmp_.path();
};

TEST_F(ResolveInRootTest, ReadsThePotsFiles) {
  write(dir_ / "root" / "etc" / "passwd", kPasswd);
  write(dir_ / "root" / "etc" / "group", kGroup);
  PotUser user = resolve("web");
  EXPECT_EQ(user.uid, 1000u);
  EXPECT_EQ(user.groups.size(), 4u);
}

TEST_F(ResolveInRootTest, MissingFilesKnowNobody) {
  EXPECT_EQ(error_of("root"), "user `root` not found in the pot's /etc/passwd");
  EXPECT_EQ(resolve("1000:1000").gid, 1000u);
}

TEST_F(ResolveInRootTest, AbsoluteSymlinkStaysInsideTheRoot) {
  // /etc/passwd -> <host>/etc/passwd resolves under the pot's root, where it is missing.
  fs::create_symlink(dir_ / "host" / "etc" / "passwd", dir_ / "root" / "etc" / "passwd");
  EXPECT_EQ(error_of("hostonly"), "user `hostonly` not found in the pot's /etc/passwd");
  fs::remove(dir_ / "root" / "etc" / "passwd");
  fs::create_symlink("../../../host/etc/passwd", dir_ / "root" / "etc" / "passwd");
  EXPECT_EQ(error_of("hostonly"), "user `hostonly` not found in the pot's /etc/passwd");
}

TEST_F(ResolveInRootTest, OnlyRegularFiles) {
  ASSERT_EQ(::mkfifo((dir_ / "root" / "etc" / "passwd").c_str(), 0644), 0);
  EXPECT_EQ(error_of("web"), "`/etc/passwd` in the pot is not a regular file");
  fs::remove(dir_ / "root" / "etc" / "passwd");
  fs::create_directory(dir_ / "root" / "etc" / "passwd");
  EXPECT_FALSE(error_of("web").empty());
}

TEST_F(ResolveInRootTest, HugeFilesAreRefused) {
  {
    std::ofstream out(dir_ / "root" / "etc" / "passwd");
    std::string line = "u:x:1:1::/:/bin/sh\n";
    for (size_t size = 0; size <= (4U << 20); size += line.size()) out << line;
  }
  EXPECT_EQ(error_of("web"), "`/etc/passwd` in the pot is larger than 4M");
}

}  // namespace
}  // namespace pot
