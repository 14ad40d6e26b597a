// Decimal numbers read from files and settings. Every parse names what it read and where, so
// a bad value is reported as `pot.rss.cpus` in `/opt/pot/jails/web/conf/pot.conf`: `two` is
// not a number, never as a bare "stoull".
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace pot {

// The whole of `text` as an unsigned decimal number (no sign, no spaces, no suffix), or
// nullopt when it is not one or does not fit.
std::optional<uint64_t> to_unsigned(std::string_view text);

// As to_unsigned, but throws Error("invalid <what>: `text` is not a number", or "is too
// large") otherwise.
// `what` names the key and the file, e.g. "`pot.rss.cpus` in `/x/conf/pot.conf`".
uint64_t parse_unsigned(std::string_view text, std::string_view what);

}  // namespace pot
