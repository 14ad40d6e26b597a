#include "runtime/cgroup_stats.h"

#include <gtest/gtest.h>

namespace pot {
namespace {

// Abridged from a Linux 6.x cgroup v1 memory group.
constexpr const char* kV1MemoryStat =
    "cache 11227136\nrss 4530176\nswap 0\n"
    "total_cache 1455366144\ntotal_rss 654176256\ntotal_rss_huge 0\ntotal_swap 4096\n";

TEST(CgroupV1Stats, ReadsEveryFile) {
  CgroupV1StatFiles files;
  files.memory_stat = kV1MemoryStat;
  files.memory_usage = "2109542400\n";
  files.memory_max_usage = "3000000000\n";
  files.memory_kmem_usage = "52428800\n";
  files.cpuacct_usage = "2669961000\n";
  files.cpuacct_usage_user = "1894562000\n";
  files.cpuacct_usage_sys = "775398000\n";
  files.cpuacct_stat = "user 1\nsystem 2\n";  // ignored: the ns files are there
  files.cpu_stat = "nr_periods 40\nnr_throttled 7\nthrottled_time 123456789\n";
  CgroupStats s = cgroup_v1_stats(files, 100);
  EXPECT_EQ(s.memory_rss, 654176256U) << "the total_ keys, not the group's own";
  EXPECT_EQ(s.memory_cache, 1455366144U);
  EXPECT_EQ(s.memory_swap, 4096U);
  EXPECT_EQ(s.memory_usage, 2109542400U);
  EXPECT_EQ(s.memory_max_usage, 3000000000U);
  EXPECT_EQ(s.memory_kernel_usage, 52428800U);
  EXPECT_EQ(s.cpu_total_ns, 2669961000U);
  EXPECT_EQ(s.cpu_user_ns, 1894562000U);
  EXPECT_EQ(s.cpu_system_ns, 775398000U);
  EXPECT_EQ(s.cpu_throttled_periods, 7U);
  EXPECT_EQ(s.cpu_throttled_ns, 123456789U);
}

TEST(CgroupV1Stats, TicksOfUserHzWithoutTheNanosecondFiles) {
  CgroupV1StatFiles files;
  files.cpuacct_stat = "user 150\nsystem 25\n";
  CgroupStats s = cgroup_v1_stats(files, 100);
  EXPECT_EQ(s.cpu_user_ns, 1500000000U);
  EXPECT_EQ(s.cpu_system_ns, 250000000U);
  EXPECT_FALSE(s.cpu_total_ns);
}

TEST(CgroupV1Stats, MissingFilesLeaveNumbersUnset) {
  CgroupStats s = cgroup_v1_stats(CgroupV1StatFiles{}, 100);
  EXPECT_FALSE(s.memory_rss);
  EXPECT_FALSE(s.memory_cache);
  EXPECT_FALSE(s.memory_swap);
  EXPECT_FALSE(s.memory_usage);
  EXPECT_FALSE(s.memory_max_usage);
  EXPECT_FALSE(s.memory_kernel_usage);
  EXPECT_FALSE(s.cpu_total_ns);
  EXPECT_FALSE(s.cpu_user_ns);
  EXPECT_FALSE(s.cpu_system_ns);
  EXPECT_FALSE(s.cpu_throttled_periods);
  EXPECT_FALSE(s.cpu_throttled_ns);
}

TEST(CgroupV1Stats, AGarbledSingleValueIsUnset) {
  CgroupV1StatFiles files;
  files.memory_usage = "lots\n";
  files.memory_max_usage = "";
  EXPECT_FALSE(cgroup_v1_stats(files, 100).memory_usage);
  EXPECT_FALSE(cgroup_v1_stats(files, 100).memory_max_usage);
}

TEST(CgroupV2Stats, ReadsEveryFile) {
  CgroupV2StatFiles files;
  files.memory_stat = "anon 1048576\nfile 2097152\nkernel 65536\nkernel_stack 16384\n";
  files.memory_current = "3211264\n";
  files.memory_peak = "4194304\n";
  files.memory_swap_current = "8192\n";
  files.cpu_stat =
      "usage_usec 26437\nuser_usec 18759\nsystem_usec 7678\nnr_periods 10\n"
      "nr_throttled 3\nthrottled_usec 4500\n";
  CgroupStats s = cgroup_v2_stats(files);
  EXPECT_EQ(s.memory_rss, 1048576U);
  EXPECT_EQ(s.memory_cache, 2097152U);
  EXPECT_EQ(s.memory_kernel_usage, 65536U);
  EXPECT_EQ(s.memory_usage, 3211264U);
  EXPECT_EQ(s.memory_max_usage, 4194304U);
  EXPECT_EQ(s.memory_swap, 8192U);
  EXPECT_EQ(s.cpu_total_ns, 26437000U);
  EXPECT_EQ(s.cpu_user_ns, 18759000U);
  EXPECT_EQ(s.cpu_system_ns, 7678000U);
  EXPECT_EQ(s.cpu_throttled_periods, 3U);
  EXPECT_EQ(s.cpu_throttled_ns, 4500000U);
}

TEST(CgroupV2Stats, AHybridUnifiedTreeHasOnlyCpuUsage) {
  CgroupV2StatFiles files;
  files.cpu_stat = "usage_usec 10\nuser_usec 6\nsystem_usec 4\nnice_usec 0\n";
  CgroupStats s = cgroup_v2_stats(files);
  EXPECT_EQ(s.cpu_total_ns, 10000U);
  EXPECT_EQ(s.cpu_user_ns, 6000U);
  EXPECT_EQ(s.cpu_system_ns, 4000U);
  EXPECT_FALSE(s.cpu_throttled_periods) << "no cpu controller: not measured, not zero";
  EXPECT_FALSE(s.memory_rss);
  EXPECT_FALSE(s.memory_usage);
  EXPECT_FALSE(s.memory_max_usage);
}

TEST(OomKills, V2MemoryEventsAndV1OomControl) {
  EXPECT_EQ(oom_kills_from_text("low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n"),
            1U);
  EXPECT_EQ(oom_kills_from_text("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"), 3U);
  EXPECT_EQ(oom_kills_from_text("oom_kill_disable 0\nunder_oom 0\n"), 0U) << "before 4.13";
  EXPECT_EQ(oom_kills_from_text(""), 0U);
}

}  // namespace
}  // namespace pot
