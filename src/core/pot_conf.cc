#include "core/pot_conf.h"

#include <algorithm>

#include "core/error.h"
#include "core/file_util.h"

namespace pot {

static bool is_quoted_key(std::string_view key) {
  return key == "host.hostname" || key == "osrelease" || key == "pot.env";
}

// Whether `value` must be written in quotes to read back as itself: parse unquotes any value
// in double quotes (`pot.cmd="a" "b"` would read as `a" "b`) and drops the `\r` of a CRLF line;
// a line break (an environment value, an argument, as a Nomad task may carry) is written
// escaped inside quotes, the one place this format has escapes.
static bool needs_quotes(std::string_view key, std::string_view value) {
  return is_quoted_key(key) || (value.size() >= 2 && value.front() == '"' && value.back() == '"') ||
         value.find_first_of("\n\r") != std::string_view::npos;
}

PotConf PotConf::parse(std::string_view text) {
  PotConf conf;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string_view value = line.substr(eq + 1);
    std::string unquoted;
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
      for (size_t i = 0; i < value.size(); ++i) {  // the original escapes inner quotes as \"
        char next = i + 1 < value.size() ? value[i + 1] : '\0';
        if (value[i] == '\\' && (next == 'n' || next == 'r')) {
          unquoted += next == 'n' ? '\n' : '\r';
          ++i;
          continue;
        }
        if (value[i] == '\\' && (next == '"' || next == '\\')) ++i;
        unquoted += value[i];
      }
    } else {
      unquoted = value;
    }
    conf.entries_.emplace_back(std::string(line.substr(0, eq)), std::move(unquoted));
  }
  return conf;
}

PotConf PotConf::load(const std::filesystem::path& path) {
  return parse(read_file(path));
}

std::string PotConf::serialize() const {
  std::string out;
  for (const auto& [key, value] : entries_) {
    out += key;
    out += '=';
    if (needs_quotes(key, value)) {
      out += '"';
      for (char c : value) {
        if (c == '\n' || c == '\r') {
          out += c == '\n' ? "\\n" : "\\r";
          continue;
        }
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    } else {
      out += value;
    }
    out += '\n';
  }
  return out;
}

void PotConf::save(const std::filesystem::path& path) const {
  write_file_atomic(path, serialize());
}

std::optional<std::string> PotConf::get(std::string_view key) const {
  for (const auto& [k, v] : entries_) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::string PotConf::get_or(std::string_view key, std::string_view fallback) const {
  auto value = get(key);
  return value ? *value : std::string(fallback);
}

std::vector<std::string> PotConf::get_all(std::string_view key) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : entries_) {
    if (k == key) out.push_back(v);
  }
  return out;
}

void PotConf::set(std::string_view key, std::string_view value) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](auto& e) { return e.first == key; });
  if (it == entries_.end()) {
    entries_.emplace_back(std::string(key), std::string(value));
    return;
  }
  it->second = std::string(value);
  entries_.erase(std::remove_if(it + 1, entries_.end(), [&](auto& e) { return e.first == key; }),
                 entries_.end());
}

void PotConf::add(std::string_view key, std::string_view value) {
  entries_.emplace_back(std::string(key), std::string(value));
}

void PotConf::remove(std::string_view key) {
  entries_.erase(
      std::remove_if(entries_.begin(), entries_.end(), [&](auto& e) { return e.first == key; }),
      entries_.end());
}

void PotConf::remove_value(std::string_view key, std::string_view value) {
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](auto& e) { return e.first == key && e.second == value; }),
                 entries_.end());
}

bool parse_bool(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "yes" || lower == "true" || lower == "on" || lower == "1") return true;
  if (lower == "no" || lower == "false" || lower == "off" || lower == "0") return false;
  throw Error("invalid value " + quote_name(text) + ": expected YES or NO");
}

bool PotConf::attr(std::string_view name, bool fallback) const {
  auto value = get("pot.attr." + std::string(name));
  if (!value) return fallback;
  return with_context("pot.attr." + std::string(name), [&] { return parse_bool(*value); });
}

void PotConf::set_attr(std::string_view name, bool value) {
  set("pot.attr." + std::string(name), value ? "YES" : "NO");
}

const std::vector<AttrInfo>& known_attrs() {
  // The original's read-write boolean attributes (to-be-pruned is set by pot itself).
  static const std::vector<AttrInfo> kAttrs = {
      {"start-at-boot", false}, {"early-start-at-boot", false},
      {"persistent", true},     {"no-rc-script", false},
      {"prunable", false},      {"localhost-tunnel", false},
      {"no-tmpfs", false},      {"no-etc-hosts", false},
  };
  return kAttrs;
}

}  // namespace pot
