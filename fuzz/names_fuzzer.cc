// The name validators (is_valid_name, validate_name): names of pots, bases, snapshots and
// bridges become directory names, cgroup names and interface names. Checks, beyond no crash:
//  - validate_name throws pot::Error exactly when is_valid_name says no;
//  - an accepted name is 1-64 characters of [A-Za-z0-9_.-], does not start with `.` or `-`
//    (so it is never `.`, `..` or a path), and the interface names pot derives from it fit
//    the kernel's 15 characters.
#include <net/if.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/names.h"
#include "fuzz_check.h"
#include "net/interface_names.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string name(reinterpret_cast<const char*>(data), size);
  bool valid = pot::is_valid_name(name);
  bool thrown = false;
  try {
    pot::validate_name("pot", name);
  } catch (const pot::Error&) {
    thrown = true;
  }
  FUZZ_CHECK(valid != thrown);
  if (!valid) return 0;

  FUZZ_CHECK(!name.empty() && name.size() <= pot::kMaxNameLength);
  FUZZ_CHECK(name.front() != '.' && name.front() != '-');
  for (char c : name) {
    FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.');
  }
  const std::string tag = "0123abcd";
  FUZZ_CHECK(pot::net::private_bridge_interface(tag, name).size() < IFNAMSIZ);
  FUZZ_CHECK(pot::net::pot_veth_interface(tag, name, 0xffffffffU).size() < IFNAMSIZ);
  return 0;
}
