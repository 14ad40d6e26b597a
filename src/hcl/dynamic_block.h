// `dynamic` blocks (HCL's dynblock extension): a block that generates other blocks, one
// per element of a collection.
//
//   dynamic "port" {            # the type of the generated blocks
//     for_each = var.ports      # a list, set, tuple, map or object
//     iterator = p              # optional; the name of the element (default: the type)
//     labels   = [p.key]        # required when the generated type takes labels
//     content { static = p.value }
//   }
//
// Expansion does not copy syntax: each block of a body comes back as an ExpandedBlock that
// points at the body to decode (the literal block's own, or the `content` of a dynamic one)
// and at the context to evaluate it in, which for generated blocks holds the iterator
// (`p.key`, `p.value`) over the caller's context. Dynamic blocks nest: a `content` may hold
// more of them, whose for_each may use the outer iterators.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hcl/ast.h"
#include "hcl/eval.h"

namespace hcl {

struct ExpandedBlock {
  std::string type;
  std::vector<std::string> labels;
  std::vector<Range> label_ranges;  // a generated block's labels point at `labels = [...]`
  Range type_range;                 // a generated block's type points at the dynamic label
  Range range;
  const Body* body = nullptr;
  std::shared_ptr<const EvalContext> context;
  bool generated = false;
};

// How many labels the blocks of a type take: nullopt when the type is not expected in the
// body (a dynamic block of that type is then "Unsupported block type"); kAnyLabels when any
// number goes (opaque bodies such as a driver's config).
inline constexpr int kAnyLabels = -1;
using LabelCount = std::function<std::optional<int>(const std::string& type)>;

// The blocks of `body` in source order, each `dynamic` block replaced by the blocks it
// generates. Literal blocks are returned as they are (their labels unchecked: the caller
// knows its schema). `context` must outlive the expanded blocks' contexts only through the
// shared pointer. Throws DiagnosticError for a malformed dynamic block (missing for_each or
// content, a for_each that is not a collection, labels of the wrong number or kind).
std::vector<ExpandedBlock> expand_blocks(const Body& body,
                                         const std::shared_ptr<const EvalContext>& context,
                                         const LabelCount& label_count);

}  // namespace hcl
