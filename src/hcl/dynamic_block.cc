#include "hcl/dynamic_block.h"

#include <utility>

#include "hcl/diagnostic.h"
#include "hcl/type.h"

namespace hcl {
namespace {

// A context that keeps the one it nests in alive.
struct IterationScope : EvalContext {
  std::shared_ptr<const EvalContext> outer;
};

std::shared_ptr<const EvalContext> iteration_scope(const std::shared_ptr<const EvalContext>& outer,
                                                   const std::string& iterator, Value key,
                                                   Value value) {
  auto scope = std::make_shared<IterationScope>();
  scope->outer = outer;
  scope->parent = outer.get();
  scope->functions = outer->find_functions();
  scope->limits = outer->limits;
  // The evaluator may consult only the innermost context for run-time references.
  for (const EvalContext* c = outer.get(); c != nullptr; c = c->parent) {
    if (c->unknown_variable) {
      scope->unknown_variable = c->unknown_variable;
      break;
    }
  }
  scope->variables[iterator] =
      Value::object({{"key", std::move(key)}, {"value", std::move(value)}});
  return scope;
}

struct DynamicParts {
  const Attribute* for_each = nullptr;
  const Attribute* labels = nullptr;
  std::string iterator;
  const Block* content = nullptr;
};

// Checks the dynamic block's own body against its schema: for_each, iterator, labels (only
// when the generated type takes labels) and exactly one content block.
DynamicParts read_dynamic_body(const Block& dynamic, std::optional<int> labels_wanted) {
  DynamicParts parts;
  const std::string& type = dynamic.labels[0];
  const bool labels_allowed = labels_wanted.value_or(0) != 0;
  for (const Attribute& attribute : dynamic.body->attributes) {
    if (attribute.name == "for_each") {
      parts.for_each = &attribute;
    } else if (attribute.name == "labels" && labels_allowed) {
      parts.labels = &attribute;
    } else if (attribute.name == "iterator") {
      const auto* traversal = attribute.expr->kind == ExprKind::ScopeTraversal
                                  ? static_cast<const ScopeTraversalExpr*>(attribute.expr.get())
                                  : nullptr;
      if (traversal == nullptr || !traversal->steps.empty()) {
        throw_error("Invalid dynamic iterator name",
                    "Dynamic iterator must be a single variable name.", attribute.expr->range);
      }
      parts.iterator = traversal->root;
    } else {
      throw_error("Unsupported argument",
                  "An argument named \"" + attribute.name + "\" is not expected here.",
                  attribute.name_range);
    }
  }
  for (const Block& block : dynamic.body->blocks) {
    if (block.type != "content") {
      throw_error("Unsupported block type",
                  "Blocks of type \"" + block.type + "\" are not expected here.", block.type_range);
    }
    if (!block.labels.empty()) {
      throw_error("Extraneous label for content", "No labels are expected for content blocks.",
                  block.label_ranges[0]);
    }
    if (parts.content != nullptr) {
      throw_error("Extraneous dynamic content block",
                  "Only one nested content block is allowed for each dynamic block.",
                  block.type_range);
    }
    parts.content = &block;
  }
  if (parts.for_each == nullptr) {
    throw_error("Missing required argument",
                "The argument \"for_each\" is required, but no definition was found.",
                dynamic.body->range);
  }
  if (labels_allowed && parts.labels == nullptr && labels_wanted != kAnyLabels) {
    throw_error("Missing required argument",
                "The argument \"labels\" is required, but no definition was found.",
                dynamic.body->range);
  }
  if (parts.content == nullptr) {
    throw_error("Missing dynamic content block",
                "A dynamic block must have a nested block of type \"content\" to describe the "
                "body of each generated block.",
                dynamic.body->range);
  }
  if (parts.iterator.empty()) parts.iterator = type;
  return parts;
}

std::vector<std::string> evaluate_labels(const Attribute& labels_attribute,
                                         const EvalContext& scope, std::optional<int> wanted,
                                         const std::string& type) {
  const Value list = evaluate(*labels_attribute.expr, scope);
  const Range& where = labels_attribute.expr->range;
  if (!list.is_sequence()) {
    throw_error("Invalid dynamic block labels",
                "The labels of a dynamic block must be a list of strings, not a " +
                    std::string(kind_name(list.kind())) + ".",
                where);
  }
  const std::string detail = "Blocks of type \"" + type + "\" require " +
                             std::to_string(wanted.value_or(0)) + " label(s).";
  if (wanted != kAnyLabels && list.size() > static_cast<std::size_t>(*wanted)) {
    throw_error("Extraneous dynamic block label", detail, where);
  }
  if (wanted != kAnyLabels && list.size() < static_cast<std::size_t>(*wanted)) {
    throw_error("Insufficient dynamic block labels", detail, where);
  }
  std::vector<std::string> labels;
  for (const Value& label : list.elements()) {
    if (label.is_null()) {
      throw_error("Invalid dynamic block label",
                  "Cannot use a null value as a dynamic block label.", where);
    }
    Type string_type;
    string_type.kind = Type::Kind::String;
    labels.push_back(convert(label, string_type, where).as_string());
  }
  return labels;
}

void expand_dynamic(const Block& dynamic, const std::shared_ptr<const EvalContext>& context,
                    const LabelCount& label_count, std::vector<ExpandedBlock>& out) {
  if (dynamic.labels.size() != 1) {
    if (dynamic.labels.empty()) {
      throw_error("Missing type for dynamic", "All dynamic blocks must have 1 labels (type).",
                  dynamic.type_range);
    }
    throw_error("Extraneous label for dynamic",
                "Only 1 labels (type) are expected for dynamic blocks.", dynamic.label_ranges[1]);
  }
  const std::string& type = dynamic.labels[0];
  const std::optional<int> labels_wanted = label_count(type);
  if (!labels_wanted) {
    throw_error("Unsupported block type", "Blocks of type \"" + type + "\" are not expected here.",
                dynamic.label_ranges[0]);
  }
  const DynamicParts parts = read_dynamic_body(dynamic, labels_wanted);

  const Value collection = evaluate(*parts.for_each->expr, *context);
  const Range& for_each_range = parts.for_each->expr->range;
  if (collection.is_null()) {
    throw_error("Invalid dynamic for_each value", "Cannot use a null value in for_each.",
                for_each_range);
  }
  std::vector<std::pair<Value, Value>> items;
  if (collection.kind() == Kind::Set) {
    for (const Value& element : collection.elements()) items.emplace_back(element, element);
  } else if (collection.is_sequence()) {
    double index = 0;
    for (const Value& element : collection.elements()) {
      items.emplace_back(Value::number(index), element);
      index += 1;
    }
  } else if (collection.is_mapping()) {
    for (const auto& [key, element] : collection.attributes()) {
      items.emplace_back(Value::string(key), element);
    }
  } else {
    throw_error("Invalid dynamic for_each value",
                "Cannot use a " + std::string(kind_name(collection.kind())) +
                    " value in for_each. An iterable collection is required.",
                for_each_range);
  }

  for (auto& [key, element] : items) {
    ExpandedBlock block;
    block.type = type;
    block.type_range = dynamic.label_ranges[0];
    block.range = dynamic.range;
    block.body = parts.content->body.get();
    block.context = iteration_scope(context, parts.iterator, std::move(key), std::move(element));
    block.generated = true;
    if (parts.labels != nullptr) {
      block.labels = evaluate_labels(*parts.labels, *block.context, labels_wanted, type);
      block.label_ranges.assign(block.labels.size(), parts.labels->expr->range);
    }
    out.push_back(std::move(block));
  }
}

}  // namespace

std::vector<ExpandedBlock> expand_blocks(const Body& body,
                                         const std::shared_ptr<const EvalContext>& context,
                                         const LabelCount& label_count) {
  std::vector<ExpandedBlock> out;
  for (const Block& block : body.blocks) {
    if (block.type == "dynamic") {
      expand_dynamic(block, context, label_count, out);
      continue;
    }
    ExpandedBlock literal;
    literal.type = block.type;
    literal.labels = block.labels;
    literal.label_ranges = block.label_ranges;
    literal.type_range = block.type_range;
    literal.range = block.range;
    literal.body = block.body.get();
    literal.context = context;
    out.push_back(std::move(literal));
  }
  return out;
}

}  // namespace hcl
