// The decoder walks the job block with the schema: for each body, `dynamic` blocks are
// expanded first (hcl/dynamic_block.h), then every argument is matched to its spec, evaluated
// and converted to the field's type, then every block is matched and decoded in turn. A
// problem is recorded and the walk goes on, so that one run names every mistake.
#include "jobspec/decode.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "hcl/did_you_mean.h"
#include "hcl/dynamic_block.h"
#include "hcl/type.h"
#include "jobspec/durations.h"
#include "jobspec/schema.h"
#include "jobspec/value_json.h"

namespace jobspec {
namespace {

using hcl::Diagnostic;
using hcl::DiagnosticError;
using hcl::ExpandedBlock;
using hcl::Range;
using hcl::Value;
using ContextPtr = std::shared_ptr<const hcl::EvalContext>;

hcl::Type simple_type(hcl::Type::Kind kind) {
  hcl::Type type;
  type.kind = kind;
  return type;
}

hcl::Type collection_type(hcl::Type::Kind kind, hcl::Type::Kind element) {
  hcl::Type type;
  type.kind = kind;
  type.element = std::make_shared<const hcl::Type>(simple_type(element));
  return type;
}

// A range for "missing" errors: the start of the body (its opening brace).
Range body_start(const hcl::Body& body) {
  Range range = body.range;
  range.end = range.start;
  return range;
}

struct IntegerRange {
  double min;
  double max;
  const char* text;
};

IntegerRange integer_range(ValueType type) {
  switch (type) {
    case ValueType::Int8:
      return {-128, 127, "between -128 and 127"};
    case ValueType::Uint8:
      return {0, 255, "between 0 and 255"};
    case ValueType::Uint16:
    case ValueType::Uint16List:
      return {0, 65535, "between 0 and 65535"};
    case ValueType::Uint32:
      return {0, 4294967295.0, "between 0 and 4294967295"};
    case ValueType::Uint64:
      return {0, 18446744073709551615.0, "between 0 and 18446744073709551615"};
    default:
      return {-9223372036854775808.0, 9223372036854775807.0,
              "between -9223372036854775808 and 9223372036854775807"};
  }
}

class Decoder {
 public:
  std::vector<Diagnostic> diagnostics;

  void error(std::string summary, std::string detail, const Range& range) {
    diagnostics.push_back(Diagnostic{std::move(summary), std::move(detail), range});
  }

  // Evaluates, recording the error and returning nullopt on failure.
  std::optional<Value> evaluate(const hcl::Expr& expr, const hcl::EvalContext& context) {
    try {
      return hcl::evaluate(expr, context);
    } catch (const DiagnosticError& e) {
      diagnostics.insert(diagnostics.end(), e.diagnostics().begin(), e.diagnostics().end());
      return std::nullopt;
    }
  }

  std::optional<Value> convert(const Value& value, const hcl::Type& type, const Range& where) {
    try {
      return hcl::convert(value, type, where);
    } catch (const DiagnosticError& e) {
      error("Unsuitable value type", "Unsuitable value: " + e.diagnostics().front().detail, where);
      return std::nullopt;
    }
  }

  std::optional<Json> integer(const Value& value, ValueType type, const Range& where) {
    const auto number = convert(value, simple_type(hcl::Type::Kind::Number), where);
    if (!number) return std::nullopt;
    const double n = number->as_number();
    const IntegerRange limits = integer_range(type);
    if (!std::isfinite(n) || n != std::trunc(n) || n < limits.min || n > limits.max) {
      error("Unsuitable value type",
            std::string("Unsuitable value: a whole number ") + limits.text + " is required, got " +
                hcl::format_number(n) + ".",
            where);
      return std::nullopt;
    }
    if (type == ValueType::Uint64) return static_cast<std::uint64_t>(n);
    return static_cast<std::int64_t>(n);
  }

