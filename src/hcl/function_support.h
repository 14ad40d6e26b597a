// What the standard library's functions share: reading arguments with cty's conversions and
// messages, and registering functions by concern (one add_*_functions per file).
// Internal to hcl/.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "hcl/eval_budget.h"
#include "hcl/function.h"

namespace hcl::detail {

using Args = std::span<const Value>;

// Each reads argument `index` (named `param` in messages) converted to the kind, or fails
// the call: `join: invalid value for "separator" parameter: a string is required.`
std::string string_arg(const CallSite& site, Args args, std::size_t index, std::string_view param);
double number_arg(const CallSite& site, Args args, std::size_t index, std::string_view param);
// A whole number that fits in 64 bits.
std::int64_t integer_arg(const CallSite& site, Args args, std::size_t index,
                         std::string_view param);
bool bool_arg(const CallSite& site, Args args, std::size_t index, std::string_view param);
// A list, tuple or set (not null).
const Value& sequence_arg(const CallSite& site, Args args, std::size_t index,
                          std::string_view param);
// A map or object (not null).
const Value& mapping_arg(const CallSite& site, Args args, std::size_t index,
                         std::string_view param);
// Any value but null.
const Value& non_null_arg(const CallSite& site, Args args, std::size_t index,
                          std::string_view param);

[[noreturn]] void param_error(const CallSite& site, std::string_view param,
                              const std::string& reason);

// A list when every element has one kind (after cty's unification), else a tuple.
Value list_or_tuple(Value::Elements elements);

// Before building a large result.
void check_result_string(const CallSite& site, std::size_t bytes);
void check_result_elements(const CallSite& site, std::size_t count);

// Registration, one per file of functions.
void add_string_functions(FunctionTable& table);
void add_collection_functions(FunctionTable& table);
void add_numeric_functions(FunctionTable& table);
void add_encoding_functions(FunctionTable& table);
void add_conversion_functions(FunctionTable& table);
void add_regex_functions(FunctionTable& table);
void add_format_functions(FunctionTable& table);
void add_file_functions(FunctionTable& table, const StdlibOptions& options);
void add_misc_functions(FunctionTable& table);
void add_datetime_functions(FunctionTable& table);
void add_csv_functions(FunctionTable& table);
void add_network_functions(FunctionTable& table);
void add_path_functions(FunctionTable& table, const StdlibOptions& options);

// Digests, hex-encoded lowercase.
std::string md5_hex(std::string_view data);
std::string sha1_hex(std::string_view data);
std::string sha256_hex(std::string_view data);
std::string sha512_hex(std::string_view data);

// JSON text of a value for %v/%#v (shared by format and jsonencode); fails on infinities.
std::string json_of(const CallSite& site, const Value& value);
// Parses a JSON document (jsondecode); fails with the reason.
Value parse_json(const CallSite& site, std::string_view text);

}  // namespace hcl::detail
