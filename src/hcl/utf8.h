// UTF-8 helpers for the string functions, which count and cut in characters (code points),
// not bytes. Invalid bytes are taken one by one as U+FFFD so that no input fails. Internal.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hcl/unicode.h"

namespace hcl::detail {

// The lexer's (hcl/unicode.h), so that both agree on what a space is.
using hcl::append_utf8;
using hcl::is_unicode_space;

std::vector<char32_t> decode_utf8(std::string_view text);
std::string encode_utf8(const std::vector<char32_t>& code_points);

// Byte offsets of each character's start, plus text.size() at the end.
std::vector<std::size_t> character_offsets(std::string_view text);

// Byte offsets of each user-perceived character (grapheme cluster) plus text.size(), as cty
// counts for strlen, substr and reverse. An approximation of UAX #29 without its tables:
// combining marks, variation selectors, emoji modifiers and tags extend the character before
// them, a zero-width joiner joins its neighbours, regional indicators pair into flags, and
// CR LF is one.
std::vector<std::size_t> grapheme_offsets(std::string_view text);

// Simple case mapping: ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic.
char32_t to_upper(char32_t c);
char32_t to_lower(char32_t c);
bool is_letter(char32_t c);

}  // namespace hcl::detail
