#include "core/pot_conf.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "test_util.h"

namespace pot {
namespace {

using ::pot::testing::ErrorOf;
using ::pot::testing::HasText;
using ::pot::testing::list_dir;
using ::pot::testing::read_text;
using ::pot::testing::TempDir;
using ::pot::testing::write_text;

namespace fs = std::filesystem;
using Entries = std::vector<std::pair<std::string, std::string>>;

// A pot.conf as the original `pot create` writes it (plus a few set-* additions).
constexpr char kOriginalConf[] =
    "pot.level=1\n"
    "pot.type=multi\n"
    "pot.base=13.2\n"
    "pot.potbase=\n"
    "pot.dns=inherit\n"
    "pot.cmd=sh /etc/rc\n"
    "host.hostname=\"web.example.org\"\n"
    "osrelease=\"13.2-RELEASE\"\n"
    "ip=10.192.0.3\n"
    "vnet=true\n"
    "pot.attr.start-at-boot=NO\n"
    "pot.attr.persistent=YES\n"
    "pot.depend=db\n"
    "pot.env=\"VAR=value1 \\\"value2\\\"\"\n"
    "pot.depend=cache\n"
    "pot.env=\"PATH=/bin:/usr/bin\"\n";

TEST(PotConf, ParsesKeysInOrderWithRepeats) {
  PotConf conf = PotConf::parse("a=1\nb=2\na=3\n");
  EXPECT_EQ(conf.entries(), (Entries{{"a", "1"}, {"b", "2"}, {"a", "3"}}));
  EXPECT_EQ(conf.get("a"), "1");  // the first one
  EXPECT_EQ(conf.get_all("a"), (std::vector<std::string>{"1", "3"}));
  EXPECT_EQ(conf.get("missing"), std::nullopt);
  EXPECT_TRUE(conf.has("b"));
  EXPECT_FALSE(conf.has("c"));
  EXPECT_EQ(conf.get_or("missing", "fallback"), "fallback");
  EXPECT_EQ(conf.get_or("b", "fallback"), "2");
}

TEST(PotConf, UnquotesTheOriginalsQuotedValues) {
  PotConf conf = PotConf::parse(kOriginalConf);
  EXPECT_EQ(conf.get("host.hostname"), "web.example.org");
  EXPECT_EQ(conf.get("osrelease"), "13.2-RELEASE");
  EXPECT_EQ(conf.get_all("pot.env"),
            (std::vector<std::string>{"VAR=value1 \"value2\"", "PATH=/bin:/usr/bin"}));
  EXPECT_EQ(conf.get_all("pot.depend"), (std::vector<std::string>{"db", "cache"}));
  EXPECT_EQ(conf.get("pot.potbase"), "");
  EXPECT_EQ(conf.get("pot.cmd"), "sh /etc/rc");
}

TEST(PotConf, RoundTripKeepsTheFileAsWritten) {
  PotConf conf = PotConf::parse(kOriginalConf);
  EXPECT_EQ(conf.serialize(), kOriginalConf);
  EXPECT_EQ(PotConf::parse(conf.serialize()).entries(), conf.entries());
}

TEST(PotConf, ParseSkipsCommentsBlankLinesAndCarriageReturns) {
  PotConf conf = PotConf::parse("# comment\n\npot.level=0\r\nnot an assignment\n=x\nip=1.2.3.4");
  EXPECT_EQ(conf.entries(), (Entries{{"pot.level", "0"}, {"ip", "1.2.3.4"}}));
}

TEST(PotConf, WritesQuotedKeysWithEscapedQuotes) {
  PotConf conf;
  conf.set("host.hostname", "web");
  conf.add("pot.env", "VAR=value1 \"value2\"");
  conf.add("pot.env", "BACKSLASH=a\\b");
  conf.set("pot.type", "single");
  EXPECT_EQ(conf.serialize(),
            "host.hostname=\"web\"\n"
            "pot.env=\"VAR=value1 \\\"value2\\\"\"\n"
            "pot.env=\"BACKSLASH=a\\\\b\"\n"
            "pot.type=single\n");
  // And back again.
  EXPECT_EQ(PotConf::parse(conf.serialize()).entries(), conf.entries());
}

// Found by fuzz/pot_conf_fuzzer: parse unquotes any value in double quotes, so a bare value
// that starts and ends with one (a command of two quoted words) lost them on the way back, as
// did a value ending in `\r` (taken for a CRLF line's).
TEST(PotConf, QuotesValuesThatWouldNotReadBackBare) {
  PotConf conf;
  conf.set("pot.cmd", "\"/opt/my app/run\" \"--flag\"");
  conf.set("empty.quotes", "\"\"");
  conf.set("trailing.cr", "v\r");
  conf.set("one.quote", "\"");
  EXPECT_EQ(conf.serialize(),
            "pot.cmd=\"\\\"/opt/my app/run\\\" \\\"--flag\\\"\"\n"
            "empty.quotes=\"\\\"\\\"\"\n"
            "trailing.cr=\"v\\r\"\n"  // escaped, as every line break in a value
            "one.quote=\"\n");
  EXPECT_EQ(PotConf::parse(conf.serialize()).entries(), conf.entries());
}

// A value may hold line breaks (an environment value, a task's argument in pot.cmd): they are
// written escaped inside quotes, so the file keeps one line per entry.
TEST(PotConf, LineBreaksAndBackslashesRoundTrip) {
  const std::vector<std::string> values = {
      "a\nb",     "a\rb",       "a\r\nb",    "\n",          "\r",
      "\r\n\r\n", "trailing\n", "\nleading", "back\\slash", "\\",
      "\\n",      "\\\n",       "ends\\",    "\\\\r",       "quote\"\nquote\"",
      "\"\n\"",   "",           "plain",     "tab\there",   "\\\"",
  };
  for (const char* key : {"pot.cmd", "pot.env", "host.hostname", "custom.key"}) {
    PotConf conf;
    for (const auto& value : values) conf.add(key, value);
    const std::string text = conf.serialize();
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), static_cast<long>(values.size()))
        << key << ":\n"
        << text;
    EXPECT_EQ(text.find('\r'), std::string::npos) << key;
    EXPECT_EQ(PotConf::parse(text).get_all(key), values) << key << ":\n" << text;
  }
}

