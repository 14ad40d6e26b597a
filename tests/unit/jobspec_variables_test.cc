// Input variables, their values (default < NOMAD_VAR_ < -var-file < -var), validation,
// locals and the functions' base directory.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "jobspec_test_util.h"

namespace {

using jobspec::Json;
using jobspec::ParseOptions;
using jobspec_test::decode;
using jobspec_test::error_named;

const std::string kRegionJob = R"(variable "region" {
  type    = string
  default = "from-default"
}
job "j" {
  region = var.region
}
)";

// A temporary directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("pot-jobspec-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    const auto file = path_ / name;
    std::ofstream(file) << text;
    return file.string();
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(JobspecVariables, DefaultValue) {
  EXPECT_EQ(decode(kRegionJob)["Region"], "from-default");
}

TEST(JobspecVariables, PrecedenceDefaultEnvFileArgument) {
  TempDir dir;
  const std::string file1 = dir.write("a.vars", "region = \"from-file-1\"\n");
  const std::string file2 = dir.write("b.vars", "region = \"from-file-2\"\n");
  ParseOptions options;
  options.environment = {{"NOMAD_VAR_region", "from-env"}, {"HOME", "/root"}};
  EXPECT_EQ(decode(kRegionJob, options)["Region"], "from-env");
  options.var_files = {file1, file2};
  EXPECT_EQ(decode(kRegionJob, options)["Region"], "from-file-2");
  options.var_args = {"region=from-arg-1", "region=from-arg-2"};
  EXPECT_EQ(decode(kRegionJob, options)["Region"], "from-arg-2");
}

TEST(JobspecVariables, JsonVarFile) {
  TempDir dir;
  ParseOptions options;
  options.var_files = {dir.write("v.json", R"({"region": "from-json"})")};
  EXPECT_EQ(decode(kRegionJob, options)["Region"], "from-json");
}

TEST(JobspecVariables, CommandLineTextIsAStringOrAnExpressionByType) {
  const std::string source = R"(variable "count" {
  type = number
}
variable "name" {
  type = string
}
variable "dcs" {
  type = list(string)
}
variable "on" {
  type = bool
}
job "j" {
  datacenters = var.dcs
  all_at_once = var.on
  group "g" {
    count = var.count
    meta {
      name = var.name
    }
  }
}
)";
  ParseOptions options;
  options.var_args = {"count=3", "name=[not a list]", "dcs=[\"dc1\", \"dc2\"]", "on=true"};
  const Json job = decode(source, options);
  EXPECT_EQ(job["TaskGroups"][0]["Count"], 3);
  EXPECT_EQ(job["TaskGroups"][0]["Meta"]["name"], "[not a list]");
  EXPECT_EQ(job["Datacenters"], Json({"dc1", "dc2"}));
  EXPECT_EQ(job["AllAtOnce"], true);
}

TEST(JobspecVariables, UndeclaredCommandLineVariableIsAnError) {
  ParseOptions options;
  options.var_args = {"regoin=x"};
  const auto d = error_named("Undefined -var variable", kRegionJob, options);
  EXPECT_NE(d.detail.find("\"regoin\""), std::string::npos);
}

TEST(JobspecVariables, UndeclaredVarFileVariableIsAnErrorAndEnvironmentIsIgnored) {
  TempDir dir;
  ParseOptions options;
  options.environment = {{"NOMAD_VAR_other", "x"}};
  EXPECT_EQ(decode(kRegionJob, options)["Region"], "from-default");
  options.var_files = {dir.write("v.vars", "region = \"r\"\nzone = \"z\"\n")};
  const auto d = error_named("Undefined variable", kRegionJob, options);
  EXPECT_EQ(d.range.start.line, 2);
}

TEST(JobspecVariables, DeclarationInAVarFileIsAnError) {
  TempDir dir;
  ParseOptions options;
  options.var_files = {dir.write("v.vars", "variable \"region\" {\n}\n")};
  error_named("Variable declaration in a .var file", kRegionJob, options);
}

