// PotConf::parse, the reader of jails/<pot>/conf/pot.conf: a file users edit by hand and that
// imported images write settings into. Checks, beyond no crash and no sanitizer report:
//  - every entry has a key that is not empty and has no `=`, `\n` or leading `#` (anything
//    else could not be one line of the file); a value may hold line breaks (read from `\n`
//    escapes inside quotes), but the file written has one line per entry;
//  - serialize() then parse() gives back the same entries, and serializing those gives the
//    same text again (what pot writes, it reads back unchanged);
//  - get, get_all and has agree with entries(); attr() returns or throws pot::Error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/pot_conf.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  pot::PotConf conf = pot::PotConf::parse(text);

  for (const auto& [key, value] : conf.entries()) {
    FUZZ_CHECK(!key.empty());
    FUZZ_CHECK(key.front() != '#');
    FUZZ_CHECK(key.find_first_of("=\n") == std::string::npos);
    FUZZ_CHECK(conf.has(key));
    auto all = conf.get_all(key);
    FUZZ_CHECK(!all.empty() && conf.get(key) == all.front());
  }

  std::string written = conf.serialize();
  size_t lines = 0;
  for (char c : written) lines += c == '\n' ? 1 : 0;
  FUZZ_CHECK(lines == conf.entries().size());
  pot::PotConf reread = pot::PotConf::parse(written);
  FUZZ_CHECK(reread.entries() == conf.entries());
  FUZZ_CHECK(reread.serialize() == written);

  for (const auto& attr : pot::known_attrs()) {
    try {
      (void)conf.attr(attr.name, attr.default_value);
    } catch (const pot::Error&) {
    }
  }
  return 0;
}
