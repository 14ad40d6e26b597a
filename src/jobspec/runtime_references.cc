#include "jobspec/runtime_references.h"

namespace jobspec {

std::function<std::optional<hcl::Value>(const hcl::ScopeTraversalExpr&)> keep_runtime_references(
    std::shared_ptr<const std::string> source) {
  return [source = std::move(source)](
             const hcl::ScopeTraversalExpr& traversal) -> std::optional<hcl::Value> {
    const std::string& text = *source;
    const std::size_t start = traversal.range.start.byte;
    const std::size_t end = traversal.range.end.byte;
    // A traversal from another text (a -var value, a template file) has no place in this
    // one: its own text, wrapped.
    if (start > end || end > text.size() || traversal.range.filename.empty()) {
      return hcl::Value::string("${" + traversal.source_text + "}");
    }
    std::string reference = text.substr(start, end - start);

    // Back over spaces to a `${` that opens right before the traversal.
    bool bracketed = false;
    for (std::size_t i = start; i >= 2; --i) {
      const char c = text[i - 1];
      if (c == '{' && text[i - 2] == '$') {
        reference = text.substr(i - 2, start - (i - 2)) + reference;
        bracketed = true;
        break;
      }
      if (c != ' ') break;
    }
    if (!bracketed) return hcl::Value::string("${" + reference + "}");

    // Forward over spaces to the `}` that closes it.
    std::size_t i = end;
    while (i < text.size() && text[i] == ' ') ++i;
    if (i < text.size() && text[i] == '}') {
      reference += text.substr(end, i - end);
    }
    reference += '}';
    return hcl::Value::string(std::move(reference));
  };
}

}  // namespace jobspec
