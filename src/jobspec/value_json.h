// HCL values to the API's JSON, as Nomad's Go encoder writes the values it decoded into
// `map[string]interface{}` fields: whole numbers as integers, others as floats; objects with
// their keys in byte order (Go sorts map keys).
#pragma once

#include "hcl/value.h"
#include "jobspec/jobspec.h"

namespace jobspec {

Json value_to_json(const hcl::Value& value);

}  // namespace jobspec
