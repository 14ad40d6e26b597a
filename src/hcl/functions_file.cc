// File functions: file, fileexists, templatefile. Relative paths resolve against
// StdlibOptions::base_dir (the job file's directory); with no base directory they are off.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "hcl/function_support.h"
#include "hcl/parser.h"
#include "hcl/utf8.h"

namespace hcl::detail {

namespace {

std::filesystem::path resolve(const CallSite& site, const std::string& base_dir,
                              const std::string& path) {
  if (base_dir.empty()) {
    call_error(site, "file functions are disabled here (no base directory was given).");
  }
  const std::filesystem::path given(path);
  return given.is_absolute() ? given : std::filesystem::path(base_dir) / given;
}

std::string read_text_file(const CallSite& site, const std::string& base_dir,
                           const std::string& path) {
  const std::filesystem::path full = resolve(site, base_dir, path);
  std::error_code error;
  if (std::filesystem::is_directory(full, error)) {
    call_error(site, "\"" + path + "\" is a directory, not a file.");
  }
  const auto size = std::filesystem::file_size(full, error);
  if (error) call_error(site, "no file exists at \"" + path + "\": " + error.message() + ".");
  check_result_string(site, size);
  std::ifstream in(full, std::ios::binary);
  if (!in) call_error(site, "cannot read \"" + path + "\".");
  std::ostringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  check_result_string(site, text.size());
  if (encode_utf8(decode_utf8(text)) != text) {
    call_error(site, "contents of \"" + path + "\" are not valid UTF-8.");
  }
  return text;
}

bool is_identifier(const std::string& name) {
  if (name.empty()) return false;
  const auto first = static_cast<unsigned char>(name[0]);
  if (!(std::isalpha(first) != 0 || first == '_' || first >= 0x80)) return false;
  for (unsigned char c : name) {
    if (!(std::isalnum(c) != 0 || c == '_' || c == '-' || c >= 0x80)) return false;
  }
  return true;
}

Value templatefile(const CallSite& site, Args args, const std::string& base_dir) {
  const std::string path = string_arg(site, args, 0, "path");
  const Value& vars = mapping_arg(site, args, 1, "vars");
  const std::string text = read_text_file(site, base_dir, path);
  EvalContext context;
  context.limits = site.context.limits;
  for (const auto& [name, value] : vars.attributes()) {
    if (!is_identifier(name)) {
      param_error(site, "vars",
                  "invalid template variable name \"" + name +
                      "\": must start with a letter, followed by zero or more "
                      "letters, digits, and underscores");
    }
    context.variables.emplace(name, value);
  }
  // The template sees the same functions, except that it may not start another
  // templatefile: a template that renders itself would never end.
  FunctionTable functions;
  if (const FunctionTable* outer = site.context.find_functions()) functions = *outer;
  functions["templatefile"] = {0, -1, [](Args, const CallSite& inner) -> Value {
                                 call_error(inner,
                                            "cannot recursively call templatefile from inside "
                                            "another templatefile call.");
                               }};
  context.functions = &functions;
  ExprPtr tmpl = parse_template(text, path);
  return evaluate(*tmpl, context);
}

}  // namespace

void add_file_functions(FunctionTable& table, const StdlibOptions& options) {
  const std::string base_dir = options.base_dir;
  table["file"] = {
      1, 1, [base_dir](Args args, const CallSite& site) {
        return Value::string(read_text_file(site, base_dir, string_arg(site, args, 0, "path")));
      }};
  table["fileexists"] = {1, 1, [base_dir](Args args, const CallSite& site) {
                           const std::string path = string_arg(site, args, 0, "path");
                           const auto full = resolve(site, base_dir, path);
                           std::error_code error;
                           const auto status = std::filesystem::status(full, error);
                           if (std::filesystem::is_directory(status)) {
                             call_error(site, "\"" + path + "\" is a directory, not a file.");
                           }
                           return Value::boolean(std::filesystem::is_regular_file(status));
                         }};
  table["templatefile"] = {2, 2, [base_dir](Args args, const CallSite& site) {
                             return templatefile(site, args, base_dir);
                           }};
}

}  // namespace hcl::detail
