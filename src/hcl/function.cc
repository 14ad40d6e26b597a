// The function table, and the argument readers every function uses.
#include "hcl/function.h"

#include <cmath>

#include "hcl/conversion.h"
#include "hcl/function_support.h"

namespace hcl {

void call_error(const CallSite& site, const std::string& detail) {
  throw_error("Invalid function argument", site.call.name + ": " + detail, site.call.range);
}

FunctionTable standard_functions(const StdlibOptions& options) {
  FunctionTable table;
  detail::add_string_functions(table);
  detail::add_collection_functions(table);
  detail::add_numeric_functions(table);
  detail::add_encoding_functions(table);
  detail::add_conversion_functions(table);
  detail::add_regex_functions(table);
  detail::add_format_functions(table);
  detail::add_file_functions(table, options);
  detail::add_misc_functions(table);
  detail::add_datetime_functions(table);
  detail::add_csv_functions(table);
  detail::add_network_functions(table);
  detail::add_path_functions(table, options);
  return table;
}

namespace detail {

void param_error(const CallSite& site, std::string_view param, const std::string& reason) {
  call_error(site, "invalid value for \"" + std::string(param) + "\" parameter: " + reason + ".");
}

const Value& non_null_arg(const CallSite& site, Args args, std::size_t index,
                          std::string_view param) {
  if (args[index].is_null()) param_error(site, param, "argument must not be null");
  return args[index];
}

std::string string_arg(const CallSite& site, Args args, std::size_t index, std::string_view param) {
  std::string error;
  auto converted = try_to_string(non_null_arg(site, args, index, param), error);
  if (!converted) param_error(site, param, error);
  return converted->as_string();
}

double number_arg(const CallSite& site, Args args, std::size_t index, std::string_view param) {
  std::string error;
  auto converted = try_to_number(non_null_arg(site, args, index, param), error);
  if (!converted) param_error(site, param, error);
  return converted->as_number();
}

std::int64_t integer_arg(const CallSite& site, Args args, std::size_t index,
                         std::string_view param) {
  const double n = number_arg(site, args, index, param);
  if (n != std::floor(n) || std::fabs(n) > 9.007199254740992e15) {
    param_error(site, param, "a whole number is required, not " + format_number(n));
  }
  return static_cast<std::int64_t>(n);
}

bool bool_arg(const CallSite& site, Args args, std::size_t index, std::string_view param) {
  std::string error;
  auto converted = try_to_bool(non_null_arg(site, args, index, param), error);
  if (!converted) param_error(site, param, error);
  return converted->as_bool();
}

const Value& sequence_arg(const CallSite& site, Args args, std::size_t index,
                          std::string_view param) {
  const Value& value = non_null_arg(site, args, index, param);
  if (!value.is_sequence()) {
    param_error(site, param,
                "a list, tuple or set is required, not a " + std::string(kind_name(value.kind())));
  }
  return value;
}

const Value& mapping_arg(const CallSite& site, Args args, std::size_t index,
                         std::string_view param) {
  const Value& value = non_null_arg(site, args, index, param);
  if (!value.is_mapping()) {
    param_error(site, param,
                "a map or object is required, not a " + std::string(kind_name(value.kind())));
  }
  return value;
}

Value list_or_tuple(Value::Elements elements) {
  if (elements.empty()) return Value::list({});
  const Kind first = elements.front().kind();
  for (const Value& element : elements) {
    if (element.kind() != first) return Value::tuple(std::move(elements));
  }
  return Value::list(std::move(elements));
}

void check_result_string(const CallSite& site, std::size_t bytes) {
  count_string(site.context, bytes, site.call.range);
}

void check_result_elements(const CallSite& site, std::size_t count) {
  count_elements(site.context, count, site.call.range);
  count_steps(site.context, count, site.call.range);
}

}  // namespace detail

}  // namespace hcl
