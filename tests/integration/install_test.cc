// The programs as a user gets them: `cmake --install` of this build into a temporary prefix,
// then the installed `pot` running the installed `pot-registry`; and `pot help` as printed.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "cli/command.h"
#include "harness.h"
#include "image/registry_index.h"
#include "net_harness.h"

namespace potit {
namespace {

// A temporary directory, removed with everything in it (an installed tree, a registry).
struct TempDir {
  fs::path path = make_temp_dir("potinstall");
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// `pot registry serve -l 127.0.0.1:0` prints `... on http://127.0.0.1:PORT`: the port, or 0.
uint16_t served_port(const std::string& out) {
  std::smatch match;
  if (!std::regex_search(out, match, std::regex(R"(serving .* on http://127\.0\.0\.1:(\d+)\n)")))
    return 0;
  return static_cast<uint16_t>(std::stoi(match[1]));
}

TEST(InstallTest, InstalledPotServesARegistryWithTheInstalledServer) {
  TempDir prefix;
  RunResult install =
      run_process({POT_CMAKE, "--install", POT_BUILD_DIR, "--prefix", prefix.path.string()},
                  {base_environment(), 300, ""});
  ASSERT_POT_OK(install);
  fs::path pot = prefix.path / "bin" / "pot";
  ASSERT_TRUE(fs::exists(pot)) << install;
  ASSERT_TRUE(fs::exists(prefix.path / "libexec" / "pot" / "pot-registry")) << install;
  EXPECT_FALSE(fs::exists(prefix.path / "bin" / "pot-registry")) << "pot runs it, users do not";

  fs::path registry = prefix.path / "registry";
  fs::create_directories(registry);
  Background server(
      {pot.string(), "registry", "serve", "-D", registry.string(), "-l", "127.0.0.1:0"},
      base_environment(), prefix.path / "serve.out", prefix.path / "serve.err");
  uint16_t port = 0;
  bool up = wait_until(
      [&] {
        port = served_port(server.out());
        return port != 0 || !server.running();
      },
      10000, 50);
  ASSERT_TRUE(up && port != 0) << "out: " << server.out() << "\nerr: " << server.err();

  std::string index = http_get("127.0.0.1", port, "/index.json");
  ASSERT_FALSE(index.empty()) << "no index.json from port " << port;
  EXPECT_TRUE(pot::image::parse_index(index).empty()) << index;
  server.kill(SIGTERM);
  EXPECT_EQ(server.wait(10000), 0) << server.err();
}

TEST(InstallTest, MissingServerIsNamedWithBothPlacesLookedAt) {
  TempDir dir;
  fs::path pot = dir.path / "bin" / "pot";
  fs::create_directories(pot.parent_path());
  fs::copy_file(pot_binary(), pot);
  RunResult serve = run_process({pot.string(), "registry", "serve", "-D", dir.path.string()},
                                {base_environment(), 30, ""});
  EXPECT_EQ(serve.code, 1) << serve;
  ASSERT_EQ(serve.err_lines().size(), 1U) << serve;
  std::string error = serve.err_lines()[0];
  EXPECT_NE(error.find((dir.path / "bin" / "pot-registry").string()), std::string::npos) << error;
  EXPECT_NE(error.find((dir.path / "libexec" / "pot" / "pot-registry").string()), std::string::npos)
      << error;
}

// Every command is listed under its whole name, apart from its summary, however long it is.
TEST(HelpTest, ListsEveryCommandByItsWholeName) {
  RunResult help = run_process({pot_binary(), "help"}, {base_environment(), 30, ""});
  ASSERT_POT_OK(help);
  std::vector<std::string> names;
  for (const auto& line : help.out_lines()) {
    std::istringstream words(line);
    std::string first;
    if (line.rfind("  ", 0) == 0 && line.size() > 2 && line[2] != ' ' && words >> first)
      names.push_back(first);
  }
  ASSERT_FALSE(pot::command_table().empty());
  for (const auto& command : pot::command_table())
    EXPECT_NE(std::find(names.begin(), names.end(), command.name), names.end())
        << command.name << " is not listed whole:\n"
        << help.out;
}

}  // namespace
}  // namespace potit
