// The plugin's real task schema (src/nomad/schemas.h) end to end: converted to proto3 JSON as
// it crosses the wire, handed to HashiCorp's hcldec with a job's config block, encoded by
// go-cty as Nomad's client encodes it (the Go tool nomad-plugin-client, tests/nomad_client),
// and read back with our decode_cty_msgpack and decode_task_config. Needs the driver's
// libraries (nomad_plugin): without POT_BUILD_DRIVER this file is left out; without Go the
// tests skip (and fail in CI).

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "helpers/require.h"
#include "nomad/config_codec.h"
#include "nomad/cty_value.h"
#include "nomad/schemas.h"
#include "nomad_client_tool.h"
#include "test_util.h"

namespace pot::nomad {
namespace {

namespace fs = std::filesystem;
using ::pot::testing::ErrorOf;
using ::pot::testing::HasText;
using ::pot::testing::TempDir;

// The seed's config block (the job of the original driver's README).
constexpr char kSeedConfig[] = R"hcl(
  image = "https://pot-registry.zapto.org/registry/"
  pot = "FBSD120-nginx"
  tag = "1.0"
  command = "nginx -g 'daemon off;'"
  port_map = { http = "80" }
  copy = [
    "/www/index.html:/usr/local/www/nginx-dist/index.html",
    "/www/nginx.conf:/usr/local/etc/nginx/nginx.conf" ]
  mount = [
    "/www/images:/usr/local/etc/www/nginx-dist/images" ]
)hcl";

using ToolResult = pot::testing::NomadClientRun;

std::string spec_json(const hclspec::Spec& spec) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  auto status = google::protobuf::util::MessageToJsonString(spec, &json, options);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return json;
}

class NomadSchemaWire : public ::testing::Test {
 protected:
  void SetUp() override {
    POT_REQUIRE(pot::testing::nomad_client_built(), pot::testing::kNomadClientMissing);
    pot::testing::write_text(dir_ / "task.json", spec_json(task_config_spec()));
    pot::testing::write_text(dir_ / "plugin.json", spec_json(plugin_config_spec()));
  }

  // `nomad-plugin-client encode [flags] SPEC CONFIG`, stdout and stderr to files.
  ToolResult encode(const std::string& spec, const std::string& config,
                    const std::vector<std::string>& flags = {}) {
    const fs::path config_path = dir_ / ("config" + std::to_string(++runs_));
    pot::testing::write_text(config_path, config);
    std::vector<std::string> args{"encode"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back((dir_ / spec).string());
    args.push_back(config_path.string());
    return pot::testing::run_nomad_client(args, "/dev/null", dir_ / "out", dir_ / "err");
  }

  // The value go-cty wrote for `config`, which hcldec must accept.
  CtyValue encoded(const std::string& spec, const std::string& config,
                   const std::vector<std::string>& flags = {}) {
    ToolResult result = encode(spec, config, flags);
    EXPECT_EQ(result.exit_code, 0) << config << "\n" << result.err;
    if (result.exit_code != 0) return CtyValue();
    return decode_cty_msgpack(result.out);
  }

  TempDir dir_{"schema-wire"};
  int runs_ = 0;
};

void expect_seed(const driver::TaskConfig& c) {
  EXPECT_EQ(c.image, "https://pot-registry.zapto.org/registry/");
  EXPECT_EQ(c.pot, "FBSD120-nginx");
  EXPECT_EQ(c.tag, "1.0");
  EXPECT_EQ(c.command, "nginx -g 'daemon off;'");
  EXPECT_TRUE(c.args.empty());
  EXPECT_EQ(c.port_map, (std::map<std::string, std::string>{{"http", "80"}}));
  EXPECT_EQ(c.copy,
            (std::vector<std::string>{"/www/index.html:/usr/local/www/nginx-dist/index.html",
                                      "/www/nginx.conf:/usr/local/etc/nginx/nginx.conf"}));
  EXPECT_EQ(c.mount,
            (std::vector<std::string>{"/www/images:/usr/local/etc/www/nginx-dist/images"}));
  EXPECT_TRUE(c.mount_read_only.empty());
}

TEST_F(NomadSchemaWire, TheSeedsConfigDecodes) {
  CtyValue value = encoded("task.json", kSeedConfig);
  ASSERT_NE(value.if_map(), nullptr);
  // Every attribute of the schema is there, the absent ones null.
  EXPECT_EQ(value.if_map()->size(), task_config_spec().object().attributes().size());
  expect_seed(decode_task_config(value));
}

TEST_F(NomadSchemaWire, PortMapAsAListFromNomadsApiJson) {
  const std::string json = R"({
    "image": "https://pot-registry.zapto.org/registry/", "pot": "FBSD120-nginx", "tag": "1.0",
    "command": "nginx -g 'daemon off;'", "port_map": [{"http": "80"}],
    "copy": ["/www/index.html:/usr/local/www/nginx-dist/index.html",
             "/www/nginx.conf:/usr/local/etc/nginx/nginx.conf"],
    "mount": ["/www/images:/usr/local/etc/www/nginx-dist/images"]})";
  expect_seed(decode_task_config(encoded("task.json", json, {"-json"})));
  // The object form through the API's JSON as well.
  std::string object_form = json;
  object_form.replace(object_form.find("[{\"http\": \"80\"}]"), 16, "{\"http\": \"80\"}");
  expect_seed(decode_task_config(encoded("task.json", object_form, {"-json"})));
}

