// String functions: case, trimming, splitting and joining, substrings.
// Lengths and offsets count characters (grapheme clusters), as cty counts them.
#include <algorithm>

#include "hcl/conversion.h"
#include "hcl/function_support.h"
#include "hcl/utf8.h"

namespace hcl::detail {

namespace {

Value map_characters(const CallSite& site, Args args, char32_t (*mapping)(char32_t)) {
  std::vector<char32_t> text = decode_utf8(string_arg(site, args, 0, "str"));
  for (char32_t& c : text) c = mapping(c);
  return Value::string(encode_utf8(text));
}

// Go's strings.Title, which cty uses: a letter is upper-cased after a separator, and the
// separators are white space and the ASCII characters other than letters, digits and `_`
// (so "it's" is "It'S").
Value title(Args args, const CallSite& site) {
  std::vector<char32_t> text = decode_utf8(string_arg(site, args, 0, "str"));
  auto is_separator = [](char32_t c) {
    if (c < 0x80) {
      return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_');
    }
    return is_unicode_space(c);
  };
  bool after_separator = true;
  for (char32_t& c : text) {
    if (after_separator) c = to_upper(c);
    after_separator = is_separator(c);
  }
  return Value::string(encode_utf8(text));
}

Value trim(Args args, const CallSite& site) {
  std::vector<char32_t> text = decode_utf8(string_arg(site, args, 0, "str"));
  const std::vector<char32_t> cutset = decode_utf8(string_arg(site, args, 1, "cutset"));
  auto in_cutset = [&](char32_t c) {
    return std::find(cutset.begin(), cutset.end(), c) != cutset.end();
  };
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && in_cutset(text[begin])) ++begin;
  while (end > begin && in_cutset(text[end - 1])) --end;
  return Value::string(encode_utf8({text.begin() + static_cast<std::ptrdiff_t>(begin),
                                    text.begin() + static_cast<std::ptrdiff_t>(end)}));
}

Value trimspace(Args args, const CallSite& site) {
  std::vector<char32_t> text = decode_utf8(string_arg(site, args, 0, "str"));
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && is_unicode_space(text[begin])) ++begin;
  while (end > begin && is_unicode_space(text[end - 1])) --end;
  return Value::string(encode_utf8({text.begin() + static_cast<std::ptrdiff_t>(begin),
                                    text.begin() + static_cast<std::ptrdiff_t>(end)}));
}

Value trimprefix(Args args, const CallSite& site) {
  std::string text = string_arg(site, args, 0, "str");
  const std::string prefix = string_arg(site, args, 1, "prefix");
  if (text.compare(0, prefix.size(), prefix) == 0) text.erase(0, prefix.size());
  return Value::string(std::move(text));
}

Value trimsuffix(Args args, const CallSite& site) {
  std::string text = string_arg(site, args, 0, "str");
  const std::string suffix = string_arg(site, args, 1, "suffix");
  if (text.size() >= suffix.size() &&
      text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0) {
    text.erase(text.size() - suffix.size());
  }
  return Value::string(std::move(text));
}

// Every trailing line break, "\n", "\r\n" or "\r".
Value chomp(Args args, const CallSite& site) {
  std::string text = string_arg(site, args, 0, "str");
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return Value::string(std::move(text));
}

// Spaces after every line break: the first line is where the caller already is.
Value indent(Args args, const CallSite& site) {
  const std::int64_t spaces = integer_arg(site, args, 0, "spaces");
  const std::string text = string_arg(site, args, 1, "str");
  if (spaces < 0) param_error(site, "spaces", "must not be negative");
  const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  check_result_string(site, text.size() + lines * static_cast<std::size_t>(spaces));
  const std::string pad(static_cast<std::size_t>(spaces), ' ');
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += pad;
  }
  return Value::string(std::move(out));
}

Value split(Args args, const CallSite& site) {
  const std::string separator = string_arg(site, args, 0, "separator");
  const std::string text = string_arg(site, args, 1, "str");
  Value::Elements parts;
  if (separator.empty()) {
    // Go's strings.Split with an empty separator: one element per character.
    const auto offsets = character_offsets(text);
    check_result_elements(site, offsets.size());
    for (std::size_t i = 0; i + 1 < offsets.size(); ++i) {
      parts.push_back(Value::string(text.substr(offsets[i], offsets[i + 1] - offsets[i])));
    }
    return Value::list(std::move(parts));
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t found = text.find(separator, start);
    parts.push_back(Value::string(text.substr(start, found - start)));
    check_result_elements(site, parts.size());
    if (found == std::string::npos) break;
    start = found + separator.size();
  }
  return Value::list(std::move(parts));
}

