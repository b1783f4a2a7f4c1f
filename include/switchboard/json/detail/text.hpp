#pragma once
// Byte-level helpers shared by the reader and the writer: eight bytes at a time where it pays.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sb::json::detail {

inline std::uint64_t load8(const char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, 8);
  return word;
}

inline std::uint32_t load4(const char* p) {
  std::uint32_t word;
  std::memcpy(&word, p, 4);
  return word;
}

// Equality of two short byte runs (names, keys) with overlapping loads instead of a memcmp call.
inline bool same_bytes(const char* a, const char* b, std::size_t n) {
  if (n >= 8) {
    if (n > 16) return std::memcmp(a, b, n) == 0;
    return load8(a) == load8(b) && load8(a + n - 8) == load8(b + n - 8);
  }
  if (n >= 4) return load4(a) == load4(b) && load4(a + n - 4) == load4(b + n - 4);
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

inline constexpr std::uint64_t repeat_byte(std::uint8_t b) { return 0x0101010101010101ull * b; }

// High bit set in each byte of `word` equal to b (exact, no false positives).
inline std::uint64_t bytes_equal(std::uint64_t word, std::uint8_t b) {
  const std::uint64_t x = word ^ repeat_byte(b);
  return ~(((x & repeat_byte(0x7f)) + repeat_byte(0x7f)) | x) & repeat_byte(0x80);
}

// High bit set in each byte that needs attention inside a JSON string: '"', '\\', a control
// character (< 0x20) or a non-ASCII byte (UTF-8 to validate).
inline std::uint64_t string_specials(std::uint64_t word) {
  const std::uint64_t below_space = (word - repeat_byte(0x20)) & ~word & repeat_byte(0x80);
  return bytes_equal(word, '"') | bytes_equal(word, '\\') | below_space | (word & repeat_byte(0x80));
}

inline unsigned first_marked_byte(std::uint64_t mask) {
  return static_cast<unsigned>(__builtin_ctzll(mask)) / 8;  // little-endian: low byte comes first
}

inline constexpr bool is_whitespace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
inline constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

inline constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the valid UTF-8 sequence at p (p < end, *p >= 0x80), or 0 when it is invalid
// (overlong forms, surrogates and code points past U+10FFFF included).
inline unsigned utf8_sequence_length(const unsigned char* p, const unsigned char* end) {
  const unsigned char lead = p[0];
  const auto continuation = [&](unsigned i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return p + i < end && p[i] >= lo && p[i] <= hi;
  };
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead == 0xE0) return continuation(1, 0xA0) && continuation(2) ? 3 : 0;
  if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF)
    return continuation(1) && continuation(2) ? 3 : 0;
  if (lead == 0xED) return continuation(1, 0x80, 0x9F) && continuation(2) ? 3 : 0;
  if (lead == 0xF0) return continuation(1, 0x90) && continuation(2) && continuation(3) ? 4 : 0;
  if (lead >= 0xF1 && lead <= 0xF3) return continuation(1) && continuation(2) && continuation(3) ? 4 : 0;
  if (lead == 0xF4) return continuation(1, 0x80, 0x8F) && continuation(2) && continuation(3) ? 4 : 0;
  return 0;
}

// The offset of the first byte of `text` that is not valid UTF-8, or text.size() when all are.
inline std::size_t first_invalid_utf8(std::string_view text) {
  const auto* begin = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = begin + text.size();
  for (const auto* p = begin; p < end;) {
    if (*p < 0x80) {
      ++p;
      continue;
    }
    const unsigned length = utf8_sequence_length(p, end);
    if (length == 0) return static_cast<std::size_t>(p - begin);
    p += length;
  }
  return text.size();
}

// `text` with every invalid UTF-8 sequence replaced by U+FFFD (one per maximal invalid byte run
// start), for messages that quote untrusted input.
inline std::string replace_invalid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    if (*p < 0x80) {
      out += static_cast<char>(*p++);
      continue;
    }
    const unsigned length = utf8_sequence_length(p, end);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      ++p;
      continue;
    }
    out.append(reinterpret_cast<const char*>(p), length);
    p += length;
  }
  return out;
}

// Writes code point cp as UTF-8 at out; returns the byte count.
inline unsigned encode_utf8(std::uint32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

inline constexpr double exact_powers_of_ten[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

}  // namespace sb::json::detail
