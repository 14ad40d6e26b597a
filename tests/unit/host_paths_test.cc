// HostPathPolicy and split_path_pair (src/driver/host_paths.h): the boundary between the host
// paths a job asks for (`copy`, `mount`) and the prefixes the operator allows. Paths are
// compared by whole components and after every symlink is resolved.
#include "driver/host_paths.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "test_util.h"

namespace pot::driver {
namespace {

namespace fs = std::filesystem;
using ::pot::testing::ErrorOf;
using ::pot::testing::HasText;
using ::pot::testing::TempDir;
using ::pot::testing::write_text;

// A temporary tree:
//   www/index.html, www/sub/, www2/secret, outside/secret,
//   www/escape -> ../outside (a symlink under the allowed dir pointing out of it),
//   www/inner -> sub (a symlink that stays inside), in_link -> www (outside, pointing in),
//   link_to_www -> www (a prefix given through a symlink).
class HostPathPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::canonical(dir_.path());
    fs::create_directories(root_ / "www" / "sub");
    fs::create_directories(root_ / "www2");
    fs::create_directories(root_ / "outside");
    write_text(root_ / "www" / "index.html", "hi");
    write_text(root_ / "www2" / "secret", "no");
    write_text(root_ / "outside" / "secret", "no");
    fs::create_directory_symlink("../outside", root_ / "www" / "escape");
    fs::create_symlink("../outside/secret", root_ / "www" / "escape_file");
    fs::create_directory_symlink("sub", root_ / "www" / "inner");
    fs::create_directory_symlink("www", root_ / "in_link");
    fs::create_directory_symlink("www", root_ / "link_to_www");
  }

  std::string p(const std::string& rel) const { return (root_ / rel).string(); }
  HostPathPolicy www_policy() const { return HostPathPolicy({root_ / "www"}); }

  TempDir dir_{"host-paths"};
  fs::path root_;
};

TEST_F(HostPathPolicyTest, APathUnderAnAllowedPrefixIsReturnedResolved) {
  HostPathPolicy policy = www_policy();
  EXPECT_EQ(policy.check(p("www/index.html"), "copy"), root_ / "www" / "index.html");
  EXPECT_EQ(policy.check(p("www/sub"), "mount"), root_ / "www" / "sub");
  // The prefix itself, and with a trailing slash or `.` components.
  EXPECT_EQ(policy.check(p("www"), "mount"), root_ / "www");
  EXPECT_EQ(policy.check(p("www/"), "mount"), root_ / "www");
  EXPECT_EQ(policy.check(p("www/./sub/."), "mount"), root_ / "www" / "sub");
  // A symlink that stays inside is resolved to its target.
  EXPECT_EQ(policy.check(p("www/inner"), "mount"), root_ / "www" / "sub");
}

TEST_F(HostPathPolicyTest, PrefixesAreComparedByWholeComponents) {
  HostPathPolicy policy = www_policy();
  std::string message = ErrorOf([&] { policy.check(p("www2/secret"), "copy"); });
  EXPECT_TRUE(HasText(message, "copy source `" + p("www2/secret") + "`"));
  EXPECT_TRUE(HasText(message, "not under an allowed prefix of POT_HOST_PATHS"));
  ErrorOf([&] { policy.check(p("www2"), "mount"); });
  // The parent of the prefix is not under it either.
  ErrorOf([&] { policy.check(root_.string(), "mount"); });
}

TEST_F(HostPathPolicyTest, ASymlinkUnderAnAllowedPrefixPointingOutsideIsRefused) {
  HostPathPolicy policy = www_policy();
  std::string dir_link = ErrorOf([&] { policy.check(p("www/escape"), "mount"); });
  EXPECT_TRUE(HasText(dir_link, "mount source `" + p("www/escape") + "`"));
  EXPECT_TRUE(HasText(dir_link, "not under an allowed prefix"));
  ErrorOf([&] { policy.check(p("www/escape/secret"), "copy"); });
  ErrorOf([&] { policy.check(p("www/escape_file"), "copy"); });
  // `..` is resolved too.
  ErrorOf([&] { policy.check(p("www/../outside/secret"), "copy"); });
  ErrorOf([&] { policy.check(p("www/sub/../../www2/secret"), "copy"); });
}

TEST_F(HostPathPolicyTest, ASymlinkOutsidePointingUnderAnAllowedPrefixIsAllowedAsItsTarget) {
  EXPECT_EQ(www_policy().check(p("in_link/index.html"), "copy"), root_ / "www" / "index.html");
}

TEST_F(HostPathPolicyTest, APrefixGivenThroughASymlinkIsComparedResolved) {
  HostPathPolicy policy({root_ / "link_to_www"});
  ASSERT_EQ(policy.prefixes().size(), 1U);
  EXPECT_EQ(policy.prefixes()[0], root_ / "www");
  EXPECT_EQ(policy.check(p("link_to_www/index.html"), "copy"), root_ / "www" / "index.html");
  EXPECT_EQ(policy.check(p("www/index.html"), "copy"), root_ / "www" / "index.html");
}

TEST_F(HostPathPolicyTest, AMissingPathIsRefusedNamingIt) {
  std::string message = ErrorOf([&] { www_policy().check(p("www/missing"), "mount"); });
  EXPECT_TRUE(HasText(message, "mount source `" + p("www/missing") + "`"));
  EXPECT_TRUE(HasText(message, "No such file or directory"));
  // A dangling symlink under the prefix is missing as well.
  fs::create_symlink("nowhere", root_ / "www" / "dangling");
  ErrorOf([&] { www_policy().check(p("www/dangling"), "mount"); });
}

