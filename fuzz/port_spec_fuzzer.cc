// The exported-port parsers: parse_port_number, PortExport::parse (`[tcp:|udp:]PORT[:HOST]`,
// from `pot export-ports -e` and an image's pot.export.ports) and parse_port_exports (the
// space-separated pot.conf value). Checks, beyond no crash and no sanitizer report:
//  - only pot::Error escapes;
//  - an accepted port number is 1-65535, was written in decimal digits only, and its decimal
//    form parses back to it;
//  - an accepted spec has protocol tcp or udp and ports in 1-65535, and its canonical form
//    str() parses back to the same export; the same for a whole list and its format.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "fuzz_check.h"
#include "net/port_spec.h"

namespace {

void check_export(const pot::net::PortExport& port) {
  FUZZ_CHECK(port.protocol == "tcp" || port.protocol == "udp");
  FUZZ_CHECK(port.pot_port >= 1);
  FUZZ_CHECK(!port.host_port || *port.host_port >= 1);
  FUZZ_CHECK(pot::net::PortExport::parse(port.str()) == port);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);

  if (auto port = pot::net::parse_port_number(text)) {
    FUZZ_CHECK(*port >= 1);  // and <= 65535: the type says so
    FUZZ_CHECK(text.find_first_not_of("0123456789") == std::string::npos);
    FUZZ_CHECK(pot::net::parse_port_number(std::to_string(*port)) == port);
  }

  try {
    check_export(pot::net::PortExport::parse(text));
  } catch (const pot::Error&) {
  }

  std::vector<pot::net::PortExport> exports;
  try {
    exports = pot::net::parse_port_exports(text);
  } catch (const pot::Error&) {
    return 0;
  }
  for (const auto& port : exports) check_export(port);
  FUZZ_CHECK(pot::net::parse_port_exports(pot::net::format_port_exports(exports)) == exports);
  return 0;
}
