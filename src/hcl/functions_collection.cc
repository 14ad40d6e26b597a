// Collection functions: building, searching and reshaping lists, maps and sets.
#include <algorithm>
#include <cmath>

#include "hcl/conversion.h"
#include "hcl/function_support.h"
#include "hcl/utf8.h"

namespace hcl::detail {

namespace {

// cty's LengthFunc: lists, tuples, sets and maps. Strings are refused (strlen counts their
// characters) and so are objects, as Nomad refuses them.
Value length(Args args, const CallSite& site) {
  const Value& value = non_null_arg(site, args, 0, "collection");
  if (value.is_sequence() || value.kind() == Kind::Map) {
    return Value::number(static_cast<double>(value.size()));
  }
  std::string hint;
  if (value.is_string()) hint = " (strlen counts the characters of a string)";
  call_error(site, "collection must be a list, a map or a tuple, not " +
                       std::string(kind_name(value.kind())) + hint + ".");
}

Value concat(Args args, const CallSite& site) {
  Value::Elements out;
  bool all_lists = true;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const Value& list = sequence_arg(site, args, i, "seqs");
    all_lists = all_lists && list.kind() == Kind::List;
    check_result_elements(site, out.size() + list.size());
    out.insert(out.end(), list.elements().begin(), list.elements().end());
  }
  return all_lists ? Value::list(std::move(out)) : Value::tuple(std::move(out));
}

Value merge(Args args, const CallSite& site) {
  Value::Attributes out;
  bool all_maps = true;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i].is_null()) continue;
    const Value& mapping = mapping_arg(site, args, i, "maps");
    all_maps = all_maps && mapping.kind() == Kind::Map;
    for (const auto& [key, value] : mapping.attributes()) out.insert_or_assign(key, value);
    check_result_elements(site, out.size());
  }
  return all_maps ? Value::map(std::move(out)) : Value::object(std::move(out));
}

Value lookup(Args args, const CallSite& site) {
  const Value& mapping = mapping_arg(site, args, 0, "inputMap");
  const std::string key = string_arg(site, args, 1, "key");
  auto found = mapping.attributes().find(key);
  if (found != mapping.attributes().end()) return found->second;
  if (args.size() == 3) return args[2];
  call_error(site, "lookup failed to find key \"" + key + "\".");
}

// element() wraps around: element(["a", "b"], 3) is "b".
Value element(Args args, const CallSite& site) {
  const Value& list = sequence_arg(site, args, 0, "list");
  const std::int64_t index = integer_arg(site, args, 1, "index");
  if (list.kind() == Kind::Set) param_error(site, "list", "cannot read elements from a set");
  if (index < 0) call_error(site, "cannot use element function with a negative index.");
  if (list.size() == 0) call_error(site, "cannot use element function with an empty list.");
  return list.elements()[static_cast<std::size_t>(index) % list.size()];
}

Value keys(Args args, const CallSite& site) {
  const Value& mapping = mapping_arg(site, args, 0, "inputMap");
  Value::Elements out;
  for (const auto& entry : mapping.attributes()) out.push_back(Value::string(entry.first));
  return Value::list(std::move(out));
}

Value values(Args args, const CallSite& site) {
  const Value& mapping = mapping_arg(site, args, 0, "mapping");
  Value::Elements out;
  for (const auto& entry : mapping.attributes()) out.push_back(entry.second);
  return mapping.kind() == Kind::Map ? Value::list(std::move(out)) : Value::tuple(std::move(out));
}

Value contains(Args args, const CallSite& site) {
  const Value& list = sequence_arg(site, args, 0, "list");
  const auto& elements = list.elements();
  return Value::boolean(std::find(elements.begin(), elements.end(), args[1]) != elements.end());
}

// cty's IndexFunc (Nomad's index): the element of a list or tuple at a position, or of a map
// (or object) at a key.
Value index(Args args, const CallSite& site) {
  const Value& collection = non_null_arg(site, args, 0, "collection");
  const Value& key = non_null_arg(site, args, 1, "key");
  if (collection.kind() == Kind::List || collection.kind() == Kind::Tuple) {
    std::string error;
    auto position = try_to_number(key, error);
    if (!position)
      call_error(site, "key for " + std::string(kind_name(collection.kind())) + " must be number.");
    const double n = position->as_number();
    if (n != std::trunc(n) || n < 0 || n >= static_cast<double>(collection.size())) {
      call_error(site, "invalid index.");
    }
    return collection.elements()[static_cast<std::size_t>(n)];
  }
  if (collection.is_mapping()) {
    std::string error;
    auto name = try_to_string(key, error);
    if (!name) call_error(site, "key for map must be string.");
    auto found = collection.attributes().find(name->as_string());
    if (found == collection.attributes().end()) call_error(site, "invalid index.");
    return found->second;
  }
  call_error(site, "collection must be a list, a map or a tuple, not " +
                       std::string(kind_name(collection.kind())) + ".");
}

