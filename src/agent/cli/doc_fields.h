// Reading fields of the agent's JSON documents for display: a missing or null field reads as
// empty or zero, so an older or newer agent's document still prints.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace pot::agent {

inline const nlohmann::ordered_json& field(const nlohmann::ordered_json& doc, const char* name) {
  static const nlohmann::ordered_json kNull;
  if (!doc.is_object()) return kNull;
  auto it = doc.find(name);
  return it == doc.end() ? kNull : *it;
}

inline std::string text_of(const nlohmann::ordered_json& doc, const char* name) {
  const auto& value = field(doc, name);
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number() || value.is_boolean()) return value.dump();
  return "";
}

inline int64_t int_of(const nlohmann::ordered_json& doc, const char* name) {
  const auto& value = field(doc, name);
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number()) return static_cast<int64_t>(value.get<double>());
  return 0;
}

inline bool bool_of(const nlohmann::ordered_json& doc, const char* name) {
  const auto& value = field(doc, name);
  return value.is_boolean() && value.get<bool>();
}

// Go's %v of a bool.
inline const char* go_bool(bool value) {
  return value ? "true" : "false";
}

// Go's %q of a string (enough for the IDs, names and statuses shown).
inline std::string go_quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace pot::agent
