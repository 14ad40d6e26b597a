#include "agent/api/api_request.h"

#include <httplib.h>

#include <limits>

#include "agent/api/blocking_query.h"
#include "hcl/diagnostic.h"
#include "jobspec/json_job.h"

namespace pot::agent::http {

std::string ApiRequest::query(const std::string& name) const {
  return http.has_param(name) ? http.get_param_value(name) : std::string();
}

bool ApiRequest::has_query(const std::string& name) const {
  return http.has_param(name);
}

bool ApiRequest::query_bool(const std::string& name, bool fallback) const {
  if (!has_query(name)) return fallback;
  const std::string value = query(name);
  // Nomad's handlers treat a present but empty flag (`?purge`) as unset.
  if (value.empty()) return fallback;
  for (const char* yes : {"1", "t", "T", "true", "TRUE", "True"})
    if (value == yes) return true;
  for (const char* no : {"0", "f", "F", "false", "FALSE", "False"})
    if (value == no) return false;
  throw ApiError(
      400, "Failed to parse value of \"" + name + "\" (" + value + ") as a bool: invalid syntax");
}

std::string ApiRequest::namespace_name() const {
  std::string name = query("namespace");
  return name.empty() ? "default" : name;
}

Json ApiRequest::body_json() const {
  if (http.body.empty()) throw ApiError(400, "Request body is empty");
  try {
    return jobspec::parse_json_document(http.body, "request body");
  } catch (const hcl::DiagnosticError& e) {
    throw ApiError(400, std::string("Invalid JSON in the request body: ") + e.what());
  } catch (const std::exception& e) {
    throw ApiError(400, std::string("Invalid JSON in the request body: ") + e.what());
  }
}

const Json* ApiRequest::member(const Json& object, const char* name) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(name);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

namespace {

[[noreturn]] void wrong_type(const char* name, const char* expected) {
  throw ApiError(400, std::string("Invalid request body: ") + name + ": expected " + expected);
}

}  // namespace

bool body_bool(const Json& body, const char* name, bool fallback) {
  const Json* value = ApiRequest::member(body, name);
  if (value == nullptr) return fallback;
  if (!value->is_boolean()) wrong_type(name, "a boolean");
  return value->get<bool>();
}

uint64_t body_uint(const Json& body, const char* name, uint64_t fallback) {
  const Json* value = ApiRequest::member(body, name);
  if (value == nullptr) return fallback;
  if (value->is_number_unsigned()) return value->get<uint64_t>();
  if (value->is_number_integer() && value->get<int64_t>() >= 0) return value->get<uint64_t>();
  wrong_type(name, "a non-negative integer");
}

int64_t body_int(const Json& body, const char* name, int64_t fallback) {
  const Json* value = ApiRequest::member(body, name);
  if (value == nullptr) return fallback;
  if (value->is_number_unsigned() &&
      value->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    wrong_type(name, "a 64-bit integer");
  if (value->is_number_integer()) return value->get<int64_t>();
  wrong_type(name, "an integer");
}

std::string body_string(const Json& body, const char* name, const std::string& fallback) {
  const Json* value = ApiRequest::member(body, name);
  if (value == nullptr) return fallback;
  if (!value->is_string()) wrong_type(name, "a string");
  return value->get<std::string>();
}

void reply_json(ApiRequest& request, const Json& body) {
  // Invalid UTF-8 in a stored string is replaced rather than failing the whole answer.
  request.response.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace),
                               "application/json");
}

void reply_blocking_read(ApiRequest& request, const std::function<Json()>& read) {
  const BlockingQuery query = parse_blocking_query(request.query("index"), request.query("wait"));
  // The index is taken before the read: what the read returns is at least that new, so a
  // client that waits on it next cannot miss a write.
  const uint64_t index = wait_for_change(request.agent.state(), query, request.server.stopping);
  Json body = read();
  set_index_headers(request.response, index);
  reply_json(request, body);
}

bool in_namespace(const ApiRequest& request, const Json& document) {
  const std::string wanted = request.namespace_name();
  if (wanted == "*") return true;
  auto it = document.find("Namespace");
  const std::string actual =
      it != document.end() && it->is_string() ? it->get<std::string>() : "default";
  return actual == wanted;
}

}  // namespace pot::agent::http
