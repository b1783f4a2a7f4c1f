#pragma once
// Validating scanners: strings, numbers, literals and whole values, without building anything.

#include <switchboard/json/detail/read_context.hpp>
#include <switchboard/json/detail/text.hpp>

#include <cstdint>
#include <cstring>

namespace sb::json::detail {

// Past the whitespace at p. After a newline comes indentation: its spaces go eight at a time.
inline const char* skip_whitespace_run(const char* p, const char* end) {
  while (p < end) {
    const char c = *p;
    if (c == '\n') {
      ++p;
      while (end - p >= 8) {
        const std::uint64_t other = load8(p) ^ repeat_byte(' ');
        if (other != 0) {
          p += first_marked_byte(other);  // the lowest non-zero byte: the first that is not a space
          break;
        }
        p += 8;
      }
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ++p;
    } else {
      break;
    }
  }
  return p;
}

// Compact JSON has no whitespace between tokens: one compare, inlined.
inline void skip_whitespace(const char*& it, const char* end) {
  if (it < end && static_cast<unsigned char>(*it) > ' ') return;
  it = skip_whitespace_run(it, end);
}

inline bool match_literal(const char*& it, const char* end, const char* word, std::size_t size) {
  if (static_cast<std::size_t>(end - it) < size || std::memcmp(it, word, size) != 0) return false;
  it += size;
  return true;
}

struct scanned_string {
  const char* first;  // after the opening quote
  const char* last;   // at the closing quote
  bool escaped;
};

// Reads four hex digits at p (p + 4 <= end checked by the caller); -1 when they are not hex.
inline long read_hex4(const char* p) {
  long cp = 0;
  for (int i = 0; i < 4; ++i) {
    const int digit = hex_value(p[i]);
    if (digit < 0) return -1;
    cp = cp * 16 + digit;
  }
  return cp;
}

// Validates the escape at p (*p == '\\'); returns its length or 0 after recording a failure.
inline std::size_t validate_escape(const char* p, read_context& ctx) {
  const char* end = ctx.end;
  if (end - p < 2) {
    ctx.fail(errc::invalid_string, p, "an escape sequence");
    return 0;
  }
  switch (p[1]) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't': return 2;
    case 'u': break;
    default:
      ctx.fail(errc::invalid_string, p + 1, "one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
      return 0;
  }
  if (end - p < 6 || read_hex4(p + 2) < 0) {
    ctx.fail(errc::invalid_string, p, "four hex digits after \\u");
    return 0;
  }
  const long cp = read_hex4(p + 2);
  if (cp >= 0xDC00 && cp <= 0xDFFF) {
    ctx.fail_with(errc::invalid_string, p, "lone low surrogate \\u" + std::string(p + 2, 4) + " in string");
    return 0;
  }
  if (cp < 0xD800 || cp > 0xDBFF) return 6;
  const long low = (end - p >= 12 && p[6] == '\\' && p[7] == 'u') ? read_hex4(p + 8) : -1;
  if (low < 0xDC00 || low > 0xDFFF) {
    ctx.fail_with(errc::invalid_string, p,
                  "high surrogate \\u" + std::string(p + 2, 4) + " not followed by a low surrogate");
    return 0;
  }
  return 12;
}

// `it` at the opening quote. On success `it` is past the closing quote.
inline bool scan_string(const char*& it, read_context& ctx, scanned_string& out) {
  const char* p = it + 1;
  const char* end = ctx.end;
  out.first = p;
  out.escaped = false;
  for (;;) {
    while (end - p >= 8) {
      const std::uint64_t marks = string_specials(load8(p));
      if (marks != 0) {
        p += first_marked_byte(marks);
        break;
      }
      p += 8;
    }
    if (p >= end) {
      ctx.fail(errc::syntax, p, "'\"' to close the string");
      return false;
    }
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"') break;
    if (c == '\\') {
      const std::size_t length = validate_escape(p, ctx);
      if (length == 0) return false;
      out.escaped = true;
      p += length;
    } else if (c < 0x20) {
      ctx.fail(errc::invalid_string, p, "an escaped control character (raw ones are not allowed in strings)");
      return false;
    } else if (c >= 0x80) {
      // Non-ASCII text comes in runs (CJK, emoji, accents): validate the whole run before going back
      // to the eight-byte scan, which would stop again at the very next byte. The common two- and
      // three-byte forms are checked first, without the general decoder's jump table.
      do {
        const auto* u = reinterpret_cast<const unsigned char*>(p);
        const unsigned char lead = u[0];
        if (lead >= 0xE1 && lead != 0xED && lead <= 0xEF && end - p >= 3 && (u[1] & 0xC0) == 0x80 &&
            (u[2] & 0xC0) == 0x80) {
          p += 3;
        } else if (lead >= 0xC2 && lead <= 0xDF && end - p >= 2 && (u[1] & 0xC0) == 0x80) {
          p += 2;
        } else {
          const unsigned length = utf8_sequence_length(u, reinterpret_cast<const unsigned char*>(end));
          if (length == 0) {
            ctx.fail(errc::invalid_string, p, "valid UTF-8");
            return false;
          }
          p += length;
        }
      } while (p < end && static_cast<unsigned char>(*p) >= 0x80);
    } else {
      ++p;
    }
  }
  out.last = p;
  it = p + 1;
  return true;
}

// Decodes the validated escapes of [first, last) into out (which may equal first); returns the end.
inline char* unescape(const char* first, const char* last, char* out) {
  while (first < last) {
    if (*first != '\\') {
      *out++ = *first++;
      continue;
    }
    const char kind = first[1];
    first += 2;
    switch (kind) {
      case 'b': *out++ = '\b'; break;
      case 'f': *out++ = '\f'; break;
      case 'n': *out++ = '\n'; break;
      case 'r': *out++ = '\r'; break;
      case 't': *out++ = '\t'; break;
      case 'u': {
        auto cp = static_cast<std::uint32_t>(read_hex4(first));
        first += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          const auto low = static_cast<std::uint32_t>(read_hex4(first + 2));
          first += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        out += encode_utf8(cp, out);
        break;
      }
      default: *out++ = kind; break;  // " \ /
    }
  }
  return out;
}

// Validates a number's grammar; `it` at its first byte ('-' or a digit).
inline bool scan_number(const char*& it, read_context& ctx) {
  const char* end = ctx.end;
  if (it < end && *it == '-') ++it;
  if (it >= end || !is_digit(*it)) {
    ctx.fail(errc::syntax, it, "a digit");
    return false;
  }
  if (*it == '0') {
    ++it;
    if (it < end && is_digit(*it)) {
      ctx.fail(errc::syntax, it, "no leading zeros (after 0 comes '.', 'e' or the end of the number)");
      return false;
    }
  } else {
    while (it < end && is_digit(*it)) ++it;
  }
  if (it < end && *it == '.') {
    ++it;
    if (it >= end || !is_digit(*it)) {
      ctx.fail(errc::syntax, it, "a digit after the decimal point");
      return false;
    }
    while (it < end && is_digit(*it)) ++it;
  }
  if (it < end && (*it == 'e' || *it == 'E')) {
    ++it;
    if (it < end && (*it == '+' || *it == '-')) ++it;
    if (it >= end || !is_digit(*it)) {
      ctx.fail(errc::syntax, it, "a digit in the exponent");
      return false;
    }
    while (it < end && is_digit(*it)) ++it;
  }
  return true;
}

inline bool enter(const char* at, read_context& ctx) {
  if (++ctx.depth > ctx.options.max_depth) {
    ctx.fail_with(errc::too_deep, at,
                  "nesting deeper than the limit of " + std::to_string(ctx.options.max_depth) +
                      " (read_options::max_depth)");
    return false;
  }
  return true;
}

// Validates one whole value of any kind; `it` at its first byte.
inline void skip_value(const char*& it, read_context& ctx) {
  const char* end = ctx.end;
  if (it >= end) return ctx.fail(errc::syntax, it, "a JSON value");
  switch (*it) {
    case '"': {
      scanned_string s;
      scan_string(it, ctx, s);
      return;
    }
    case 't':
      if (!match_literal(it, end, "true", 4)) ctx.fail(errc::syntax, it, "true");
      return;
    case 'f':
      if (!match_literal(it, end, "false", 5)) ctx.fail(errc::syntax, it, "false");
      return;
    case 'n':
      if (!match_literal(it, end, "null", 4)) ctx.fail(errc::syntax, it, "null");
      return;
    case '[': {
      if (!enter(it, ctx)) return;
      ++it;
      skip_whitespace(it, end);
      if (it < end && *it == ']') {
        ++it;
        --ctx.depth;
        return;
      }
      for (std::size_t index = 0;; ++index) {
        skip_value(it, ctx);
        if (ctx.failed()) return ctx.push_index(index);
        skip_whitespace(it, end);
        if (it < end && *it == ',') {
          ++it;
          skip_whitespace(it, end);
          continue;
        }
        if (it < end && *it == ']') break;
        return ctx.fail(errc::syntax, it, "',' or ']' after an array element");
      }
      ++it;
      --ctx.depth;
      return;
    }
    case '{': {
      if (!enter(it, ctx)) return;
      ++it;
      skip_whitespace(it, end);
      if (it < end && *it == '}') {
        ++it;
        --ctx.depth;
        return;
      }
      for (;;) {
        if (it >= end || *it != '"') return ctx.fail(errc::syntax, it, "a member name in double quotes");
        scanned_string key;
        if (!scan_string(it, ctx, key)) return;
        skip_whitespace(it, end);
        if (it >= end || *it != ':') return ctx.fail(errc::syntax, it, "':' after the member name");
        ++it;
        skip_whitespace(it, end);
        skip_value(it, ctx);
        if (ctx.failed()) return ctx.push_key({key.first, static_cast<std::size_t>(key.last - key.first)});
        skip_whitespace(it, end);
        if (it < end && *it == ',') {
          ++it;
          skip_whitespace(it, end);
          continue;
        }
        if (it < end && *it == '}') break;
        return ctx.fail(errc::syntax, it, "',' or '}' after an object member");
      }
      ++it;
      --ctx.depth;
      return;
    }
    default:
      if (*it == '-' || is_digit(*it)) {
        scan_number(it, ctx);
        return;
      }
      ctx.fail(errc::syntax, it, "a JSON value");
  }
}

}  // namespace sb::json::detail
