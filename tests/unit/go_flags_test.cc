#include "agent/cli/go_flags.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace pot::agent {
namespace {

struct Parsed {
  bool output = false;
  std::string region;
  std::vector<std::string> vars;
  std::vector<std::string> words;
};

Parsed parse(const std::vector<std::string>& args) {
  Parsed p;
  GoFlags flags("potd job run");
  flags.add_bool("output", &p.output);
  flags.add_string("region", &p.region);
  flags.add_list("var", &p.vars);
  p.words = flags.parse(args);
  return p;
}

TEST(GoFlags, TakesNomadsSpellings) {
  Parsed p = parse({"-output", "--var", "a=1", "-var=b=2", "-region=eu", "job.nomad"});
  EXPECT_TRUE(p.output);
  EXPECT_EQ(p.vars, (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_EQ(p.region, "eu");
  EXPECT_EQ(p.words, (std::vector<std::string>{"job.nomad"}));
}

TEST(GoFlags, BoolTakesAnExplicitValueOnlyAfterEquals) {
  EXPECT_FALSE(parse({"-output=false", "f"}).output);
  // `-output job.nomad`: the word after a bool flag is not its value.
  Parsed p = parse({"-output", "false"});
  EXPECT_TRUE(p.output);
  EXPECT_EQ(p.words, (std::vector<std::string>{"false"}));
}

TEST(GoFlags, StopsAtTheFirstWordAndAtDoubleDash) {
  EXPECT_EQ(parse({"f", "-output"}).words, (std::vector<std::string>{"f", "-output"}));
  EXPECT_EQ(parse({"--", "-output"}).words, (std::vector<std::string>{"-output"}));
  EXPECT_EQ(parse({"-"}).words, (std::vector<std::string>{"-"}));
}

TEST(GoFlags, RefusesWhatGoRefuses) {
  auto message = [](const std::vector<std::string>& args) {
    try {
      parse(args);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({"-x"}), "potd job run: flag provided but not defined: -x");
  EXPECT_EQ(message({"-var"}), "potd job run: flag needs an argument: -var");
  EXPECT_EQ(message({"---var", "a"}), "potd job run: bad flag syntax: ---var");
  EXPECT_EQ(message({"-output=maybe"}), "potd job run: invalid boolean value `maybe` for -output");
}

}  // namespace
}  // namespace pot::agent
