// The record of what a pot's start made on the network: it must read back what was written,
// and a damaged one must still let the pot be stopped.
#include <gtest/gtest.h>

#include "net/ip_address.h"
#include "pot/network.h"

namespace pot {
namespace {

net::PortForward forward(const std::string& protocol, uint16_t host, const std::string& ip,
                         uint16_t port) {
  return net::PortForward{protocol, host, net::IpAddress::parse(ip), port};
}

TEST(NetworkRecord, ReadsBackWhatItWrote) {
  NetworkRecord record{
      {forward("tcp", 3000, "10.192.0.5", 80), forward("udp", 53, "fd00:504f:5400::5", 5353)}};
  NetworkRecord back = NetworkRecord::parse(record.format());
  EXPECT_EQ(back.forwards, record.forwards);
  EXPECT_EQ(NetworkRecord::parse("").forwards.size(), 0U);
}

TEST(NetworkRecord, SkipsDamagedPartsAndKeepsTheRest) {
  NetworkRecord record = NetworkRecord::parse(
      "fwd=tcp/x/10.0.0.1/80;fwd=sctp/1/10.0.0.1/2;fwd=tcp/70000/10.0.0.1/80;"
      "fwd=tcp/1/not-an-ip/2;fwd=;garbage;fwd=udp/8053/10.0.0.2/53");
  ASSERT_EQ(record.forwards.size(), 1U);
  EXPECT_EQ(record.forwards[0], forward("udp", 8053, "10.0.0.2", 53));
}

}  // namespace
}  // namespace pot
