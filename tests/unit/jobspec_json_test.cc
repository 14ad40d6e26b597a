// parse_json_job(): the JSON form of a job (`nomad job run -json`, the HTTP API's body), read
// as Go's encoding/json reads it into api.Job.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "hcl/diagnostic.h"
#include "jobspec/json_job.h"

namespace {

using jobspec::Json;

Json parse(const std::string& text) {
  return jobspec::parse_json_job(text, "web.json");
}

// The message of the std::runtime_error that parsing `text` throws.
std::string type_error(const std::string& text) {
  try {
    parse(text);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "no error";
}

// The first diagnostic of the hcl::DiagnosticError that parsing `text` throws.
hcl::Diagnostic syntax_error(const std::string& text) {
  try {
    parse(text);
  } catch (const hcl::DiagnosticError& error) {
    return error.diagnostics().at(0);
  }
  return {"no error", "", {}};
}

TEST(JobspecJson, WrappedAndBareJobsReadTheSame) {
  const std::string job = R"({"ID": "web", "TaskGroups": [{"Name": "g", "Count": 2}]})";
  Json bare = parse(job);
  Json wrapped = parse(R"({"Job": )" + job + "}");
  EXPECT_EQ(bare, wrapped);
  EXPECT_EQ(bare["ID"], "web");
  EXPECT_EQ(bare["TaskGroups"][0]["Count"], 2);
}

TEST(JobspecJson, KeysMatchFieldsIgnoringCaseAsGoDoes) {
  Json job = parse(R"({"job": {"id": "web", "taskgroups": [{"name": "g", "COUNT": 3}]}})");
  EXPECT_EQ(job.dump(), R"({"ID":"web","TaskGroups":[{"Name":"g","Count":3}]})");
}

TEST(JobspecJson, UnknownFieldsAreTolerated) {
  Json job = parse(R"({"ID": "web", "NextNomadFeature": {"x": [1, 2]},
                       "TaskGroups": [{"Name": "g", "Shiny": true}]})");
  EXPECT_EQ(job["NextNomadFeature"], Json::parse(R"({"x": [1, 2]})"));
  EXPECT_EQ(job["TaskGroups"][0]["Shiny"], true);
}

TEST(JobspecJson, NullLeavesAFieldUnset) {
  Json job = parse(R"({"ID": "web", "Priority": null, "priority": 70, "PRIORITY": null})");
  EXPECT_EQ(job["Priority"], 70);
}

TEST(JobspecJson, AValueOfTheWrongTypeNamesItsPath) {
  EXPECT_EQ(type_error(R"({"Job": {"TaskGroups": [{"Name": "g", "Count": "2"}]}})"),
            "web.json: Job.TaskGroups[0].Count: expected a number, found a string");
  EXPECT_EQ(type_error(R"({"ID": ["web"]})"),
            "web.json: Job.ID: expected a string, found an array");
  EXPECT_EQ(type_error(R"({"TaskGroups": {"Name": "g"}})"),
            "web.json: Job.TaskGroups: expected an array of objects, found an object");
  EXPECT_EQ(type_error(R"({"Meta": {"owner": 7}})"),
            "web.json: Job.Meta[\"owner\"]: expected a string, found a number");
  EXPECT_EQ(type_error(R"({"TaskGroups": [{"Tasks": [{"Config": "image=nginx"}]}]})"),
            "web.json: Job.TaskGroups[0].Tasks[0].Config: expected an object, found a string");
  EXPECT_EQ(type_error(R"({"Job": 3})"), "web.json: Job: expected an object, found a number");
}

TEST(JobspecJson, IntegersMustBeWholeAndInRange) {
  // Durations are integer nanoseconds: "30s" and 1.5 are both errors, as in Go.
  EXPECT_EQ(type_error(R"({"TaskGroups": [{"Tasks": [{"KillTimeout": "30s"}]}]})"),
            "web.json: Job.TaskGroups[0].Tasks[0].KillTimeout: expected a number, found a string");
  EXPECT_EQ(type_error(R"({"Priority": 1.5})"),
            "web.json: Job.Priority: expected an integer, found a fractional number");
  EXPECT_EQ(type_error(R"({"Affinities": [{"Weight": 200}]})"),
            "web.json: Job.Affinities[0].Weight: 200 is out of range (-128 to 127)");
  EXPECT_EQ(type_error(R"({"Version": -1})"),
            "web.json: Job.Version: -1 is out of range (0 to 18446744073709551615)");
}

TEST(JobspecJson, PayloadIsBase64) {
  EXPECT_EQ(parse(R"({"Payload": "aGk="})")["Payload"], "aGk=");
  EXPECT_EQ(type_error(R"({"Payload": "not base64!"})"), "web.json: Job.Payload: not valid base64");
}

TEST(JobspecJson, MalformedJsonIsLocated) {
  hcl::Diagnostic diagnostic = syntax_error("{\n  \"ID\": \"web\",\n  \"Type\": service\n}");
  EXPECT_EQ(diagnostic.summary, "Invalid JSON");
  EXPECT_EQ(diagnostic.range.filename, "web.json");
  EXPECT_EQ(diagnostic.range.start.line, 3);
  EXPECT_EQ(diagnostic.range.start.column, 11);
  EXPECT_NE(diagnostic.detail.find("invalid literal"), std::string::npos) << diagnostic.detail;
}

TEST(JobspecJson, TruncatedAndTrailingTextAreErrors) {
  EXPECT_EQ(syntax_error(R"({"ID": "web")").summary, "Invalid JSON");
  EXPECT_EQ(syntax_error(R"({"ID": "web"} {"ID": "other"})").summary, "Invalid JSON");
  EXPECT_EQ(syntax_error("").summary, "Invalid JSON");
}

// Found by the jobspec fuzzer: the JSON library reports a number beyond a double with an
// exception of another kind, which escaped as a crash.
TEST(JobspecJson, ANumberBeyondADoubleIsLocated) {
  hcl::Diagnostic diagnostic = syntax_error("{\n  \"Priority\": 9E400\n}");
  EXPECT_EQ(diagnostic.summary, "Invalid JSON");
  EXPECT_EQ(diagnostic.range.start.line, 2);
  EXPECT_EQ(diagnostic.range.start.column, 15);
}

TEST(JobspecJson, TheDocumentMustBeAnObject) {
  hcl::Diagnostic diagnostic = syntax_error("\n  [1, 2]");
  EXPECT_EQ(diagnostic.summary, "Invalid job document");
  EXPECT_EQ(diagnostic.range.start.line, 2);
  EXPECT_EQ(diagnostic.range.start.column, 3);
}

TEST(JobspecJson, HostileNestingIsRefusedNotRecursedInto) {
  const std::string deep = R"({"TaskGroups": [{"Tasks": [{"Config": {"a": )" +
                           std::string(100000, '[') + std::string(100000, ']') + "}}]}]}";
  EXPECT_EQ(syntax_error(deep).summary, "Too deeply nested");
  // Brackets inside strings do not count.
  Json job = parse(R"({"ID": ")" + std::string(1000, '[') + R"("})");
  EXPECT_EQ(job["ID"].get<std::string>().size(), 1000U);
}

}  // namespace
