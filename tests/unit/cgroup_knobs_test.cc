#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/cgroup.h"
#include "runtime/jail_spec.h"

namespace pot {
namespace {

constexpr uint64_t k256MiB = 256ULL << 20;

// "controller:file=value" for each knob, in order: easy to read when a test fails.
std::vector<std::string> describe(const std::vector<CgroupKnob>& knobs) {
  std::vector<std::string> out;
  for (const auto& knob : knobs)
    out.push_back(knob.controller + ":" + knob.file + "=" + knob.value);
  return out;
}

using Knobs = std::vector<std::string>;

TEST(CgroupV1Knobs, NoLimitsNoKnobs) {
  EXPECT_TRUE(cgroup_v1_knobs(ResourceLimits{}, true).empty());
  EXPECT_TRUE(cgroup_v1_knobs(ResourceLimits{}, false).empty());
}

TEST(CgroupV1Knobs, MemoryLimitAlsoCapsSwapWhenPresent) {
  ResourceLimits limits;
  limits.memory_bytes = k256MiB;
  // memory.limit_in_bytes must come first: memsw may never be below it.
  EXPECT_EQ(describe(cgroup_v1_knobs(limits, true)),
            (Knobs{"memory:memory.limit_in_bytes=268435456",
                   "memory:memory.memsw.limit_in_bytes=268435456"}));
  EXPECT_EQ(describe(cgroup_v1_knobs(limits, false)),
            (Knobs{"memory:memory.limit_in_bytes=268435456"}));
}

TEST(CgroupV1Knobs, CpusBecomeCfsQuota) {
  ResourceLimits limits;
  limits.cpus = 2;
  EXPECT_EQ(describe(cgroup_v1_knobs(limits, false)),
            (Knobs{"cpu:cpu.cfs_period_us=100000", "cpu:cpu.cfs_quota_us=200000"}));
  limits.cpus = 1;
  EXPECT_EQ(describe(cgroup_v1_knobs(limits, false)),
            (Knobs{"cpu:cpu.cfs_period_us=100000", "cpu:cpu.cfs_quota_us=100000"}));
}

TEST(CgroupV1Knobs, PidsMax) {
  ResourceLimits limits;
  limits.pids = 100;
  EXPECT_EQ(describe(cgroup_v1_knobs(limits, true)), (Knobs{"pids:pids.max=100"}));
}

TEST(CgroupV1Knobs, AllLimitsTogether) {
  ResourceLimits limits;
  limits.memory_bytes = k256MiB;
  limits.cpus = 2;
  limits.pids = 64;
  EXPECT_EQ(describe(cgroup_v1_knobs(limits, true)),
            (Knobs{"memory:memory.limit_in_bytes=268435456",
                   "memory:memory.memsw.limit_in_bytes=268435456", "cpu:cpu.cfs_period_us=100000",
                   "cpu:cpu.cfs_quota_us=200000", "pids:pids.max=64"}));
}

TEST(CgroupV1Knobs, CpuSharesAreCpuShares) {
  ResourceLimits limits;
  limits.cpu_shares = 500;
  EXPECT_EQ(describe(cgroup_v1_knobs(limits, true)), (Knobs{"cpu:cpu.shares=500"}));
  // Out of the kernel's range: clamped, as the kernel would.
  limits.cpu_shares = 1;
  EXPECT_EQ(describe(cgroup_v1_knobs(limits, true)), (Knobs{"cpu:cpu.shares=2"}));
  limits.cpu_shares = 1000000;
  EXPECT_EQ(describe(cgroup_v1_knobs(limits, true)), (Knobs{"cpu:cpu.shares=262144"}));
}

TEST(CgroupV1Knobs, MemoryReservationIsTheSoftLimit) {
  ResourceLimits limits;
  limits.memory_reservation_bytes = 64ULL << 20;
  EXPECT_EQ(describe(cgroup_v1_knobs(limits, true)),
            (Knobs{"memory:memory.soft_limit_in_bytes=67108864"}));
  // Beside the hard limit, which comes first.
  limits.memory_bytes = k256MiB;
  EXPECT_EQ(describe(cgroup_v1_knobs(limits, false)),
            (Knobs{"memory:memory.limit_in_bytes=268435456",
                   "memory:memory.soft_limit_in_bytes=67108864"}));
}

TEST(CgroupV1Knobs, QuotaAndSharesTogether) {
  ResourceLimits limits;
  limits.cpus = 1;
  limits.cpu_shares = 2048;
  EXPECT_EQ(describe(cgroup_v1_knobs(limits, false)),
            (Knobs{"cpu:cpu.cfs_period_us=100000", "cpu:cpu.cfs_quota_us=100000",
                   "cpu:cpu.shares=2048"}));
}

TEST(CgroupV2Knobs, NoLimitsNoKnobs) {
  EXPECT_TRUE(cgroup_v2_knobs(ResourceLimits{}, true).empty());
  EXPECT_TRUE(cgroup_v2_knobs(ResourceLimits{}, false).empty());
}

TEST(CgroupV2Knobs, MemoryMaxAndNoSwapWhenSwapControllerExists) {
  ResourceLimits limits;
  limits.memory_bytes = k256MiB;
  EXPECT_EQ(describe(cgroup_v2_knobs(limits, true)),
            (Knobs{":memory.max=268435456", ":memory.swap.max=0"}));
  EXPECT_EQ(describe(cgroup_v2_knobs(limits, false)), (Knobs{":memory.max=268435456"}));
}

TEST(CgroupV2Knobs, CpuMaxIsQuotaAndPeriod) {
  ResourceLimits limits;
  limits.cpus = 2;
  EXPECT_EQ(describe(cgroup_v2_knobs(limits, true)), (Knobs{":cpu.max=200000 100000"}));
}

TEST(CgroupV2Knobs, AllLimitsTogether) {
  ResourceLimits limits;
  limits.memory_bytes = 1ULL << 30;
  limits.cpus = 4;
  limits.pids = 512;
  EXPECT_EQ(describe(cgroup_v2_knobs(limits, true)),
            (Knobs{":memory.max=1073741824", ":memory.swap.max=0", ":cpu.max=400000 100000",
                   ":pids.max=512"}));
}

TEST(CgroupV2Knobs, CpuSharesBecomeCpuWeight) {
  ResourceLimits limits;
  limits.cpu_shares = 1024;
  EXPECT_EQ(describe(cgroup_v2_knobs(limits, true)), (Knobs{":cpu.weight=39"}));
  limits.cpus = 2;
  EXPECT_EQ(describe(cgroup_v2_knobs(limits, true)),
            (Knobs{":cpu.max=200000 100000", ":cpu.weight=39"}));
}

TEST(CgroupV2Knobs, MemoryReservationIsMemoryLow) {
  ResourceLimits limits;
  limits.memory_reservation_bytes = 64ULL << 20;
  EXPECT_EQ(describe(cgroup_v2_knobs(limits, false)), (Knobs{":memory.low=67108864"}));
  limits.memory_bytes = k256MiB;
  EXPECT_EQ(describe(cgroup_v2_knobs(limits, true)),
            (Knobs{":memory.max=268435456", ":memory.swap.max=0", ":memory.low=67108864"}));
}

// The values runc and crun compute (libcontainer/cgroups ConvertCPUSharesToCgroupV2Value).
TEST(CpuWeightFromShares, MatchesRunc) {
  EXPECT_EQ(cpu_weight_from_shares(2), 1u);
  EXPECT_EQ(cpu_weight_from_shares(3), 1u);
  EXPECT_EQ(cpu_weight_from_shares(100), 4u);
  EXPECT_EQ(cpu_weight_from_shares(500), 19u);
  EXPECT_EQ(cpu_weight_from_shares(1024), 39u);
  EXPECT_EQ(cpu_weight_from_shares(2048), 79u);
  EXPECT_EQ(cpu_weight_from_shares(131073), 5000u);
  EXPECT_EQ(cpu_weight_from_shares(262143), 9999u);
  EXPECT_EQ(cpu_weight_from_shares(262144), 10000u);
}

TEST(CpuWeightFromShares, ClampsOutOfRangeShares) {
  EXPECT_EQ(cpu_weight_from_shares(0), 1u);
  EXPECT_EQ(cpu_weight_from_shares(1), 1u);
  EXPECT_EQ(cpu_weight_from_shares(262145), 10000u);
  EXPECT_EQ(cpu_weight_from_shares(UINT64_MAX), 10000u);
}

TEST(CgroupKnobs, PeriodIsTheKernelDefault) {
  EXPECT_EQ(kCpuPeriodMicros, 100000u);
}

TEST(CgroupGroupName, IsPerRootThenPot) {
  EXPECT_EQ(cgroup_group_name("1a2b3c4d", "web"), "pot-1a2b3c4d/web");
}

}  // namespace
}  // namespace pot
