// A SystemCommands for unit tests of the FreeBSD backend: records every call's argv and
// stdin, and answers from a map keyed by the argv joined with spaces (exit 0 and no output
// for a call it has no answer for).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "freebsd/system_command.h"

namespace pot::testing {

class ScriptedCommands : public freebsd::SystemCommands {
 public:
  struct Call {
    std::vector<std::string> argv;
    std::string input;
  };

  freebsd::CommandResult run(const std::vector<std::string>& argv,
                             const std::string& input = {}) override {
    calls.push_back({argv, input});
    auto answer = answers.find(join(argv));
    return answer == answers.end() ? freebsd::CommandResult{} : answer->second;
  }

  // Answers `command` (argv joined with spaces) with this exit code and output.
  void answer(const std::string& command, int exit_code, const std::string& out = {},
              const std::string& err = {}) {
    answers[command] = freebsd::CommandResult{exit_code, out, err};
  }

  // Every call so far, each as its argv joined with spaces.
  std::vector<std::string> commands() const {
    std::vector<std::string> lines;
    for (const auto& call : calls) lines.push_back(join(call.argv));
    return lines;
  }

  static std::string join(const std::vector<std::string>& argv) {
    std::string line;
    for (const auto& word : argv) line += (line.empty() ? "" : " ") + word;
    return line;
  }

  std::vector<Call> calls;
  std::map<std::string, freebsd::CommandResult> answers;
};

}  // namespace pot::testing