// The first argument that is not null, converted to the type all of them share.
Value coalesce(Args args, const CallSite& site) {
  Value::Elements present;
  for (const Value& arg : args) {
    if (!arg.is_null()) present.push_back(arg);
  }
  if (present.empty()) call_error(site, "no non-null arguments.");
  std::string error;
  auto unified = unify_elements(present, error);
  if (!unified) call_error(site, "all arguments must have the same type.");
  return unified->front();
}

Value coalescelist(Args args, const CallSite& site) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i].is_null()) continue;
    const Value& list = sequence_arg(site, args, i, "vals");
    if (list.size() > 0) return list;
  }
  call_error(site, "no non-null arguments.");
}

Value compact(Args args, const CallSite& site) {
  const Value& list = sequence_arg(site, args, 0, "list");
  Value::Elements out;
  for (const Value& element : list.elements()) {
    if (element.is_null()) continue;
    std::string error;
    auto text = try_to_string(element, error);
    if (!text) param_error(site, "list", error);
    if (!text->as_string().empty()) out.push_back(*text);
  }
  return Value::list(std::move(out));
}

Value distinct(Args args, const CallSite& site) {
  const Value& list = sequence_arg(site, args, 0, "list");
  Value::Elements out;
  for (const Value& element : list.elements()) {
    if (std::find(out.begin(), out.end(), element) == out.end()) out.push_back(element);
    count_steps(site.context, out.size(), site.call.range);
  }
  return list.kind() == Kind::Tuple ? Value::tuple(std::move(out)) : Value::list(std::move(out));
}

void flatten_into(const CallSite& site, const Value& list, Value::Elements& out) {
  for (const Value& element : list.elements()) {
    if (element.is_sequence()) {
      flatten_into(site, element, out);
    } else {
      out.push_back(element);
      check_result_elements(site, out.size());
    }
  }
}

Value flatten(Args args, const CallSite& site) {
  Value::Elements out;
  flatten_into(site, sequence_arg(site, args, 0, "list"), out);
  return list_or_tuple(std::move(out));
}

Value slice(Args args, const CallSite& site) {
  const Value& list = sequence_arg(site, args, 0, "list");
  if (list.kind() == Kind::Set) {
    param_error(site, "list",
                "cannot slice a set, because its elements do not have indices; explicitly "
                "convert to a list if the ordering of the result is not important");
  }
  const std::int64_t start = integer_arg(site, args, 1, "start_index");
  const std::int64_t end = integer_arg(site, args, 2, "end_index");
  const auto size = static_cast<std::int64_t>(list.size());
  if (start < 0) param_error(site, "start_index", "start index must not be less than zero");
  if (start > size) {
    param_error(site, "start_index", "start index must not be greater than the length of the list");
  }
  if (end < 0) param_error(site, "end_index", "end index must not be less than zero");
  if (end > size) {
    param_error(site, "end_index", "end index must not be greater than the length of the list");
  }
  if (start > end)
    param_error(site, "start_index", "start index must not be greater than end index");
  Value::Elements out(list.elements().begin() + start, list.elements().begin() + end);
  return list.kind() == Kind::Tuple ? Value::tuple(std::move(out)) : Value::list(std::move(out));
}

// Lexical order of strings (numbers too are sorted as their text, as cty does).
Value sort(Args args, const CallSite& site) {
  const Value& list = sequence_arg(site, args, 0, "list");
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Value& element = list.elements()[i];
    std::string error;
    auto text = try_to_string(element, error);
    if (element.is_null() || !text) {
      param_error(site, "list", "element " + std::to_string(i) + ": a string is required");
    }
    texts.push_back(text->as_string());
  }
  std::sort(texts.begin(), texts.end());
  Value::Elements out;
  for (std::string& text : texts) out.push_back(Value::string(std::move(text)));
  return Value::list(std::move(out));
}

Value zipmap(Args args, const CallSite& site) {
  const Value& key_list = sequence_arg(site, args, 0, "keys");
  const Value& value_list = sequence_arg(site, args, 1, "values");
  if (key_list.size() != value_list.size()) {
    call_error(site, "number of keys (" + std::to_string(key_list.size()) +
                         ") does not match number of values (" + std::to_string(value_list.size()) +
                         ").");
  }
  Value::Attributes out;
  for (std::size_t i = 0; i < key_list.size(); ++i) {
    const Value& key = key_list.elements()[i];
    std::string error;
    auto text = try_to_string(key, error);
    if (key.is_null())
      call_error(site, "keys list has null value at index " + std::to_string(i) + ".");
    if (!text) param_error(site, "keys", "element " + std::to_string(i) + ": " + error);
    out.insert_or_assign(text->as_string(), value_list.elements()[i]);
  }
  return value_list.kind() == Kind::List ? Value::map(std::move(out))
                                         : Value::object(std::move(out));
}

Value setunion(Args args, const CallSite& site) {
  Value::Elements all;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const Value& set = sequence_arg(site, args, i, "sets");
    all.insert(all.end(), set.elements().begin(), set.elements().end());
    check_result_elements(site, all.size());
  }
  std::string error;
  auto unified = unify_elements(all, error);
  if (!unified) call_error(site, "given sets must all have compatible element types.");
  return Value::set(std::move(*unified));
}

