// A pot's configuration, `jails/<pot>/conf/pot.conf`: the original pot's key=value lines.
// Order is kept and keys may repeat (pot.env, pot.hosts, pot.depend, pot.mount), so the
// model is an ordered list rather than a map. Values written by the original in double
// quotes (host.hostname, osrelease, pot.env) are read without them and written with them;
// other values are written in quotes only when they would not read back as themselves bare.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pot {

class PotConf {
 public:
  static PotConf parse(std::string_view text);
  static PotConf load(const std::filesystem::path& path);
  std::string serialize() const;
  // Atomic: a crash leaves the previous file or the new one, never a mix.
  void save(const std::filesystem::path& path) const;

  std::optional<std::string> get(std::string_view key) const;
  std::string get_or(std::string_view key, std::string_view fallback) const;
  std::vector<std::string> get_all(std::string_view key) const;
  bool has(std::string_view key) const { return get(key).has_value(); }

  void set(std::string_view key, std::string_view value);  // replaces every entry of key
  void add(std::string_view key, std::string_view value);  // appends one more entry
  void remove(std::string_view key);
  void remove_value(std::string_view key, std::string_view value);

  // pot.attr.<name> as a boolean (YES/NO, as the original writes them).
  bool attr(std::string_view name, bool fallback) const;
  void set_attr(std::string_view name, bool value);

  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

// The attributes `pot set-attr` knows, with their defaults.
struct AttrInfo {
  std::string_view name;
  bool default_value;
};
const std::vector<AttrInfo>& known_attrs();
// YES/NO, yes/no, true/false, on/off, 1/0; throws naming the value otherwise.
bool parse_bool(std::string_view text);

}  // namespace pot
