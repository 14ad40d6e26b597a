// A differential test of the cty msgpack decoder: task configs are decoded and encoded by
// HashiCorp's own code — hcldec against a schema converted as Nomad's client converts it,
// then go-cty's msgpack.Marshal(val, val.Type()) as Nomad's client sends it — through the Go
// tool nomad-plugin-client (tests/nomad_client), and the bytes read back with our
// decode_cty_msgpack. The tool is built when CMake finds `go`; without it these tests skip
// (and fail in CI).

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "helpers/require.h"
#include "nomad/cty_value.h"
#include "nomad_client_tool.h"
#include "test_util.h"

namespace pot::nomad {
namespace {

namespace fs = std::filesystem;
using pot::testing::HasText;
using pot::testing::TempDir;

// The task schema as the plugin's TaskConfigSchema would send it, in proto3 JSON with the
// original field names (protobuf's MessageToJsonString with preserve_proto_field_name).
// `privileged` is a Default of a Literal: hcldec fills it in when the job leaves it out.
constexpr std::string_view kSpec = R"spec({"object": {"attributes": {
  "image": {"Attr": {"name": "image", "type": "string", "required": true}},
  "enabled": {"Attr": {"name": "enabled", "type": "bool"}},
  "count": {"Attr": {"name": "count", "type": "number"}},
  "args": {"Attr": {"name": "args", "type": "list(string)"}},
  "labels": {"Attr": {"name": "labels", "type": "map(string)"}},
  "ports": {"Attr": {"name": "ports", "type": "list(map(string))"}},
  "port_map": {"Attr": {"name": "port_map", "type": "any"}},
  "privileged": {"default": {
    "primary": {"Attr": {"name": "privileged", "type": "bool"}},
    "default": {"literal": {"value": "true"}}}}
}}})spec";

// The same schema as lowerCamelCase JSON with the names left to the object's keys.
constexpr std::string_view kSpecCamel = R"spec({"object": {"attributes": {
  "image": {"Attr": {"type": "string", "required": true}},
  "enabled": {"Attr": {"type": "bool"}},
  "count": {"Attr": {"type": "number"}},
  "args": {"Attr": {"type": "list(string)"}},
  "labels": {"Attr": {"type": "map(string)"}},
  "ports": {"Attr": {"type": "list(map(string))"}},
  "port_map": {"Attr": {"type": "any"}},
  "privileged": {"default": {
    "primary": {"Attr": {"name": "privileged", "type": "bool"}},
    "default": {"literal": {"value": "true"}}}}
}}})spec";

CtyValue str(std::string_view text) {
  return CtyValue(std::string(text));
}
CtyValue num(int64_t value) {
  return CtyValue(value);
}

using ToolResult = pot::testing::NomadClientRun;
using pot::testing::kNomadClientMissing;
using pot::testing::nomad_client_built;
using pot::testing::run_nomad_client;

class CtyWire : public ::testing::Test {
 protected:
  void SetUp() override {
    POT_REQUIRE(nomad_client_built(), kNomadClientMissing);
    pot::testing::write_text(dir_ / "spec.json", kSpec);
    pot::testing::write_text(dir_ / "spec-camel.json", kSpecCamel);
  }