  std::optional<Json> duration(const Value& value, const Range& where) {
    if (value.is_null()) {
      error("Unsuitable value", "Unsuitable duration value: nil", where);
      return std::nullopt;
    }
    if (value.is_string()) {
      std::string message;
      const auto nanoseconds = parse_duration(value.as_string(), &message);
      if (!nanoseconds) {
        error("Unsuitable value type", "Unsuitable duration value: " + message, where);
        return std::nullopt;
      }
      return *nanoseconds;
    }
    if (!value.is_number()) {
      error("Unsuitable value type",
            "Unsuitable value: expected a string but found " +
                std::string(hcl::kind_name(value.kind())),
            where);
      return std::nullopt;
    }
    return integer(value, ValueType::Int64, where);
  }

  // An argument's value as the JSON of its field; nullopt for null (not set) or an error.
  std::optional<Json> typed_value(const Value& value, ValueType type, const Range& where) {
    if (type == ValueType::Duration) return duration(value, where);
    if (value.is_null()) return std::nullopt;
    using K = hcl::Type::Kind;
    switch (type) {
      case ValueType::String:
      case ValueType::Bool:
      case ValueType::StringList:
      case ValueType::StringMap: {
        const hcl::Type target = type == ValueType::String ? simple_type(K::String)
                                 : type == ValueType::Bool ? simple_type(K::Bool)
                                 : type == ValueType::StringList
                                     ? collection_type(K::List, K::String)
                                     : collection_type(K::Map, K::String);
        const auto converted = convert(value, target, where);
        if (!converted) return std::nullopt;
        return value_to_json(*converted);
      }
      case ValueType::Uint16List: {
        const auto list = convert(value, collection_type(K::List, K::Number), where);
        if (!list) return std::nullopt;
        Json array = Json::array();
        for (const Value& element : list->elements()) {
          auto number = integer(element, type, where);
          if (!number) return std::nullopt;
          array.push_back(std::move(*number));
        }
        return array;
      }
      default:
        return integer(value, type, where);
    }
  }

  // --- bodies ---

  // The blocks of a body, `dynamic` ones expanded against the spec's label counts.
  std::vector<ExpandedBlock> expand(const hcl::Body& body, const ContextPtr& context,
                                    const BlockSpec& spec) {
    auto label_count = [&spec](const std::string& type) -> std::optional<int> {
      if (spec.kind == BlockKind::Opaque) return hcl::kAnyLabels;
      const NestedBlockSpec* nested = spec.block(type);
      if (nested == nullptr) return std::nullopt;
      return static_cast<int>(nested->spec->label_names.size());
    };
    try {
      return hcl::expand_blocks(body, context, label_count);
    } catch (const DiagnosticError& e) {
      diagnostics.insert(diagnostics.end(), e.diagnostics().begin(), e.diagnostics().end());
      return {};
    }
  }

  Json decode_block(const ExpandedBlock& block, const BlockSpec& spec) {
    switch (spec.kind) {
      case BlockKind::Struct:
        return decode_struct(block, spec);
      case BlockKind::StringMap:
        return decode_map(block, ValueType::String);
      case BlockKind::StringListMap:
        return decode_map(block, ValueType::StringList);
      case BlockKind::Opaque:
        return decode_opaque(*block.body, block.context);
      case BlockKind::Constraint:
      case BlockKind::Affinity:
        return decode_constraint(block, spec.kind == BlockKind::Affinity);
    }
    return Json::object();
  }

  bool labels_match(const ExpandedBlock& block, const BlockSpec& spec) {
    const std::size_t wanted = spec.label_names.size();
    if (block.labels.size() > wanted) {
      error("Extraneous label for " + block.type,
            wanted == 0 ? "No labels are expected for " + block.type + " blocks."
                        : "Only " + std::to_string(wanted) + " labels (" + join(spec.label_names) +
                              ") are expected for " + block.type + " blocks.",
            block.label_ranges[wanted]);
      return false;
    }
    if (block.labels.size() < wanted) {
      error("Missing " + spec.label_names[block.labels.size()] + " for " + block.type,
            "All " + block.type + " blocks must have " + std::to_string(wanted) + " labels (" +
                join(spec.label_names) + ").",
            block.type_range);
      return false;
    }
    return true;
  }

  static std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
  }

