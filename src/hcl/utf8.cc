// UTF-8 decoding and the small case tables the string functions need.
#include "hcl/utf8.h"

namespace hcl::detail {

namespace {

// The length of the sequence starting at text[i], or 0 when it is not valid UTF-8.
std::size_t sequence_length(std::string_view text, std::size_t i, char32_t& code_point) {
  const auto lead = static_cast<unsigned char>(text[i]);
  std::size_t length = 0;
  char32_t value = 0;
  if (lead < 0x80) {
    code_point = lead;
    return 1;
  }
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    value = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    value = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    value = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xC0) != 0x80) return 0;
    value = (value << 6) | (next & 0x3F);
  }
  static constexpr char32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (value < kMinimum[length] || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    return 0;
  }
  code_point = value;
  return length;
}

}  // namespace

std::vector<char32_t> decode_utf8(std::string_view text) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    char32_t c = 0;
    const std::size_t length = sequence_length(text, i, c);
    out.push_back(length == 0 ? U'\uFFFD' : c);
    i += length == 0 ? 1 : length;
  }
  return out;
}

std::vector<std::size_t> character_offsets(std::string_view text) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < text.size();) {
    out.push_back(i);
    char32_t c = 0;
    const std::size_t length = sequence_length(text, i, c);
    i += length == 0 ? 1 : length;
  }
  out.push_back(text.size());
  return out;
}

namespace {

bool extends_previous(char32_t c) {
  struct Range {
    char32_t first;
    char32_t last;
  };
  // Combining marks of the common scripts, variation selectors, emoji modifiers and tags.
  static constexpr Range kExtenders[] = {
      {0x0300, 0x036F}, {0x0483, 0x0489},   {0x0591, 0x05BD},   {0x05BF, 0x05BF},
      {0x05C1, 0x05C2}, {0x05C4, 0x05C5},   {0x05C7, 0x05C7},   {0x0610, 0x061A},
      {0x064B, 0x065F}, {0x0670, 0x0670},   {0x06D6, 0x06DC},   {0x06DF, 0x06E4},
      {0x06E7, 0x06E8}, {0x06EA, 0x06ED},   {0x0900, 0x0903},   {0x093A, 0x094F},
      {0x0951, 0x0957}, {0x0962, 0x0963},   {0x0E31, 0x0E31},   {0x0E34, 0x0E3A},
      {0x0E47, 0x0E4E}, {0x1AB0, 0x1AFF},   {0x1DC0, 0x1DFF},   {0x200C, 0x200D},
      {0x20D0, 0x20FF}, {0x302A, 0x302F},   {0x3099, 0x309A},   {0xFE00, 0xFE0F},
      {0xFE20, 0xFE2F}, {0x1F3FB, 0x1F3FF}, {0xE0020, 0xE007F}, {0xE0100, 0xE01EF},
  };
  for (const Range& range : kExtenders) {
    if (c >= range.first && c <= range.last) return true;
  }
  return false;
}

bool is_regional_indicator(char32_t c) {
  return c >= 0x1F1E6 && c <= 0x1F1FF;
}

}  // namespace

std::vector<std::size_t> grapheme_offsets(std::string_view text) {
  std::vector<std::size_t> out;
  char32_t previous = 0;
  bool previous_pairs = false;  // a regional indicator waiting for its second half
  for (std::size_t i = 0; i < text.size();) {
    char32_t c = 0;
    std::size_t length = sequence_length(text, i, c);
    if (length == 0) {
      length = 1;
      c = 0xFFFD;
    }
    const bool joins = !out.empty() && (extends_previous(c) || previous == 0x200D ||
                                        (previous == '\r' && c == '\n') ||
                                        (previous_pairs && is_regional_indicator(c)));
    if (!joins) out.push_back(i);
    previous_pairs = is_regional_indicator(c) && !(joins && previous_pairs);
    previous = c;
    i += length;
  }
  out.push_back(text.size());
  return out;
}

std::string encode_utf8(const std::vector<char32_t>& code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (char32_t c : code_points) append_utf8(out, c);
  return out;
}

char32_t to_upper(char32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if ((c >= 0xE0 && c <= 0xFE && c != 0xF7)) return c - 32;  // Latin-1
  if (c >= 0x100 && c <= 0x17F && c != 0x131 && c != 0x138 && c != 0x149 && c != 0x178 &&
      c != 0x17F) {  // Latin Extended-A: pairs of upper and lower
    const bool lower_is_even = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    if (lower_is_even ? (c % 2 == 0) : (c % 2 == 1)) return c - 1;
    return c;
  }
  if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) return c - 32;  // Greek
  if (c >= 0x430 && c <= 0x44F) return c - 32;                // Cyrillic
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  return c;
}

char32_t to_lower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x138 && c != 0x149 && c != 0x178 &&
      c != 0x17F) {
    const bool lower_is_even = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    if (lower_is_even ? (c % 2 == 1) : (c % 2 == 0)) return c + 1;
    return c;
  }
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  return c;
}

bool is_letter(char32_t c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  if (c < 0xC0) return false;
  return c != 0xD7 && c != 0xF7 && to_upper(c) != to_lower(c);
}

}  // namespace hcl::detail
