#include "hcl/diagnostic.h"

#include <algorithm>
#include <utility>

#include "hcl/unicode.h"

namespace hcl {

namespace {

// Lines longer than this (a minified document, a 10 MB string) are shown as a window of
// this many characters around the caret, so that a message stays readable.
constexpr std::size_t kSnippetWindow = 120;

// The source line holding `byte`, without its line break.
std::string_view line_at(std::string_view source, std::size_t byte) {
  byte = std::min(byte, source.size());
  std::size_t start = byte == 0 ? std::string_view::npos : source.rfind('\n', byte - 1);
  start = start == std::string_view::npos ? 0 : start + 1;
  std::size_t end = source.find('\n', start);
  if (end == std::string_view::npos) end = source.size();
  if (end > start && source[end - 1] == '\r') --end;
  return source.substr(start, end - start);
}

// The byte offset of the `column`-th code point (from 1) of a line, clamped to its end.
std::size_t offset_of_column(std::string_view line, int column) {
  std::size_t at = 0;
  for (int c = 1; c < column && at < line.size(); ++c) {
    ++at;
    while (at < line.size() && (static_cast<unsigned char>(line[at]) & 0xC0) == 0x80) ++at;
  }
  return at;
}

}  // namespace

DiagnosticError::DiagnosticError(Diagnostic diagnostic)
    : DiagnosticError(std::vector<Diagnostic>{std::move(diagnostic)}) {}

DiagnosticError::DiagnosticError(std::vector<Diagnostic> diagnostics)
    : diagnostics_(std::move(diagnostics)) {
  message_ = diagnostics_.empty() ? std::string("unknown HCL error")
                                  : format_one_line(diagnostics_.front());
}

std::string format_one_line(const Diagnostic& diagnostic) {
  std::string out;
  if (!diagnostic.range.filename.empty()) out += diagnostic.range.filename + ":";
  out += std::to_string(diagnostic.range.start.line) + ":" +
         std::to_string(diagnostic.range.start.column) + ": " + diagnostic.summary;
  if (!diagnostic.detail.empty()) out += "; " + diagnostic.detail;
  return out;
}

std::string format(const Diagnostic& diagnostic, std::string_view source) {
  std::string out = format_one_line(diagnostic);
  if (source.empty() || diagnostic.range.start.byte > source.size()) return out;

  const Pos& start = diagnostic.range.start;
  std::string_view line = line_at(source, start.byte);
  std::size_t caret_at = offset_of_column(line, start.column);
  std::size_t carets = 1;
  if (diagnostic.range.end.line == start.line && diagnostic.range.end.column > start.column) {
    carets = static_cast<std::size_t>(diagnostic.range.end.column - start.column);
  }

  // A window around the caret for very long lines.
  std::string_view shown = line;
  std::string prefix;
  std::string suffix;
  if (count_code_points(line) > kSnippetWindow) {
    std::size_t from = offset_of_column(line, std::max(1, start.column - 40));
    std::size_t to = offset_of_column(line, start.column + static_cast<int>(kSnippetWindow) - 40);
    if (from > 0) prefix = "...";
    if (to < line.size()) suffix = "...";
    shown = line.substr(from, to - from);
    caret_at -= from;
  }
  const std::string number = std::to_string(start.line);
  const std::string gutter(number.size(), ' ');
  out += "\n  " + number + " | " + prefix + std::string(shown) + suffix;
  out += "\n  " + gutter + " | " + std::string(prefix.size(), ' ');
  // Keep tabs in the caret line so that the caret lines up under a tab-indented line.
  std::size_t before = 0;
  for (std::size_t at = 0; at < caret_at && at < shown.size(); ++at) {
    if ((static_cast<unsigned char>(shown[at]) & 0xC0) == 0x80) continue;
    out += shown[at] == '\t' ? '\t' : ' ';
    ++before;
  }
  const std::size_t room =
      count_code_points(shown) > before ? count_code_points(shown) - before : 1;
  out += std::string(std::clamp<std::size_t>(carets, 1, std::max<std::size_t>(room, 1)), '^');
  return out;
}

void throw_error(std::string summary, std::string detail, Range range) {
  throw DiagnosticError(Diagnostic{std::move(summary), std::move(detail), std::move(range)});
}

}  // namespace hcl
