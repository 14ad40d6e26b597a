#include "core/settings.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/error.h"
#include "test_util.h"

namespace pot {
namespace {

using ::pot::testing::ErrorOf;
using ::pot::testing::HasText;
using ::pot::testing::ScopedPotEnv;
using ::pot::testing::TempDir;
using ::pot::testing::write_text;

TEST(ParseShellAssignments, ReadsPlainAssignments) {
  auto values = parse_shell_assignments("POT_FS_ROOT=/opt/pot\nPOT_STORAGE=dir\n");
  EXPECT_EQ(values, (std::map<std::string, std::string>{{"POT_FS_ROOT", "/opt/pot"},
                                                        {"POT_STORAGE", "dir"}}));
}

TEST(ParseShellAssignments, SkipsCommentsAndBlankLines) {
  auto values = parse_shell_assignments(
      "# pot configuration\n"
      "\n"
      "   \n"
      "  # indented comment\n"
      "POT_NETWORK=10.1.0.0/16\n"
      "#POT_GATEWAY=10.1.0.1\n");
  EXPECT_EQ(values, (std::map<std::string, std::string>{{"POT_NETWORK", "10.1.0.0/16"}}));
}

TEST(ParseShellAssignments, StripsTrailingComment) {
  auto values = parse_shell_assignments("POT_EXTIF=eth0 # the uplink\n");
  EXPECT_EQ(values.at("POT_EXTIF"), "eth0");
}

TEST(ParseShellAssignments, HashInsideAWordIsNotAComment) {
  auto values = parse_shell_assignments("POT_EXTIF=eth#0\n");
  EXPECT_EQ(values.at("POT_EXTIF"), "eth#0");
}

TEST(ParseShellAssignments, RemovesDoubleAndSingleQuotes) {
  auto values = parse_shell_assignments(
      "POT_FS_ROOT=\"/opt/my pots\"\n"
      "POT_FLAVOUR_DIR='/usr/local/etc/pot/flavours'\n"
      "POT_EXTIF=\"\"\n");
  EXPECT_EQ(values.at("POT_FS_ROOT"), "/opt/my pots");
  EXPECT_EQ(values.at("POT_FLAVOUR_DIR"), "/usr/local/etc/pot/flavours");
  EXPECT_EQ(values.at("POT_EXTIF"), "");
}

TEST(ParseShellAssignments, QuotesKeepHashAndSpaces) {
  auto values = parse_shell_assignments("POT_EXTIF=\"a # b\"\n");
  EXPECT_EQ(values.at("POT_EXTIF"), "a # b");
}

// A quoted value followed by a comment, as people write config files:
//   POT_FS_ROOT="/opt/pot"  # where the pots live
// sh reads /opt/pot; the quotes must not end up in the value.
TEST(ParseShellAssignments, QuotedValueWithTrailingComment) {
  auto values = parse_shell_assignments("POT_FS_ROOT=\"/opt/pot\"  # where the pots live\n");
  EXPECT_EQ(values.at("POT_FS_ROOT"), "/opt/pot");
}

TEST(ParseShellAssignments, AcceptsExportAndSurroundingBlanks) {
  auto values = parse_shell_assignments(
      "export POT_STORAGE=dir\n"
      "\tPOT_GATEWAY=10.0.0.1  \r\n"
      "export   POT_EXTIF=em0\n");
  EXPECT_EQ(values.at("POT_STORAGE"), "dir");
  EXPECT_EQ(values.at("POT_GATEWAY"), "10.0.0.1");
  EXPECT_EQ(values.at("POT_EXTIF"), "em0");
}

TEST(ParseShellAssignments, IgnoresLinesWithoutAssignment) {
  auto values = parse_shell_assignments("just words\n=value\nPOT_EXTIF=em0");
  EXPECT_EQ(values, (std::map<std::string, std::string>{{"POT_EXTIF", "em0"}}));
}

TEST(ParseShellAssignments, ValueMayContainEqualsSign) {
  auto values = parse_shell_assignments("POT_X=a=b\n");
  EXPECT_EQ(values.at("POT_X"), "a=b");
}

TEST(ParseShellAssignments, LaterAssignmentWins) {
  auto values = parse_shell_assignments("POT_STORAGE=btrfs\nPOT_STORAGE=dir\n");
  EXPECT_EQ(values.at("POT_STORAGE"), "dir");
}

TEST(Settings, DefaultsMatchTheOriginal) {
  Settings settings;
  EXPECT_EQ(settings.fs_root, "/opt/pot");
  EXPECT_EQ(settings.storage, "btrfs");
  EXPECT_EQ(settings.stop_timeout_seconds, 10);
}

TEST(Settings, LoadWithMissingFileGivesDefaults) {
  ScopedPotEnv env;
  TempDir dir;
  Settings settings = Settings::load(dir / "does-not-exist.conf");
  EXPECT_EQ(settings.fs_root, Settings().fs_root);
  EXPECT_EQ(settings.storage, Settings().storage);
  EXPECT_EQ(settings.pool_size, Settings().pool_size);
}

TEST(Settings, LoadReadsConfigFile) {
  ScopedPotEnv env;
  TempDir dir;
  write_text(dir / "pot.conf",
             "# test configuration\n"
             "POT_FS_ROOT=/srv/pot\n"
             "POT_STORAGE=dir\n"
             "POT_POOL_SIZE=8G\n"
             "POT_FLAVOUR_DIR=/srv/flavours\n"
             "POT_NETWORK=10.5.0.0/16\n"
             "POT_GATEWAY=10.5.0.1\n"
             "POT_EXTIF=em0\n"
             "POT_STOP_TIMEOUT=30\n"
             "POT_DNS_NAME=dns\n");
  Settings settings = Settings::load(dir / "pot.conf");
  EXPECT_EQ(settings.fs_root, "/srv/pot");
  EXPECT_EQ(settings.storage, "dir");
  EXPECT_EQ(settings.pool_size, 8ULL << 30);
  EXPECT_EQ(settings.flavour_dir, "/srv/flavours");
  EXPECT_EQ(settings.network, "10.5.0.0/16");
  EXPECT_EQ(settings.gateway, "10.5.0.1");
  EXPECT_EQ(settings.extif, "em0");
  EXPECT_EQ(settings.stop_timeout_seconds, 30);
  // Keys this layer does not know are kept for the others.
  EXPECT_EQ(settings.extra.at("POT_DNS_NAME"), "dns");
}

TEST(Settings, EnvironmentOverridesConfigFile) {
  ScopedPotEnv env;
  TempDir dir;
  write_text(dir / "pot.conf", "POT_FS_ROOT=/srv/pot\nPOT_STORAGE=dir\nPOT_EXTIF=em0\n");
  env.set("POT_FS_ROOT", "/data/pot");
  env.set("POT_STOP_TIMEOUT", "3");
  Settings settings = Settings::load(dir / "pot.conf");
  EXPECT_EQ(settings.fs_root, "/data/pot");     // from the environment
  EXPECT_EQ(settings.stop_timeout_seconds, 3);  // from the environment
  EXPECT_EQ(settings.storage, "dir");           // from the file
  EXPECT_EQ(settings.extif, "em0");             // from the file
}

TEST(Settings, LoadIgnoresNonPotEnvironment) {
  ScopedPotEnv env;
  TempDir dir;
  ::setenv("XPOT_FS_ROOT", "/nope", 1);
  Settings settings = Settings::load(dir / "missing.conf");
  ::unsetenv("XPOT_FS_ROOT");
  EXPECT_EQ(settings.fs_root, "/opt/pot");
  EXPECT_TRUE(settings.extra.empty());
}

TEST(Settings, BadValueInFileNamesTheFile) {
  ScopedPotEnv env;
  TempDir dir;
  write_text(dir / "pot.conf", "POT_STORAGE=zfs\n");
  std::string message = ErrorOf([&] { Settings::load(dir / "pot.conf"); });
  EXPECT_TRUE(HasText(message, (dir / "pot.conf").string()));
  EXPECT_TRUE(HasText(message, "`zfs`"));
}

TEST(Settings, BadValueInEnvironmentSaysSo) {
  ScopedPotEnv env;
  TempDir dir;
  env.set("POT_STORAGE", "bogus");
  std::string message = ErrorOf([&] { Settings::load(dir / "missing.conf"); });
  EXPECT_TRUE(HasText(message, "environment"));
  EXPECT_TRUE(HasText(message, "POT_STORAGE `bogus`"));
}

TEST(Settings, RejectsRelativeFsRoot) {
  Settings settings;
  EXPECT_THROW(settings.apply({{"POT_FS_ROOT", "opt/pot"}}), Error);
  EXPECT_THROW(settings.apply({{"POT_FS_ROOT", "./pot"}}), Error);
  EXPECT_THROW(settings.apply({{"POT_FS_ROOT", ""}}), Error);
  EXPECT_EQ(settings.fs_root, "/opt/pot");  // unchanged
  std::string message = ErrorOf([&] { settings.apply({{"POT_FS_ROOT", "opt/pot"}}); });
  EXPECT_TRUE(HasText(message, "`opt/pot`"));
  EXPECT_TRUE(HasText(message, "absolute"));
}

TEST(Settings, NormalisesFsRoot) {
  Settings settings;
  settings.apply({{"POT_FS_ROOT", "/srv//pot/"}});
  EXPECT_EQ(settings.fs_root, "/srv/pot");
  settings.apply({{"POT_FS_ROOT", "/srv/x/../pot2/."}});
  EXPECT_EQ(settings.fs_root, "/srv/pot2");
}

// Found by fuzz/settings_fuzzer: lexically_normal keeps `//`, so POT_FS_ROOT=// was a root
// apart from `/`, with a tag (cgroup, bridge and table names) of its own.
TEST(Settings, NormalisesAllSlashesFsRootToSlash) {
  Settings settings;
  settings.apply({{"POT_FS_ROOT", "/"}});
  std::string tag = settings.root_tag();
  for (const char* root : {"//", "///", "//./", "/.."}) {
    settings.apply({{"POT_FS_ROOT", root}});
    EXPECT_EQ(settings.fs_root, "/") << root;
    EXPECT_EQ(settings.root_tag(), tag) << root;
  }
}

TEST(Settings, RejectsUnknownStorage) {
  Settings settings;
  EXPECT_THROW(settings.apply({{"POT_STORAGE", "bogus"}}), Error);
  EXPECT_THROW(settings.apply({{"POT_STORAGE", "zfs"}}), Error);
  EXPECT_THROW(settings.apply({{"POT_STORAGE", "BTRFS"}}), Error);
  settings.apply({{"POT_STORAGE", "dir"}});
  EXPECT_EQ(settings.storage, "dir");
  settings.apply({{"POT_STORAGE", "btrfs"}});
  EXPECT_EQ(settings.storage, "btrfs");
}

TEST(Settings, RejectsBadPoolSizeAndStopTimeout) {
  Settings settings;
  EXPECT_THROW(settings.apply({{"POT_POOL_SIZE", "lots"}}), Error);
  EXPECT_THROW(settings.apply({{"POT_STOP_TIMEOUT", "-1"}}), Error);
  EXPECT_THROW(settings.apply({{"POT_STOP_TIMEOUT", "3601"}}), Error);
  EXPECT_THROW(settings.apply({{"POT_STOP_TIMEOUT", "10s"}}), Error);
  EXPECT_THROW(settings.apply({{"POT_STOP_TIMEOUT", ""}}), Error);
  settings.apply({{"POT_STOP_TIMEOUT", "0"}});
  EXPECT_EQ(settings.stop_timeout_seconds, 0);
  std::string message = ErrorOf([&] { settings.apply({{"POT_POOL_SIZE", "lots"}}); });
  EXPECT_TRUE(HasText(message, "POT_POOL_SIZE"));
  EXPECT_TRUE(HasText(message, "`lots`"));
}

TEST(Settings, PathsFollowTheOriginalLayout) {
  Settings settings;
  settings.apply({{"POT_FS_ROOT", "/srv/pot"}});
  EXPECT_EQ(settings.jails_dir(), "/srv/pot/jails");
  EXPECT_EQ(settings.bases_dir(), "/srv/pot/bases");
  EXPECT_EQ(settings.cache_dir(), "/srv/pot/cache");
  EXPECT_EQ(settings.jail_dir("web"), "/srv/pot/jails/web");
  EXPECT_EQ(settings.conf_path("web"), "/srv/pot/jails/web/conf/pot.conf");
  EXPECT_EQ(settings.root_path("web"), "/srv/pot/jails/web/m");
  EXPECT_EQ(settings.base_path("13.2"), "/srv/pot/bases/13.2");
  EXPECT_EQ(settings.run_dir(), "/srv/pot/run");
}

TEST(Settings, LogRotationKeys) {
  Settings settings;
  EXPECT_EQ(settings.log_max_bytes, 10ULL << 20);
  EXPECT_EQ(settings.log_max_files, 10);
  settings.apply({{"POT_LOG_MAX_SIZE", "64K"}, {"POT_LOG_MAX_FILES", "3"}});
  EXPECT_EQ(settings.log_max_bytes, 64ULL << 10);
  EXPECT_EQ(settings.log_max_files, 3);
  EXPECT_THROW(settings.apply({{"POT_LOG_MAX_FILES", "0"}}), Error);
  EXPECT_THROW(settings.apply({{"POT_LOG_MAX_FILES", "three"}}), Error);
  EXPECT_THROW(settings.apply({{"POT_LOG_MAX_SIZE", "1"}}), Error);
}

TEST(Settings, RootTagIsStableAndPerRoot) {
  Settings a;
  a.apply({{"POT_FS_ROOT", "/srv/pot"}});
  Settings b;
  b.apply({{"POT_FS_ROOT", "/srv/pot"}});
  Settings c;
  c.apply({{"POT_FS_ROOT", "/srv/pot2"}});
  Settings trailing_slash;
  trailing_slash.apply({{"POT_FS_ROOT", "/srv/pot/"}});

  EXPECT_EQ(a.root_tag(), a.root_tag());
  EXPECT_EQ(a.root_tag(), b.root_tag());
  EXPECT_EQ(a.root_tag(), trailing_slash.root_tag());
  EXPECT_NE(a.root_tag(), c.root_tag());
  EXPECT_NE(a.root_tag(), Settings().root_tag());

  ASSERT_EQ(a.root_tag().size(), 8u);
  for (char ch : a.root_tag()) EXPECT_TRUE((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'));
}

}  // namespace
}  // namespace pot
