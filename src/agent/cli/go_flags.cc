#include "agent/cli/go_flags.h"

#include <optional>

#include "core/error.h"

namespace pot::agent {

void GoFlags::add_bool(std::string name, bool* target) {
  flags_.push_back({std::move(name), Type::Bool, target});
}

void GoFlags::add_string(std::string name, std::string* target) {
  flags_.push_back({std::move(name), Type::String, target});
}

void GoFlags::add_list(std::string name, std::vector<std::string>* target) {
  flags_.push_back({std::move(name), Type::List, target});
}

const GoFlags::Flag* GoFlags::find(std::string_view name) const {
  for (const Flag& flag : flags_) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

std::vector<std::string> GoFlags::parse(const std::vector<std::string>& args) const {
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    std::string_view word = args[i];
    if (word == "--") {
      ++i;
      break;
    }
    // "-" alone is a word (stdin as the job file), as in Go.
    if (word.size() < 2 || word[0] != '-') break;
    word.remove_prefix(word[1] == '-' ? 2 : 1);
    if (word.empty() || word[0] == '-' || word[0] == '=') {
      throw Error(command_ + ": bad flag syntax: " + args[i]);
    }
    std::string_view name = word;
    std::optional<std::string> value;
    if (auto eq = word.find('='); eq != std::string_view::npos) {
      name = word.substr(0, eq);
      value = std::string(word.substr(eq + 1));
    }
    const Flag* flag = find(name);
    if (flag == nullptr) {
      throw Error(command_ + ": flag provided but not defined: -" + std::string(name));
    }
    if (flag->type == Type::Bool) {
      bool on = true;
      if (value) {
        if (*value == "true" || *value == "1") {
          on = true;
        } else if (*value == "false" || *value == "0") {
          on = false;
        } else {
          throw Error(command_ + ": invalid boolean value " + quote_name(*value) + " for -" +
                      std::string(name));
        }
      }
      *static_cast<bool*>(flag->target) = on;
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        throw Error(command_ + ": flag needs an argument: -" + std::string(name));
      }
      value = args[++i];
    }
    if (flag->type == Type::String) {
      *static_cast<std::string*>(flag->target) = *value;
    } else {
      static_cast<std::vector<std::string>*>(flag->target)->push_back(*value);
    }
  }
  return {args.begin() + static_cast<std::ptrdiff_t>(i), args.end()};
}

}  // namespace pot::agent
