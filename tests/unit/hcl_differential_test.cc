// Our HCL parser and evaluator against HashiCorp's own (hclsyntax, through the Go tool
// tests/hcl_structure): every file of tests/hcl_corpus must give byte-identical structure
// JSON from both (hcl_structure.h), or, for a file HCL refuses, an error at the same place.
//
// Without Go the tool is not built and these tests skip (fail in CI, POT_CI=1).
#include <algorithm>
#include <filesystem>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hcl_structure.h"
#include "helpers/require.h"
#include "jobspec/jobspec.h"
#include "test_util.h"
#include "tool_run.h"

namespace {

namespace fs = std::filesystem;
using pot::testing::read_text;
using pot::testing::TempDir;

#ifdef HCL_STRUCTURE_TOOL
constexpr const char* kHclStructure = HCL_STRUCTURE_TOOL;
#else
constexpr const char* kHclStructure = "";
#endif
constexpr const char* kHclStructureMissing =
    "hcl-structure (tests/hcl_structure) is built only where CMake finds go";

const fs::path kCorpus = HCL_CORPUS_DIR;
const fs::path kEvalCorpus = kCorpus / "eval";
const fs::path kEvalContext = kEvalCorpus / "context.hcl";

// Files whose error we knowingly report elsewhere than HCL does (tests/hcl_corpus/
// DIFFERENCES.md: an unclosed construct is reported where it opens). Both must still refuse
// the file; the line must agree unless `line_may_differ`.
struct KnownPlaceDifference {
  std::string_view file;
  bool line_may_differ;
};
constexpr KnownPlaceDifference kKnownPlaceDifferences[] = {
    {"invalid_multiline_string.hcl", false},
    {"invalid_unterminated_string.hcl", false},
    {"invalid_unterminated_string_eof.hcl", false},
    {"invalid_comment_slash_star_in_string_unclosed.hcl", false},
    {"invalid_unterminated_heredoc.hcl", true},
    {"invalid_unmatched_heredoc_marker.hcl", true},
    {"invalid_tab_before_marker_plain_heredoc.hcl", true},
    {"invalid_unclosed_object.hcl", true},
    {"invalid_unterminated_directive.hcl", false},
    {"invalid_unterminated_interpolation.hcl", false},
    {"invalid_unterminated_interpolation_eof.hcl", false},
};

const KnownPlaceDifference* known_place_difference(std::string_view file) {
  for (const KnownPlaceDifference& d : kKnownPlaceDifferences) {
    if (d.file == file) return &d;
  }
  return nullptr;
}

bool hcl_structure_built() {
  return *kHclStructure != '\0' && ::access(kHclStructure, X_OK) == 0;
}

// The corpus files of `dir` (*.hcl, *.nomad), by name, without `except`.
std::vector<std::string> corpus_files(const fs::path& dir, std::string_view except = "") {
  std::vector<std::string> names;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    const std::string ext = entry.path().extension().string();
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && (ext == ".hcl" || ext == ".nomad") && name != except) {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool named_invalid(std::string_view name) {
  return name.starts_with("invalid_");
}

// What HashiCorp's parser prints for `args` (hcl-structure's own arguments).
std::string hashicorp_structure(std::vector<std::string> args) {
  TempDir dir("hcl-differential");
  const pot::testing::ToolRun run = pot::testing::run_tool(
      kHclStructure, std::move(args), "/dev/null", dir.path() / "out", dir.path() / "err");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return run.out;
}

// "<error:Unsupported attribute>" → "<error>": evaluation errors must agree in being errors;
// their wording is ours (the located diagnostics are checked by the evaluator's own tests).
std::string without_error_summaries(const std::string& json) {
  static const std::regex summary(R"("<error:[^"]*>")");
  return std::regex_replace(json, summary, "\"<error>\"");
}

// The lines that differ, "-" HashiCorp's and "+" ours, with a line of context around each run
// (a longest-common-subsequence diff; the documents are at most a few thousand lines).
std::string line_diff(const std::string& theirs, const std::string& ours) {
  const auto split = [](const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
      const std::size_t end = text.find('\n', start);
      lines.push_back(text.substr(start, end - start));
      start = end == std::string::npos ? text.size() : end + 1;
    }
    return lines;
  };
  const std::vector<std::string> a = split(theirs);
  const std::vector<std::string> b = split(ours);
  // common[i][j]: the length of the longest common subsequence of a[i..] and b[j..].
  std::vector<std::vector<int>> common(a.size() + 1, std::vector<int>(b.size() + 1, 0));
  for (std::size_t i = a.size(); i-- > 0;) {
    for (std::size_t j = b.size(); j-- > 0;) {
      common[i][j] =
          a[i] == b[j] ? common[i + 1][j + 1] + 1 : std::max(common[i + 1][j], common[i][j + 1]);
    }
  }
  std::string out;
  std::size_t i = 0;
  std::size_t j = 0;
  bool in_change = false;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      if (in_change) out += "  " + a[i] + "\n";
      in_change = false;
      ++i;
      ++j;
    } else {
      if (!in_change) out += "@@ HashiCorp's line " + std::to_string(i + 1) + "\n";
      in_change = true;
      if (i < a.size() && (j == b.size() || common[i + 1][j] >= common[i][j + 1])) {
        out += "- " + a[i++] + "\n";
      } else {
        out += "+ " + b[j++] + "\n";
      }
    }
  }
  return out;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
  }
  return name;
}

