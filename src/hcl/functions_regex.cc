// Regular-expression functions (regex, regexall, regex_replace) on std::regex.
//
// HCL's patterns are RE2's. The common part of RE2 and ECMAScript is large; we translate the
// rest that job files use: named groups `(?P<name>...)` / `(?<name>...)` (kept as numbered
// groups with their names remembered), a leading `(?i)`, and `\A` / `\z`. Matching runs in
// libstdc++'s polynomial (non-backtracking) mode, because a backtracking matcher recurses once
// per character and can be driven into exponential time by patterns such as `(a|aa)*b`. The
// polynomial mode still costs about (states of the pattern) x (length of the string) per
// match attempt, and a search tries every start, so the pattern's states times the string's
// length squared is bounded too: `(?:(?: ?){90}){90}x` against 1,024 spaces ran for minutes.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <regex>
#include <string_view>

#include "hcl/function_support.h"

namespace hcl::detail {

namespace {

constexpr std::size_t kMaxPatternBytes = 1024;
constexpr std::size_t kMaxSubjectBytes = 1024;
// States x (subject bytes + 1)^2: a 60-state pattern on a 1 KiB string passes, a 6,000-state
// one on 100 bytes.
constexpr std::size_t kMaxMatchWork = std::size_t{1} << 26;

std::size_t saturating_multiply(std::size_t a, std::size_t b) {
  return b != 0 && a > SIZE_MAX / b ? SIZE_MAX : a * b;
}

// The automaton's size, roughly: one state per character, class or group, with a counted
// repetition `{m,n}` copying what it repeats max(m, n) times (`{m,}` m + 1 times). It errs
// on the large side (a group's `?P<name>` counts), which only makes the bound stricter.
std::size_t estimated_states(std::string_view pattern) {
  std::vector<std::size_t> level_sizes{0};
  std::size_t last_atom = 0;
  auto add = [&](std::size_t size) {
    level_sizes.back() = std::min(SIZE_MAX - size, level_sizes.back()) + size;
  };
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      ++i;
      last_atom = 1;
    } else if (c == '[') {
      std::size_t j = i + 1;
      if (j < pattern.size() && pattern[j] == '^') ++j;
      if (j < pattern.size() && pattern[j] == ']') ++j;
      while (j < pattern.size() && pattern[j] != ']') j += pattern[j] == '\\' ? 2 : 1;
      i = j;
      last_atom = 1;
    } else if (c == '(') {
      level_sizes.push_back(0);
      // A group's syntax is not a state: `(?:`, `(?P<name>`, `(?<name>`.
      if (i + 2 < pattern.size() && pattern[i + 1] == '?') {
        if (pattern[i + 2] == ':') {
          i += 2;
        } else if (pattern[i + 2] == 'P' || pattern[i + 2] == '<') {
          const std::size_t close = pattern.find('>', i);
          if (close != std::string_view::npos) i = close;
        }
      }
      continue;
    } else if (c == ')' && level_sizes.size() > 1) {
      last_atom = level_sizes.back() + 1;
      level_sizes.pop_back();
    } else if (c == '{') {
      std::size_t j = i + 1;
      std::size_t low = 0;
      std::size_t high = 0;
      bool has_comma = false;
      bool has_high = false;
      while (j < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[j]))) {
        low =
            std::min<std::size_t>(low * 10 + static_cast<std::size_t>(pattern[j++] - '0'), 100000);
      }
      if (j < pattern.size() && pattern[j] == ',') {
        has_comma = true;
        ++j;
        while (j < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[j]))) {
          has_high = true;
          high = std::min<std::size_t>(high * 10 + static_cast<std::size_t>(pattern[j++] - '0'),
                                       100000);
        }
      }
      if (j < pattern.size() && pattern[j] == '}' && j > i + 1) {
        const std::size_t copies = has_high ? std::max(low, high) : has_comma ? low + 1 : low;
        // The atom was counted once already.
        add(saturating_multiply(last_atom, copies > 0 ? copies - 1 : 0));
        i = j;
        continue;
      }
      last_atom = 1;
    } else if (c == '*' || c == '+' || c == '?' || c == '|') {
      add(1);
      continue;
    } else {
      last_atom = 1;
    }
    add(last_atom);
  }
  std::size_t total = 0;
  for (std::size_t size : level_sizes) total = std::min(SIZE_MAX - size, total) + size;
  return total;
}

