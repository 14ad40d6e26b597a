// getopts-style parsing, as the original's commands use: single-letter flags, `x:` for a
// flag with a value, repeatable, options end at the first word that is not one (so
// `pot exec -p web ls -l` leaves `ls -l` alone) or at `--`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pot {

class Options {
 public:
  // Throws Error("pot CMD: unknown flag -x") and the like.
  static Options parse(std::string_view command, std::string_view spec,
                       const std::vector<std::string>& args);

  bool has(char flag) const { return values_.count(flag) != 0; }
  std::optional<std::string> get(char flag) const;  // the last value given
  std::vector<std::string> all(char flag) const;
  // The value of a flag the command cannot do without.
  std::string require(char flag, std::string_view what) const;
  const std::vector<std::string>& positional() const { return positional_; }
  // The pot a command acts on: -p NAME, or the first word after the flags (pot start NAME).
  std::string pot() const;

 private:
  std::string command_;
  std::map<char, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

}  // namespace pot
