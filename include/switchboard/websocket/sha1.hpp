#pragma once
// SHA-1 (FIPS 180-4) and base64 (RFC 4648), as much as the WebSocket handshake needs: the accept
// key is base64(SHA-1(key + GUID)). Neither is used for anything secret; a cryptographic library
// would be a dependency for sixty lines.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sb::detail {

class sha1 {
 public:
  void update(std::string_view bytes) {
    for (const char c : bytes) {
      block_[filled_++] = static_cast<std::uint8_t>(c);
      if (filled_ == block_.size()) compress();
    }
    length_ += bytes.size();
  }

  std::array<std::uint8_t, 20> finish() {
    const std::uint64_t bits = length_ * 8;
    block_[filled_++] = 0x80;
    if (filled_ > 56) {
      while (filled_ < 64) block_[filled_++] = 0;
      compress();
    }
    while (filled_ < 56) block_[filled_++] = 0;
    for (int i = 7; i >= 0; --i) block_[filled_++] = static_cast<std::uint8_t>(bits >> (i * 8));
    compress();
    std::array<std::uint8_t, 20> digest{};
    for (std::size_t i = 0; i < 20; ++i) digest[i] = static_cast<std::uint8_t>(state_[i / 4] >> (24 - 8 * (i % 4)));
    return digest;
  }

 private:
  static std::uint32_t rotate(std::uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

  void compress() {
    std::array<std::uint32_t, 80> w{};
    for (std::size_t i = 0; i < 16; ++i)
      w[i] = std::uint32_t{block_[4 * i]} << 24 | std::uint32_t{block_[4 * i + 1]} << 16 |
             std::uint32_t{block_[4 * i + 2]} << 8 | std::uint32_t{block_[4 * i + 3]};
    for (std::size_t i = 16; i < 80; ++i) w[i] = rotate(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    std::uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3], e = state_[4];
    for (std::size_t i = 0; i < 80; ++i) {
      std::uint32_t f, k;
      if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
      else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
      else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
      else f = b ^ c ^ d, k = 0xCA62C1D6;
      const std::uint32_t next = rotate(a, 5) + f + e + k + w[i];
      e = d, d = c, c = rotate(b, 30), b = a, a = next;
    }
    state_[0] += a, state_[1] += b, state_[2] += c, state_[3] += d, state_[4] += e;
    filled_ = 0;
  }

  std::array<std::uint32_t, 5> state_{0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::array<std::uint8_t, 64> block_{};
  std::size_t filled_ = 0;
  std::uint64_t length_ = 0;
};

inline constexpr std::string_view base64_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

inline void base64_encode(const std::uint8_t* bytes, std::size_t size, std::string& out) {
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const std::uint32_t v = std::uint32_t{bytes[i]} << 16 | std::uint32_t{bytes[i + 1]} << 8 | bytes[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) out += base64_alphabet[(v >> shift) & 63];
  }
  if (const std::size_t left = size - i; left != 0) {
    const std::uint32_t v = std::uint32_t{bytes[i]} << 16 | (left == 2 ? std::uint32_t{bytes[i + 1]} << 8 : 0);
    out += base64_alphabet[(v >> 18) & 63];
    out += base64_alphabet[(v >> 12) & 63];
    out += left == 2 ? base64_alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
}

// How many bytes a canonical base64 text decodes to; -1 when it is not base64.
inline int base64_decoded_size(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return -1;
  std::size_t padding = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '=') {
      if (i + 2 < text.size()) return -1;  // padding only in the last two places
      ++padding;
      continue;
    }
    if (padding != 0 || base64_alphabet.find(c) == std::string_view::npos) return -1;
  }
  return static_cast<int>(text.size() / 4 * 3 - padding);
}

// Canonical base64 to bytes; false (and `out` unspecified) when it is not base64.
inline bool base64_decode(std::string_view text, std::string& out) {
  const int size = base64_decoded_size(text);
  if (size < 0) return false;
  out.clear();
  std::uint32_t bits = 0;
  int held = 0;
  for (char c : text) {
    if (c == '=') break;
    bits = bits << 6 | static_cast<std::uint32_t>(base64_alphabet.find(c));
    held += 6;
    if (held >= 8) {
      held -= 8;
      out += static_cast<char>((bits >> held) & 0xFF);
    }
  }
  return static_cast<int>(out.size()) == size;
}

}  // namespace sb::detail
