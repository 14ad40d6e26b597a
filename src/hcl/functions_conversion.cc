// Conversion functions: tostring, tonumber, tobool, tolist, toset, tomap.
#include "hcl/conversion.h"
#include "hcl/function_support.h"

namespace hcl::detail {

namespace {

// cty's wording: "cannot convert tuple to string".
Value convert_arg(Args args, const CallSite& site, const Type& type, const char* target) {
  const Value& value = args[0];
  std::string error;
  auto converted = try_convert(value, type, error);
  if (converted) return *converted;
  if (value.is_string() && type.kind == Type::Kind::Number) {
    call_error(site, "cannot convert \"" + value.as_string() +
                         "\" to number; given string must be a decimal representation of a "
                         "number.");
  }
  if (value.is_string() && type.kind == Type::Kind::Bool) {
    call_error(site, "cannot convert \"" + value.as_string() +
                         "\" to bool; only the strings \"true\" or \"false\" are allowed.");
  }
  if (value.is_sequence() || value.is_mapping()) {
    if (type.kind != Type::Kind::String && type.kind != Type::Kind::Number &&
        type.kind != Type::Kind::Bool &&
        (error.rfind("element", 0) == 0 || error.rfind("all ", 0) == 0)) {
      call_error(site, "cannot convert " + std::string(kind_name(value.kind())) + " to " + target +
                           ": " + error + ".");
    }
  }
  call_error(site,
             "cannot convert " + std::string(kind_name(value.kind())) + " to " + target + ".");
}

}  // namespace

void add_conversion_functions(FunctionTable& table) {
  table["tostring"] = {1, 1, [](Args args, const CallSite& site) {
                         return convert_arg(args, site, make_type(Type::Kind::String), "string");
                       }};
  table["tonumber"] = {1, 1, [](Args args, const CallSite& site) {
                         return convert_arg(args, site, make_type(Type::Kind::Number), "number");
                       }};
  table["tobool"] = {1, 1, [](Args args, const CallSite& site) {
                       return convert_arg(args, site, make_type(Type::Kind::Bool), "bool");
                     }};
  table["tolist"] = {
      1, 1, [](Args args, const CallSite& site) {
        return convert_arg(
            args, site, make_collection_type(Type::Kind::List, make_type(Type::Kind::Any)), "list");
      }};
  table["toset"] = {1, 1, [](Args args, const CallSite& site) {
                      return convert_arg(
                          args, site,
                          make_collection_type(Type::Kind::Set, make_type(Type::Kind::Any)), "set");
                    }};
  table["tomap"] = {1, 1, [](Args args, const CallSite& site) {
                      return convert_arg(
                          args, site,
                          make_collection_type(Type::Kind::Map, make_type(Type::Kind::Any)), "map");
                    }};
}

}  // namespace hcl::detail
