#pragma once
// UTF-8 (RFC 3629) checked as bytes arrive: a WebSocket text message must fail at its first invalid
// byte, even in the middle of a frame, not once the message is complete.

#include <cstdint>
#include <cstring>
#include <string_view>

namespace sb {

class utf8_validator {
 public:
  // False at the first byte that no valid UTF-8 text can hold at that place; the validator then
  // stays failed until reset().
  bool feed(std::string_view bytes) {
    if (failed_) return false;
    const auto* it = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto* end = it + bytes.size();
    while (it != end) {
      if (needed_ == 0) {
        it = skip_ascii(it, end);
        if (it == end) break;
        if (!lead(*it++)) return fail();
        continue;
      }
      if (*it < low_ || *it > high_) return fail();
      ++it;
      low_ = 0x80, high_ = 0xBF;
      --needed_;
    }
    return true;
  }

  // The text so far ends with a whole character.
  bool complete() const { return !failed_ && needed_ == 0; }
  void reset() { *this = {}; }

 private:
  static const unsigned char* skip_ascii(const unsigned char* it, const unsigned char* end) {
    for (; end - it >= 8; it += 8) {
      std::uint64_t word;
      std::memcpy(&word, it, 8);
      if (word & 0x8080808080808080ull) break;
    }
    while (it != end && *it < 0x80) ++it;
    return it;
  }

  // The second byte's range is narrower after some leads: no overlong forms, no surrogates
  // (U+D800..U+DFFF), nothing past U+10FFFF.
  bool lead(unsigned char c) {
    if (c >= 0xC2 && c <= 0xDF) return expect(1, 0x80, 0xBF);
    if (c == 0xE0) return expect(2, 0xA0, 0xBF);
    if (c == 0xED) return expect(2, 0x80, 0x9F);
    if (c >= 0xE1 && c <= 0xEF) return expect(2, 0x80, 0xBF);
    if (c == 0xF0) return expect(3, 0x90, 0xBF);
    if (c >= 0xF1 && c <= 0xF3) return expect(3, 0x80, 0xBF);
    if (c == 0xF4) return expect(3, 0x80, 0x8F);
    return false;  // a continuation byte without a lead, C0, C1, F5..FF
  }
  bool expect(std::uint8_t count, unsigned char low, unsigned char high) {
    needed_ = count, low_ = low, high_ = high;
    return true;
  }
  bool fail() {
    failed_ = true;
    return false;
  }

  std::uint8_t needed_ = 0;  // continuation bytes still to come
  unsigned char low_ = 0x80, high_ = 0xBF;  // the next continuation byte's range
  bool failed_ = false;
};

}  // namespace sb
