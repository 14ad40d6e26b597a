// The little of Unicode the HCL lexer needs: UTF-8 decoding and validation, which code points
// may form identifiers, and which count as white space for strip markers and `<<-` heredocs.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hcl {

// The code point starting at `text[at]` and its length in bytes. The text must be valid
// UTF-8 (see first_invalid_utf8); `at` must be inside it.
struct DecodedChar {
  char32_t code_point;
  std::size_t length;
};
DecodedChar decode_utf8(std::string_view text, std::size_t at);

// The offset of the first byte that does not begin a valid, shortest-form UTF-8 sequence of
// a scalar value (no surrogates, nothing above U+10FFFF); npos when the text is valid.
std::size_t first_invalid_utf8(std::string_view text);

// Appends the UTF-8 encoding of a scalar value.
void append_utf8(std::string& out, char32_t code_point);

// Identifiers: ID_Start (or `_`) then ID_Continue or `-`. Letters and digits of ASCII are
// exact; beyond ASCII every code point that is not white space, punctuation of the
// "General Punctuation" or Latin-1 blocks, or a quotation mark counts as a letter — close to
// UAX #31 without its tables (HCL's identifiers are ASCII in practice).
bool is_identifier_start(char32_t c);
bool is_identifier_continue(char32_t c);

// Unicode's White_Space property (Go's unicode.IsSpace), which strip markers trim.
bool is_unicode_space(char32_t c);

// The text without leading / trailing white space (is_unicode_space).
std::string_view trim_space_left(std::string_view text);
std::string_view trim_space_right(std::string_view text);

// Code points in the text (a column count).
std::size_t count_code_points(std::string_view text);

}  // namespace hcl