TEST_F(HostPathPolicyTest, ARelativeOrEmptyPathIsRefused) {
  HostPathPolicy policy = www_policy();
  for (const std::string& path :
       {std::string("www/index.html"), std::string("./www"), std::string(""), std::string("~/x")}) {
    std::string message = ErrorOf([&] { policy.check(path, "copy"); });
    EXPECT_TRUE(HasText(message, "not an absolute host path")) << path;
    EXPECT_TRUE(HasText(message, "copy source `" + path + "`")) << path;
  }
}

TEST_F(HostPathPolicyTest, AnEmptyPolicyRefusesEverythingNamingTheSetting) {
  HostPathPolicy none;
  EXPECT_TRUE(none.prefixes().empty());
  for (const std::string& path : {p("www/index.html"), std::string("/")}) {
    std::string message = ErrorOf([&] { none.check(path, "mount_read_only"); });
    EXPECT_TRUE(HasText(message, "mount_read_only source"));
    EXPECT_TRUE(HasText(message, "host paths are not allowed"));
    EXPECT_TRUE(HasText(message, "POT_HOST_PATHS"));
    EXPECT_TRUE(HasText(message, "host_paths"));
  }
  EXPECT_TRUE(HostPathPolicy::parse("").prefixes().empty());
  EXPECT_TRUE(HostPathPolicy::parse(":::").prefixes().empty());
}

TEST_F(HostPathPolicyTest, ParseSplitsAtColonsAndIgnoresEmptyEntries) {
  HostPathPolicy policy = HostPathPolicy::parse(p("www") + "::" + p("outside") + ":");
  EXPECT_EQ(policy.prefixes(), (std::vector<fs::path>{root_ / "www", root_ / "outside"}));
  EXPECT_EQ(policy.check(p("www/index.html"), "copy"), root_ / "www" / "index.html");
  EXPECT_EQ(policy.check(p("outside/secret"), "copy"), root_ / "outside" / "secret");
  ErrorOf([&] { policy.check(p("www2/secret"), "copy"); });
  // A leading colon too.
  EXPECT_EQ(HostPathPolicy::parse(":" + p("www")).prefixes(),
            (std::vector<fs::path>{root_ / "www"}));
}

TEST_F(HostPathPolicyTest, APrefixThatDoesNotExistIsKeptNormalised) {
  HostPathPolicy policy = HostPathPolicy::parse(p("missing/./a/../b"));
  ASSERT_EQ(policy.prefixes().size(), 1U);
  EXPECT_EQ(policy.prefixes()[0], root_ / "missing" / "b");
}

TEST_F(HostPathPolicyTest, TheRootPrefixAllowsEverything) {
  HostPathPolicy policy = HostPathPolicy::parse("/");
  EXPECT_EQ(policy.check(p("outside/secret"), "copy"), root_ / "outside" / "secret");
  EXPECT_EQ(policy.check("/", "mount"), fs::path("/"));
}

TEST(HostPathPolicyParse, ANonAbsolutePrefixIsAnError) {
  for (const char* text : {"srv/www", "/srv:data", "./x", "~/www"}) {
    std::string message = ErrorOf([&] { HostPathPolicy::parse(text); });
    EXPECT_TRUE(HasText(message, "POT_HOST_PATHS entry `")) << text;
    EXPECT_TRUE(HasText(message, "not an absolute path")) << text;
  }
  EXPECT_TRUE(HasText(ErrorOf([] { HostPathPolicy::parse("/srv:data"); }), "`data`"));
  EXPECT_TRUE(HasText(ErrorOf([] { HostPathPolicy({fs::path("rel")}); }), "`rel`"));
}

TEST(SplitPathPair, SplitsAtTheFirstColon) {
  PathPair pair = split_path_pair("/srv/www:/usr/local/www", "mount");
  EXPECT_EQ(pair.host, "/srv/www");
  EXPECT_EQ(pair.pot, "/usr/local/www");
  PathPair more = split_path_pair("/a:/b:c", "copy");
  EXPECT_EQ(more.host, "/a");
  EXPECT_EQ(more.pot, "/b:c");
}

TEST(SplitPathPair, WithoutAColonIsAnErrorNamingTheEntryAndAttribute) {
  std::string message = ErrorOf([] { split_path_pair("/srv/www", "copy"); });
  EXPECT_TRUE(HasText(message, "copy entry `/srv/www`"));
  EXPECT_TRUE(HasText(message, "expected HOST_PATH:POT_PATH"));
  EXPECT_TRUE(HasText(ErrorOf([] { split_path_pair("", "mount"); }), "mount entry ``"));
}

TEST(SplitPathPair, BothSidesMustBeAbsolute) {
  for (const char* entry : {":/b", "/a:", ":", "a:/b", "/a:b", "./a:/b", "/a: /b"}) {
    std::string message = ErrorOf([&] { split_path_pair(entry, "mount_read_only"); });
    EXPECT_TRUE(HasText(message, "mount_read_only entry `" + std::string(entry) + "`")) << entry;
    EXPECT_TRUE(HasText(message, "both paths must be absolute")) << entry;
  }
}

TEST(SplitPathPair, AnEntryWithALineBreakIsQuotedOnOneLine) {
  std::string message = ErrorOf([] { split_path_pair("/a\n:b", "copy"); });
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

}  // namespace
}  // namespace pot::driver