Value join(Args args, const CallSite& site) {
  const std::string separator = string_arg(site, args, 0, "separator");
  std::string out;
  bool first = true;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const Value& list = sequence_arg(site, args, i, "lists");
    for (std::size_t k = 0; k < list.size(); ++k) {
      const Value& element = list.elements()[k];
      if (element.is_null()) {
        call_error(site,
                   "element " + std::to_string(k) + " is null; cannot concatenate null values.");
      }
      std::string error;
      auto text = try_to_string(element, error);
      if (!text) call_error(site, "element " + std::to_string(k) + ": " + error + ".");
      if (!first) out += separator;
      first = false;
      out += text->as_string();
      check_result_string(site, out.size());
    }
  }
  return Value::string(std::move(out));
}

// Offsets and lengths count grapheme clusters, as cty's. cty's quirks are kept: a negative
// offset counts from the end (and starts at 0 if still negative), a negative length takes the
// rest, and a zero length gives "" only for an offset that is not negative.
Value substr(Args args, const CallSite& site) {
  const std::string text = string_arg(site, args, 0, "str");
  std::int64_t offset = integer_arg(site, args, 1, "offset");
  const std::int64_t length = integer_arg(site, args, 2, "length");
  const auto offsets = grapheme_offsets(text);
  const auto characters = static_cast<std::int64_t>(offsets.size() - 1);
  if (offset < 0) {
    offset = std::max<std::int64_t>(0, offset + characters);
    if (length == 0) return Value::string(text.substr(offsets[static_cast<std::size_t>(offset)]));
  } else if (length == 0) {
    return Value::string("");
  }
  if (offset >= characters) return Value::string("");
  const std::int64_t end =
      length < 0 ? characters : std::min<std::int64_t>(characters, offset + length);
  const std::size_t from = offsets[static_cast<std::size_t>(offset)];
  const std::size_t to = offsets[static_cast<std::size_t>(end)];
  return Value::string(text.substr(from, to - from));
}

// cty's ReverseFunc, Nomad's `reverse` and `strrev`: the characters (grapheme clusters) of a
// string in reverse order. A list or tuple is reversed too (cty refuses one; Terraform's
// `reverse` takes it), which changes no string's result.
Value reverse(Args args, const CallSite& site) {
  const Value& given = non_null_arg(site, args, 0, "str");
  if (given.kind() == Kind::List || given.kind() == Kind::Tuple) {
    Value::Elements out(given.elements().rbegin(), given.elements().rend());
    return given.kind() == Kind::Tuple ? Value::tuple(std::move(out)) : Value::list(std::move(out));
  }
  const std::string text = string_arg(site, args, 0, "str");
  const auto offsets = grapheme_offsets(text);
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = offsets.size() - 1; i > 0; --i) {
    out.append(text, offsets[i - 1], offsets[i] - offsets[i - 1]);
  }
  return Value::string(std::move(out));
}

Value strlen(Args args, const CallSite& site) {
  const std::string text = string_arg(site, args, 0, "str");
  return Value::number(static_cast<double>(grapheme_offsets(text).size() - 1));
}

// cty's ReplaceFunc: every occurrence of a literal substring (Nomad has no `/regex/` form;
// regex_replace is that). An empty substring matches before every character and at the end,
// as Go's strings.Replace.
Value replace(Args args, const CallSite& site) {
  const std::string text = string_arg(site, args, 0, "str");
  const std::string search = string_arg(site, args, 1, "substr");
  const std::string replacement = string_arg(site, args, 2, "replace");
  std::string out;
  if (search.empty()) {
    const auto offsets = character_offsets(text);
    check_result_string(site, text.size() + offsets.size() * replacement.size());
    for (std::size_t i = 0; i + 1 < offsets.size(); ++i) {
      out += replacement;
      out.append(text, offsets[i], offsets[i + 1] - offsets[i]);
    }
    out += replacement;
    return Value::string(std::move(out));
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t found = text.find(search, start);
    out.append(text, start, found == std::string::npos ? std::string::npos : found - start);
    if (found == std::string::npos) break;
    out += replacement;
    check_result_string(site, out.size());
    start = found + search.size();
  }
  return Value::string(std::move(out));
}

}  // namespace

void add_string_functions(FunctionTable& table) {
  table["upper"] = {
      1, 1, [](Args args, const CallSite& site) { return map_characters(site, args, to_upper); }};
  table["lower"] = {
      1, 1, [](Args args, const CallSite& site) { return map_characters(site, args, to_lower); }};
  table["title"] = {1, 1, title};
  table["trim"] = {2, 2, trim};
  table["trimspace"] = {1, 1, trimspace};
  table["trimprefix"] = {2, 2, trimprefix};
  table["trimsuffix"] = {2, 2, trimsuffix};
  table["chomp"] = {1, 1, chomp};
  table["indent"] = {2, 2, indent};
  table["split"] = {2, 2, split};
  table["join"] = {2, -1, join};
  table["substr"] = {3, 3, substr};
  table["strrev"] = {1, 1, reverse};
  table["reverse"] = {1, 1, reverse};
  table["strlen"] = {1, 1, strlen};
  table["replace"] = {3, 3, replace};
}

}  // namespace hcl::detail