  // Runs `nomad-plugin-client encode [flags] SPEC CONFIG` on `config` (the body of a task's
  // config block, or with -json the JSON object of Nomad's API).
  ToolResult encode(std::string_view config, std::vector<std::string> flags = {},
                    const std::string& spec = "spec.json") {
    const fs::path config_path = dir_ / ("config" + std::to_string(++runs_));
    pot::testing::write_text(config_path, config);

    std::vector<std::string> args{"encode"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back((dir_ / spec).string());
    args.push_back(config_path.string());
    return run_nomad_client(args, "/dev/null", dir_ / "out", dir_ / "err");
  }

  // Encodes `config` with the Go tool, which must accept it, and decodes the bytes with ours.
  CtyValue round_trip(std::string_view config, std::vector<std::string> flags = {}) {
    ToolResult result = encode(config, std::move(flags));
    EXPECT_EQ(result.exit_code, 0) << "config:\n" << shorten(config) << "\nstderr:\n" << result.err;
    if (result.exit_code != 0) return CtyValue();
    try {
      return decode_cty_msgpack(result.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "our decoder refused what go-cty wrote for\n"
                    << shorten(config) << "\n"
                    << e.what() << "\nbytes: " << shorten(hex(result.out));
      return CtyValue();
    }
  }

  // The value of one attribute of a config that also sets the required `image` (unless it is
  // the attribute).
  CtyValue attribute(std::string_view name, std::string_view hcl_value) {
    const std::string config = (name == "image" ? "" : "image = \"x\"\n") + std::string(name) +
                               " = " + std::string(hcl_value) + "\n";
    CtyValue value = round_trip(config);
    const CtyValue::Map* map = value.if_map();
    if (map == nullptr || !map->contains(name)) {
      ADD_FAILURE() << "no attribute " << name << " in the decoded config of\n" << shorten(config);
      return CtyValue();
    }
    return map->find(name)->second;
  }

  // Long configs (the string tests) cut for failure messages.
  static std::string shorten(std::string_view text) {
    return text.size() <= 400 ? std::string(text)
                              : std::string(text.substr(0, 400)) + "... (" +
                                    std::to_string(text.size()) + " bytes)";
  }

  static std::string hex(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string text;
    for (unsigned char c : bytes) {
      text += kDigits[c >> 4];
      text += kDigits[c & 15];
    }
    return text;
  }

  TempDir dir_{"cty-wire"};
  int runs_ = 0;
};

TEST_F(CtyWire, EveryAttributeOfTheSchemaIsPresentAndTheAbsentOnesAreNull) {
  CtyValue value = round_trip("image = \"docker.io/x\"\n");
  const CtyValue::Map* config = value.if_map();
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->size(), 8U);
  EXPECT_EQ(config->at("image"), str("docker.io/x"));
  for (const char* absent : {"enabled", "count", "args", "labels", "ports", "port_map"}) {
    EXPECT_TRUE(config->at(absent).is_null()) << absent << " is " << config->at(absent).kind_name();
  }
  // The Default's Literal, applied by hcldec before encoding.
  EXPECT_EQ(config->at("privileged"), CtyValue(true));
}

TEST_F(CtyWire, TheOriginalAndTheLowerCamelCaseSchemaGiveTheSameBytes) {
  const std::string config = "image = \"x\"\nargs = [\"a\"]\nport_map = { http = \"80\" }\n";
  ToolResult original = encode(config);
  ToolResult camel = encode(config, {}, "spec-camel.json");
  ASSERT_EQ(original.exit_code, 0) << original.err;
  ASSERT_EQ(camel.exit_code, 0) << camel.err;
  EXPECT_EQ(hex(original.out), hex(camel.out));
}

TEST_F(CtyWire, Booleans) {
  EXPECT_EQ(attribute("enabled", "true"), CtyValue(true));
  EXPECT_EQ(attribute("enabled", "false"), CtyValue(false));
  EXPECT_EQ(attribute("privileged", "false"), CtyValue(false));
  // HCL converts the strings "true" and "false" to a bool attribute.
  EXPECT_EQ(attribute("enabled", "\"true\""), CtyValue(true));
}

TEST_F(CtyWire, IntegersOfEverySize) {
  // go-cty writes an exact int64 with the smallest msgpack integer: positive ones in the
  // unsigned forms (fixint, uint8 cc, uint16 cd, uint32 ce, uint64 cf), negative ones in
  // the signed forms.
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{127}, int64_t{128}, int64_t{255}, int64_t{256},
                    int64_t{65535}, int64_t{65536}, int64_t{4294967295}, int64_t{4294967296},
                    int64_t{9007199254740993}, INT64_MAX, int64_t{-1}, int64_t{-32}, int64_t{-33},
                    int64_t{-129}, int64_t{-32769}, int64_t{-2147483649}, INT64_MIN}) {
    // INT64_MIN is written as -9223372036854775807 - 1 (HCL has no negative literals).
    const std::string text = n == INT64_MIN ? "-9223372036854775807 - 1" : std::to_string(n);
    EXPECT_EQ(attribute("count", text), num(n)) << text;
  }
  // HCL converts a string of digits to a number attribute.
  EXPECT_EQ(attribute("count", "\"42\""), num(42));
}

