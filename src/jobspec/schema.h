// The schema of Nomad's job specification: every block and argument a job file may hold,
// and the field of the API's JSON each one fills (Go's field names, as in api/jobs.go,
// api/tasks.go, api/services.go, api/resources.go...).
//
// The decoder (decode.h) walks a body with its BlockSpec: an argument not in `attributes`
// or a block not in `blocks` is an error naming it. Most blocks are plain structures; a few
// kinds decode differently (string maps such as meta and env, opaque bodies such as a
// driver's config, constraint and affinity with their shorthand arguments), and a few
// blocks need a step after decoding, named by `special`.
#pragma once

#include <string>
#include <vector>

namespace jobspec {

enum class ValueType {
  String,
  Bool,
  Int,     // Go int: a whole number
  Int8,    // -128..127 (spread weight)
  Uint8,   // 0..255 (spread target percent)
  Uint16,  // 0..65535 (ports of a transparent proxy)
  Uint32,
  Int64,
  Uint64,
  Duration,    // "5s" or a number of nanoseconds, to nanoseconds
  StringList,  // list(string)
  Uint16List,
  StringMap,  // map(string)
};

struct AttributeSpec {
  std::string name;   // as written in the job file
  std::string field;  // the JSON field
  ValueType type;
  bool required = false;
};

enum class BlockKind {
  Struct,         // attributes and blocks of a schema
  StringMap,      // `meta { key = "value" }`: any arguments, each a string
  StringListMap,  // a check's `header { Name = ["value"] }`
  Opaque,         // `config { ... }`: anything, nested blocks become lists of objects
  Constraint,     // attribute/value/operator or the shorthands (distinct_hosts, regexp...)
  Affinity,       // the same with weight
};

// Steps after a block's decoding (decode.cc): what Nomad's jobspec2 does beyond its schema.
enum class Special {
  None,
  Job,           // ID and Name from the label, job-level task/vault/secret, defaults moved down
  Group,         // group-level vault and secret moved into its tasks
  GroupScaling,  // type defaults to "horizontal"; max is required
  TaskScaling,   // label "cpu" or "mem" gives the type
  Network,       // ports with a static value become reserved ports
  Template,      // change_mode, perms, splay, error_on_missing_key filled as Nomad's parser does
  ChangeScript,
  Vault,
  Periodic,  // SpecType "cron" when cron or crons is set
};

enum class Multiplicity {
  One,         // at most one block: a JSON object
  List,        // any number: a JSON array in source order
  MapByLabel,  // any number, each with a unique label: a JSON object keyed by the label
};

struct BlockSpec;

struct NestedBlockSpec {
  std::string type;   // as written in the job file
  std::string field;  // the JSON field
  Multiplicity multiplicity;
  const BlockSpec* spec;
  // meta and env of job, group and task may also be written as an argument, `meta = {...}`
  // (keys that are not identifiers need it).
  bool also_attribute = false;
};

struct BlockSpec {
  std::string name;  // for messages
  BlockKind kind = BlockKind::Struct;
  // The names of the labels the block takes (for messages), and the JSON field each fills.
  std::vector<std::string> label_names;
  std::vector<std::string> label_fields;
  std::vector<AttributeSpec> attributes;
  std::vector<NestedBlockSpec> blocks;
  Special special = Special::None;

  const AttributeSpec* attribute(const std::string& attribute_name) const;
  const NestedBlockSpec* block(const std::string& type) const;
};

// The top of a job file: the job block's schema (variable, variables and locals are read
// by variables.h).
const BlockSpec& job_block_spec();

}  // namespace jobspec
