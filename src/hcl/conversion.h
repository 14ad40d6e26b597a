// The conversions that evaluation, functions and type constraints share (cty's rules), in a
// form that reports failure instead of throwing, so that each caller can phrase its own
// diagnostic around the reason ("Unsuitable value for left operand: a number is required").
// Internal to hcl/.
#pragma once

#include <optional>
#include <string>

#include "hcl/type.h"
#include "hcl/value.h"

namespace hcl::detail {

Type make_type(Type::Kind kind);
Type make_collection_type(Type::Kind kind, Type element);

// The value converted to `type`, or nullopt with the reason in `error` ("a number is
// required", "element 1: a string is required"). Null converts to null.
std::optional<Value> try_convert(const Value& value, const Type& type, std::string& error);

// Shorthands for the primitive types.
std::optional<Value> try_to_string(const Value& value, std::string& error);
std::optional<Value> try_to_number(const Value& value, std::string& error);
std::optional<Value> try_to_bool(const Value& value, std::string& error);

// cty's reading of a string as a number: optional sign, decimal digits, optional fraction
// and exponent; nothing else (no spaces, no hex, no Inf).
std::optional<double> parse_number(std::string_view text);

// Brings the elements of a tuple or an object to one type, as tolist / tomap / toset do:
// equal kinds stay, strings absorb numbers and bools; anything else fails with `error`.
std::optional<Value::Elements> unify_elements(const Value::Elements& elements, std::string& error);

}  // namespace hcl::detail