// Refuses a pattern and string whose matching could run for minutes.
void check_match_work(const CallSite& site, const std::string& pattern,
                      const std::string& subject) {
  const std::size_t states = estimated_states(pattern);
  const std::size_t length = subject.size() + 1;
  if (saturating_multiply(states, saturating_multiply(length, length)) > kMaxMatchWork) {
    call_error(site,
               "the pattern (about " + std::to_string(states) +
                   " states with its repetitions) is too large to match against a string of " +
                   std::to_string(subject.size()) +
                   " bytes in bounded time; shorten the pattern, its counted repetitions "
                   "or the string.");
  }
}

struct Pattern {
  std::regex regex;
  std::vector<std::string> group_names;  // by group number - 1; empty for unnamed groups
};

Pattern compile(const CallSite& site, const std::string& source) {
  if (source.size() > kMaxPatternBytes) {
    call_error(site, "the pattern is longer than " + std::to_string(kMaxPatternBytes) + " bytes.");
  }
  std::string translated;
  std::vector<std::string> names;
  auto flags = std::regex::ECMAScript | std::regex_constants::__polynomial;
  std::size_t i = 0;
  if (source.compare(0, 4, "(?i)") == 0) {
    flags |= std::regex::icase;
    i = 4;
  }
  bool in_class = false;
  for (; i < source.size(); ++i) {
    const char c = source[i];
    if (c == '\\' && i + 1 < source.size()) {
      const char next = source[i + 1];
      if (next == 'A' && !in_class) {
        translated += '^';
      } else if (next == 'z' && !in_class) {
        translated += '$';
      } else if (next == 'p' || next == 'P' || next == 'C' || next == 'Q') {
        call_error(site,
                   "invalid regular expression: \\" + std::string(1, next) + " is not supported.");
      } else {
        translated += source.substr(i, 2);
      }
      ++i;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      translated += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      translated += c;
      // A ']' right after '[' or '[^' is a member, not the end.
      if (i + 1 < source.size() && source[i + 1] == '^') translated += source[++i];
      if (i + 1 < source.size() && source[i + 1] == ']') translated += source[++i];
      continue;
    }
    if (c == '(') {
      const bool python_named = source.compare(i, 4, "(?P<") == 0;
      const bool named =
          python_named || (source.compare(i, 3, "(?<") == 0 && source.compare(i, 4, "(?<=") != 0 &&
                           source.compare(i, 4, "(?<!") != 0);
      if (named) {
        const std::size_t start = i + (python_named ? 4 : 3);
        const std::size_t end = source.find('>', start);
        if (end == std::string::npos || end == start) {
          call_error(site, "invalid regular expression: unterminated group name.");
        }
        names.push_back(source.substr(start, end - start));
        translated += '(';
        i = end;
        continue;
      }
      if (source.compare(i, 2, "(?") != 0) names.emplace_back();
    }
    translated += c;
  }
  try {
    return Pattern{std::regex(translated, flags), std::move(names)};
  } catch (const std::regex_error& error) {
    call_error(site, "invalid regular expression \"" + source + "\": " + error.what() + ".");
  }
}

std::string subject_arg(const CallSite& site, Args args, std::size_t index) {
  std::string text = string_arg(site, args, index, "string");
  if (text.size() > kMaxSubjectBytes) {
    call_error(
        site, "the string to match is longer than " + std::to_string(kMaxSubjectBytes) + " bytes.");
  }
  return text;
}

// The result of one match, as cty shapes it: the matched text when the pattern has no
// groups, an object by name when its groups are named, else a list of the groups.
Value match_value(const CallSite& site, const Pattern& pattern, const std::smatch& match) {
  if (pattern.group_names.empty()) return Value::string(match.str(0));
  std::size_t named = 0;
  for (const auto& name : pattern.group_names) named += name.empty() ? 0 : 1;
  auto group = [&](std::size_t i) {
    return match[i].matched ? Value::string(match.str(i)) : Value::null();
  };
  if (named == 0) {
    Value::Elements groups;
    for (std::size_t i = 1; i <= pattern.group_names.size(); ++i) groups.push_back(group(i));
    return Value::list(std::move(groups));
  }
  if (named != pattern.group_names.size()) {
    call_error(site, "invalid regular expression: may not mix named and unnamed capture groups.");
  }
  Value::Attributes attributes;
  for (std::size_t i = 1; i <= pattern.group_names.size(); ++i) {
    attributes.insert_or_assign(pattern.group_names[i - 1], group(i));
  }
  return Value::object(std::move(attributes));
}

