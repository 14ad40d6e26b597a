#include "cli/options.h"

#include "core/error.h"

namespace pot {

Options Options::parse(std::string_view command, std::string_view spec,
                       const std::vector<std::string>& args) {
  Options options;
  options.command_ = std::string(command);
  std::string prefix = "pot " + std::string(command) + ": ";
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') break;
    for (size_t j = 1; j < arg.size(); ++j) {
      char flag = arg[j];
      size_t at = spec.find(flag);
      if (flag == ':' || at == std::string_view::npos)
        throw Error(prefix + "unknown flag -" + std::string(1, flag));
      bool takes_value = at + 1 < spec.size() && spec[at + 1] == ':';
      if (!takes_value) {
        options.values_[flag].emplace_back();
        continue;
      }
      std::string value;
      if (j + 1 < arg.size()) {
        value = arg.substr(j + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        throw Error(prefix + "flag -" + std::string(1, flag) + " needs a value");
      }
      options.values_[flag].push_back(value);
      break;
    }
  }
  options.positional_.assign(args.begin() + static_cast<long>(i), args.end());
  return options;
}

std::string Options::pot() const {
  if (auto name = get('p')) return *name;
  if (!positional_.empty()) return positional_.front();
  throw Error("pot " + command_ + ": -p NAME is required");
}

std::optional<std::string> Options::get(char flag) const {
  auto it = values_.find(flag);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Options::all(char flag) const {
  auto it = values_.find(flag);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::string Options::require(char flag, std::string_view what) const {
  auto value = get(flag);
  if (!value || value->empty())
    throw Error("pot " + command_ + ": -" + std::string(1, flag) + " " + std::string(what) +
                " is required");
  return *value;
}

}  // namespace pot
