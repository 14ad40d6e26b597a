// Sizes as users write them: 512, 64K, 256M, 1G, 2T (binary multiples, as rctl and the
// original pot read them). Anything else is an error naming the input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pot {

uint64_t parse_size(std::string_view text);
std::string format_size(uint64_t bytes);  // 268435456 -> "256M"

}  // namespace pot
