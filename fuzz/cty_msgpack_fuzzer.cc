// decode_cty_msgpack (nomad/cty_value), the reader of what a Nomad client sends as a task's
// `config` block and the plugin's configuration. Checks, beyond no crash, no sanitizer report
// and bounded memory (nesting and sizes are limited before anything is allocated):
//  - only pot::Error escapes;
//  - what is accepted encodes to cty's form, which decodes to the same value, and encoding
//    that again gives the same bytes;
//  - the readers of a task's config and the plugin's config (nomad/config_codec) take any
//    decoded value and either accept it or throw pot::Error naming what is wrong.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "fuzz_check.h"
#include "nomad/config_codec.h"
#include "nomad/cty_value.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  pot::nomad::CtyValue value;
  try {
    value = pot::nomad::decode_cty_msgpack(bytes);
  } catch (const pot::Error&) {
    return 0;
  }
  std::string encoded = pot::nomad::encode_cty_msgpack(value);
  pot::nomad::CtyValue again = pot::nomad::decode_cty_msgpack(encoded);
  FUZZ_CHECK(again == value);
  FUZZ_CHECK(pot::nomad::encode_cty_msgpack(again) == encoded);
  try {
    pot::nomad::decode_task_config(value);
  } catch (const pot::Error&) {
  }
  try {
    pot::nomad::decode_plugin_config(value);
  } catch (const pot::Error&) {
  }
  return 0;
}
