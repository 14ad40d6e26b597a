// Constraints and datacenters: a node that fails one places nothing, and the failure
// names the constraint as Nomad's ConstraintFiltered does.
#include <gtest/gtest.h>

#include "scheduler_test_util.h"

namespace {

using namespace scheduler_test;

std::string constraint(const std::string& attribute, const std::string& op,
                       const std::string& value) {
  std::string text = "constraint {\n attribute = \"" + attribute + "\"\n";
  if (!op.empty()) text += " operator = \"" + op + "\"\n";
  if (!value.empty()) text += " value = \"" + value + "\"\n";
  return text + "}\n";
}

// Whether a one-allocation job with `job_constraint` places on the test node.
bool places_with(const std::string& job_constraint) {
  World world;
  world.submit(web_job(1, "", "", job_constraint));
  return world.plan().place.size() == 1;
}

TEST(SchedulerConstraints, FailedConstraintIsNamedInTheMetric) {
  World world;
  world.submit(web_job(2, "", "", constraint("${attr.kernel.name}", "", "windows")));
  const Plan plan = world.plan();
  EXPECT_TRUE(plan.place.empty());
  EXPECT_EQ(plan.queued.at("web"), 2);
  const Json& metric = plan.failed_tg_allocs.at("web");
  EXPECT_EQ(metric["NodesEvaluated"], 1);
  EXPECT_EQ(metric["NodesFiltered"], 1);
  EXPECT_EQ(metric["ConstraintFiltered"], Json({{"${attr.kernel.name} = windows", 1}}));
  EXPECT_EQ(metric["CoalescedFailures"], 1);
}

TEST(SchedulerConstraints, GroupAndTaskConstraintsCountToo) {
  World world;
  world.submit(web_job(1, constraint("${meta.rack}", "", "r2"), ""));
  const Plan plan = world.plan();
  EXPECT_TRUE(plan.place.empty());
  EXPECT_EQ(plan.failed_tg_allocs.at("web")["ConstraintFiltered"],
            Json({{"${meta.rack} = r2", 1}}));

  World group_level;
  group_level.submit(web_job(1, "", constraint("${node.datacenter}", "!=", "dc1")));
  EXPECT_TRUE(group_level.plan().place.empty());
}

TEST(SchedulerConstraints, OperatorsFollowNomad) {
  EXPECT_TRUE(places_with(constraint("${attr.kernel.name}", "=", "linux")));
  EXPECT_TRUE(places_with(constraint("${attr.kernel.name}", "!=", "windows")));
  EXPECT_TRUE(places_with(constraint("${attr.missing}", "!=", "x")));
  EXPECT_FALSE(places_with(constraint("${attr.missing}", "=", "x")));
  EXPECT_TRUE(places_with(constraint("${node.unique.name}", "=", "potd")));
  EXPECT_TRUE(places_with(constraint("${attr.cpu.arch}", "regexp", "^(amd|arm)64$")));
  EXPECT_FALSE(places_with(constraint("${attr.cpu.arch}", "regexp", "^arm")));
  EXPECT_TRUE(places_with(constraint("${attr.kernel.version}", "version", ">= 5.10, < 7")));
  EXPECT_FALSE(places_with(constraint("${attr.kernel.version}", "version", "< 5.10")));
  EXPECT_TRUE(places_with(constraint("${attr.kernel.version}", "semver", "~> 6.1")));
  EXPECT_TRUE(places_with(constraint("${attr.kernel.version}", ">", "5.15")));  // lexical
  EXPECT_TRUE(places_with(constraint("${meta.rack}", "set_contains_any", "r0,r1")));
  EXPECT_FALSE(places_with(constraint("${meta.rack}", "set_contains", "r1,r2")));
  EXPECT_TRUE(places_with(constraint("${meta.rack}", "is_set", "")));
  EXPECT_TRUE(places_with(constraint("${meta.zone}", "is_not_set", "")));
  EXPECT_FALSE(places_with(constraint("${meta.rack}", "is_not_set", "")));
}

TEST(SchedulerConstraints, NumbersCompareAsNumbers) {
  World world;
  world.node.attributes["cpu.numcores"] = "16";
  world.submit(web_job(1, "", "", constraint("${attr.cpu.numcores}", ">=", "4")));
  EXPECT_EQ(world.plan().place.size(), 1u);  // lexically "16" < "4"
}

TEST(SchedulerConstraints, DistinctHostsAllowsOneAllocationOnTheNode) {
  World world;
  world.submit(
      web_job(2, "", "", "constraint {\n operator = \"distinct_hosts\"\n value = \"true\"\n}"));
  const Plan plan = world.plan();
  EXPECT_EQ(plan.place.size(), 1u);
  EXPECT_EQ(plan.failed_tg_allocs.at("web")["ConstraintFiltered"], Json({{"distinct_hosts", 1}}));
}

TEST(SchedulerConstraints, DatacenterMismatchPlacesNothing) {
  World world;
  world.submit(web_job(1, "", "", "datacenters = [\"dc2\"]"));
  const Plan plan = world.plan();
  EXPECT_TRUE(plan.place.empty());
  EXPECT_EQ(plan.queued.at("web"), 1);
  const Json& metric = plan.failed_tg_allocs.at("web");
  EXPECT_EQ(metric["NodesEvaluated"], 0);
  EXPECT_EQ(metric["NodesAvailable"], Json({{"dc2", 0}}));

  World glob;
  glob.submit(web_job(1, "", "", "datacenters = [\"d*\"]"));
  EXPECT_EQ(glob.plan().place.size(), 1u);
}

}  // namespace
