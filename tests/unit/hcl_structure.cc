// The canonical JSON of tests/hcl_structure/canonical_json.go, written from our syntax tree.
// Every formatting rule here has its twin there; change both or neither.
#include "hcl_structure.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>
#include <utility>
#include <vector>

#include "hcl/function.h"
#include "hcl/parser.h"

namespace pot::testing {
namespace {

// A JSON value under construction (a tree, so that the layout is decided in one place).
struct JsonMember;
struct JsonNode {
  enum class Type { Scalar, Object, Array } type = Type::Scalar;
  std::string scalar = "null";  // the literal text of a string, number, bool or null
  std::vector<JsonMember> members;
  std::vector<JsonNode> items;
};
struct JsonMember {
  std::string key;
  JsonNode value;
};

std::string quote_json(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

JsonNode json_raw(std::string text) {
  JsonNode n;
  n.scalar = std::move(text);
  return n;
}
JsonNode json_string(std::string_view s) {
  return json_raw(quote_json(s));
}
JsonNode json_object() {
  JsonNode n;
  n.type = JsonNode::Type::Object;
  return n;
}
JsonNode json_array() {
  JsonNode n;
  n.type = JsonNode::Type::Array;
  return n;
}

// Integers below 2^53 in digits; the rest in scientific notation with 15 significant digits
// at most (canonical_json.go says why 15).
std::string canonical_number(double f) {
  if (std::isnan(f)) return quote_json("NaN");
  if (std::isinf(f)) return quote_json(f > 0 ? "+Inf" : "-Inf");
  char buffer[64];
  if (f == std::trunc(f) && std::fabs(f) < 9007199254740992.0) {
    std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(f));
    return buffer;
  }
  std::snprintf(buffer, sizeof buffer, "%.14e", f);
  std::string text = buffer;
  const std::size_t e = text.find('e');
  std::string mantissa = text.substr(0, e);
  if (mantissa.find('.') != std::string::npos) {
    mantissa.erase(mantissa.find_last_not_of('0') + 1);
    if (mantissa.back() == '.') mantissa.pop_back();
  }
  return mantissa + text.substr(e);
}

void write(const JsonNode& n, std::string& out, int indent) {
  const std::string inner(static_cast<std::size_t>(indent + 1) * 2, ' ');
  const std::string outer(static_cast<std::size_t>(indent) * 2, ' ');
  switch (n.type) {
    case JsonNode::Type::Scalar:
      out += n.scalar;
      return;
    case JsonNode::Type::Object:
      if (n.members.empty()) {
        out += "{}";
        return;
      }
      out += "{\n";
      for (std::size_t i = 0; i < n.members.size(); ++i) {
        out += inner + quote_json(n.members[i].key) + ": ";
        write(n.members[i].value, out, indent + 1);
        out += i + 1 < n.members.size() ? ",\n" : "\n";
      }
      out += outer + "}";
      return;
    case JsonNode::Type::Array:
      if (n.items.empty()) {
        out += "[]";
        return;
      }
      out += "[\n";
      for (std::size_t i = 0; i < n.items.size(); ++i) {
        out += inner;
        write(n.items[i], out, indent + 1);
        out += i + 1 < n.items.size() ? ",\n" : "\n";
      }
      out += outer + "]";
      return;
  }
}

std::string render(const JsonNode& n) {
  std::string out;
  write(n, out, 0);
  out += '\n';
  return out;
}

// The name of the hclsyntax type HashiCorp's parser gives the same expression.
std::string_view hclsyntax_kind(hcl::ExprKind kind) {
  switch (kind) {
    case hcl::ExprKind::Literal:
      return "LiteralValueExpr";
    case hcl::ExprKind::Template:
      return "TemplateExpr";
    case hcl::ExprKind::TemplateWrap:
      return "TemplateWrapExpr";
    case hcl::ExprKind::ScopeTraversal:
      return "ScopeTraversalExpr";
    case hcl::ExprKind::RelativeTraversal:
      return "RelativeTraversalExpr";
    case hcl::ExprKind::Index:
      return "IndexExpr";
    case hcl::ExprKind::Splat:
      return "SplatExpr";
    case hcl::ExprKind::FunctionCall:
      return "FunctionCallExpr";
    case hcl::ExprKind::Conditional:
      return "ConditionalExpr";
    case hcl::ExprKind::Binary:
      return "BinaryOpExpr";
    case hcl::ExprKind::Unary:
      return "UnaryOpExpr";
    case hcl::ExprKind::Tuple:
      return "TupleConsExpr";
    case hcl::ExprKind::Object:
      return "ObjectConsExpr";
    case hcl::ExprKind::For:
      return "ForExpr";
    case hcl::ExprKind::Parentheses:
      return "ParenthesesExpr";
    case hcl::ExprKind::AnonSymbol:
      return "AnonSymbolExpr";
    // Only inside a template; hclsyntax has no node of its own for %{if}, and calls a
    // %{for} a TemplateJoinExpr.
    case hcl::ExprKind::TemplateIf:
      return "ConditionalExpr";
    case hcl::ExprKind::TemplateFor:
      return "TemplateJoinExpr";
  }
  return "UnknownExpr";
}

JsonNode value_json(const hcl::Value& v) {
  switch (v.kind()) {
    case hcl::Kind::Null:
      return json_raw("null");
    case hcl::Kind::Bool:
      return json_raw(v.as_bool() ? "true" : "false");
    case hcl::Kind::Number:
      return json_raw(canonical_number(v.as_number()));
    case hcl::Kind::String:
      return json_string(v.as_string());
    case hcl::Kind::List:
    case hcl::Kind::Tuple:
    case hcl::Kind::Set: {
      JsonNode a = json_array();
      for (const hcl::Value& element : v.elements()) a.items.push_back(value_json(element));
      return a;
    }
    case hcl::Kind::Map:
    case hcl::Kind::Object: {
      JsonNode o = json_object();  // std::map: already sorted bytewise, as the Go side sorts
      for (const auto& [key, element] : v.attributes())
        o.members.push_back({key, value_json(element)});
      return o;
    }
  }
  return json_string("<value:?>");
}

// What an attribute prints: given the expression, a JSON node.
using DescribeExpr = JsonNode (*)(const hcl::Expr&, const hcl::EvalContext&);

JsonNode describe_literal(const hcl::Expr& expr, const hcl::EvalContext& empty) {
  try {
    return value_json(hcl::evaluate(expr, empty));
  } catch (const hcl::DiagnosticError&) {
    return json_string("<expr:" + std::string(hclsyntax_kind(expr.kind)) + ">");
  }
}

JsonNode describe_evaluated(const hcl::Expr& expr, const hcl::EvalContext& context) {
  try {
    return value_json(hcl::evaluate(expr, context));
  } catch (const hcl::DiagnosticError& e) {
    return json_string("<error:" + e.diagnostics().front().summary + ">");
  }
}

JsonNode describe_body(const hcl::Body& body, DescribeExpr describe,
                       const hcl::EvalContext& context) {
  std::vector<const hcl::Attribute*> sorted;
  for (const hcl::Attribute& attribute : body.attributes) sorted.push_back(&attribute);
  std::sort(sorted.begin(), sorted.end(),
            [](const hcl::Attribute* a, const hcl::Attribute* b) { return a->name < b->name; });
  JsonNode attributes = json_object();
  for (const hcl::Attribute* attribute : sorted) {
    attributes.members.push_back({attribute->name, describe(*attribute->expr, context)});
  }

  JsonNode blocks = json_array();
  for (const hcl::Block& block : body.blocks) {
    JsonNode labels = json_array();
    for (const std::string& label : block.labels) labels.items.push_back(json_string(label));
    JsonNode b = json_object();
    b.members.push_back({"type", json_string(block.type)});
    b.members.push_back({"labels", std::move(labels)});
    b.members.push_back({"body", describe_body(*block.body, describe, context)});
    blocks.items.push_back(std::move(b));
  }

  JsonNode doc = json_object();
  doc.members.push_back({"attributes", std::move(attributes)});
  doc.members.push_back({"blocks", std::move(blocks)});
  return doc;
}

// The diagnostic that starts first in the file (the Go tool picks the same).
JsonNode describe_error(const hcl::DiagnosticError& error) {
  const hcl::Diagnostic* first = &error.diagnostics().front();
  for (const hcl::Diagnostic& d : error.diagnostics()) {
    if (d.range.start.byte < first->range.start.byte) first = &d;
  }
  JsonNode e = json_object();
  e.members.push_back({"line", json_raw(std::to_string(first->range.start.line))});
  e.members.push_back({"column", json_raw(std::to_string(first->range.start.column))});
  e.members.push_back({"summary", json_string(first->summary)});
  JsonNode doc = json_object();
  doc.members.push_back({"error", std::move(e)});
  return doc;
}

std::string describe(std::string source, const std::string& filename, DescribeExpr how,
                     const hcl::EvalContext& context) {
  hcl::File file;
  try {
    file = hcl::parse_file(std::move(source), filename);
  } catch (const hcl::DiagnosticError& error) {
    return render(describe_error(error));
  }
  return render(describe_body(file.body, how, context));
}

}  // namespace

std::string describe_hcl_file(std::string source, const std::string& filename) {
  const hcl::EvalContext empty;
  return describe(std::move(source), filename, describe_literal, empty);
}

void load_structure_variables(const std::string& vars_source, const std::string& vars_filename,
                              StructureEvalContext& out) {
  const hcl::File vars = hcl::parse_file(vars_source, vars_filename);
  const hcl::EvalContext empty;
  for (const hcl::Attribute& attribute : vars.body.attributes) {
    out.context.variables[attribute.name] = hcl::evaluate(*attribute.expr, empty);
  }
  out.functions = hcl::standard_functions(hcl::StdlibOptions{});
  out.context.functions = &out.functions;
}

std::string describe_hcl_file_evaluated(std::string source, const std::string& filename,
                                        const hcl::EvalContext& context) {
  return describe(std::move(source), filename, describe_evaluated, context);
}

}  // namespace pot::testing
