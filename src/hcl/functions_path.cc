// Path functions of Nomad's job files (go-cty-funcs' filesystem package): abspath, basename,
// dirname and pathexpand work on the text of a path as Go's path/filepath does; filebase64
// and fileset read the disk. Nomad turns all of them off when the file system is off, so
// they share file's switch: StdlibOptions::base_dir.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "hcl/eval_budget.h"
#include "hcl/function_support.h"

namespace hcl::detail {

namespace {

void require_enabled(const CallSite& site, const std::string& base_dir) {
  if (base_dir.empty()) {
    call_error(site, "filesystem functions are disabled here (no base directory was given).");
  }
}

// Go's filepath.Clean: one slash between names, no "." names, ".." cancels the name before
// it (and stays at the start of a relative path), "" is ".".
std::string clean(const std::string& path) {
  if (path.empty()) return ".";
  const bool rooted = path[0] == '/';
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string name = path.substr(start, end - start);
    if (name == "..") {
      if (!names.empty() && names.back() != "..") {
        names.pop_back();
      } else if (!rooted) {
        names.push_back(name);
      }
    } else if (!name.empty() && name != ".") {
      names.push_back(name);
    }
    start = end + 1;
  }
  std::string out = rooted ? "/" : "";
  for (std::size_t i = 0; i < names.size(); ++i) out += (i > 0 ? "/" : "") + names[i];
  return out.empty() ? "." : out;
}

std::string basename(std::string path) {
  if (path.empty()) return ".";
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path == "/") return "/";
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dirname(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return clean(slash == std::string::npos ? "" : path.substr(0, slash + 1));
}

// go-homedir's Expand: "~" and "~/..." are the home directory ($HOME).
std::string pathexpand(const CallSite& site, const std::string& path) {
  if (path.empty() || path[0] != '~') return path;
  if (path.size() > 1 && path[1] != '/') {
    call_error(site, "cannot expand user-specific home dir.");
  }
  const char* home = std::getenv("HOME");  // NOLINT(concurrency-mt-unsafe): read only
  if (home == nullptr || *home == '\0') call_error(site, "the home directory is unknown ($HOME).");
  return std::string(home) + path.substr(1);
}

std::filesystem::path resolve(const std::string& base_dir, const std::string& path) {
  const std::filesystem::path given(path);
  return given.is_absolute() ? given : std::filesystem::path(base_dir) / given;
}

std::string base64(std::string_view data) {
  static const char* const alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < data.size(); i += 3) {
    std::uint32_t chunk = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) chunk |= static_cast<unsigned char>(data[i + 1]) << 8;
    if (i + 2 < data.size()) chunk |= static_cast<unsigned char>(data[i + 2]);
    out += alphabet[chunk >> 18 & 63];
    out += alphabet[chunk >> 12 & 63];
    out += i + 1 < data.size() ? alphabet[chunk >> 6 & 63] : '=';
    out += i + 2 < data.size() ? alphabet[chunk & 63] : '=';
  }
  return out;
}

Value filebase64(const CallSite& site, const std::string& base_dir, const std::string& path) {
  require_enabled(site, base_dir);
  const auto full = resolve(base_dir, path);
  std::error_code error;
  if (std::filesystem::is_directory(full, error)) {
    call_error(site, "\"" + path + "\" is a directory, not a file.");
  }
  const auto size = std::filesystem::file_size(full, error);
  if (error) call_error(site, "no file exists at \"" + path + "\": " + error.message() + ".");
  check_result_string(site, size + size / 3 + 4);
  std::ifstream in(full, std::ios::binary);
  if (!in) call_error(site, "cannot read \"" + path + "\".");
  std::ostringstream content;
  content << in.rdbuf();
  return Value::string(base64(content.str()));
}

// Glob matching as the doublestar package: `*` and `?` stay within one path name, `**` as a
// whole name matches any number of names, `[a-z]`/`[^a]`/`[!a]` are classes, `{a,b}`
// alternatives, `\` escapes. `steps` bounds the work a pattern of many stars can cause.
class GlobMatcher {
 public:
  GlobMatcher(const CallSite& site, std::string pattern)
      : site_(site), pattern_(std::move(pattern)) {}

  bool matches(std::string_view path) { return match(pattern_, path); }

 private:
  void step() {
    if (++steps_ > kMaxSteps) {
      call_error(site_, "the pattern takes too long to match; simplify it.");
    }
  }

