#include "runtime/capabilities.h"

#include <linux/capability.h>

#include <gtest/gtest.h>

#include <bitset>

namespace pot {
namespace {

TEST(Capabilities, KeepsPodmansElevenDefaults) {
  EXPECT_EQ(pot_capabilities().size(), 11u);
  unsigned long long mask = pot_capability_mask();
  EXPECT_EQ(std::bitset<64>(mask).count(), 11u);
  for (int cap :
       {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_NET_BIND_SERVICE,
        CAP_SETFCAP, CAP_SETGID, CAP_SETPCAP, CAP_SETUID, CAP_SYS_CHROOT}) {
    EXPECT_TRUE(mask & (1ULL << cap)) << cap;
  }
  EXPECT_EQ(mask, 0x800405fbULL);  // the CapEff a podman container shows
}

TEST(Capabilities, DropsTheDangerousOnes) {
  unsigned long long mask = pot_capability_mask();
  for (int cap : {CAP_SYS_ADMIN, CAP_SYS_MODULE, CAP_SYS_PTRACE, CAP_SYS_RAWIO, CAP_NET_ADMIN,
                  CAP_MKNOD, CAP_SYS_TIME, CAP_DAC_READ_SEARCH, CAP_BPF}) {
    EXPECT_FALSE(mask & (1ULL << cap)) << cap;
  }
}

}  // namespace
}  // namespace pot
