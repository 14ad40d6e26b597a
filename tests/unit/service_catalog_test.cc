// The service catalog: instances and their checks, one index that moves on each change,
// and observers that see every change in order.
#include "agent/services/service_catalog.h"

#include <gtest/gtest.h>

#include <thread>

namespace pot::agent {
namespace {

using std::chrono::milliseconds;

ServiceInstance web(const std::string& id, const std::string& alloc = "a1") {
  ServiceInstance instance;
  instance.id = id;
  instance.name = "web";
  instance.port = 8080;
  instance.alloc_id = alloc;
  instance.task = "server";
  return instance;
}

CheckDefinition tcp_check(const std::string& id) {
  CheckDefinition check;
  check.id = id;
  check.name = "tcp";
  check.type = "tcp";
  return check;
}

TEST(ServiceCatalogTest, RegisterKeepsKnownCheckStatusesAndDropsUnlisted) {
  ServiceCatalog catalog(CatalogNode{});
  uint64_t empty = catalog.index();
  catalog.register_instance(web("w1"), {tcp_check("c1"), tcp_check("c2")});
  EXPECT_GT(catalog.index(), empty);
  EXPECT_EQ(catalog.check("c1")->status, CheckStatus::kCritical) << "new checks are critical";
  EXPECT_EQ(catalog.check("c1")->definition.instance_id, "w1");
  ASSERT_TRUE(catalog.update_check("c1", CheckStatus::kPassing, "ok"));

  ServiceInstance changed = web("w1");
  changed.tags = {"v2"};
  catalog.register_instance(changed, {tcp_check("c1")});
  EXPECT_EQ(catalog.check("c1")->status, CheckStatus::kPassing);
  EXPECT_EQ(catalog.check("c1")->output, "ok");
  EXPECT_FALSE(catalog.check("c2")) << "a check no longer listed goes";
  EXPECT_EQ(catalog.instance("w1")->tags, std::vector<std::string>{"v2"});
  EXPECT_LT(catalog.instance("w1")->create_index, catalog.instance("w1")->modify_index);
}

TEST(ServiceCatalogTest, AggregateIsTheWorstCheck) {
  ServiceCatalog catalog(CatalogNode{});
  catalog.register_instance(web("w1"), {tcp_check("c1"), tcp_check("c2")});
  catalog.register_instance(web("w2"), {});
  EXPECT_EQ(catalog.aggregate_status("w2"), CheckStatus::kPassing) << "no checks: passing";
  catalog.update_check("c1", CheckStatus::kPassing, "");
  EXPECT_EQ(catalog.aggregate_status("w1"), CheckStatus::kCritical);
  catalog.update_check("c2", CheckStatus::kWarning, "");
  EXPECT_EQ(catalog.aggregate_status("w1"), CheckStatus::kWarning);
  catalog.update_check("c2", CheckStatus::kPassing, "");
  EXPECT_EQ(catalog.aggregate_status("w1"), CheckStatus::kPassing);
}

TEST(ServiceCatalogTest, OnlyAStatusChangeMovesTheIndex) {
  ServiceCatalog catalog(CatalogNode{});
  catalog.register_instance(web("w1"), {tcp_check("c1")});
  catalog.update_check("c1", CheckStatus::kPassing, "ok");
  uint64_t index = catalog.index();
  EXPECT_TRUE(catalog.update_check("c1", CheckStatus::kPassing, "ok"));
  EXPECT_EQ(catalog.index(), index);
  EXPECT_TRUE(catalog.update_check("c1", CheckStatus::kPassing, "ok at 12:00:01"));
  EXPECT_EQ(catalog.index(), index) << "an output-only change wakes no blocking query";
  EXPECT_EQ(catalog.check("c1")->output, "ok at 12:00:01") << "but is there to read";
  EXPECT_FALSE(catalog.update_check("gone", CheckStatus::kPassing, "ok"));
}

TEST(ServiceCatalogTest, DeregisterAllocRemovesItsInstancesAndChecks) {
  ServiceCatalog catalog(CatalogNode{});
  catalog.register_instance(web("w1", "a1"), {tcp_check("c1")});
  catalog.register_instance(web("w2", "a2"), {tcp_check("c2")});
  catalog.deregister_alloc("a1");
  EXPECT_FALSE(catalog.instance("w1"));
  EXPECT_FALSE(catalog.check("c1"));
  EXPECT_EQ(catalog.instances_named("web").size(), 1u);
  EXPECT_FALSE(catalog.deregister_instance("w1"));
  EXPECT_TRUE(catalog.deregister_instance("w2"));
  EXPECT_TRUE(catalog.instances().empty());
  EXPECT_TRUE(catalog.checks().empty());
}

TEST(ServiceCatalogTest, WaitForIndexReturnsOnAChange) {
  ServiceCatalog catalog(CatalogNode{});
  uint64_t index = catalog.index();
  EXPECT_EQ(catalog.wait_for_index(index, milliseconds(20)), index) << "times out unchanged";
  std::thread writer([&] { catalog.register_instance(web("w1"), {}); });
  EXPECT_GT(catalog.wait_for_index(index, milliseconds(10'000)), index);
  writer.join();
}

TEST(ServiceCatalogTest, ObserversSeeEveryChangeInOrder) {
  ServiceCatalog catalog(CatalogNode{});
  std::vector<std::string> seen;
  int subscription = catalog.subscribe([&](const CatalogEvent& event) {
    switch (event.kind) {
      case CatalogEvent::Kind::kInstanceRegistered:
        seen.push_back("+" + event.instance_id);
        break;
      case CatalogEvent::Kind::kInstanceDeregistered:
        seen.push_back("-" + event.instance_id);
        break;
      case CatalogEvent::Kind::kCheckAdded:
        seen.push_back("+" + event.check_id);
        break;
      case CatalogEvent::Kind::kCheckRemoved:
        seen.push_back("-" + event.check_id);
        break;
      case CatalogEvent::Kind::kCheckResult:
        seen.push_back(event.check_id + "=" + check_status_name(event.status));
        break;
    }
  });
  catalog.register_instance(web("w1"), {tcp_check("c1")});
  catalog.update_check("c1", CheckStatus::kPassing, "");
  catalog.update_check("c1", CheckStatus::kPassing, "");
  catalog.deregister_instance("w1");
  catalog.unsubscribe(subscription);
  catalog.register_instance(web("w2"), {});
  EXPECT_EQ(seen,
            (std::vector<std::string>{"+w1", "+c1", "c1=passing", "c1=passing", "-c1", "-w1"}));
}

TEST(ServiceCatalogTest, StatusNames) {
  for (auto status : {CheckStatus::kPassing, CheckStatus::kWarning, CheckStatus::kCritical})
    EXPECT_EQ(parse_check_status(check_status_name(status)), status);
  EXPECT_FALSE(parse_check_status("unknown"));
}

}  // namespace
}  // namespace pot::agent