Value setintersection(Args args, const CallSite& site) {
  Value result = Value::set(sequence_arg(site, args, 0, "first_set").elements());
  for (std::size_t i = 1; i < args.size(); ++i) {
    const auto& other = sequence_arg(site, args, i, "other_sets").elements();
    Value::Elements kept;
    for (const Value& element : result.elements()) {
      if (std::find(other.begin(), other.end(), element) != other.end()) kept.push_back(element);
    }
    count_steps(site.context, result.size() + other.size(), site.call.range);
    result = Value::set(std::move(kept));
  }
  return result;
}

Value chunklist(Args args, const CallSite& site) {
  const Value& list = sequence_arg(site, args, 0, "list");
  const std::int64_t size = integer_arg(site, args, 1, "size");
  if (size < 0) param_error(site, "size", "the size argument must be positive");
  const auto& elements = list.elements();
  if (elements.empty()) return Value::list({});
  if (size == 0) return Value::list({Value::list(elements)});
  Value::Elements chunks;
  for (std::size_t i = 0; i < elements.size(); i += static_cast<std::size_t>(size)) {
    const std::size_t end = std::min(elements.size(), i + static_cast<std::size_t>(size));
    chunks.push_back(
        Value::list(Value::Elements(elements.begin() + static_cast<std::ptrdiff_t>(i),
                                    elements.begin() + static_cast<std::ptrdiff_t>(end))));
  }
  return Value::list(std::move(chunks));
}

// cty's SetProductFunc: every combination taking one element of each argument, the first
// argument varying slowest; a list of tuples when every argument is a list or tuple, else a
// set of them.
Value setproduct(Args args, const CallSite& site) {
  if (args.size() < 2) call_error(site, "at least two arguments are required.");
  bool all_lists = true;
  std::size_t total = 1;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const Value& sequence = sequence_arg(site, args, i, "sets");
    all_lists = all_lists && sequence.kind() != Kind::Set;
    total = sequence.size() == 0 ? 0 : total * sequence.size();
    if (total > 0) check_result_elements(site, total);
  }
  Value::Elements products;
  std::vector<std::size_t> positions(args.size(), 0);
  for (std::size_t n = 0; n < total; ++n) {
    Value::Elements product;
    for (std::size_t i = 0; i < args.size(); ++i)
      product.push_back(args[i].elements()[positions[i]]);
    products.push_back(Value::tuple(std::move(product)));
    for (std::size_t i = args.size(); i-- > 0;) {
      if (++positions[i] < args[i].size()) break;
      positions[i] = 0;
    }
  }
  return all_lists ? Value::list(std::move(products)) : Value::set(std::move(products));
}

// range(limit), range(start, limit), range(start, limit, step): at most 1024 numbers, as cty
// allows.
Value range(Args args, const CallSite& site) {
  double start = 0;
  double limit = 0;
  double step = 1;
  if (args.size() == 1) {
    limit = number_arg(site, args, 0, "limit");
  } else {
    start = number_arg(site, args, 0, "start");
    limit = number_arg(site, args, 1, "limit");
  }
  if (args.size() == 3) {
    step = number_arg(site, args, 2, "step");
  } else {
    step = limit < start ? -1 : 1;
  }
  if (step == 0 || std::isnan(step)) param_error(site, "step", "step must not be zero");
  if (step < 0 && limit > start) {
    param_error(site, "limit", "end must be less than start when step is negative");
  }
  if (step > 0 && limit < start) {
    param_error(site, "limit", "end must be greater than start when step is positive");
  }
  constexpr std::size_t kMaxValues = 1024;
  Value::Elements out;
  for (double n = start; step > 0 ? n < limit : n > limit; n += step) {
    if (out.size() >= kMaxValues) {
      call_error(site,
                 "more than 1024 values were generated; either decrease the difference "
                 "between start and end or use a smaller step.");
    }
    out.push_back(Value::number(n));
    // A step too small to move the number would never end.
    if (n + step == n) call_error(site, "the step is too small to reach the limit.");
  }
  return Value::list(std::move(out));
}

}  // namespace

void add_collection_functions(FunctionTable& table) {
  table["length"] = {1, 1, length};
  table["concat"] = {1, -1, concat};
  table["merge"] = {0, -1, merge};
  table["lookup"] = {2, 3, lookup};
  table["element"] = {2, 2, element};
  table["keys"] = {1, 1, keys};
  table["values"] = {1, 1, values};
  table["contains"] = {2, 2, contains};
  table["index"] = {2, 2, index};
  table["coalesce"] = {1, -1, coalesce};
  table["coalescelist"] = {1, -1, coalescelist};
  table["compact"] = {1, 1, compact};
  table["distinct"] = {1, 1, distinct};
  table["flatten"] = {1, 1, flatten};
  table["slice"] = {3, 3, slice};
  table["sort"] = {1, 1, sort};
  table["zipmap"] = {2, 2, zipmap};
  table["setunion"] = {1, -1, setunion};
  table["setintersection"] = {1, -1, setintersection};
  table["chunklist"] = {2, 2, chunklist};
  table["range"] = {1, 3, range};
  table["setproduct"] = {2, -1, setproduct};
}

}  // namespace hcl::detail
