// `potd job validate` and `potd job run -output`: the job-file commands that need no agent
// (and `potd job run` when there is none), run as a user runs them, on the example job and
// on files a user gets wrong.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "harness.h"

namespace potit {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

class PotdJob : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("potd-job"); }
  void TearDown() override { fs::remove_all(dir_); }

  RunResult potd(std::vector<std::string> args, RunOptions options = {}) {
    args.insert(args.begin(), POTD_BINARY);
    if (options.env.empty()) options.env = base_environment();
    return run_process(args, options);
  }

  std::string write(const std::string& name, const std::string& text) {
    fs::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  fs::path dir_;
};

const std::string kSeedJob = POT_SOURCE_DIR "/examples/seed.nomad";

TEST_F(PotdJob, TheSeedsJobValidates) {
  RunResult result = potd({"job", "validate", kSeedJob});
  ASSERT_TRUE(result.ok()) << result;
  EXPECT_EQ(result.out, "Job validation successful\n");
}

TEST_F(PotdJob, RunOutputPrintsTheJobAsNomadsApiJson) {
  RunResult result = potd({"job", "run", "-output", kSeedJob});
  ASSERT_TRUE(result.ok()) << result;
  Json request = Json::parse(result.out);
  const Json& job = request.at("Job");
  EXPECT_EQ(job.at("ID"), "example");
  EXPECT_EQ(job.at("Type"), "service");
  EXPECT_EQ(job.at("Region"), "global");
  EXPECT_EQ(job.at("Priority"), 50);
  EXPECT_EQ(job.at("Datacenters"), Json::array({"dc1"}));
  const Json& group = job.at("TaskGroups").at(0);
  EXPECT_EQ(group.at("Name"), "example-group");
  EXPECT_EQ(group.at("Count"), 1);
  const Json& task = group.at("Tasks").at(0);
  EXPECT_EQ(task.at("Name"), "nginx-pot");
  EXPECT_EQ(task.at("Driver"), "pot");
  EXPECT_EQ(task.at("Config").at("image"), "http://127.0.0.1:5000/registry/");
  EXPECT_EQ(task.at("Config").at("command"), "nginx -g 'daemon off;'");
  // An object written as an attribute of `config` becomes a list of one object, as Nomad's
  // parser makes it (the driver takes both forms).
  EXPECT_EQ(task.at("Config").at("port_map").at(0).at("http"), "80");
  EXPECT_EQ(task.at("Resources").at("CPU"), 200);
  EXPECT_EQ(task.at("Resources").at("MemoryMB"), 128);
  EXPECT_EQ(task.at("KillTimeout"), 5'000'000'000LL);
  const Json& service = task.at("Services").at(0);
  EXPECT_EQ(service.at("Name"), "pot-webserver");
  EXPECT_EQ(service.at("PortLabel"), "http");
  EXPECT_EQ(service.at("Tags"), Json::array({"nginx-jail"}));
  const Json& check = service.at("Checks").at(0);
  EXPECT_EQ(check.at("Type"), "tcp");
  EXPECT_EQ(check.at("Interval"), 5'000'000'000LL);
  EXPECT_EQ(check.at("Timeout"), 2'000'000'000LL);
  // Four spaces of indent, as `nomad job run -output` prints.
  EXPECT_EQ(result.out.substr(0, 14), "{\n    \"Job\": {");
}

TEST_F(PotdJob, TheJsonItPrintsReadsBackToTheSameJob) {
  RunResult first = potd({"job", "run", "-output", kSeedJob});
  ASSERT_TRUE(first.ok()) << first;
  std::string json_file = write("seed.json", first.out);
  RunResult again = potd({"job", "run", "-output", "-json", json_file});
  ASSERT_TRUE(again.ok()) << again;
  EXPECT_EQ(Json::parse(again.out), Json::parse(first.out));

  // Without -json, JSON is HCL's JSON syntax to Nomad, which potd refuses by name rather than
  // reading `{"job": {"web": ...}}` as an empty API job.
  std::string hcl_json = write("hcl.json", "{\"job\": {\"web\": {\"group\": {}}}}\n");
  RunResult refused = potd({"job", "run", "-output", hcl_json});
  EXPECT_EQ(refused.code, 1) << refused;
  EXPECT_NE(refused.err.find(hcl_json + ":1:1: Unsupported JSON syntax"), std::string::npos)
      << refused;
  EXPECT_EQ(refused.out, "");
}

TEST_F(PotdJob, TheSlidesClosingBracesOnOneLineAreASyntaxError) {
  std::string file = write("slides.nomad",
                           "job \"example\" {\n"
                           "  group \"g\" {\n"
                           "    task \"t\" {\n"
                           "      driver = \"pot\"\n"
                           "} } }\n");
  RunResult result = potd({"job", "validate", file});
  EXPECT_EQ(result.code, 1) << result;
  EXPECT_NE(result.err.find(file + ":5:3: Missing newline after block definition"),
            std::string::npos)
      << result;
  // The source line and a caret under the column.
  EXPECT_NE(result.err.find("} } }"), std::string::npos) << result;
  EXPECT_NE(result.err.find('^'), std::string::npos) << result;
}

TEST_F(PotdJob, AnUnknownAttributeIsNamedWithItsPlace) {
  std::string file = write("typo.nomad",
                           "job \"x\" {\n"
                           "  group \"g\" {\n"
                           "    cuont = 2\n"
                           "    task \"t\" {\n"
                           "      driver = \"pot\"\n"
                           "    }\n"
                           "  }\n"
                           "}\n");
  RunResult result = potd({"job", "validate", file});
  EXPECT_EQ(result.code, 1) << result;
  EXPECT_NE(result.err.find(file + ":3:5: Unsupported argument"), std::string::npos) << result;
  EXPECT_NE(result.err.find("cuont"), std::string::npos) << result;
  EXPECT_EQ(result.out, "");
}

TEST_F(PotdJob, VariablesComeFromFlagsFilesAndTheEnvironmentInNomadsOrder) {
  std::string job = write("vars.nomad",
                          "variable \"count\" {\n"
                          "  type    = number\n"
                          "  default = 1\n"
                          "}\n"
                          "variable \"image\" {\n"
                          "  type = string\n"
                          "}\n"
                          "job \"v\" {\n"
                          "  group \"g\" {\n"
                          "    count = var.count\n"
                          "    task \"t\" {\n"
                          "      driver = \"pot\"\n"
                          "      config { image = var.image }\n"
                          "    }\n"
                          "  }\n"
                          "}\n");
  std::string var_file = write("prod.vars", "count = 3\n");
  auto output = [&](std::vector<std::string> args, std::vector<std::string> extra_env) {
    RunOptions options;
    options.env = base_environment();
    options.env.insert(options.env.end(), extra_env.begin(), extra_env.end());
    args.insert(args.begin(), {"job", "run", "-output"});
    args.push_back(job);
    RunResult result = potd(args, options);
    EXPECT_TRUE(result.ok()) << result;
    return result.ok() ? Json::parse(result.out).at("Job").at("TaskGroups").at(0) : Json();
  };
  Json group = output({}, {"NOMAD_VAR_image=env-image"});
  EXPECT_EQ(group.at("Count"), 1);
  EXPECT_EQ(group.at("Tasks").at(0).at("Config").at("image"), "env-image");
  group = output({"-var-file", var_file, "-var", "image=flag-image"},
                 {"NOMAD_VAR_image=env-image", "NOMAD_VAR_count=2"});
  EXPECT_EQ(group.at("Count"), 3);
  EXPECT_EQ(group.at("Tasks").at(0).at("Config").at("image"), "flag-image");

  RunResult missing = potd({"job", "validate", job});
  EXPECT_EQ(missing.code, 1) << missing;
  EXPECT_NE(missing.err.find("image"), std::string::npos) << missing;
}

// The README's example, as printed there.
TEST_F(PotdJob, TheReadmesVariablesExample) {
  RunOptions options;
  options.env = base_environment();
  options.env.push_back("NOMAD_VAR_image=http://127.0.0.1:5000/registry/");
  RunResult result =
      potd({"job", "run", "-output", "-var", "tag=1.0", "-var-file",
            POT_SOURCE_DIR "/examples/seed.vars", POT_SOURCE_DIR "/examples/variables.nomad"},
           options);
  ASSERT_TRUE(result.ok()) << result;
  const Json group = Json::parse(result.out).at("Job").at("TaskGroups").at(0);
  const Json& task = group.at("Tasks").at(0);
  EXPECT_EQ(group.at("Count"), 2);
  EXPECT_EQ(task.at("Resources").at("MemoryMB"), 256);
  EXPECT_EQ(task.at("Config").at("image"), "http://127.0.0.1:5000/registry/");
  EXPECT_EQ(task.at("Config").at("tag"), "1.0");
  EXPECT_EQ(task.at("Config").at("copy").at(1), "/www/nginx.conf:/usr/local/etc/nginx/nginx.conf");
  EXPECT_EQ(task.at("Services").at(0).at("Tags"), Json::array({"nginx-jail", "tag-1.0"}));
  // Filled in when the task starts, not by the parser.
  EXPECT_EQ(task.at("Env").at("LISTEN"), "${NOMAD_ADDR_http}");

  // Without the image, which has no default, the file is refused, naming the variable.
  RunResult unset = potd({"job", "validate", POT_SOURCE_DIR "/examples/variables.nomad"});
  EXPECT_EQ(unset.code, 1) << unset;
  EXPECT_NE(unset.err.find("Unset variable \"image\""), std::string::npos) << unset;
  // A value the validation refuses: its error_message.
  RunResult refused = potd({"job", "validate", "-var", "image=x", "-var", "count=11",
                            POT_SOURCE_DIR "/examples/variables.nomad"});
  EXPECT_EQ(refused.code, 1) << refused;
  EXPECT_NE(refused.err.find("Between 1 and 10 instances."), std::string::npos) << refused;
}

TEST_F(PotdJob, ReadsTheJobFromStdin) {
  RunOptions options;
  options.env = base_environment();
  std::ifstream in(kSeedJob);
  options.input.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  RunResult result = potd({"job", "validate", "-"}, options);
  ASSERT_TRUE(result.ok()) << result;
}

TEST_F(PotdJob, RunWithoutAnAgentSaysSoInOneLine) {
  // A port bound on 127.0.0.1 that nobody listens on: connecting is refused.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string agent = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));

  RunOptions options;
  options.env = base_environment();
  options.env.push_back("NOMAD_ADDR=" + agent);
  RunResult result = potd({"job", "run", kSeedJob}, options);
  ::close(fd);
  EXPECT_EQ(result.code, 1) << result;
  EXPECT_EQ(result.err_lines().size(), 1u) << result;
  EXPECT_NE(result.err.find("cannot reach the agent at " + agent), std::string::npos) << result;
  EXPECT_EQ(result.out, "");
}

TEST_F(PotdJob, BadUsageIsOneLineAndNonzero) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"job", "validate"},
                                             {"job", "validate", "/nonexistent/job.nomad"},
                                             {"job", "validate", "-nope", kSeedJob},
                                             {"job", "frobnicate"},
                                             {"frobnicate"}}) {
    RunResult result = potd(args);
    EXPECT_EQ(result.code, 1) << result;
    EXPECT_EQ(result.err_lines().size(), 1u) << result;
  }
}

}  // namespace
}  // namespace potit