TEST(PotConf, LineBreaksAreWrittenAsEscapesInQuotes) {
  PotConf conf;
  conf.set("pot.cmd", "'printf' 'a\nb\r' 'c\\d'");
  conf.add("pot.env", "MULTI=line1\r\nline2");
  EXPECT_EQ(conf.serialize(),
            "pot.cmd=\"'printf' 'a\\nb\\r' 'c\\\\d'\"\n"
            "pot.env=\"MULTI=line1\\r\\nline2\"\n");
  // A backslash in a value without line breaks or quotes is written bare, as before.
  PotConf bare;
  bare.set("pot.cmd", "echo a\\nb");
  EXPECT_EQ(bare.serialize(), "pot.cmd=echo a\\nb\n");
  EXPECT_EQ(PotConf::parse(bare.serialize()).get("pot.cmd"), "echo a\\nb");
}

TEST(PotConf, AFileWithLineBreakValuesSurvivesSaveAndLoad) {
  TempDir dir("pot-conf");
  PotConf conf = PotConf::parse(kOriginalConf);
  conf.add("pot.env", "CERT=-----BEGIN-----\nabc\n-----END-----\n");
  conf.set("pot.cmd", "'sh' '-c' 'echo one\necho two'");
  conf.save(dir / "pot.conf");
  PotConf loaded = PotConf::load(dir / "pot.conf");
  EXPECT_EQ(loaded.entries(), conf.entries());
  EXPECT_EQ(loaded.get("pot.cmd"), "'sh' '-c' 'echo one\necho two'");
}

TEST(PotConf, SetReplacesEveryEntryInPlace) {
  PotConf conf = PotConf::parse("a=1\npot.depend=x\nb=2\npot.depend=y\nc=3\n");
  conf.set("pot.depend", "z");
  EXPECT_EQ(conf.entries(), (Entries{{"a", "1"}, {"pot.depend", "z"}, {"b", "2"}, {"c", "3"}}));
  conf.set("new", "v");
  EXPECT_EQ(conf.entries().back(), (std::pair<std::string, std::string>{"new", "v"}));
}

TEST(PotConf, AddAppends) {
  PotConf conf = PotConf::parse("pot.depend=x\nb=2\n");
  conf.add("pot.depend", "y");
  conf.add("pot.depend", "x");  // repeats are kept as given
  EXPECT_EQ(conf.entries(),
            (Entries{{"pot.depend", "x"}, {"b", "2"}, {"pot.depend", "y"}, {"pot.depend", "x"}}));
}