class HclDifferential : public ::testing::TestWithParam<std::string> {};

TEST_P(HclDifferential, ParsesAsHashiCorpsParserDoes) {
  POT_REQUIRE(hcl_structure_built(), kHclStructureMissing);
  const fs::path file = kCorpus / GetParam();
  const std::string theirs = hashicorp_structure({file.string()});
  const std::string ours = pot::testing::describe_hcl_file(read_text(file), file.string());

  const nlohmann::json their_json = nlohmann::json::parse(theirs);
  ASSERT_EQ(their_json.contains("error"), named_invalid(GetParam()))
      << "the corpus file's name (invalid_*) disagrees with HashiCorp's parser:\n"
      << theirs;
  if (!their_json.contains("error")) {
    EXPECT_TRUE(ours == theirs) << "- HashiCorp's, + ours:\n" << line_diff(theirs, ours);
    return;
  }

  const nlohmann::json our_json = nlohmann::json::parse(ours);
  ASSERT_TRUE(our_json.contains("error")) << "HashiCorp's parser refuses the file:\n"
                                          << theirs << "ours accepts it:\n"
                                          << ours;
  const nlohmann::json& their_error = their_json["error"];
  const nlohmann::json& our_error = our_json["error"];
  // The summaries are printed for the reader; only the place is compared.
  const KnownPlaceDifference* known = known_place_difference(GetParam());
  if (known == nullptr || !known->line_may_differ) {
    EXPECT_EQ(our_error["line"], their_error["line"]) << "HashiCorp:\n"
                                                      << theirs << "ours:\n"
                                                      << ours;
  }
  if (known == nullptr) {
    EXPECT_EQ(our_error["column"], their_error["column"]) << "HashiCorp:\n"
                                                          << theirs << "ours:\n"
                                                          << ours;
  }
}

INSTANTIATE_TEST_SUITE_P(HclCorpus, HclDifferential, ::testing::ValuesIn(corpus_files(kCorpus)),
                         test_name);

// The eval/ cases: every attribute evaluated with the variables of eval/context.hcl and the
// functions of Nomad's job files, by both.
class HclDifferentialEval : public ::testing::TestWithParam<std::string> {};

TEST_P(HclDifferentialEval, EvaluatesAsHashiCorpsCodeDoes) {
  POT_REQUIRE(hcl_structure_built(), kHclStructureMissing);
  const fs::path file = kEvalCorpus / GetParam();
  const std::string theirs = hashicorp_structure({"-eval", kEvalContext.string(), file.string()});
  pot::testing::StructureEvalContext context;
  ASSERT_NO_THROW(
      pot::testing::load_structure_variables(read_text(kEvalContext), kEvalContext, context));
  const std::string ours =
      pot::testing::describe_hcl_file_evaluated(read_text(file), file.string(), context.context);
  const std::string their_values = without_error_summaries(theirs);
  const std::string our_values = without_error_summaries(ours);
  EXPECT_TRUE(our_values == their_values) << "- HashiCorp's, + ours:\n"
                                          << line_diff(their_values, our_values);
}

INSTANTIATE_TEST_SUITE_P(HclCorpus, HclDifferentialEval,
                         ::testing::ValuesIn(corpus_files(kEvalCorpus, "context.hcl")), test_name);

// The corpus's job files (job_*.nomad) are written to Nomad's job specification: our decoder
// takes every one (file() reads templates/ beside them).
class HclCorpusJob : public ::testing::TestWithParam<std::string> {};

TEST_P(HclCorpusJob, DecodesAsANomadJob) {
  const fs::path file = kCorpus / GetParam();
  try {
    const jobspec::Json job = jobspec::parse_job_file(file.string(), jobspec::ParseOptions{});
    EXPECT_TRUE(job.contains("ID")) << job.dump(2);
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what();
  }
}

std::vector<std::string> corpus_job_files() {
  std::vector<std::string> jobs;
  for (const std::string& name : corpus_files(kCorpus)) {
    if (name.starts_with("job_")) jobs.push_back(name);
  }
  return jobs;
}

INSTANTIATE_TEST_SUITE_P(HclCorpus, HclCorpusJob, ::testing::ValuesIn(corpus_job_files()),
                         test_name);

// A corpus that went missing (a moved directory) would leave the suites above empty.
TEST(HclDifferentialCorpus, HasValidAndInvalidFiles) {
  const std::vector<std::string> files = corpus_files(kCorpus);
  const auto invalid = std::count_if(files.begin(), files.end(), named_invalid);
  EXPECT_GE(invalid, 30);
  EXPECT_GE(static_cast<std::ptrdiff_t>(files.size()) - invalid, 20);
  EXPECT_GE(corpus_files(kEvalCorpus, "context.hcl").size(), 2u);
}

}  // namespace
