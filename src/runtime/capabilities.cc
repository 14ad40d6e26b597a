#include "runtime/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>

#include <algorithm>

#include "core/error.h"

// libcap's header redefines what linux/capability.h gives; we only need the raw syscalls.
extern "C" int capset(cap_user_header_t header, const cap_user_data_t data);

namespace pot {

const std::vector<int>& pot_capabilities() {
  static const std::vector<int> kCaps = {
      CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FOWNER,  CAP_FSETID, CAP_KILL,       CAP_NET_BIND_SERVICE,
      CAP_SETFCAP, CAP_SETGID,       CAP_SETPCAP, CAP_SETUID, CAP_SYS_CHROOT,
  };
  return kCaps;
}

unsigned long long pot_capability_mask() {
  unsigned long long mask = 0;
  for (int cap : pot_capabilities()) mask |= 1ULL << cap;
  return mask;
}

void drop_capabilities() {
  const auto& keep = pot_capabilities();
  // The bounding set first: it needs CAP_SETPCAP, which we still hold.
  for (int cap = 0; cap <= 63; ++cap) {
    if (std::find(keep.begin(), keep.end(), cap) != keep.end()) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      throw_sys("dropping capability " + std::to_string(cap) + " from the bounding set");
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    throw_sys("clearing ambient capabilities");

  unsigned long long mask = pot_capability_mask();
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  data[0].effective = data[0].permitted = static_cast<__u32>(mask);
  data[1].effective = data[1].permitted = static_cast<__u32>(mask >> 32);
  data[0].inheritable = data[1].inheritable = 0;
  if (::capset(&header, data) != 0) throw_sys("setting capabilities");

  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw_sys("setting no_new_privs");
}

}  // namespace pot
