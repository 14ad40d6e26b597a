// decode_task_config and decode_plugin_config (src/nomad/config_codec.h): cty values, as
// Nomad sends a task's `config` block and the plugin's own block, into the driver's types.
// Every wrong shape is one error on one line naming the attribute. The same decoding from the
// bytes HashiCorp's hcldec and go-cty write is in nomad_schema_wire_test.cc.
#include "nomad/config_codec.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "nomad/cty_value.h"
#include "test_util.h"

namespace pot::nomad {
namespace {

using ::pot::testing::ErrorOf;
using ::pot::testing::HasText;
using List = CtyValue::List;
using Map = CtyValue::Map;
using Strings = std::vector<std::string>;
using Ports = std::map<std::string, std::string>;

CtyValue str(const std::string& text) {
  return CtyValue(text);
}
CtyValue num(int64_t n) {
  return CtyValue(n);
}
CtyValue list(List items) {
  return CtyValue(std::move(items));
}
CtyValue object(Map attributes) {
  return CtyValue(std::move(attributes));
}
CtyValue strings(const Strings& items) {
  List out;
  for (const auto& item : items) out.push_back(str(item));
  return list(std::move(out));
}

// The seed's task config, as cty has it: every attribute of the schema, those the job left
// out null.
Map seed_config() {
  return {
      {"image", str("https://pot-registry.zapto.org/registry/")},
      {"pot", str("FBSD120-nginx")},
      {"tag", str("1.0")},
      {"command", str("nginx -g 'daemon off;'")},
      {"args", CtyValue()},
      {"port_map", object({{"http", str("80")}})},
      {"network_mode", CtyValue()},
      {"copy", strings({"/www/index.html:/usr/local/www/nginx-dist/index.html",
                        "/www/nginx.conf:/usr/local/etc/nginx/nginx.conf"})},
      {"mount", strings({"/www/images:/usr/local/etc/www/nginx-dist/images"})},
      {"mount_read_only", CtyValue()},
      {"extra_hosts", CtyValue()},
      {"attributes", CtyValue()},
  };
}

// The required three and one more attribute.
CtyValue with(const std::string& name, CtyValue value) {
  Map config = {{"image", str("https://r/")}, {"pot", str("p")}, {"tag", str("1")}};
  config[name] = std::move(value);
  return object(std::move(config));
}

void expect_seed(const driver::TaskConfig& c) {
  EXPECT_EQ(c.image, "https://pot-registry.zapto.org/registry/");
  EXPECT_EQ(c.pot, "FBSD120-nginx");
  EXPECT_EQ(c.tag, "1.0");
  EXPECT_EQ(c.command, "nginx -g 'daemon off;'");
  EXPECT_TRUE(c.args.empty());
  EXPECT_EQ(c.port_map, (Ports{{"http", "80"}}));
  EXPECT_EQ(c.network_mode, "");
  EXPECT_EQ(c.copy, (Strings{"/www/index.html:/usr/local/www/nginx-dist/index.html",
                             "/www/nginx.conf:/usr/local/etc/nginx/nginx.conf"}));
  EXPECT_EQ(c.mount, (Strings{"/www/images:/usr/local/etc/www/nginx-dist/images"}));
  EXPECT_TRUE(c.mount_read_only.empty());
  EXPECT_TRUE(c.extra_hosts.empty());
  EXPECT_TRUE(c.attributes.empty());
}

// The error of decoding `value`, which must be one line.
std::string task_error(const CtyValue& value) {
  std::string message = ErrorOf([&] { decode_task_config(value); });
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  return message;
}

TEST(DecodeTaskConfig, TheSeedsConfig) {
  expect_seed(decode_task_config(object(seed_config())));
}

TEST(DecodeTaskConfig, TheSeedsConfigFromMsgpack) {
  expect_seed(decode_task_config(decode_cty_msgpack(encode_cty_msgpack(object(seed_config())))));
}

TEST(DecodeTaskConfig, EveryAttribute) {
  Map config = seed_config();
  config["args"] = strings({"-c", "echo 'hi' \"there\"", ""});
  config["network_mode"] = str("host");
  config["mount_read_only"] = strings({"/srv/ro:/ro"});
  config["extra_hosts"] = strings({"db:10.0.0.2", "cache:10.0.0.3"});
  config["attributes"] = strings({"no-tmpfs:YES"});
  driver::TaskConfig c =
      decode_task_config(decode_cty_msgpack(encode_cty_msgpack(object(std::move(config)))));
  EXPECT_EQ(c.args, (Strings{"-c", "echo 'hi' \"there\"", ""}));
  EXPECT_EQ(c.network_mode, "host");
  EXPECT_EQ(c.mount_read_only, (Strings{"/srv/ro:/ro"}));
  EXPECT_EQ(c.extra_hosts, (Strings{"db:10.0.0.2", "cache:10.0.0.3"}));
  EXPECT_EQ(c.attributes, (Strings{"no-tmpfs:YES"}));
}

TEST(DecodeTaskConfig, AbsentAttributesAreEmpty) {
  driver::TaskConfig c = decode_task_config(with("command", CtyValue()));
  EXPECT_EQ(c.command, "");
  EXPECT_TRUE(c.args.empty());
  EXPECT_TRUE(c.port_map.empty());
  EXPECT_TRUE(c.copy.empty());
}

TEST(DecodeTaskConfig, PortMapAsAListOfObjects) {
  driver::TaskConfig one =
      decode_task_config(with("port_map", list({object({{"http", str("80")}})})));
  EXPECT_EQ(one.port_map, (Ports{{"http", "80"}}));
  driver::TaskConfig several = decode_task_config(
      with("port_map", list({object({{"http", str("80")}}), object({}),
                             object({{"https", str("443")}, {"grpc", str("9000")}})})));
  EXPECT_EQ(several.port_map, (Ports{{"http", "80"}, {"https", "443"}, {"grpc", "9000"}}));
  EXPECT_TRUE(decode_task_config(with("port_map", list({}))).port_map.empty());
  EXPECT_TRUE(decode_task_config(with("port_map", object({}))).port_map.empty());
}

TEST(DecodeTaskConfig, PortMapNumbersBecomeTheirText) {
  EXPECT_EQ(decode_task_config(with("port_map", object({{"http", num(80)}}))).port_map,
            (Ports{{"http", "80"}}));
  EXPECT_EQ(decode_task_config(with("port_map", list({object({{"http", num(80)}})}))).port_map,
            (Ports{{"http", "80"}}));
  // Through msgpack, where 80 is a positive fixint.
  CtyValue bytes = decode_cty_msgpack(
      encode_cty_msgpack(with("port_map", object({{"http", num(80)}, {"big", num(65535)}}))));
  EXPECT_EQ(decode_task_config(bytes).port_map, (Ports{{"http", "80"}, {"big", "65535"}}));
  // A whole float is written without a fraction.
  EXPECT_EQ(decode_task_config(with("port_map", object({{"http", CtyValue(8080.0)}}))).port_map,
            (Ports{{"http", "8080"}}));
}

TEST(DecodeTaskConfig, ALabelMappedTwiceAcrossListEntriesIsAnError) {
  std::string message = task_error(
      with("port_map", list({object({{"http", str("80")}}), object({{"http", str("8080")}})})));
  EXPECT_TRUE(HasText(message, "`port_map`[1]"));
  EXPECT_TRUE(HasText(message, "port label `http` is mapped twice"));
}

TEST(DecodeTaskConfig, RequiredAttributesMissingAreNamed) {
  for (const char* name : {"image", "pot", "tag"}) {
    Map config = seed_config();
    config.erase(name);
    std::string message = task_error(object(config));
    EXPECT_TRUE(HasText(message, std::string("task config: `") + name + "`")) << name;
    EXPECT_TRUE(HasText(message, "required")) << name;
    // Null, as cty writes an attribute the job left out, is missing too.
    config[name] = CtyValue();
    EXPECT_TRUE(HasText(task_error(object(config)), std::string("`") + name + "`")) << name;
  }
  // All three missing: the first is named.
  EXPECT_TRUE(HasText(task_error(object({})), "`image`: required"));
}

TEST(DecodeTaskConfig, AListAttributeOfAnotherShapeIsAnErrorNamingIt) {
  std::string as_string = task_error(with("args", str("-g daemon")));
  EXPECT_TRUE(HasText(as_string, "task config: `args`: expected a list of strings, got a string"));
  std::string as_map = task_error(with("args", object({{"a", str("b")}})));
  EXPECT_TRUE(HasText(as_map, "`args`: expected a list of strings, got a map"));
  std::string as_number = task_error(with("mount", num(1)));
  EXPECT_TRUE(HasText(as_number, "`mount`: expected a list of strings, got a number"));
}

TEST(DecodeTaskConfig, AListElementOfAnotherShapeIsAnErrorNamingItsIndex) {
  // A number in a list(string) is its text (cty converts it), a list or a map is not.
  EXPECT_EQ(decode_task_config(with("copy", list({str("/a:/b"), num(1)}))).copy,
            (Strings{"/a:/b", "1"}));
  std::string nested = task_error(with("copy", list({str("/a:/b"), list({})})));
  EXPECT_TRUE(HasText(nested, "`copy`[1]: expected a string, got a list"));
  std::string map = task_error(with("extra_hosts", list({object({})})));
  EXPECT_TRUE(HasText(map, "`extra_hosts`[0]: expected a string, got a map"));
  std::string null = task_error(with("args", list({CtyValue()})));
  EXPECT_TRUE(HasText(null, "`args`[0]: expected a string, got null"));
}

TEST(DecodeTaskConfig, AStringAttributeOfAnotherShapeIsAnErrorNamingIt) {
  std::string message = task_error(with("command", strings({"nginx"})));
  EXPECT_TRUE(HasText(message, "task config: `command`: expected a string, got a list"));
  EXPECT_TRUE(HasText(task_error(with("image", object({}))), "`image`: expected a string"));
}

TEST(DecodeTaskConfig, APortMapOfAnotherShapeIsAnErrorNamingIt) {
  std::string as_string = task_error(with("port_map", str("80")));
  EXPECT_TRUE(
      HasText(as_string, "`port_map`: expected an object or a list of objects, got a string"));
  EXPECT_TRUE(HasText(task_error(with("port_map", num(80))), "`port_map`: expected an object"));
  std::string element = task_error(with("port_map", list({str("http=80")})));
  EXPECT_TRUE(HasText(element, "`port_map`[0]: expected an object of port label = port"));
  std::string port = task_error(with("port_map", object({{"http", list({})}})));
  EXPECT_TRUE(HasText(port, "`port_map`.http: expected a string, got a list"));
}

TEST(DecodeTaskConfig, AnUnknownValueIsAnError) {
  std::string attribute = task_error(with("command", CtyValue(CtyValue::Unknown{})));
  EXPECT_TRUE(HasText(attribute, "`command`"));
  EXPECT_TRUE(HasText(attribute, "unknown"));
  EXPECT_TRUE(HasText(task_error(with("image", CtyValue(CtyValue::Unknown{}))), "unknown"));
  EXPECT_TRUE(HasText(task_error(with("args", CtyValue(CtyValue::Unknown{}))), "`args`"));
  EXPECT_TRUE(HasText(task_error(with("port_map", CtyValue(CtyValue::Unknown{}))), "`port_map`"));
  // Inside a list or an object.
  EXPECT_TRUE(HasText(task_error(with("args", list({CtyValue(CtyValue::Unknown{})}))),
                      "`args`[0]: expected a string, got an unknown value"));
  EXPECT_TRUE(HasText(
      task_error(with("port_map", object({{"http", CtyValue(CtyValue::Unknown{})}}))), "unknown"));
  // The whole config.
  EXPECT_TRUE(HasText(task_error(CtyValue(CtyValue::Unknown{})), "unknown"));
  // Through msgpack.
  EXPECT_TRUE(HasText(task_error(decode_cty_msgpack(
                          encode_cty_msgpack(with("tag", CtyValue(CtyValue::Unknown{}))))),
                      "`tag`"));
}

TEST(DecodeTaskConfig, ANullConfigLacksTheRequiredAttributes) {
  EXPECT_TRUE(HasText(task_error(CtyValue()), "task config: `image`: required"));
}

TEST(DecodeTaskConfig, AConfigThatIsNotAnObjectIsAnError) {
  EXPECT_TRUE(HasText(task_error(str("image")), "task config: expected an object, got a string"));
  EXPECT_TRUE(HasText(task_error(list({})), "task config: expected an object, got a list"));
}

TEST(DecodePluginConfig, Defaults) {
  for (const CtyValue& value : {CtyValue(), object({}), object({{"enabled", CtyValue()}})}) {
    PluginConfig c = decode_plugin_config(value);
    EXPECT_TRUE(c.enabled);
    EXPECT_TRUE(c.signing_key.empty());
    EXPECT_TRUE(c.host_paths.empty());
    EXPECT_TRUE(c.pot_path.empty());
    EXPECT_TRUE(c.pot_settings.empty());
  }
}

TEST(DecodePluginConfig, Enabled) {
  EXPECT_TRUE(decode_plugin_config(object({{"enabled", CtyValue(true)}})).enabled);
  EXPECT_FALSE(decode_plugin_config(object({{"enabled", CtyValue(false)}})).enabled);
  EXPECT_FALSE(decode_plugin_config(object({{"enabled", str("false")}})).enabled);
  EXPECT_TRUE(decode_plugin_config(object({{"enabled", str("true")}})).enabled);
  std::string message = ErrorOf([] { decode_plugin_config(object({{"enabled", str("maybe")}})); });
  EXPECT_TRUE(HasText(message, "plugin config: `enabled`: expected a bool, got a string"));
  EXPECT_TRUE(HasText(ErrorOf([] {
                        decode_plugin_config(object({{"enabled", num(1)}}));
                      }),
                      "`enabled`"));
}

TEST(DecodePluginConfig, EveryAttribute) {
  CtyValue value = object({
      {"enabled", CtyValue(true)},
      {"signing_key", str("/etc/pot/key.pub")},
      {"host_paths", strings({"/srv/www", "/data"})},
      {"pot_path", str("/usr/local/bin/pot")},
      {"fs_root", str("/opt/pot")},
      {"network", str("10.192.0.0/10")},
      {"gateway", str("10.192.0.1")},
      {"extif", str("eth0")},
      {"dns_ip", str("10.192.0.2")},
      {"cgroup", str("pot")},
      {"storage", str("btrfs")},
  });
  PluginConfig c = decode_plugin_config(decode_cty_msgpack(encode_cty_msgpack(value)));
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.signing_key, "/etc/pot/key.pub");
  EXPECT_EQ(c.host_paths, (Strings{"/srv/www", "/data"}));
  EXPECT_EQ(c.pot_path, "/usr/local/bin/pot");
  EXPECT_EQ(c.pot_settings, (std::map<std::string, std::string>{
                                {"POT_FS_ROOT", "/opt/pot"},
                                {"POT_NETWORK", "10.192.0.0/10"},
                                {"POT_GATEWAY", "10.192.0.1"},
                                {"POT_EXTIF", "eth0"},
                                {"POT_DNS_IP", "10.192.0.2"},
                                {"POT_CGROUP", "pot"},
                                {"POT_STORAGE", "btrfs"},
                            }));
}

TEST(DecodePluginConfig, FsRootAloneAndEmptySettingsLeftOut) {
  PluginConfig c =
      decode_plugin_config(object({{"fs_root", str("/opt/pot")}, {"network", str("")}}));
  EXPECT_EQ(c.pot_settings, (std::map<std::string, std::string>{{"POT_FS_ROOT", "/opt/pot"}}));
}

TEST(DecodePluginConfig, WrongShapesAreErrorsNamingTheAttribute) {
  EXPECT_TRUE(HasText(ErrorOf([] {
                        decode_plugin_config(object({{"host_paths", str("/srv")}}));
                      }),
                      "plugin config: `host_paths`: expected a list of strings, got a string"));
  EXPECT_TRUE(HasText(ErrorOf([] {
                        decode_plugin_config(object({{"fs_root", list({})}}));
                      }),
                      "plugin config: `fs_root`: expected a string, got a list"));
  EXPECT_TRUE(HasText(ErrorOf([] { decode_plugin_config(str("x")); }),
                      "plugin config: expected an object"));
  EXPECT_TRUE(HasText(ErrorOf([] {
                        decode_plugin_config(object({{"fs_root", CtyValue(CtyValue::Unknown{})}}));
                      }),
                      "`fs_root`"));
}

}  // namespace
}  // namespace pot::nomad