  Json decode_struct(const ExpandedBlock& block, const BlockSpec& spec) {
    Json out = Json::object();
    for (std::size_t i = 0; i < spec.label_fields.size() && i < block.labels.size(); ++i) {
      out[spec.label_fields[i]] = block.labels[i];
    }
    const hcl::Body& body = *block.body;
    const hcl::EvalContext& context = *block.context;

    // Arguments.
    std::map<std::string, const hcl::Attribute*> map_attributes;  // `meta = {...}`
    for (const hcl::Attribute& attribute : body.attributes) {
      if (const AttributeSpec* attribute_spec = spec.attribute(attribute.name)) {
        const auto value = evaluate(*attribute.expr, context);
        if (!value) continue;
        if (auto json = typed_value(*value, attribute_spec->type, attribute.expr->range)) {
          out[attribute_spec->field] = std::move(*json);
        }
        continue;
      }
      const NestedBlockSpec* nested = spec.block(attribute.name);
      if (nested != nullptr && nested->also_attribute) {
        map_attributes[attribute.name] = &attribute;
        const auto value = evaluate(*attribute.expr, context);
        if (!value) continue;
        if (auto json = typed_value(*value, ValueType::StringMap, attribute.expr->range)) {
          out[nested->field] = std::move(*json);
        }
        continue;
      }
      unsupported_argument(attribute, spec, body);
    }
    for (const AttributeSpec& attribute_spec : spec.attributes) {
      if (attribute_spec.required && body.attribute(attribute_spec.name) == nullptr) {
        error("Missing required argument",
              "The argument \"" + attribute_spec.name +
                  "\" is required, but no definition was found.",
              body_start(body));
      }
    }

    // Blocks.
    std::map<std::string, const ExpandedBlock*> seen;
    std::map<std::string, std::set<std::string>> map_labels;
    for (const ExpandedBlock& child : expand(body, block.context, spec)) {
      const NestedBlockSpec* nested = spec.block(child.type);
      if (nested == nullptr) {
        unsupported_block(child, spec);
        continue;
      }
      if (!labels_match(child, *nested->spec)) continue;
      if (nested->multiplicity == Multiplicity::One) {
        if (auto it = map_attributes.find(child.type); it != map_attributes.end()) {
          error("Duplicate " + child.type + " block",
                child.type +
                    " may not be defined more than once. Another definition is defined at " +
                    range_string(it->second->range) + ".",
                child.type_range);
          continue;
        }
        if (auto it = seen.find(child.type); it != seen.end()) {
          error("Duplicate " + child.type + " block",
                "Only one " + child.type + " block is allowed. Another was defined at " +
                    range_string(it->second->type_range) + ".",
                child.type_range);
          continue;
        }
        seen[child.type] = &child;
        out[nested->field] = decode_block(child, *nested->spec);
      } else if (nested->multiplicity == Multiplicity::List) {
        Json decoded = decode_block(child, *nested->spec);
        if (nested->spec->special == Special::TaskScaling) {
          if (!task_scaling_type(child, decoded, seen)) continue;
        }
        out[nested->field].push_back(std::move(decoded));
      } else {
        const std::string& label = child.labels.at(0);
        if (!map_labels[child.type].insert(label).second) {
          error("Duplicate " + child.type + " block",
                "Only one " + child.type + " block labelled \"" + label + "\" is allowed.",
                child.label_ranges.at(0));
          continue;
        }
        out[nested->field][label] = decode_block(child, *nested->spec);
      }
    }

    finish(spec.special, block, out);
    return out;
  }

  void unsupported_argument(const hcl::Attribute& attribute, const BlockSpec& spec,
                            const hcl::Body& body) {
    std::vector<std::string> candidates;
    for (const AttributeSpec& a : spec.attributes) {
      if (body.attribute(a.name) == nullptr) candidates.push_back(a.name);
    }
    std::string hint = hcl::did_you_mean(attribute.name, candidates);
    if (hint.empty() && spec.block(attribute.name) != nullptr) {
      hint = " Did you mean to define a block of type \"" + attribute.name + "\"?";
    }
    error("Unsupported argument",
          "An argument named \"" + attribute.name + "\" is not expected here." + hint,
          attribute.name_range);
  }