TEST(JobspecVariables, VariableWithoutValue) {
  const auto d = error_named("Unset variable \"image\"",
                             "variable \"image\" {\n  type = string\n}\njob \"j\" {\n}\n");
  EXPECT_EQ(d.range.start.line, 1);
}

TEST(JobspecVariables, ValueOfTheWrongType) {
  ParseOptions options;
  options.var_args = {"count=many"};
  error_named("Invalid argument value for -var variable",
              "variable \"count\" {\n  type = number\n}\njob \"j\" {\n}\n", options);
  error_named("Invalid default value for variable",
              "variable \"count\" {\n  type = number\n  default = \"x\"\n}\njob \"j\" {\n}\n");
}

TEST(JobspecVariables, ValidationGivesItsErrorMessage) {
  const std::string source = R"(variable "port" {
  type    = number
  default = 8080
  validation {
    condition     = var.port > 1024
    error_message = "The port must be above 1024."
  }
}
job "j" {
}
)";
  EXPECT_NO_THROW(decode(source));
  ParseOptions options;
  options.var_args = {"port=80"};
  const auto d = error_named("Invalid value for cmd variable", source, options);
  EXPECT_EQ(d.detail.substr(0, d.detail.find('\n')), "The port must be above 1024.");
  EXPECT_NE(d.detail.find("job.nomad:4,3-"), std::string::npos) << d.detail;
}

TEST(JobspecVariables, ValidationMayOnlyReferToItsVariable) {
  error_named("Invalid reference in variable validation", R"(variable "a" {
  default = 1
  validation {
    condition     = var.a > var.b
    error_message = "no"
  }
}
variable "b" {
  default = 0
}
job "j" {
}
)");
  error_named("Invalid validation error message", R"(variable "a" {
  default = 1
  validation {
    condition     = var.a > 0
    error_message = "  "
  }
}
job "j" {
}
)");
}

TEST(JobspecVariables, OnlyNomadsArgumentsInAVariableBlock) {
  const auto d =
      error_named("Unsupported argument",
                  "variable \"a\" {\n  default = 1\n  sensitive = true\n}\njob \"j\" {\n}\n");
  EXPECT_EQ(d.range.start.line, 3);
}

TEST(JobspecVariables, VariablesBlockShorthand) {
  const Json job =
      decode("variables {\n  dc = \"dc9\"\n}\njob \"j\" {\n  datacenters = [var.dc]\n}\n");
  EXPECT_EQ(job["Datacenters"], Json({"dc9"}));
}

TEST(JobspecLocals, InAnyOrderAndInSeveralBlocks) {
  const Json job = decode(R"(locals {
  full = "${local.prefix}-${var.name}"
}
variable "name" {
  default = "web"
}
locals {
  prefix = upper("app")
}
job "j" {
  region = local.full
}
)");
  EXPECT_EQ(job["Region"], "APP-web");
}

TEST(JobspecLocals, CycleIsAnError) {
  const auto d = error_named("Circular reference in locals", R"(locals {
  a = local.b
  b = "${local.a}x"
}
job "j" {
}
)");
  EXPECT_GE(d.range.start.line, 2);
}

TEST(JobspecLocals, UndeclaredVariableIsAnError) {
  const auto diagnostics = jobspec_test::errors_of("job \"j\" {\n  region = var.nope\n}\n");
  ASSERT_FALSE(diagnostics.empty());
  EXPECT_EQ(diagnostics[0].range.start.line, 2);
}

TEST(JobspecFunctions, FilesAreReadBesideTheJobFile) {
  TempDir dir;
  dir.write("motd.txt", "hello");
  const std::string job = dir.write("job.nomad", "job \"j\" {\n  region = file(\"motd.txt\")\n}\n");
  std::ifstream in(job);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(jobspec::decode_job(text, job, {})["Region"], "hello");
  ParseOptions no_files;
  no_files.allow_filesystem = false;
  EXPECT_THROW(jobspec::decode_job(text, job, no_files), hcl::DiagnosticError);
}

}  // namespace

