// The node fingerprint of this machine and Nomad's Node documents.
#include <gtest/gtest.h>

#include "agent/scheduler/node.h"

namespace {

using pot::agent::fingerprint_node;
using pot::agent::NodeInfo;

NodeInfo fingerprinted() {
  NodeInfo base;
  base.id = "6b1c0a6e-0000-4000-8000-000000000001";
  base.name = "box";
  base.datacenter = "dc7";
  base.reserved_cpu_mhz = 100;
  base.reserved_memory_mb = 256;
  base.http_address = "127.0.0.1:4646";
  return fingerprint_node(base);
}

TEST(NodeFingerprint, ThisMachineHasCpuMemoryAndNomadAttributes) {
  const NodeInfo node = fingerprinted();
  EXPECT_GT(node.cpu_mhz, 0);
  EXPECT_GT(node.memory_mb, 0);
  EXPECT_EQ(node.attributes.at("kernel.name"), "linux");
  EXPECT_FALSE(node.attributes.at("kernel.version").empty());
  EXPECT_FALSE(node.attributes.at("os.name").empty());
  const std::string arch = node.attributes.at("cpu.arch");
  EXPECT_NE(arch, "x86_64");  // Go's name: amd64
  EXPECT_GT(std::stoi(node.attributes.at("cpu.numcores")), 0);
  EXPECT_EQ(std::stoll(node.attributes.at("cpu.totalcompute")), node.cpu_mhz);
  EXPECT_EQ(std::stoll(node.attributes.at("cpu.numcores")) *
                std::stoll(node.attributes.at("cpu.frequency")),
            node.cpu_mhz);
  EXPECT_EQ(std::stoll(node.attributes.at("memory.totalbytes")), node.memory_mb * 1024 * 1024);
  EXPECT_FALSE(node.attributes.at("unique.hostname").empty());
  EXPECT_EQ(node.attributes.at("unique.network.ip-address"), "127.0.0.1");
  EXPECT_EQ(node.attributes.at("driver.pot"), "1");
  EXPECT_EQ(node.attributes.at("nomad.version"), "potd");
}

TEST(NodeFingerprint, KeepsWhatTheCallerSet) {
  NodeInfo base;
  base.id = "id-1";
  base.name = "box";
  base.datacenter = "dc7";
  base.reserved_memory_mb = 256;
  base.attributes["unique.network.ip-address"] = "192.0.2.10";
  const NodeInfo node = fingerprint_node(base);
  EXPECT_EQ(node.id, "id-1");
  EXPECT_EQ(node.name, "box");
  EXPECT_EQ(node.datacenter, "dc7");
  EXPECT_EQ(node.reserved_memory_mb, 256);
  EXPECT_EQ(node.attributes.at("unique.network.ip-address"), "192.0.2.10");
}

TEST(NodeJson, HasNomadsNodeShape) {
  const NodeInfo node = fingerprinted();
  const auto json = pot::agent::node_json(node, 3, 9);
  EXPECT_EQ(json["ID"], node.id);
  EXPECT_EQ(json["Name"], "box");
  EXPECT_EQ(json["Datacenter"], "dc7");
  EXPECT_EQ(json["NodePool"], "default");
  EXPECT_EQ(json["HTTPAddr"], "127.0.0.1:4646");
  EXPECT_EQ(json["Status"], "ready");
  EXPECT_EQ(json["SchedulingEligibility"], "eligible");
  EXPECT_EQ(json["Drain"], false);
  EXPECT_EQ(json["Drivers"]["pot"]["Detected"], true);
  EXPECT_EQ(json["Drivers"]["pot"]["Healthy"], true);
  EXPECT_EQ(json["Attributes"]["kernel.name"], "linux");
  EXPECT_EQ(json["NodeResources"]["Cpu"]["CpuShares"], node.cpu_mhz);
  EXPECT_EQ(json["NodeResources"]["Memory"]["MemoryMB"], node.memory_mb);
  EXPECT_EQ(json["ReservedResources"]["Cpu"]["CpuShares"], 100);
  EXPECT_EQ(json["ReservedResources"]["Memory"]["MemoryMB"], 256);
  EXPECT_EQ(json["CreateIndex"], 3);
  EXPECT_EQ(json["ModifyIndex"], 9);
}

TEST(NodeJson, StubHasTheListFields) {
  const NodeInfo node = fingerprinted();
  const auto stub = pot::agent::node_stub_json(node, 3, 9);
  for (const char* field : {"Address", "ID", "Datacenter", "Name", "NodeClass", "NodePool",
                            "Version", "Drain", "SchedulingEligibility", "Status",
                            "StatusDescription", "Drivers", "CreateIndex", "ModifyIndex"}) {
    EXPECT_TRUE(stub.contains(field)) << field;
  }
  EXPECT_EQ(stub["Address"], "127.0.0.1");
  EXPECT_EQ(stub["Version"], "potd");
  EXPECT_EQ(stub["Status"], "ready");
}

}  // namespace