  void unsupported_block(const ExpandedBlock& block, const BlockSpec& spec) {
    std::vector<std::string> candidates;
    for (const NestedBlockSpec& b : spec.blocks) candidates.push_back(b.type);
    std::string hint = hcl::did_you_mean(block.type, candidates);
    if (hint.empty() && spec.attribute(block.type) != nullptr) {
      hint = " Did you mean to define argument \"" + block.type +
             "\"? If so, use the equals sign to assign it a value.";
    }
    error("Unsupported block type",
          "Blocks of type \"" + block.type + "\" are not expected here." + hint, block.type_range);
  }

  // meta, env, options...: any arguments, each converted to `type`.
  Json decode_map(const ExpandedBlock& block, ValueType type) {
    Json out = Json::object();
    if (!block.body->blocks.empty()) {
      const hcl::Block& example = block.body->blocks.front();
      error("Unexpected \"" + example.type + "\" block", "Blocks are not allowed here.",
            example.type_range);
    }
    std::map<std::string, Json> sorted;  // Go writes map keys in order
    for (const hcl::Attribute& attribute : block.body->attributes) {
      const auto value = evaluate(*attribute.expr, *block.context);
      if (!value) continue;
      auto json = typed_value(*value, type, attribute.expr->range);
      sorted[attribute.name] = json ? std::move(*json) : Json(nullptr);
    }
    for (auto& [key, json] : sorted) out[key] = std::move(json);
    return out;
  }

  // A driver's config and the other free-form bodies, as Nomad reads them: an argument is its
  // value (an object literal wrapped in a one-element list, as HCL 1 read it); blocks of one
  // type become a list of objects, a labelled block an object keyed by its labels.
  Json decode_opaque(const hcl::Body& body, const ContextPtr& context) {
    std::map<std::string, Json> sorted;
    for (const hcl::Attribute& attribute : body.attributes) {
      const auto value = evaluate(*attribute.expr, *context);
      if (!value) continue;
      Json json = value_to_json(*value);
      if (attribute.expr->kind == hcl::ExprKind::Object) json = Json::array({std::move(json)});
      sorted[attribute.name] = std::move(json);
    }
    static const BlockSpec kOpaque = [] {
      BlockSpec spec;
      spec.kind = BlockKind::Opaque;
      return spec;
    }();
    std::map<std::string, Json> blocks;
    for (const ExpandedBlock& child : expand(body, context, kOpaque)) {
      Json object = decode_opaque(*child.body, child.context);
      for (auto label = child.labels.rbegin(); label != child.labels.rend(); ++label) {
        Json wrapper = Json::object();
        wrapper[*label] = Json::array({std::move(object)});
        object = std::move(wrapper);
      }
      blocks[child.type].push_back(std::move(object));
    }
    for (auto& [type, list] : blocks) sorted[type] = std::move(list);
    Json out = Json::object();
    for (auto& [key, json] : sorted) out[key] = std::move(json);
    return out;
  }