Value regex(Args args, const CallSite& site) {
  const std::string source = string_arg(site, args, 0, "pattern");
  const std::string subject = subject_arg(site, args, 1);
  check_match_work(site, source, subject);
  const Pattern pattern = compile(site, source);
  std::smatch match;
  if (!std::regex_search(subject, match, pattern.regex)) {
    call_error(site, "pattern did not match any part of the given string.");
  }
  return match_value(site, pattern, match);
}

Value regexall(Args args, const CallSite& site) {
  const std::string source = string_arg(site, args, 0, "pattern");
  const std::string subject = subject_arg(site, args, 1);
  check_match_work(site, source, subject);
  const Pattern pattern = compile(site, source);
  Value::Elements matches;
  for (auto it = std::sregex_iterator(subject.begin(), subject.end(), pattern.regex);
       it != std::sregex_iterator(); ++it) {
    matches.push_back(match_value(site, pattern, *it));
    check_result_elements(site, matches.size());
  }
  return Value::list(std::move(matches));
}

// Go's Regexp.Expand: $1, ${1}, $name, ${name}; $$ is a dollar sign.
std::string expand(const std::string& replacement, const Pattern& pattern,
                   const std::smatch& match) {
  std::string out;
  for (std::size_t i = 0; i < replacement.size(); ++i) {
    if (replacement[i] != '$' || i + 1 == replacement.size()) {
      out += replacement[i];
      continue;
    }
    if (replacement[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    std::string name;
    std::size_t end = i + 1;
    if (replacement[end] == '{') {
      const std::size_t close = replacement.find('}', end);
      if (close == std::string::npos) {
        out += '$';
        continue;
      }
      name = replacement.substr(end + 1, close - end - 1);
      end = close + 1;
    } else {
      while (end < replacement.size() &&
             (std::isalnum(static_cast<unsigned char>(replacement[end])) != 0 ||
              replacement[end] == '_')) {
        ++end;
      }
      name = replacement.substr(i + 1, end - i - 1);
    }
    if (name.empty()) {
      out += '$';
      continue;
    }
    std::size_t group = 0;
    if (name.find_first_not_of("0123456789") == std::string::npos && name.size() < 6) {
      group = std::stoul(name);
    } else {
      for (std::size_t k = 0; k < pattern.group_names.size(); ++k) {
        if (pattern.group_names[k] == name) group = k + 1;
      }
      if (group == 0) group = match.size();  // an unknown name expands to nothing
    }
    if (group < match.size()) out += match.str(group);
    i = end - 1;
  }
  return out;
}

// cty's RegexReplaceFunc (Nomad's regex_replace): every match replaced, with $1, ${name}
// references expanded. As Go, an empty match right after the previous match is skipped.
Value regex_replace(Args args, const CallSite& site) {
  const std::string subject = subject_arg(site, args, 0);
  const std::string source = string_arg(site, args, 1, "pattern");
  check_match_work(site, source, subject);
  const Pattern pattern = compile(site, source);
  const std::string replacement = string_arg(site, args, 2, "replace");
  std::string out;
  auto last = subject.cbegin();
  bool matched_before = false;
  for (auto it = std::sregex_iterator(subject.begin(), subject.end(), pattern.regex);
       it != std::sregex_iterator(); ++it) {
    const auto& whole = (*it)[0];
    if (whole.length() == 0 && matched_before && whole.first == last) continue;
    out.append(last, whole.first);
    out += expand(replacement, pattern, *it);
    last = whole.second;
    matched_before = true;
    check_result_string(site, out.size());
  }
  out.append(last, subject.cend());
  return Value::string(std::move(out));
}

}  // namespace

void add_regex_functions(FunctionTable& table) {
  table["regex"] = {2, 2, regex};
  table["regexall"] = {2, 2, regexall};
  table["regex_replace"] = {3, 3, regex_replace};
}

}  // namespace hcl::detail
