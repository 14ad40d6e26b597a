// Input variables and locals, in the order Nomad reads them: declarations, then values
// (default < environment < var files < -var), then the check that each has one, then
// validation, then locals (in the order their references need), then the context.
#include "jobspec/variables.h"

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>

#include "hcl/function.h"
#include "hcl/parser.h"
#include "hcl/type.h"
#include "jobspec/decode.h"
#include "jobspec/json_job.h"
#include "jobspec/runtime_references.h"
#include "jobspec/text_file.h"

namespace jobspec {
namespace {

using hcl::Diagnostic;
using hcl::DiagnosticError;
using hcl::Range;
using hcl::Value;

constexpr const char* kEnvPrefix = "NOMAD_VAR_";

struct Validation {
  const hcl::Expr* condition = nullptr;
  std::string error_message;
  Range range;  // the validation block
};

struct Assignment {
  std::string from;  // "default", "env", "varfile", "cmd": Nomad's words in messages
  Value value;
  std::optional<Range> where;  // the expression that set it, when it has a place in a file
};

struct Variable {
  std::string name;
  bool typed = false;  // a `type`, or one implied by the default
  hcl::Type type;
  std::vector<Assignment> values;
  std::vector<Validation> validations;
  Range range;
};

// The context of a job file: owns its function table.
struct JobContext : hcl::EvalContext {
  hcl::FunctionTable function_table;
};

bool is_identifier(const std::string& name) {
  if (name.empty()) return false;
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!letter(name[0])) return false;
  for (char c : name) {
    if (!(letter(c) || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// The type cty gives a value, for variables whose type comes from their default.
hcl::Type implied_type(const Value& value) {
  hcl::Type type;
  switch (value.kind()) {
    case hcl::Kind::Null:
      type.kind = hcl::Type::Kind::Any;
      break;
    case hcl::Kind::Bool:
      type.kind = hcl::Type::Kind::Bool;
      break;
    case hcl::Kind::Number:
      type.kind = hcl::Type::Kind::Number;
      break;
    case hcl::Kind::String:
      type.kind = hcl::Type::Kind::String;
      break;
    case hcl::Kind::List:
    case hcl::Kind::Set:
      type.kind = value.kind() == hcl::Kind::List ? hcl::Type::Kind::List : hcl::Type::Kind::Set;
      type.element = std::make_shared<const hcl::Type>(
          value.size() == 0 ? hcl::Type{} : implied_type(value.elements().front()));
      break;
    case hcl::Kind::Map:
      type.kind = hcl::Type::Kind::Map;
      type.element = std::make_shared<const hcl::Type>(
          value.size() == 0 ? hcl::Type{} : implied_type(value.attributes().begin()->second));
      break;
    case hcl::Kind::Tuple:
      type.kind = hcl::Type::Kind::Tuple;
      for (const Value& element : value.elements()) {
        type.tuple_elements.push_back(implied_type(element));
      }
      break;
    case hcl::Kind::Object:
      type.kind = hcl::Type::Kind::Object;
      for (const auto& [key, element] : value.attributes()) {
        type.attributes[key] = implied_type(element);
      }
      break;
  }
  return type;
}

Value json_to_value(const Json& json) {
  switch (json.type()) {
    case Json::value_t::null:
      return Value::null();
    case Json::value_t::boolean:
      return Value::boolean(json.get<bool>());
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return Value::number(json.get<double>());
    case Json::value_t::string:
      return Value::string(json.get<std::string>());
    case Json::value_t::array: {
      Value::Elements elements;
      for (const Json& element : json) elements.push_back(json_to_value(element));
      return Value::tuple(std::move(elements));
    }
    case Json::value_t::object: {
      Value::Attributes attributes;
      for (auto it = json.begin(); it != json.end(); ++it) {
        attributes[it.key()] = json_to_value(it.value());
      }
      return Value::object(std::move(attributes));
    }
    default:
      return Value::null();
  }
}

class VariableReader {
 public:
  VariableReader(const hcl::File& file, const ParseOptions& options)
      : file_(file), options_(options) {}

  std::shared_ptr<const hcl::EvalContext> run() {
    declare();
    throw_if_failed();
    assign_from_environment();
    assign_from_files();
    assign_from_arguments();
    throw_if_failed();
    check_and_validate();
    throw_if_failed();

    auto context = std::make_shared<JobContext>();
    context->limits = options_.eval_limits;
    context->function_table = hcl::standard_functions(hcl::StdlibOptions{base_dir()});
    context->functions = &context->function_table;
    context->unknown_variable =
        keep_runtime_references(std::make_shared<const std::string>(file_.source));
    Value::Attributes vars;
    for (const auto& [name, variable] : variables_) vars[name] = variable.values.back().value;
    context->variables["var"] = Value::object(std::move(vars));
    context->variables["local"] = Value::object({});
    evaluate_locals(*context);
    throw_if_failed();
    return context;
  }

 private:
  const hcl::File& file_;
  const ParseOptions& options_;
  std::map<std::string, Variable> variables_;
  std::vector<Diagnostic> problems_;

  void error(std::string summary, std::string detail, const Range& range) {
    problems_.push_back(Diagnostic{std::move(summary), std::move(detail), range});
  }
  void add(const DiagnosticError& e) {
    problems_.insert(problems_.end(), e.diagnostics().begin(), e.diagnostics().end());
  }
  void throw_if_failed() {
    if (!problems_.empty()) throw DiagnosticError(std::move(problems_));
  }

  std::string base_dir() const {
    if (!options_.allow_filesystem) return "";
    const std::filesystem::path dir = std::filesystem::path(file_.filename).parent_path();
    return dir.empty() ? std::string(".") : dir.string();
  }

  // Values of variable declarations and var files are constants: no functions, no variables.
  std::optional<Value> evaluate_constant(const hcl::Expr& expr) {
    hcl::EvalContext constant;
    try {
      return hcl::evaluate(expr, constant);
    } catch (const DiagnosticError& e) {
      add(e);
      return std::nullopt;
    }
  }

  // --- declarations ---

  void declare() {
    for (const hcl::Block& block : file_.body.blocks) {
      if (block.type == "variable" && block.labels.size() == 1) declare_block(block);
      if (block.type == "variables") {
        for (const hcl::Block& nested : block.body->blocks) {
          error("Unexpected \"" + nested.type + "\" block", "Blocks are not allowed here.",
                nested.type_range);
        }
        for (const hcl::Attribute& attribute : block.body->attributes) {
          declare_shorthand(attribute);
        }
      }
    }
  }

  bool not_yet_declared(const std::string& name, const Range& where) {
    if (variables_.count(name) == 0) return true;
    error("Duplicate variable", "Duplicate " + name + " variable definition found.", where);
    return false;
  }

  void declare_shorthand(const hcl::Attribute& attribute) {
    if (!not_yet_declared(attribute.name, attribute.name_range)) return;
    const auto value = evaluate_constant(*attribute.expr);
    if (!value) return;
    Variable variable;
    variable.name = attribute.name;
    variable.typed = true;
    variable.type = implied_type(*value);
    variable.values.push_back({"default", *value, attribute.expr->range});
    variable.range = attribute.range;
    variables_[attribute.name] = std::move(variable);
  }

  void declare_block(const hcl::Block& block) {
    const std::string& name = block.labels[0];
    if (!not_yet_declared(name, block.type_range)) return;
    if (!is_identifier(name)) {
      error("Invalid variable name",
            "A name must start with a letter or underscore and may contain only letters, "
            "digits, underscores, and dashes.",
            block.label_ranges[0]);
    }
    Variable variable;
    variable.name = name;
    variable.range = block.type_range;
    const hcl::Attribute* default_attribute = nullptr;
    for (const hcl::Attribute& attribute : block.body->attributes) {
      if (attribute.name == "type") {
        try {
          variable.type = hcl::parse_type(*attribute.expr);
          variable.typed = true;
        } catch (const DiagnosticError& e) {
          add(e);
          return;
        }
      } else if (attribute.name == "default") {
        default_attribute = &attribute;
      } else if (attribute.name == "description") {
        const auto description = evaluate_constant(*attribute.expr);
        if (description && !description->is_string()) {
          error("Unsuitable value type", "Unsuitable value: string required",
                attribute.expr->range);
        }
      } else {
        error("Unsupported argument",
              "An argument named \"" + attribute.name + "\" is not expected here.",
              attribute.name_range);
      }
    }
    if (default_attribute != nullptr) {
      auto value = evaluate_constant(*default_attribute->expr);
      if (!value) return;
      if (variable.typed) {
        try {
          value = hcl::convert(*value, variable.type, default_attribute->expr->range);
        } catch (const DiagnosticError& e) {
          error("Invalid default value for variable",
                "This default value is not compatible with the variable's type constraint: " +
                    e.diagnostics().front().detail + ".",
                default_attribute->expr->range);
          return;
        }
      } else {
        variable.typed = true;
        variable.type = implied_type(*value);
      }
      variable.values.push_back({"default", *value, default_attribute->expr->range});
    }
    for (const hcl::Block& nested : block.body->blocks) {
      if (nested.type != "validation") {
        error("Unsupported block type",
              "Blocks of type \"" + nested.type + "\" are not expected here.", nested.type_range);
        continue;
      }
      read_validation(variable, nested);
    }
    variables_[name] = std::move(variable);
  }

  void read_validation(Variable& variable, const hcl::Block& block) {
    Validation validation;
    validation.range = block.type_range;
    const hcl::Attribute* message = nullptr;
    for (const hcl::Attribute& attribute : block.body->attributes) {
      if (attribute.name == "condition") {
        validation.condition = attribute.expr.get();
      } else if (attribute.name == "error_message") {
        message = &attribute;
      } else {
        error("Unsupported argument",
              "An argument named \"" + attribute.name + "\" is not expected here.",
              attribute.name_range);
      }
    }
    for (const char* required : {"condition", "error_message"}) {
      if (block.body->attribute(required) == nullptr) {
        error("Missing required argument",
              std::string("The argument \"") + required +
                  "\" is required, but no definition was found.",
              block.body->range);
      }
    }
    if (validation.condition != nullptr)
      check_condition_references(variable.name, *validation.condition);
    if (message != nullptr) {
      const auto text = evaluate_constant(*message->expr);
      if (text && text->is_string()) {
        validation.error_message = text->as_string();
        if (validation.error_message.find_first_not_of(" \t\r\n") == std::string::npos) {
          error("Invalid validation error message",
                "An empty or blank string is not a valid nor useful error message.",
                message->expr->range);
        }
      } else if (text) {
        error("Unsuitable value type", "Unsuitable value: string required", message->expr->range);
      }
    }
    variable.validations.push_back(std::move(validation));
  }

  // A condition may refer to its own variable only, so that validation never depends on
  // anything else.
  void check_condition_references(const std::string& name, const hcl::Expr& condition) {
    int own = 0;
    for (const hcl::ScopeTraversalExpr* traversal : hcl::variables_of(condition)) {
      const bool is_own = traversal->root == "var" && !traversal->steps.empty() &&
                          traversal->steps[0].type == hcl::TraversalStep::Type::Attr &&
                          traversal->steps[0].name == name;
      if (is_own) {
        ++own;
        continue;
      }
      error("Invalid reference in variable validation",
            "The condition for variable \"" + name +
                "\" can only refer to the variable itself, using var." + name + ".",
            traversal->range);
    }
    if (own == 0) {
      error("Invalid variable validation condition",
            "The condition for variable \"" + name + "\" must refer to var." + name +
                " in order to test incoming values.",
            condition.range);
    }
  }

  // --- values ---

  // A value given as text (environment, -var): a literal string for string, number and
  // untyped variables, an HCL expression otherwise; then converted to the type.
  std::optional<Value> value_from_text(const Variable& variable, const std::string& text,
                                       const std::string& pseudo_filename,
                                       const std::string& incompatible_summary) {
    using K = hcl::Type::Kind;
    Value value;
    std::optional<Range> where;
    if (!variable.typed || variable.type.kind == K::String || variable.type.kind == K::Number) {
      value = Value::string(text);
    } else {
      try {
        const hcl::ExprPtr expr = hcl::parse_expression(text, pseudo_filename);
        where = expr->range;
        const auto evaluated = evaluate_constant(*expr);
        if (!evaluated) return std::nullopt;
        value = *evaluated;
      } catch (const DiagnosticError& e) {
        add(e);
        return std::nullopt;
      }
    }
    if (!variable.typed) return value;
    try {
      return hcl::convert(value, variable.type, where.value_or(variable.range));
    } catch (const DiagnosticError& e) {
      error(incompatible_summary,
            "The value for " + variable.name +
                " is not compatible with the variable's type constraint: " +
                e.diagnostics().front().detail + ".",
            where.value_or(variable.range));
      return std::nullopt;
    }
  }

  void assign_from_environment() {
    for (const auto& [key, text] : options_.environment) {
      if (key.rfind(kEnvPrefix, 0) != 0) continue;
      const std::string name = key.substr(std::string(kEnvPrefix).size());
      auto it = variables_.find(name);
      if (name.empty() || it == variables_.end()) continue;  // undeclared: ignored, as Nomad
      auto value = value_from_text(it->second, text, "<value for var." + name + " from env>",
                                   "Invalid value for variable");
      if (value) it->second.values.push_back({"env", std::move(*value), std::nullopt});
    }
  }

  void assign_from_files() {
    for (const std::string& path : options_.var_files) {
      std::string text = read_text_file(path, "var file");
      const auto first = text.find_first_not_of(" \t\r\n");
      if (first != std::string::npos && text[first] == '{') {
        assign_from_json_file(path, text);
        continue;
      }
      try {
        assign_from_hcl_file(hcl::parse_file(std::move(text), path));
      } catch (const DiagnosticError& e) {
        add(e);
      }
    }
  }

  void assign_from_hcl_file(const hcl::File& var_file) {
    for (const hcl::Block& block : var_file.body.blocks) {
      if (block.type == "variable" && !block.labels.empty()) {
        const std::string& name = block.labels[0];
        error("Variable declaration in a .var file",
              "A .var file is used to assign values to variables that have already been "
              "declared in job files, not to declare new variables. To declare variable \"" +
                  name +
                  "\", place this block in one of your job files.\n\nTo set a value for "
                  "this variable in " +
                  var_file.filename +
                  ", use the definition syntax "
                  "instead:\n    " +
                  name + " = <value>",
              block.type_range);
      } else {
        error("Unexpected \"" + block.type + "\" block", "Blocks are not allowed here.",
              block.type_range);
      }
    }
    for (const hcl::Attribute& attribute : var_file.body.attributes) {
      auto it = variables_.find(attribute.name);
      if (it == variables_.end()) {
        error("Undefined variable",
              "A \"" + attribute.name +
                  "\" variable was set but was not found in known "
                  "variables. To declare variable \"" +
                  attribute.name + "\", place this block in your job files",
              attribute.range);
        continue;
      }
      auto value = evaluate_constant(*attribute.expr);
      if (!value) continue;
      assign_converted(it->second, *value, "varfile", attribute.expr->range);
    }
  }

  void assign_from_json_file(const std::string& path, const std::string& text) {
    const Json document = parse_json_document(text, path);
    if (!document.is_object()) {
      const auto first = text.find_first_not_of(" \t\r\n");
      hcl::throw_error("Invalid variables file",
                       "A JSON variables file is an object of name: value pairs.",
                       json_range(text, path, first == std::string::npos ? 0 : first));
    }
    for (auto item = document.begin(); item != document.end(); ++item) {
      // The JSON library keeps no positions: the key's first appearance as a string stands
      // for it.
      const std::size_t at = text.find(Json(item.key()).dump());
      const Range whole = json_range(text, path, at == std::string::npos ? 0 : at);
      auto it = variables_.find(item.key());
      if (it == variables_.end()) {
        error("Undefined variable",
              "A \"" + item.key() +
                  "\" variable was set but was not found in known "
                  "variables. To declare variable \"" +
                  item.key() + "\", place this block in your job files",
              whole);
        continue;
      }
      assign_converted(it->second, json_to_value(item.value()), "varfile", whole);
    }
  }

  void assign_converted(Variable& variable, const Value& value, const std::string& from,
                        const Range& where) {
    if (!variable.typed) {
      variable.values.push_back({from, value, where});
      return;
    }
    try {
      variable.values.push_back({from, hcl::convert(value, variable.type, where), where});
    } catch (const DiagnosticError& e) {
      error("Invalid value for variable",
            "The value for " + variable.name +
                " is not compatible with the variable's type constraint: " +
                e.diagnostics().front().detail + ".",
            where);
    }
  }

  void assign_from_arguments() {
    // `name=value`; a later one wins; one without `=` is ignored, as Nomad does.
    std::map<std::string, std::string> arguments;
    std::vector<std::string> order;
    for (const std::string& argument : options_.var_args) {
      const auto equals = argument.find('=');
      if (equals == std::string::npos) continue;
      const std::string name = argument.substr(0, equals);
      if (arguments.count(name) == 0) order.push_back(name);
      arguments[name] = argument.substr(equals + 1);
    }
    const Range command_line{"<command line>", {}, {}};
    for (const std::string& name : order) {
      auto it = variables_.find(name);
      if (it == variables_.end()) {
        error("Undefined -var variable",
              "A \"" + name +
                  "\" variable was passed in the command line but was not found in "
                  "known variables. To declare variable \"" +
                  name + "\", place this block in your job file",
              command_line);
        continue;
      }
      auto value = value_from_text(it->second, arguments[name],
                                   "<value for var." + name + " from arguments>",
                                   "Invalid argument value for -var variable");
      if (value) it->second.values.push_back({"cmd", std::move(*value), std::nullopt});
    }
  }

  // --- checks ---

  void check_and_validate() {
    for (const auto& [name, variable] : variables_) {
      if (variable.values.empty()) {
        error("Unset variable \"" + name + "\"",
              "A used variable must be set or have a default value; see Nomad's documentation "
              "of HCL2 variables for details.",
              variable.range);
        continue;
      }
      validate(variable);
    }
  }

  void validate(const Variable& variable) {
    if (variable.validations.empty()) return;
    const Assignment& assignment = variable.values.back();
    hcl::FunctionTable functions = hcl::standard_functions(hcl::StdlibOptions{});
    hcl::EvalContext context;
    context.functions = &functions;
    context.variables["var"] = Value::object({{variable.name, assignment.value}});
    for (const Validation& validation : variable.validations) {
      if (validation.condition == nullptr) continue;
      Value result;
      try {
        result = hcl::evaluate(*validation.condition, context);
      } catch (const DiagnosticError& e) {
        add(e);
        continue;
      }
      if (result.is_null()) {
        error("Invalid variable validation result",
              "Validation condition expression must return either true or false, not null.",
              validation.condition->range);
        continue;
      }
      hcl::Type boolean;
      boolean.kind = hcl::Type::Kind::Bool;
      try {
        result = hcl::convert(result, boolean, validation.condition->range);
      } catch (const DiagnosticError& e) {
        error("Invalid variable validation result",
              "Invalid validation condition result value: " + e.diagnostics().front().detail + ".",
              validation.condition->range);
        continue;
      }
      if (!result.as_bool()) {
        error("Invalid value for " + assignment.from + " variable",
              validation.error_message + "\n\nThis was checked by the validation rule at " +
                  range_string(validation.range) + ".",
              assignment.where.value_or(validation.range));
      }
    }
  }

  // --- locals ---

  void evaluate_locals(hcl::EvalContext& context) {
    std::map<std::string, const hcl::Attribute*> locals;
    std::vector<std::string> order;
    for (const hcl::Block& block : file_.body.blocks) {
      if (block.type != "locals") continue;
      for (const hcl::Block& nested : block.body->blocks) {
        error("Unexpected \"" + nested.type + "\" block", "Blocks are not allowed here.",
              nested.type_range);
      }
      for (const hcl::Attribute& attribute : block.body->attributes) {
        if (locals.count(attribute.name) != 0) {
          error("Duplicate value in locals", "Duplicate " + attribute.name + " definition found.",
                attribute.name_range);
          continue;
        }
        locals[attribute.name] = &attribute;
        order.push_back(attribute.name);
      }
    }
    if (!problems_.empty()) return;

    // Depth-first over local.* references; a name met again while in progress is a cycle.
    Value::Attributes done;
    std::set<std::string> in_progress;
    // A chain of locals deeper than this is refused rather than risking the stack.
    constexpr std::size_t kMaxChain = 512;
    std::function<bool(const std::string&)> visit = [&](const std::string& name) -> bool {
      if (done.count(name) != 0) return true;
      const hcl::Attribute& attribute = *locals.at(name);
      if (in_progress.size() >= kMaxChain) {
        error("Locals nested too deeply",
              "local." + name + " is at the end of a chain of more than " +
                  std::to_string(kMaxChain) + " locals, each needing the next.",
              attribute.name_range);
        return false;
      }
      in_progress.insert(name);
      for (const hcl::ScopeTraversalExpr* traversal : hcl::variables_of(*attribute.expr)) {
        if (traversal->root != "local" || traversal->steps.empty() ||
            traversal->steps[0].type != hcl::TraversalStep::Type::Attr) {
          continue;
        }
        const std::string& used = traversal->steps[0].name;
        if (locals.count(used) == 0) continue;  // evaluation reports the unknown attribute
        if (in_progress.count(used) != 0) {
          error("Circular reference in locals",
                "local." + name + " refers to local." + used + ", which needs local." + name +
                    " itself.",
                traversal->range);
          return false;
        }
        if (!visit(used)) return false;
      }
      in_progress.erase(name);
      context.variables["local"] = Value::object(done);
      try {
        done[name] = hcl::evaluate(*attribute.expr, context);
      } catch (const DiagnosticError& e) {
        add(e);
        return false;
      }
      return true;
    };
    for (const std::string& name : order) {
      if (!visit(name)) return;
    }
    context.variables["local"] = Value::object(std::move(done));
  }
};

}  // namespace

std::shared_ptr<const hcl::EvalContext> job_context(const hcl::File& file,
                                                    const ParseOptions& options) {
  return VariableReader(file, options).run();
}

}  // namespace jobspec