  // constraint and affinity: attribute/value/operator, or one shorthand argument that names
  // the operator (`version = ">= 1.2"`, `distinct_hosts = true`...).
  Json decode_constraint(const ExpandedBlock& block, bool affinity) {
    static const std::vector<std::string> kStringShorthands = {
        "version",           "semver",           "regexp",
        "set_contains",      "set_contains_all", "set_contains_any",
        "distinct_property", "attribute_is_set", "attribute_is_not_set"};
    std::map<std::string, std::string> strings;
    std::optional<bool> distinct_hosts;
    Json weight;
    for (const hcl::Attribute& attribute : block.body->attributes) {
      const std::string& name = attribute.name;
      const bool known_string =
          name == "attribute" || name == "value" || name == "operator" ||
          (std::find(kStringShorthands.begin(), kStringShorthands.end(), name) !=
               kStringShorthands.end() &&
           (!affinity || (name != "distinct_property" && name.rfind("attribute_is", 0) != 0)));
      const bool known = known_string || (affinity ? name == "weight" : name == "distinct_hosts");
      if (!known) {
        error("Unsupported argument", "An argument named \"" + name + "\" is not expected here.",
              attribute.name_range);
        continue;
      }
      const auto value = evaluate(*attribute.expr, *block.context);
      if (!value) continue;
      const ValueType type = known_string       ? ValueType::String
                             : name == "weight" ? ValueType::Int8
                                                : ValueType::Bool;
      auto json = typed_value(*value, type, attribute.expr->range);
      if (!json) continue;
      if (name == "weight") {
        weight = std::move(*json);
      } else if (name == "distinct_hosts") {
        distinct_hosts = json->get<bool>();
      } else {
        strings[name] = json->get<std::string>();
      }
    }
    if (!block.body->blocks.empty()) {
      error("Unsupported block type",
            "Blocks of type \"" + block.body->blocks.front().type + "\" are not expected here.",
            block.body->blocks.front().type_range);
    }
    auto get = [&strings](const char* name) {
      auto it = strings.find(name);
      return it == strings.end() ? std::string() : it->second;
    };
    std::string ltarget = get("attribute");
    std::string rtarget = get("value");
    std::string operand = get("operator");
    // Later shorthands win, in the order Nomad applies them.
    for (const char* shorthand :
         {"version", "semver", "regexp", "set_contains_any", "set_contains_all", "set_contains"}) {
      if (const std::string v = get(shorthand); !v.empty()) {
        operand = shorthand;
        rtarget = v;
      }
    }
    if (!affinity) {
      if (distinct_hosts) {
        operand = "distinct_hosts";
        rtarget = *distinct_hosts ? "true" : "false";
      }
      if (const std::string v = get("distinct_property"); !v.empty()) {
        operand = "distinct_property";
        ltarget = v;
      }
      for (const auto& [shorthand, op] : {std::pair{"attribute_is_set", "is_set"},
                                          std::pair{"attribute_is_not_set", "is_not_set"}}) {
        if (const std::string v = get(shorthand); !v.empty()) {
          operand = op;
          ltarget = v;
        }
      }
    }
    if (operand.empty()) operand = "=";
    Json out = {{"LTarget", ltarget}, {"RTarget", rtarget}, {"Operand", operand}};
    if (affinity && !weight.is_null()) out["Weight"] = weight;
    return out;
  }