namespace {

// Found in review: locals are evaluated one at a time and share their parts, so three small
// ones stood for a billion elements, which the decoder's JSON conversion then walked.
TEST(JobspecLimits, LocalsThatMultiplyEachOtherAreRefused) {
  const std::string source =
      "locals {\n"
      "  a = range(512)\n"
      "  b = [for i in range(1024) : local.a]\n"
      "  c = [for i in range(1024) : local.b]\n"
      "}\n"
      "job \"x\" {\n"
      "  meta { m = jsonencode(local.c) }\n"
      "  group \"g\" {\n"
      "    task \"t\" {\n"
      "      driver = \"pot\"\n"
      "    }\n"
      "  }\n"
      "}\n";
  hcl::Diagnostic diagnostic = error_named("Value too large", source);
  EXPECT_EQ(diagnostic.range.start.line, 4);
  EXPECT_NE(diagnostic.detail.find("values in all"), std::string::npos) << diagnostic.detail;
}

TEST(JobspecLimits, AStringRepeatedBeyondTheBudgetIsRefused) {
  const std::string source =
      "locals {\n"
      "  s = join(\"\", [for i in range(1024) : \"0123456789abcdef\"])\n"
      "  t = join(\"\", [for i in range(1024) : local.s])\n"
      "  u = [for i in range(1024) : local.t]\n"
      "}\n"
      "job \"x\" {\n"
      "  meta { m = local.u[0] }\n"
      "  group \"g\" {\n"
      "    task \"t\" {\n"
      "      driver = \"pot\"\n"
      "    }\n"
      "  }\n"
      "}\n";
  hcl::Diagnostic diagnostic = error_named("Value too large", source);
  EXPECT_EQ(diagnostic.range.start.line, 4);
  EXPECT_NE(diagnostic.detail.find("bytes of strings"), std::string::npos) << diagnostic.detail;
}

}  // namespace

namespace {

// Found in review: a JSON var file was parsed without the job form's guards (a deep one
// overflowed the stack) and its errors had no place.
TEST(JobspecVarFile, JsonVarFilesAreReadWithTheJobFormsGuards) {
  TempDir dir;
  jobspec::ParseOptions options;
  options.var_files = {dir.write(
      "deep.json", "{\"region\": " + std::string(100000, '[') + std::string(100000, ']') + "}")};
  EXPECT_EQ(error_named("Too deeply nested", kRegionJob, options).range.filename,
            options.var_files[0]);

  options.var_files = {dir.write("bad.json", "{\n  \"region\": nope\n}\n")};
  hcl::Diagnostic bad = error_named("Invalid JSON", kRegionJob, options);
  EXPECT_EQ(bad.range.start.line, 2);

  options.var_files = {dir.write("extra.json", "{\n  \"region\": \"x\",\n  \"zone\": \"y\"\n}\n")};
  hcl::Diagnostic undefined = error_named("Undefined variable", kRegionJob, options);
  EXPECT_EQ(undefined.range.start.line, 3);
  EXPECT_EQ(undefined.range.start.column, 3);
}

}  // namespace

namespace {

std::string job_with_locals(int count) {
  std::string source = "locals {\n";
  for (int i = 0; i < count; ++i) {
    source +=
        "  l" + std::to_string(i) + " = [for i in range(60) : length([for j in range(60) : j])]\n";
  }
  return source +
         "}\n"
         "job \"x\" {\n"
         "  group \"g\" {\n"
         "    task \"t\" {\n"
         "      driver = \"pot\"\n"
         "    }\n"
         "  }\n"
         "}\n";
}

// Found in review: the budget of evaluation steps was per expression, so a file of many
// costly locals cost it many times over.
TEST(JobspecLimits, TheWholeFileSharesOneBudgetOfEvaluation) {
  ParseOptions options;
  options.eval_limits.max_elements = 10000;  // a budget of 44,096 steps for the file
  EXPECT_NO_THROW(decode(job_with_locals(1), options));
  hcl::Diagnostic diagnostic = error_named("Expression too complex", job_with_locals(8), options);
  EXPECT_GT(diagnostic.range.start.line, 2);
}

}  // namespace
