#include "agent/cli/table.h"

#include <algorithm>

namespace pot::agent {
namespace {

std::string trimmed_or_none(const std::string& cell) {
  auto first = cell.find_first_not_of(" \t");
  if (first == std::string::npos) return "<none>";
  auto last = cell.find_last_not_of(" \t");
  return cell.substr(first, last - first + 1);
}

std::string columnize(const std::vector<TableRow>& rows, const std::string& glue) {
  std::vector<TableRow> cells;
  cells.reserve(rows.size());
  std::vector<std::size_t> widths;
  for (const TableRow& row : rows) {
    TableRow clean;
    for (const std::string& cell : row) clean.push_back(trimmed_or_none(cell));
    for (std::size_t i = 0; i < clean.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], clean[i].size());
    }
    cells.push_back(std::move(clean));
  }
  std::string out;
  for (const TableRow& row : cells) {
    if (!out.empty()) out += '\n';
    for (std::size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      // The last cell of a row stays unpadded, so no line ends in spaces.
      if (i + 1 < row.size()) out += std::string(widths[i] - row[i].size(), ' ') + glue;
    }
  }
  return out;
}

}  // namespace

std::string format_list(const std::vector<TableRow>& rows) {
  return columnize(rows, "  ");
}

std::string format_kv(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::vector<TableRow> rows;
  rows.reserve(pairs.size());
  for (const auto& [key, value] : pairs) rows.push_back({key, value});
  return columnize(rows, " = ");
}

std::string limit(const std::string& text, std::size_t length) {
  return text.size() <= length ? text : text.substr(0, length);
}

}  // namespace pot::agent