TEST_F(CtyWire, FractionsAndNumbersBeyondInt64) {
  // A number that is exactly a float64 is a float64.
  EXPECT_EQ(attribute("count", "1.5"), CtyValue(1.5));
  EXPECT_EQ(attribute("count", "-0.25"), CtyValue(-0.25));
  // 2^63: no int64, but exactly a float64.
  EXPECT_EQ(attribute("count", "9223372036854775808"), CtyValue(9223372036854775808.0));
  // Neither an int64 nor exactly a float64 (cty's numbers are arbitrary-precision decimals):
  // go-cty writes the decimal text, a msgpack string. 0.1 is such a number.
  EXPECT_EQ(attribute("count", "0.1"), str("0.1"));
  EXPECT_EQ(attribute("count", "18446744073709551615"), str("18446744073709551615"));
  EXPECT_EQ(attribute("count", "1e300"), str("1" + std::string(300, '0')));
}

TEST_F(CtyWire, Strings) {
  EXPECT_EQ(attribute("image", "\"\""), str(""));
  EXPECT_EQ(attribute("image", "\"h\\u00e9llo w\\u00f6rld \\u2713 \\U0001F680\""),
            str("h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x9a\x80"));
  EXPECT_EQ(attribute("image", "\"d\xc3\xa9j\xc3\xa0 \xf0\x9f\x90\xb3\""),
            str("d\xc3\xa9j\xc3\xa0 \xf0\x9f\x90\xb3"));
  // str8, str16 and str32 lengths.
  for (size_t size :
       {size_t{31}, size_t{32}, size_t{255}, size_t{256}, size_t{65535}, size_t{65536}}) {
    const std::string long_text = pot::testing::test_pattern(size);
    EXPECT_EQ(attribute("image", "\"" + long_text + "\""), str(long_text)) << size;
  }
  // A template: HCL evaluates it before encoding.
  EXPECT_EQ(attribute("image", "\"${upper(\"web\")}-1\""), str("WEB-1"));
}

TEST_F(CtyWire, ListsAndMaps) {
  EXPECT_EQ(attribute("args", "[]"), CtyValue(CtyValue::List{}));
  EXPECT_EQ(attribute("args", "[\"-c\", \"echo hi\", \"\"]"),
            CtyValue(CtyValue::List{str("-c"), str("echo hi"), str("")}));
  // HCL converts the numbers of a list(string) to strings.
  EXPECT_EQ(attribute("args", "[1, true]"), CtyValue(CtyValue::List{str("1"), str("true")}));
  EXPECT_EQ(attribute("labels", "{}"), CtyValue(CtyValue::Map{}));
  EXPECT_EQ(attribute("labels", "{ \"a.b\" = \"c\", z = \"\", \"\xc3\xa9\" = \"e\" }"),
            CtyValue(CtyValue::Map{{"a.b", str("c")}, {"z", str("")}, {"\xc3\xa9", str("e")}}));
  EXPECT_EQ(attribute("ports", "[]"), CtyValue(CtyValue::List{}));
  EXPECT_EQ(attribute("ports", "[{ http = \"80\" }, {}, { https = 443, grpc = \"9000\" }]"),
            CtyValue(CtyValue::List{
                CtyValue(CtyValue::Map{{"http", str("80")}}), CtyValue(CtyValue::Map{}),
                CtyValue(CtyValue::Map{{"grpc", str("9000")}, {"https", str("443")}})}));
}

