// Job, group and task constraints against the node's attributes, with Nomad's operators.
// A target is `${attr.x}`, `${meta.x}`, `${node.datacenter}`, `${node.unique.name}`,
// `${node.unique.id}`, `${node.class}`, `${node.pool}` or a literal; an attribute the node
// lacks is "not found", which only `!=`, `not` and `is_not_set` accept.
#include <algorithm>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "agent/scheduler/scheduler_parts.h"

namespace pot::agent::scheduler {
namespace {

std::optional<std::string> resolve_target(const std::string& target, const NodeInfo& node) {
  const bool interpolated = target.size() > 3 && target.rfind("${", 0) == 0 && target.back() == '}';
  if (!interpolated) return target;
  const std::string name = target.substr(2, target.size() - 3);
  auto lookup = [](const std::map<std::string, std::string>& map,
                   const std::string& key) -> std::optional<std::string> {
    auto it = map.find(key);
    if (it == map.end()) return std::nullopt;
    return it->second;
  };
  if (name.rfind("attr.", 0) == 0) return lookup(node.attributes, name.substr(5));
  if (name.rfind("meta.", 0) == 0) return lookup(node.meta, name.substr(5));
  if (name == "node.datacenter") return node.datacenter;
  if (name == "node.unique.name") return node.name;
  if (name == "node.unique.id") return node.id;
  if (name == "node.class") return node.node_class;
  if (name == "node.pool") return node.node_pool;
  return std::nullopt;
}

std::optional<long double> as_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t used = 0;
  try {
    long double value = std::stold(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// Numerically when both sides are numbers, else lexically (Nomad's checkOrder).
bool check_order(const std::string& op, const std::string& left, const std::string& right) {
  int compare = 0;
  auto l = as_number(left);
  auto r = as_number(right);
  if (l && r) {
    compare = *l < *r ? -1 : (*l > *r ? 1 : 0);
  } else {
    compare = left.compare(right) < 0 ? -1 : (left.compare(right) > 0 ? 1 : 0);
  }
  if (op == "<") return compare < 0;
  if (op == "<=") return compare <= 0;
  if (op == ">") return compare > 0;
  return compare >= 0;
}

std::vector<std::string> split_set(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    const auto begin = item.find_first_not_of(" \t");
    const auto end = item.find_last_not_of(" \t");
    if (begin != std::string::npos) items.push_back(item.substr(begin, end - begin + 1));
  }
  return items;
}

bool set_contains_all(const std::string& left, const std::string& right) {
  const auto have = split_set(left);
  for (const auto& want : split_set(right)) {
    if (std::find(have.begin(), have.end(), want) == have.end()) return false;
  }
  return true;
}

bool set_contains_any(const std::string& left, const std::string& right) {
  const auto have = split_set(left);
  for (const auto& want : split_set(right)) {
    if (std::find(have.begin(), have.end(), want) != have.end()) return true;
  }
  return false;
}

// A version as its numeric segments ("1.2.3-beta" -> 1,2,3; the prerelease is ignored,
// which is looser than go-version but enough for kernel and driver versions).
std::optional<std::vector<long>> parse_version(std::string text) {
  if (!text.empty() && (text[0] == 'v' || text[0] == 'V')) text.erase(0, 1);
  const auto cut = text.find_first_of("-+");
  if (cut != std::string::npos) text.resize(cut);
  std::vector<long> segments;
  std::stringstream stream(text);
  std::string segment;
  while (std::getline(stream, segment, '.')) {
    if (segment.empty() || !std::all_of(segment.begin(), segment.end(), ::isdigit)) {
      return std::nullopt;
    }
    segments.push_back(std::stol(segment));
  }
  if (segments.empty()) return std::nullopt;
  return segments;
}

int compare_versions(std::vector<long> a, std::vector<long> b) {
  const size_t size = std::max(a.size(), b.size());
  a.resize(size, 0);
  b.resize(size, 0);
  return a < b ? -1 : (a > b ? 1 : 0);
}

// One clause of a version constraint: ">= 1.2", "~> 1.2", "1.2" (=).
bool version_clause_holds(const std::vector<long>& version, std::string clause) {
  clause.erase(0, clause.find_first_not_of(" \t"));
  static const char* kOperators[] = {"~>", ">=", "<=", "!=", ">", "<", "="};
  std::string op = "=";
  for (const char* candidate : kOperators) {
    if (clause.rfind(candidate, 0) == 0) {
      op = candidate;
      clause.erase(0, op.size());
      break;
    }
  }
  clause.erase(0, clause.find_first_not_of(" \t"));
  clause.erase(clause.find_last_not_of(" \t") + 1);
  auto wanted = parse_version(clause);
  if (!wanted) return false;
  const int compare = compare_versions(version, *wanted);
  if (op == "=") return compare == 0;
  if (op == "!=") return compare != 0;
  if (op == ">") return compare > 0;
  if (op == ">=") return compare >= 0;
  if (op == "<") return compare < 0;
  if (op == "<=") return compare <= 0;
  // "~> 1.2" allows >= 1.2 and < 2.0; "~> 1.2.3" allows >= 1.2.3 and < 1.3.
  if (compare < 0) return false;
  std::vector<long> ceiling(wanted->begin(), wanted->end() - (wanted->size() > 1 ? 1 : 0));
  ceiling.back() += 1;
  std::vector<long> prefix(version.begin(),
                           version.begin() + std::min(version.size(), ceiling.size()));
  return compare_versions(prefix, ceiling) < 0;
}

bool version_matches(const std::string& left, const std::string& right) {
  auto version = parse_version(left);
  if (!version) return false;
  for (const auto& clause : split_set(right)) {
    if (!version_clause_holds(*version, clause)) return false;
  }
  return true;
}

bool regexp_matches(const std::string& left, const std::string& right) {
  try {
    return std::regex_search(left, std::regex(right));
  } catch (const std::regex_error&) {
    return false;
  }
}

bool constraint_holds(const std::string& op, const std::optional<std::string>& left,
                      const std::optional<std::string>& right) {
  const bool both = left.has_value() && right.has_value();
  if (op == "=" || op == "==" || op == "is") return both && *left == *right;
  if (op == "!=" || op == "not") return left != right;
  if (op == "<" || op == "<=" || op == ">" || op == ">=") {
    return both && check_order(op, *left, *right);
  }
  if (op == "is_set") return left.has_value();
  if (op == "is_not_set") return !left.has_value();
  if (op == "version" || op == "semver") return both && version_matches(*left, *right);
  if (op == "regexp") return both && regexp_matches(*left, *right);
  if (op == "set_contains" || op == "set_contains_all") {
    return both && set_contains_all(*left, *right);
  }
  if (op == "set_contains_any") return both && set_contains_any(*left, *right);
  return false;
}

std::string constraint_key(const Json& constraint) {
  return constraint.value("LTarget", "") + " " + constraint.value("Operand", "") + " " +
         constraint.value("RTarget", "");
}

bool glob_matches(const std::string& pattern, const std::string& text) {
  // '*' matches any run of characters; nothing else is special (Nomad's datacenter globs).
  size_t p = 0, t = 0, star = std::string::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

std::optional<std::string> failed_constraint(const Json& constraints, const NodeInfo& node,
                                             bool placed_on_node) {
  if (!constraints.is_array()) return std::nullopt;
  for (const auto& constraint : constraints) {
    const std::string op = constraint.value("Operand", "");
    if (op == "distinct_hosts") {
      if (placed_on_node) return "distinct_hosts";
      continue;
    }
    if (op == "distinct_property") continue;  // one node: one value of any property
    const auto left = resolve_target(constraint.value("LTarget", ""), node);
    const auto right = resolve_target(constraint.value("RTarget", ""), node);
    if (!constraint_holds(op, left, right)) return constraint_key(constraint);
  }
  return std::nullopt;
}

bool has_distinct_hosts(const Json& constraints) {
  if (!constraints.is_array()) return false;
  return std::any_of(constraints.begin(), constraints.end(),
                     [](const Json& c) { return c.value("Operand", "") == "distinct_hosts"; });
}

bool datacenter_matches(const Json& job, const NodeInfo& node) {
  const Json datacenters = job.value("Datacenters", Json::array());
  if (!datacenters.is_array() || datacenters.empty()) return true;  // Nomad's default "*"
  return std::any_of(datacenters.begin(), datacenters.end(), [&](const Json& dc) {
    return dc.is_string() && glob_matches(dc.get<std::string>(), node.datacenter);
  });
}

}  // namespace pot::agent::scheduler