  // A task's `scaling "cpu"` or `scaling "mem"`: the label names the policy type.
  bool task_scaling_type(const ExpandedBlock& block, Json& policy,
                         std::map<std::string, const ExpandedBlock*>& seen) {
    std::string label = block.labels.at(0);
    std::transform(label.begin(), label.end(), label.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string type;
    if (label == "cpu") {
      type = "vertical_cpu";
    } else if (label == "mem") {
      type = "vertical_mem";
    } else {
      error("Invalid scaling policy name", "scaling policy name must be \"cpu\" or \"mem\"",
            block.label_ranges.at(0));
      return false;
    }
    const std::string key = "scaling " + label;
    if (auto it = seen.find(key); it != seen.end()) {
      error("Duplicate scaling \"" + label + "\" block",
            "Only one scaling " + label + " block is allowed. Another was defined at " +
                range_string(it->second->type_range) + ".",
            block.type_range);
      return false;
    }
    seen[key] = &block;
    if (!policy.contains("Type")) {
      policy["Type"] = type;
    } else if (policy["Type"] != type) {
      error("Invalid scaling policy type",
            "Invalid policy type, expected \"" + type + "\" but found \"" +
                policy["Type"].get<std::string>() + "\"",
            block.type_range);
      return false;
    }
    return true;
  }

  // --- the steps after decoding (schema.h, Special) ---

  void finish(Special special, const ExpandedBlock& block, Json& out) {
    switch (special) {
      case Special::None:
      case Special::Job:  // done by decode_job_block, which knows the whole job
        break;
      case Special::Group:
        move_group_extras_into_tasks(out);
        break;
      case Special::GroupScaling:
        if (!out.contains("Type")) out["Type"] = "horizontal";
        if (!out.contains("Max")) {
          error("Missing required argument",
                "The argument \"max\" is required, but no definition was found.",
                body_start(*block.body));
        }
        if (out["Type"] != "horizontal") {
          const hcl::Attribute* type = block.body->attribute("type");
          error("Invalid group scaling type",
                "task group scaling policy had invalid type: \"" + out["Type"].get<std::string>() +
                    "\"",
                type != nullptr ? type->expr->range : block.type_range);
        }
        break;
      case Special::TaskScaling:  // needs the siblings: decode_struct does it
        break;
      case Special::Network:
        split_static_ports(out);
        break;
      case Special::Template:
        set_default(out, "ChangeMode", "restart");
        set_default(out, "Perms", "0644");
        set_default(out, "Splay", std::int64_t{5'000'000'000});
        set_default(out, "ErrMissingKey", false);
        break;
      case Special::ChangeScript:
        set_default(out, "Args", Json::array());
        set_default(out, "Timeout", std::int64_t{5'000'000'000});
        set_default(out, "FailOnError", false);
        set_default(out, "RunOnFirstRender", false);
        break;
      case Special::Vault:
        set_default(out, "Env", true);
        set_default(out, "DisableFile", false);
        set_default(out, "ChangeMode", "restart");
        break;
      case Special::Periodic:
        if (out.contains("Spec") || out.contains("Specs")) out["SpecType"] = "cron";
        break;
    }
  }

  static void set_default(Json& object, const char* field, Json value) {
    if (!object.contains(field)) object[field] = std::move(value);
  }

  // Nomad's parser files every `port` with a static value under ReservedPorts.
  static void split_static_ports(Json& network) {
    if (!network.contains("DynamicPorts")) return;
    Json dynamic = Json::array();
    Json reserved = Json::array();
    for (Json& port : network["DynamicPorts"]) {
      const bool is_static = port.contains("Value") && port["Value"].get<std::int64_t>() > 0;
      (is_static ? reserved : dynamic).push_back(std::move(port));
    }
    network.erase("DynamicPorts");
    network.erase("ReservedPorts");
    if (!dynamic.empty()) network["DynamicPorts"] = std::move(dynamic);
    if (!reserved.empty()) network["ReservedPorts"] = std::move(reserved);
  }

  // A group's vault block is the default of its tasks; its secrets are added to theirs.
  static void move_group_extras_into_tasks(Json& group) {
    if (group.contains("Tasks")) {
      for (Json& task : group["Tasks"]) {
        if (group.contains("Vault") && !task.contains("Vault")) task["Vault"] = group["Vault"];
        if (group.contains("Secrets")) {
          for (const Json& secret : group["Secrets"]) task["Secrets"].push_back(secret);
        }
      }
    }
    group.erase("Vault");
    group.erase("Secrets");
  }
};

// The job-wide steps of Nomad's parser: tasks written directly in the job become groups of
// their own; the job's vault and secrets go to every task; a task's default identity (no
// name, or "default") becomes its Identity.
void normalize_job(Json& job) {
  Json job_vault = job.contains("Vault") ? job["Vault"] : Json();
  Json job_secrets = job.contains("Secrets") ? job["Secrets"] : Json();
  job.erase("Vault");
  job.erase("Secrets");
  if (job.contains("Tasks")) {
    Json groups = Json::array();
    for (Json& task : job["Tasks"]) {
      Json group = Json::object();
      group["Name"] = task["Name"];
      group["Tasks"] = Json::array({std::move(task)});
      groups.push_back(std::move(group));
    }
    if (job.contains("TaskGroups")) {
      for (Json& group : job["TaskGroups"]) groups.push_back(std::move(group));
    }
    job.erase("Tasks");
    job["TaskGroups"] = std::move(groups);
  }
  if (!job.contains("TaskGroups")) return;
  for (Json& group : job["TaskGroups"]) {
    if (!group.contains("Tasks")) continue;
    for (Json& task : group["Tasks"]) {
      if (!job_vault.is_null() && !task.contains("Vault")) task["Vault"] = job_vault;
      if (!job_secrets.is_null()) {
        for (const Json& secret : job_secrets) task["Secrets"].push_back(secret);
      }
      if (!task.contains("Identities")) continue;
      // Erase before adding Identity: adding a key may move the task's other fields.
      Json& identities = task["Identities"];
      for (auto it = identities.begin(); it != identities.end(); ++it) {
        const std::string name = it->value("Name", "");
        if (name.empty() || name == "default") {
          Json identity = std::move(*it);
          identities.erase(it);
          task["Identity"] = std::move(identity);
          break;
        }
      }
    }
  }
}

}  // namespace

std::string range_string(const Range& range) {
  std::string out = range.filename + ":" + std::to_string(range.start.line) + "," +
                    std::to_string(range.start.column) + "-";
  if (range.end.line != range.start.line) out += std::to_string(range.end.line) + ",";
  return out + std::to_string(range.end.column);
}

void check_top_level(const hcl::File& file) {
  std::vector<Diagnostic> problems;
  static const std::map<std::string, std::vector<std::string>> kTopBlocks = {
      {"job", {"name"}}, {"variable", {"name"}}, {"variables", {}}, {"locals", {}}};
  for (const hcl::Attribute& attribute : file.body.attributes) {
    problems.push_back({"Unsupported argument",
                        "An argument named \"" + attribute.name + "\" is not expected here.",
                        attribute.name_range});
  }
  for (const hcl::Block& block : file.body.blocks) {
    auto it = kTopBlocks.find(block.type);
    if (it == kTopBlocks.end()) {
      std::vector<std::string> names = {"job", "variable", "variables", "locals"};
      problems.push_back({"Unsupported block type",
                          "Blocks of type \"" + block.type + "\" are not expected here." +
                              hcl::did_you_mean(block.type, names),
                          block.type_range});
      continue;
    }
    const std::size_t wanted = it->second.size();
    if (block.labels.size() > wanted) {
      problems.push_back({"Extraneous label for " + block.type,
                          wanted == 0
                              ? "No labels are expected for " + block.type + " blocks."
                              : "Only 1 labels (name) are expected for " + block.type + " blocks.",
                          block.label_ranges[wanted]});
    } else if (block.labels.size() < wanted) {
      problems.push_back({"Missing name for " + block.type,
                          "All " + block.type + " blocks must have 1 labels (name).",
                          block.type_range});
    }
  }
  if (!problems.empty()) throw DiagnosticError(std::move(problems));
}

Json decode_job_block(const hcl::File& file, const ContextPtr& context) {
  const hcl::Block* job_block = nullptr;
  for (const hcl::Block& block : file.body.blocks) {
    if (block.type != "job") continue;
    if (job_block != nullptr) {
      throw DiagnosticError(
          Diagnostic{"Duplicate job block",
                     "Only one block of type \"job\" is allowed. Previous definition was at " +
                         range_string(job_block->type_range) + ".",
                     block.type_range});
    }
    job_block = &block;
  }
  if (job_block == nullptr) {
    Range whole{file.filename, {}, {}};
    throw DiagnosticError(Diagnostic{"Missing job block", "A job block is required", whole});
  }

  ExpandedBlock root;
  root.type = "job";
  root.labels = job_block->labels;
  root.label_ranges = job_block->label_ranges;
  root.type_range = job_block->type_range;
  root.range = job_block->range;
  root.body = job_block->body.get();
  root.context = context;

  Decoder decoder;
  Json decoded = decoder.decode_struct(root, job_block_spec());
  if (!decoder.diagnostics.empty()) throw DiagnosticError(std::move(decoder.diagnostics));

  // ID and Name first, from the label unless the file sets them.
  Json job = Json::object();
  const std::string label = job_block->labels.empty() ? "" : job_block->labels[0];
  job["ID"] = decoded.contains("ID") ? decoded["ID"] : Json(label);
  job["Name"] = decoded.contains("Name") ? decoded["Name"] : Json(label);
  for (auto it = decoded.begin(); it != decoded.end(); ++it) {
    if (it.key() != "ID" && it.key() != "Name") job[it.key()] = std::move(it.value());
  }
  normalize_job(job);
  return job;
}

}  // namespace jobspec