TEST_F(CtyWire, AnAttributeOfTypeAnyIsWrittenAsItsValue) {
  // Nomad marshals with the value's own type, so `any` carries the concrete value: an
  // object is a map, a tuple an array; no dynamic [type, value] wrapper.
  EXPECT_EQ(attribute("port_map", "{ http = \"80\" }"),
            CtyValue(CtyValue::Map{{"http", str("80")}}));
  EXPECT_EQ(attribute("port_map", "[{ http = \"80\" }]"),
            CtyValue(CtyValue::List{CtyValue(CtyValue::Map{{"http", str("80")}})}));
  // The object keeps each attribute's own type: a number stays a number.
  EXPECT_EQ(attribute("port_map", "{ http = 80, https = \"443\" }"),
            CtyValue(CtyValue::Map{{"http", num(80)}, {"https", str("443")}}));
  EXPECT_EQ(attribute("port_map", "[{ http = \"80\" }, { https = \"443\" }]"),
            CtyValue(CtyValue::List{CtyValue(CtyValue::Map{{"http", str("80")}}),
                                    CtyValue(CtyValue::Map{{"https", str("443")}})}));
  EXPECT_EQ(attribute("port_map", "[]"), CtyValue(CtyValue::List{}));
  EXPECT_EQ(attribute("port_map", "{}"), CtyValue(CtyValue::Map{}));
  EXPECT_EQ(attribute("port_map", "\"80\""), str("80"));
  EXPECT_EQ(attribute("port_map", "8080"), num(8080));
  EXPECT_EQ(attribute("port_map", "null"), CtyValue());
}

TEST_F(CtyWire, TheJsonOfNomadsApiGivesTheSameValues) {
  // Nomad's client decodes a task's config map from the API as HCL JSON syntax against
  // the schema (hclutils.ParseHclInterface).
  CtyValue from_json = round_trip(
      R"({"image": "x", "args": ["a", "b"], "labels": {"k": "v"}, "count": 3,
          "port_map": [{"http": "80"}], "ports": [{"http": "80"}]})",
      {"-json"});
  CtyValue from_hcl = round_trip(
      "image = \"x\"\nargs = [\"a\", \"b\"]\nlabels = { k = \"v\" }\ncount = 3\n"
      "port_map = [{ http = \"80\" }]\nports = [{ http = \"80\" }]\n");
  EXPECT_EQ(from_json, from_hcl);
  ASSERT_NE(from_json.if_map(), nullptr);
  EXPECT_EQ(from_json.if_map()->at("count"), num(3));
}

TEST_F(CtyWire, HclRefusesAConfigThatDoesNotMatchTheSchema) {
  // A map where the schema says list(string).
  ToolResult wrong_type = encode("image = \"x\"\nargs = { a = 1 }\n");
  EXPECT_EQ(wrong_type.exit_code, 1);
  EXPECT_TRUE(HasText(wrong_type.err, "\"args\"")) << wrong_type.err;
  EXPECT_TRUE(HasText(wrong_type.err, "list of string required")) << wrong_type.err;
  EXPECT_TRUE(wrong_type.out.empty());

  ToolResult missing = encode("args = [\"a\"]\n");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(HasText(missing.err, "\"image\" is required")) << missing.err;

  ToolResult unknown = encode("image = \"x\"\nimgae = \"y\"\n");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_TRUE(HasText(unknown.err, "Unsupported argument")) << unknown.err;
  EXPECT_TRUE(HasText(unknown.err, "imgae")) << unknown.err;

  // A block where the schema has an attribute (HCL2 job files write `port_map = [...]`).
  ToolResult block = encode("image = \"x\"\nport_map { http = \"80\" }\n");
  EXPECT_EQ(block.exit_code, 1);
  EXPECT_TRUE(HasText(block.err, "Unsupported block type")) << block.err;

  ToolResult json_wrong = encode(R"({"image": "x", "enabled": "maybe"})", {"-json"});
  EXPECT_EQ(json_wrong.exit_code, 1);
  EXPECT_TRUE(HasText(json_wrong.err, "\"enabled\"")) << json_wrong.err;
}

// The launch command's own failure path: a binary that does not speak go-plugin's handshake
// is refused by go-plugin's client (exit 2, its error on stderr, nothing on stdout).
TEST(NomadPluginClient, LaunchRefusesABinaryThatIsNotAPlugin) {
  POT_REQUIRE(nomad_client_built(), kNomadClientMissing);
  TempDir dir("plugin-client");
  ToolResult result =
      run_nomad_client({"launch", "/bin/true"}, "/dev/null", dir / "out", dir / "err");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(result.out.empty()) << result.out;
  EXPECT_TRUE(HasText(result.err, "handshake failed")) << result.err;
}

}  // namespace
}  // namespace pot::nomad
