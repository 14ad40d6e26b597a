// Command-line flags the way Nomad's commands take them (Go's flag package): `-name value`,
// `-name=value`, `--name` alike; a bool flag is `-name` or `-name=true|false`; a list flag
// repeats (`-var a=1 -var b=2`); flags end at the first word that is not one, or at `--`.
// A user copying a `nomad job ...` line to potd gets the same reading.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pot::agent {

class GoFlags {
 public:
  explicit GoFlags(std::string command) : command_(std::move(command)) {}

  void add_bool(std::string name, bool* target);
  void add_string(std::string name, std::string* target);
  void add_list(std::string name, std::vector<std::string>* target);

  // Sets the targets and returns the words after the flags. Throws pot::Error naming the
  // command and the flag: "potd job run: flag provided but not defined: -x".
  std::vector<std::string> parse(const std::vector<std::string>& args) const;

 private:
  enum class Type { Bool, String, List };
  struct Flag {
    std::string name;
    Type type;
    void* target;
  };
  const Flag* find(std::string_view name) const;

  std::string command_;
  std::vector<Flag> flags_;
};

}  // namespace pot::agent
