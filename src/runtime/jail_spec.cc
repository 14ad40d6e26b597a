#include "runtime/jail_spec.h"

#include <cstring>

namespace pot {

std::string overlay_mount_options(const OverlayRoot& overlay) {
  return "lowerdir=" + overlay.lower + ",upperdir=" + overlay.upper + ",workdir=" + overlay.work;
}

std::vector<std::string> default_pot_env(const std::string& hostname) {
  return {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
          "TERM=xterm", "HOSTNAME=" + hostname};
}

namespace {

// Splits `line` into words as sh would for plain words and quotes. Returns nullopt when the
// line needs a real shell: unbalanced quotes, or (with `specials_need_shell`) pipes,
// redirections, variables, globs and the like.
std::optional<std::vector<std::string>> split_words(const std::string& line,
                                                    bool specials_need_shell) {
  static const char kShellSpecial[] = "|&;<>()$`*?[]{}~#=!\n";
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\'') {
      size_t end = line.find('\'', i + 1);
      if (end == std::string::npos) return std::nullopt;
      word += line.substr(i + 1, end - i - 1);
      in_word = true;
      i = end;
    } else if (c == '"') {
      size_t end = i + 1;
      std::string quoted_part;
      for (; end < line.size() && line[end] != '"'; ++end) {
        if (specials_need_shell && (line[end] == '$' || line[end] == '`')) return std::nullopt;
        // As sh: inside double quotes a backslash escapes only $ ` " \ and newline.
        if (line[end] == '\\' && end + 1 < line.size() && std::strchr("$`\"\\\n", line[end + 1]))
          ++end;
        quoted_part += line[end];
      }
      if (end >= line.size()) return std::nullopt;
      word += quoted_part;
      in_word = true;
      i = end;
    } else if (c == '\\' && i + 1 < line.size()) {
      word += line[++i];
      in_word = true;
    } else if (specials_need_shell && std::strchr(kShellSpecial, c) != nullptr) {
      return std::nullopt;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace

std::vector<std::string> command_to_argv(const std::string& line) {
  auto words = split_words(line, /*specials_need_shell=*/true);
  if (!words) return {"/bin/sh", "-c", line};
  return *words;
}

std::optional<std::vector<std::string>> split_quoted_words(const std::string& line) {
  return split_words(line, /*specials_need_shell=*/false);
}

}  // namespace pot
