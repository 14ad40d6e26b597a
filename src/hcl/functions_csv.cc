// csvdecode: RFC 4180 text to a list of objects, one per row, keyed by the header row's
// names; read as Go's encoding/csv reads it (cty uses it): empty lines are skipped, "\r\n"
// ends a line like "\n", a quoted field may hold commas, line breaks and doubled quotes,
// and every row must have as many fields as the header.
#include <optional>

#include "hcl/function_support.h"

namespace hcl::detail {

namespace {

class CsvReader {
 public:
  explicit CsvReader(std::string_view text) : text_(text) {}

  // The next record; nullopt at the end of the text. Fails with a message on bad quoting.
  std::optional<std::vector<std::string>> next(std::string& error) {
    while (at_ < text_.size() && (text_[at_] == '\n' || starts_crlf(at_))) {
      ++line_;
      at_ += text_[at_] == '\n' ? 1 : 2;
    }
    if (at_ >= text_.size()) return std::nullopt;
    std::vector<std::string> fields;
    while (true) {
      std::string field;
      if (text_[at_] == '"') {
        if (!quoted_field(field, error)) return std::nullopt;
      } else {
        while (at_ < text_.size() && text_[at_] != ',' && text_[at_] != '\n' && !starts_crlf(at_)) {
          if (text_[at_] == '"') {
            error =
                "parse error on line " + std::to_string(line_) + ": bare \" in non-quoted field";
            return std::nullopt;
          }
          field += text_[at_++];
        }
      }
      fields.push_back(std::move(field));
      if (at_ < text_.size() && text_[at_] == ',') {
        ++at_;
        if (at_ == text_.size()) {
          fields.emplace_back();
          return fields;
        }
        continue;
      }
      if (at_ < text_.size()) {
        at_ += text_[at_] == '\n' ? 1 : 2;
        ++line_;
      }
      return fields;
    }
  }

  int line() const { return line_; }

 private:
  bool starts_crlf(std::size_t i) const {
    return text_[i] == '\r' && i + 1 < text_.size() && text_[i + 1] == '\n';
  }

  // At the opening quote; leaves at_ after the closing quote.
  bool quoted_field(std::string& field, std::string& error) {
    const int start_line = line_;
    ++at_;
    while (true) {
      if (at_ >= text_.size()) {
        error = "parse error on line " + std::to_string(start_line) +
                ": extraneous or missing \" in quoted-field";
        return false;
      }
      const char c = text_[at_];
      if (c == '"') {
        if (at_ + 1 < text_.size() && text_[at_ + 1] == '"') {
          field += '"';
          at_ += 2;
          continue;
        }
        ++at_;
        if (at_ < text_.size() && text_[at_] != ',' && text_[at_] != '\n' && !starts_crlf(at_)) {
          error = "parse error on line " + std::to_string(line_) +
                  ": extraneous or missing \" in quoted-field";
          return false;
        }
        return true;
      }
      if (starts_crlf(at_)) {
        field += '\n';
        at_ += 2;
        ++line_;
        continue;
      }
      if (c == '\n') ++line_;
      field += c;
      ++at_;
    }
  }

  std::string_view text_;
  std::size_t at_ = 0;
  int line_ = 1;
};

Value csvdecode(Args args, const CallSite& site) {
  const std::string text = string_arg(site, args, 0, "str");
  CsvReader reader(text);
  std::string error;
  const auto headers = reader.next(error);
  if (!error.empty()) call_error(site, error + ".");
  if (!headers) call_error(site, "missing header line.");
  for (std::size_t i = 0; i < headers->size(); ++i) {
    for (std::size_t k = 0; k < i; ++k) {
      if ((*headers)[k] == (*headers)[i]) {
        call_error(site, "duplicate column name \"" + (*headers)[i] + "\".");
      }
    }
  }
  Value::Elements rows;
  while (true) {
    const int line = reader.line();
    const auto fields = reader.next(error);
    if (!error.empty()) call_error(site, error + ".");
    if (!fields) break;
    if (fields->size() != headers->size()) {
      call_error(site, "parse error on line " + std::to_string(line) + ": wrong number of fields.");
    }
    Value::Attributes row;
    for (std::size_t i = 0; i < fields->size(); ++i) {
      row.insert_or_assign((*headers)[i], Value::string((*fields)[i]));
    }
    rows.push_back(Value::object(std::move(row)));
    check_result_elements(site, rows.size());
  }
  return Value::list(std::move(rows));
}

}  // namespace

void add_csv_functions(FunctionTable& table) {
  table["csvdecode"] = {1, 1, csvdecode};
}

}  // namespace hcl::detail
