#include "pot/last_run.h"

#include <cctype>
#include <charconv>

#include "core/file_util.h"

namespace pot {
namespace {

fs::path last_run_path(const Context& ctx, const std::string& pot) {
  return ctx.settings().jail_dir(pot) / "conf" / ".last_run_stats";
}

// Just enough JSON for one flat object of integers and booleans; others are refused.
class FlatObjectReader {
 public:
  explicit FlatObjectReader(std::string_view text) : text_(text) {}

  bool read(LastRun& run, bool& has_exit_code) {
    if (!literal("{")) return false;
    if (literal("}")) return at_end();
    do {
      std::string key;
      if (!string(key) || !literal(":")) return false;
      if (key == "OOMKilled") {
        if (literal("true")) {
          run.oom_killed = true;
        } else if (literal("false")) {
          run.oom_killed = false;
        } else {
          return false;
        }
        continue;
      }
      int value = 0;
      if (!integer(value)) return false;
      if (key == "ExitCode") {
        run.exit_code = value;
        has_exit_code = true;
      } else if (key == "Signal") {
        run.signal = value;
      }  // another number: a later version's, skipped
    } while (literal(","));
    return literal("}") && at_end();
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool literal(std::string_view word) {
    skip_space();
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  bool string(std::string& out) {
    if (!literal("\"")) return false;
    size_t end = text_.find('"', pos_);
    if (end == std::string_view::npos) return false;
    out = std::string(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return out.find('\\') == std::string::npos;  // our keys have no escapes
  }
  bool integer(int& out) {
    skip_space();
    const char* begin = text_.data() + pos_;
    auto [end, error] = std::from_chars(begin, text_.data() + text_.size(), out);
    if (error != std::errc()) return false;
    pos_ += static_cast<size_t>(end - begin);
    return true;
  }
  bool at_end() {
    skip_space();
    return pos_ == text_.size();
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

std::string format_last_run(const LastRun& run) {
  return "{\"ExitCode\":" + std::to_string(run.exit_code) +
         ",\"Signal\":" + std::to_string(run.signal) +
         ",\"OOMKilled\":" + (run.oom_killed ? "true" : "false") + "}";
}

std::optional<LastRun> parse_last_run(std::string_view text) {
  LastRun run;
  bool has_exit_code = false;
  if (!FlatObjectReader(text).read(run, has_exit_code) || !has_exit_code) return std::nullopt;
  return run;
}

std::optional<LastRun> read_last_run(Context& ctx, const std::string& pot) {
  auto text = read_file_if_exists(last_run_path(ctx, pot));
  if (!text) return std::nullopt;
  return parse_last_run(*text);
}

void write_last_run(Context& ctx, const std::string& pot, const LastRun& run) {
  write_file_atomic(last_run_path(ctx, pot), format_last_run(run) + "\n", 0644,
                    Durability::kVolatile);
}

}  // namespace pot
