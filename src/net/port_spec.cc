#include "net/port_spec.h"

#include <charconv>
#include <sstream>

#include "core/error.h"

namespace pot::net {

namespace {

uint16_t parse_port(const std::string& text, const std::string& spec) {
  auto port = parse_port_number(text);
  if (!port)
    throw Error("invalid port export " + quote_name(spec) + ": " + quote_name(text) +
                " is not a port number (1-65535)");
  return *port;
}

}  // namespace

std::optional<uint16_t> parse_port_number(const std::string& text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0 ||
      value > 65535)
    return std::nullopt;
  return static_cast<uint16_t>(value);
}

PortExport PortExport::parse(const std::string& spec) {
  PortExport result;
  std::string rest = spec;
  for (const char* protocol : {"tcp", "udp"}) {
    std::string prefix = std::string(protocol) + ":";
    if (rest.rfind(prefix, 0) == 0) {
      result.protocol = protocol;
      rest = rest.substr(prefix.size());
      break;  // one protocol at most
    }
  }
  size_t colon = rest.find(':');
  result.pot_port = parse_port(rest.substr(0, colon), spec);
  if (colon != std::string::npos) result.host_port = parse_port(rest.substr(colon + 1), spec);
  return result;
}

std::string PortExport::str() const {
  std::string text = protocol + ":" + std::to_string(pot_port);
  if (host_port) text += ":" + std::to_string(*host_port);
  return text;
}

std::vector<PortExport> parse_port_exports(const std::string& list) {
  std::vector<PortExport> exports;
  std::istringstream words(list);
  std::string word;
  while (words >> word) exports.push_back(PortExport::parse(word));
  return exports;
}

std::string format_port_exports(const std::vector<PortExport>& exports) {
  std::string text;
  for (const auto& port : exports) text += (text.empty() ? "" : " ") + port.str();
  return text;
}

}  // namespace pot::net