  // `[...]` at p[0] against c; sets `length` to the class's length in the pattern, or 0 if
  // the class is not closed (then `[` is a literal).
  static bool class_matches(std::string_view p, char c, std::size_t& length) {
    std::size_t i = 1;
    const bool negated = i < p.size() && (p[i] == '^' || p[i] == '!');
    if (negated) ++i;
    bool found = false;
    bool first = true;
    while (i < p.size() && (p[i] != ']' || first)) {
      first = false;
      char low = p[i];
      if (low == '\\' && i + 1 < p.size()) low = p[++i];
      char high = low;
      if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
        high = p[i + 2];
        if (high == '\\' && i + 3 < p.size()) high = p[++i + 2];
        i += 2;
      }
      if (c >= low && c <= high) found = true;
      ++i;
    }
    if (i >= p.size()) {
      length = 0;
      return false;
    }
    length = i + 1;
    return found != negated;
  }

  bool match(std::string_view p, std::string_view s) {
    step();
    if (p.empty()) return s.empty();
    const bool at_name_start = p.data() == pattern_.data() || p.data()[-1] == '/';
    if (p.substr(0, 2) == "**" && at_name_start && (p.size() == 2 || p[2] == '/')) {
      if (p.size() == 2) return true;  // the rest of the path, however deep
      const std::string_view rest = p.substr(3);
      // Zero or more whole names, then the rest.
      for (std::size_t k = 0; k <= s.size(); ++k) {
        if ((k == 0 || s[k - 1] == '/') && match(rest, s.substr(k))) return true;
      }
      return false;
    }
    switch (p[0]) {
      case '*':
        for (std::size_t k = 0; k <= s.size(); ++k) {
          if (match(p.substr(1), s.substr(k))) return true;
          if (k < s.size() && s[k] == '/') break;
        }
        return false;
      case '?':
        return !s.empty() && s[0] != '/' && match(p.substr(1), s.substr(1));
      case '[': {
        std::size_t length = 0;
        const bool in_class = !s.empty() && s[0] != '/' && class_matches(p, s[0], length);
        if (length > 0) return in_class && match(p.substr(length), s.substr(1));
        break;  // not closed: a literal '['
      }
      case '{':
        return alternatives(p, s);
      case '\\':
        if (p.size() > 1) {
          return !s.empty() && s[0] == p[1] && match(p.substr(2), s.substr(1));
        }
        break;
      default:
        break;
    }
    return !s.empty() && s[0] == p[0] && match(p.substr(1), s.substr(1));
  }

  // `{a,b}rest` is `arest` or `brest` (alternatives may nest).
  bool alternatives(std::string_view p, std::string_view s) {
    int depth = 0;
    std::vector<std::size_t> commas;
    std::size_t close = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (p[i] == '\\') {
        ++i;
      } else if (p[i] == '{') {
        ++depth;
      } else if (p[i] == '}' && --depth == 0) {
        close = i;
        break;
      } else if (p[i] == ',' && depth == 1) {
        commas.push_back(i);
      }
    }
    if (close == 0) return !s.empty() && s[0] == '{' && match(p.substr(1), s.substr(1));
    commas.push_back(close);
    std::size_t start = 1;
    for (const std::size_t end : commas) {
      std::string candidate(p.substr(start, end - start));
      candidate += p.substr(close + 1);
      GlobMatcher inner(site_, candidate);
      inner.steps_ = steps_;
      const bool found = inner.match(inner.pattern_, s);
      steps_ = inner.steps_;
      if (found) return true;
      start = end + 1;
    }
    return false;
  }

  static constexpr std::size_t kMaxSteps = 1'000'000;
  const CallSite& site_;
  std::string pattern_;
  std::size_t steps_ = 0;
};

// The regular files under `path` (relative to the base directory) whose path relative to it
// matches the pattern, sorted.
Value fileset(const CallSite& site, const std::string& base_dir, Args args) {
  require_enabled(site, base_dir);
  const std::string path = string_arg(site, args, 0, "path");
  const std::string pattern = string_arg(site, args, 1, "pattern");
  if (pattern.size() > 1024) call_error(site, "the pattern is longer than 1024 bytes.");
  const auto root = resolve(base_dir, path);
  GlobMatcher matcher(site, clean(pattern));
  Value::Elements found;
  std::error_code error;
  std::filesystem::recursive_directory_iterator it(
      root, std::filesystem::directory_options::skip_permission_denied, error);
  std::size_t visited = 0;
  for (; !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    count_steps(site.context, ++visited, site.call.range);
    if (!it->is_regular_file(error)) continue;
    const std::string relative = it->path().lexically_relative(root).generic_string();
    if (matcher.matches(relative)) {
      found.push_back(Value::string(relative));
      check_result_elements(site, found.size());
    }
  }
  return Value::set(std::move(found));
}

}  // namespace

void add_path_functions(FunctionTable& table, const StdlibOptions& options) {
  const std::string base_dir = options.base_dir;
  table["abspath"] = {1, 1, [base_dir](Args args, const CallSite& site) {
                        require_enabled(site, base_dir);
                        const std::string path = string_arg(site, args, 0, "path");
                        std::error_code error;
                        const auto absolute = std::filesystem::absolute(path, error);
                        if (error) call_error(site, error.message() + ".");
                        return Value::string(clean(absolute.generic_string()));
                      }};
  table["basename"] = {1, 1, [base_dir](Args args, const CallSite& site) {
                         require_enabled(site, base_dir);
                         return Value::string(basename(string_arg(site, args, 0, "path")));
                       }};
  table["dirname"] = {1, 1, [base_dir](Args args, const CallSite& site) {
                        require_enabled(site, base_dir);
                        return Value::string(dirname(string_arg(site, args, 0, "path")));
                      }};
  table["pathexpand"] = {
      1, 1, [base_dir](Args args, const CallSite& site) {
        require_enabled(site, base_dir);
        return Value::string(pathexpand(site, string_arg(site, args, 0, "path")));
      }};
  table["filebase64"] = {1, 1, [base_dir](Args args, const CallSite& site) {
                           return filebase64(site, base_dir, string_arg(site, args, 0, "path"));
                         }};
  table["fileset"] = {
      2, 2, [base_dir](Args args, const CallSite& site) { return fileset(site, base_dir, args); }};
}

}  // namespace hcl::detail