TEST(PotConf, RemoveAndRemoveValue) {
  PotConf conf = PotConf::parse("pot.depend=x\nb=2\npot.depend=y\npot.depend=x\n");
  conf.remove_value("pot.depend", "x");
  EXPECT_EQ(conf.entries(), (Entries{{"b", "2"}, {"pot.depend", "y"}}));
  conf.remove("pot.depend");
  EXPECT_EQ(conf.entries(), (Entries{{"b", "2"}}));
  conf.remove("missing");  // nothing to do
  EXPECT_EQ(conf.entries(), (Entries{{"b", "2"}}));
}

TEST(PotConf, AttrReadsYesNo) {
  PotConf conf = PotConf::parse(
      "pot.attr.persistent=YES\npot.attr.start-at-boot=NO\npot.attr.no-tmpfs=yes\n"
      "pot.attr.prunable=off\n");
  EXPECT_TRUE(conf.attr("persistent", false));
  EXPECT_FALSE(conf.attr("start-at-boot", true));
  EXPECT_TRUE(conf.attr("no-tmpfs", false));
  EXPECT_FALSE(conf.attr("prunable", true));
  EXPECT_TRUE(conf.attr("localhost-tunnel", true));  // missing: the fallback
  EXPECT_FALSE(conf.attr("localhost-tunnel", false));
}

TEST(PotConf, AttrThrowsOnGarbageNamingKeyAndValue) {
  PotConf conf = PotConf::parse("pot.attr.persistent=maybe\n");
  std::string message = ErrorOf([&] { conf.attr("persistent", true); });
  EXPECT_TRUE(HasText(message, "pot.attr.persistent"));
  EXPECT_TRUE(HasText(message, "`maybe`"));
}

TEST(PotConf, SetAttrWritesYesNoOnce) {
  PotConf conf;
  conf.set_attr("persistent", false);
  conf.set_attr("persistent", true);
  conf.set_attr("no-tmpfs", false);
  EXPECT_EQ(conf.serialize(), "pot.attr.persistent=YES\npot.attr.no-tmpfs=NO\n");
}

TEST(ParseBool, AcceptsTheUsualSpellings) {
  for (const char* yes : {"YES", "yes", "Yes", "true", "TRUE", "on", "1"}) {
    EXPECT_TRUE(parse_bool(yes)) << yes;
  }
  for (const char* no : {"NO", "no", "false", "off", "OFF", "0"}) {
    EXPECT_FALSE(parse_bool(no)) << no;
  }
  for (const char* bad : {"", "y", "n", "2", "yes ", "nope"}) {
    EXPECT_THROW(parse_bool(bad), Error) << bad;
  }
}

TEST(KnownAttrs, HaveTheOriginalsDefaults) {
  bool found_persistent = false;
  for (const auto& attr : known_attrs()) {
    if (attr.name == "persistent") {
      found_persistent = true;
      EXPECT_TRUE(attr.default_value);
    } else {
      EXPECT_FALSE(attr.default_value) << attr.name;
    }
  }
  EXPECT_TRUE(found_persistent);
}

TEST(PotConf, SaveWritesAtomicallyAndLeavesNoTemporaryFile) {
  TempDir dir;
  fs::path path = dir / "pot.conf";
  write_text(path, "pot.level=0\n");
  PotConf conf = PotConf::parse(kOriginalConf);
  conf.save(path);
  EXPECT_EQ(read_text(path), kOriginalConf);
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"pot.conf"}));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);

  // Saving again replaces the content (a new inode: rename over the old file).
  ino_t first_inode = st.st_ino;
  conf.set("pot.level", "2");
  conf.save(path);
  EXPECT_EQ(PotConf::load(path).get("pot.level"), "2");
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"pot.conf"}));
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_NE(st.st_ino, first_inode);
}

TEST(PotConf, SaveIntoMissingDirectoryThrowsAndLeavesNothing) {
  TempDir dir;
  PotConf conf = PotConf::parse("pot.level=0\n");
  std::string message = ErrorOf([&] { conf.save(dir / "nope" / "pot.conf"); });
  EXPECT_TRUE(HasText(message, "nope"));
  EXPECT_TRUE(list_dir(dir.path()).empty());
}

TEST(PotConf, LoadMissingFileThrowsNamingIt) {
  TempDir dir;
  std::string message = ErrorOf([&] { PotConf::load(dir / "pot.conf"); });
  EXPECT_TRUE(HasText(message, (dir / "pot.conf").string()));
}

}  // namespace
}  // namespace pot