TEST_F(NomadSchemaWire, PortMapAsAListInHclAndWithNumbers) {
  const std::string base = "image = \"i\"\npot = \"p\"\ntag = \"t\"\n";
  using Ports = std::map<std::string, std::string>;
  EXPECT_EQ(
      decode_task_config(encoded("task.json", base + "port_map = [{ http = \"80\" }]\n")).port_map,
      (Ports{{"http", "80"}}));
  // An attribute of type `any` keeps the number a number; the decoder writes its text.
  EXPECT_EQ(
      decode_task_config(encoded("task.json", base + "port_map = { http = 80, https = \"443\" }\n"))
          .port_map,
      (Ports{{"http", "80"}, {"https", "443"}}));
  EXPECT_EQ(decode_task_config(
                encoded("task.json", base + "port_map = [{ http = 80 }, { https = 443 }]\n"))
                .port_map,
            (Ports{{"http", "80"}, {"https", "443"}}));
  std::string twice = ErrorOf([&] {
    decode_task_config(
        encoded("task.json", base + "port_map = [{ http = 80 }, { http = 8080 }]\n"));
  });
  EXPECT_TRUE(HasText(twice, "port label `http` is mapped twice"));
  std::string scalar =
      ErrorOf([&] { decode_task_config(encoded("task.json", base + "port_map = \"80\"\n")); });
  EXPECT_TRUE(HasText(scalar, "`port_map`: expected an object or a list of objects"));
}

TEST_F(NomadSchemaWire, HclRefusesWhatTheSchemaForbids) {
  ToolResult missing = encode("task.json", "image = \"i\"\n");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(HasText(missing.err, "\"pot\" is required")) << missing.err;
  ToolResult args = encode("task.json", "image = \"i\"\npot = \"p\"\ntag = \"t\"\nargs = \"x\"\n");
  EXPECT_EQ(args.exit_code, 1);
  EXPECT_TRUE(HasText(args.err, "\"args\"")) << args.err;
}

TEST_F(NomadSchemaWire, ArgsAndListsThroughHcl) {
  driver::TaskConfig c = decode_task_config(
      encoded("task.json",
              "image = \"i\"\npot = \"p\"\ntag = \"t\"\n"
              "args = [\"a b\", \"it's\", \"\\\"q\\\"\", \"$${HOME}\", \"x\\ny\", \"\", 80]\n"
              "network_mode = \"host\"\nextra_hosts = [\"db:10.0.0.2\"]\nattributes = []\n"));
  EXPECT_EQ(c.args,
            (std::vector<std::string>{"a b", "it's", "\"q\"", "${HOME}", "x\ny", "", "80"}));
  EXPECT_EQ(c.network_mode, "host");
  EXPECT_EQ(c.extra_hosts, (std::vector<std::string>{"db:10.0.0.2"}));
  EXPECT_TRUE(c.attributes.empty());
}

TEST_F(NomadSchemaWire, ThePluginConfig) {
  PluginConfig defaults = decode_plugin_config(encoded("plugin.json", ""));
  EXPECT_TRUE(defaults.enabled);  // the schema's default
  EXPECT_TRUE(defaults.pot_settings.empty());
  PluginConfig c = decode_plugin_config(
      encoded("plugin.json",
              "enabled = false\nfs_root = \"/opt/pot\"\nhost_paths = [\"/srv/www\", \"/data\"]\n"));
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.pot_settings, (std::map<std::string, std::string>{{"POT_FS_ROOT", "/opt/pot"}}));
  EXPECT_EQ(c.host_paths, (std::vector<std::string>{"/srv/www", "/data"}));
}

}  // namespace
}  // namespace pot::nomad
