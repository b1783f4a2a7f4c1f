#pragma once
// Reader state, and the turning of a failure into an sb::json::error with path, line and column.

#include <switchboard/json/error.hpp>
#include <switchboard/json/options.hpp>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace sb::json::detail {

struct path_segment {
  const char* key;        // null for an array index
  std::size_t size_or_index;
};

inline constexpr std::size_t max_path_segments = 32;

struct read_context {
  const char* begin;
  const char* end;
  bool mutable_input;
  read_options options;
  std::size_t depth = 0;
  errc code = errc::none;
  const char* at = nullptr;
  const char* expected = nullptr;  // static text; empty when `message` says it all
  std::string message;             // only filled on failure
  std::size_t segment_count = 0;
  path_segment segments[max_path_segments];  // innermost first, filled while a failure unwinds

  read_context(const char* b, const char* e, bool is_mutable, const read_options& opts)
      : begin(b), end(e), mutable_input(is_mutable), options(opts) {}

  bool failed() const { return code != errc::none; }

  bool starts_value(const char* p) const {
    if (p >= end) return false;
    const auto literal = [&](std::string_view word) {
      return static_cast<std::size_t>(end - p) >= word.size() && std::memcmp(p, word.data(), word.size()) == 0;
    };
    switch (*p) {
      case '"': case '{': case '[': case '-': return true;
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return *p >= '0' && *p <= '9';
    }
  }

  // The first failure wins: later ones are consequences of it.
  void fail(errc c, const char* where, const char* what_expected) {
    if (failed()) return;
    // A mismatch at bytes that start no JSON value ("[1,]", "tru", "+1") is a syntax error.
    if (c == errc::unexpected_type && !starts_value(where)) c = errc::syntax;
    code = c;
    at = where;
    expected = what_expected;
  }
  void fail_with(errc c, const char* where, std::string text) {
    if (failed()) return;
    code = c;
    at = where;
    message = std::move(text);
  }
  void push_key(std::string_view key) {
    if (segment_count < max_path_segments) segments[segment_count++] = {key.data(), key.size()};
  }
  void push_index(std::size_t index) {
    if (segment_count < max_path_segments) segments[segment_count++] = {nullptr, index};
  }
};

inline std::string describe_found(const char* at, const char* end) {
  if (at >= end) return "end of input";
  const char c = *at;
  const auto starts = [&](std::string_view word) {
    return static_cast<std::size_t>(end - at) >= word.size() && std::memcmp(at, word.data(), word.size()) == 0;
  };
  switch (c) {
    case '"': return "string";
    case '{': return "object";
    case '[': return "array";
    case 'n': return starts("null") ? "null" : "'n'";
    case 't': return starts("true") ? "boolean" : "'t'";
    case 'f': return starts("false") ? "boolean" : "'f'";
    default: break;
  }
  if (c == '-' || (c >= '0' && c <= '9')) return "number";
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7f) return std::string("'") + c + "'";
  char hex[8] = "byte 0x";
  std::string text(hex);
  const char* digits = "0123456789abcdef";
  text += digits[byte >> 4];
  text += digits[byte & 15];
  return text;
}

inline bool plain_identifier(std::string_view key) {
  if (key.empty() || (key[0] >= '0' && key[0] <= '9')) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

inline std::string render_path(const path_segment* segments, std::size_t count) {
  std::string path = count == max_path_segments ? "$..." : "$";
  for (std::size_t i = count; i-- > 0;) {
    const path_segment& s = segments[i];
    if (s.key == nullptr) {
      path += '[';
      path += std::to_string(s.size_or_index);
      path += ']';
    } else if (plain_identifier({s.key, s.size_or_index})) {
      path += '.';
      path.append(s.key, s.size_or_index);
    } else {
      path += "[\"";
      path.append(s.key, s.size_or_index);
      path += "\"]";
    }
  }
  return path;
}

inline error make_error(const read_context& ctx) {
  const char* at = std::min(std::max(ctx.at, ctx.begin), ctx.end);
  std::size_t line = 1;
  const char* line_start = ctx.begin;
  for (const char* p = ctx.begin; p < at; ++p)
    if (*p == '\n') {
      ++line;
      line_start = p + 1;
    }
  std::string message = ctx.message;
  if (message.empty()) {
    message = "expected ";
    message += ctx.expected ? ctx.expected : "a JSON value";
    message += ", found ";
    message += describe_found(at, ctx.end);
  }
  return error(ctx.code, static_cast<std::size_t>(at - ctx.begin), line,
               static_cast<std::size_t>(at - line_start) + 1, render_path(ctx.segments, ctx.segment_count),
               std::move(message));
}

}  // namespace sb::json::detail
