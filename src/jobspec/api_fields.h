// The shape of Nomad's API job document: every struct of api.Job's tree (api/jobs.go,
// tasks.go, services.go, resources.go, consul.go, ...) as a list of its fields in Go
// declaration order, with the Go type of each. Go's encoding/json prints every field of a
// struct in that order, nil pointers, slices and maps as null and other fields as their zero
// value, so one table serves three readers: canonicalize() completes documents to that
// shape, parse_json_job() checks the JSON types of a submitted job, and validate() reads
// fields knowing what a missing one means.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace jobspec::api {

// The Go type of a field, as far as JSON sees it.
enum class Kind {
  String,
  Bool,
  Int,     // int (64-bit on every platform Nomad supports)
  Int8,    // Affinity and Spread weights
  Uint8,   // SpreadTarget.Percent
  Uint16,  // ConsulTransparentProxy.OutboundPort
  Uint32,  // ingress service limits
  Int64,   // time.Duration (nanoseconds), SubmitTime, scaling Min/Max
  Uint64,  // indexes, Version, device Count
  Bytes,   // []byte: a base64 string
  Any,     // map[string]any (a driver's config): any JSON object
  StringList,
  Uint16List,
  StringMap,      // map[string]string
  StringListMap,  // map[string][]string (check headers)
  Struct,         // *T (or T inside a slice)
  StructList,     // []*T or []T
  StructMap,      // map[string]*T
};

struct Struct;

struct Field {
  std::string_view name;
  Kind kind;
  // A pointer (*T), a slice or a map prints null when unset; a plain value prints its zero.
  bool nullable;
  // The element's struct for Struct, StructList and StructMap.
  const Struct* element = nullptr;
  // json:",omitempty": left out of the document while null.
  bool omit_when_null = false;
};

struct Struct {
  std::string_view name;
  std::vector<Field> fields;

  // The field called `name` exactly, or nullptr.
  const Field* find(std::string_view field_name) const;
  // The field whose name equals `name` ignoring ASCII case (Go's decoder accepts those), or
  // nullptr; an exact match wins.
  const Field* find_folded(std::string_view field_name) const;
};

// The root of the tree, api.Job. The others are reached through Field::element.
const Struct& job_struct();

// The range of the integer kinds; for other kinds {0, 0}.
struct IntRange {
  std::int64_t min;
  std::uint64_t max;
};
IntRange int_range(Kind kind);

}  // namespace jobspec::api
