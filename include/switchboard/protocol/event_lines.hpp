#pragma once
// The event line protocol of tools under a hub: TYPE|sender|data, split at the first two '|'; in
// data a newline is written as the two characters \n, a carriage return as \r and a backslash as
// \\. Pure: no I/O (fuzzed by tests/fuzz/stdio_fuzz.cpp).

#include <switchboard/json/read.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sb::detail {

struct event_parts {
  std::string_view type;
  std::string_view sender;
  std::string_view data;  // still escaped
};

// A type or sender: not empty, and no '|', control characters or spaces.
constexpr bool valid_event_token(std::string_view token) {
  if (token.empty()) return false;
  for (char c : token)
    if (c == '|' || static_cast<unsigned char>(c) <= ' ' || c == '\x7f') return false;
  return true;
}

// TYPE|sender|data, split at the first two '|'. Empty when there are fewer than two, when TYPE is not
// a valid token, or when sender holds a control character (an empty sender is accepted).
inline std::optional<event_parts> split_event_line(std::string_view line) {
  const std::size_t first = line.find('|');
  if (first == std::string_view::npos) return std::nullopt;
  const std::size_t second = line.find('|', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  event_parts parts{line.substr(0, first), line.substr(first + 1, second - first - 1), line.substr(second + 1)};
  if (!valid_event_token(parts.type)) return std::nullopt;
  if (!parts.sender.empty() && !valid_event_token(parts.sender)) return std::nullopt;
  return parts;
}

// '\\' → "\\\\", '\n' → "\\n", '\r' → "\\r"; appends to out.
inline void escape_event_data(std::string_view data, std::string& out) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    if (c != '\\' && c != '\n' && c != '\r') continue;
    out.append(data.substr(start, i - start));
    out += '\\';
    out += c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
    start = i + 1;
  }
  out.append(data.substr(start));
}

// The inverse of escape_event_data; a backslash before any other character, or at the end, is kept.
inline void unescape_event_data(std::string_view data, std::string& out) {
  std::size_t start = 0;
  for (std::size_t i = 0; i + 1 < data.size(); ++i) {
    if (data[i] != '\\') continue;
    const char next = data[i + 1];
    if (next != 'n' && next != 'r' && next != '\\') continue;
    out.append(data.substr(start, i - start));
    out += next == 'n' ? '\n' : next == 'r' ? '\r' : '\\';
    start = i + 2;
    ++i;
  }
  out.append(data.substr(start));
}

// TYPE|sender|escaped data\n, appended to out.
inline void write_event_line(std::string_view type, std::string_view sender, std::string_view data, std::string& out) {
  out.append(type);
  out += '|';
  out.append(sender);
  out += '|';
  escape_event_data(data, out);
  out += '\n';
}

// An endpoint name as an event type: upper snake case ("toUpperCase" → "TO_UPPER_CASE").
inline std::string event_type_for(std::string_view endpoint) {
  std::string type;
  type.reserve(endpoint.size() + 4);
  for (std::size_t i = 0; i < endpoint.size(); ++i) {
    const char c = endpoint[i];
    const bool upper = c >= 'A' && c <= 'Z';
    const bool lower_before = i > 0 && ((endpoint[i - 1] >= 'a' && endpoint[i - 1] <= 'z') ||
                                        (endpoint[i - 1] >= '0' && endpoint[i - 1] <= '9'));
    if (upper && lower_before) type += '_';
    type += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return type;
}

// The text of a JSON value as event data: a string's characters, anything else as it is.
inline void json_as_event_data(std::string_view json_text, std::string& out) {
  if (!json_text.empty() && json_text.front() == '"') {
    std::string decoded;
    if (!json::read(decoded, json_text)) {
      out += decoded;
      return;
    }
  }
  out.append(json_text);
}

}  // namespace sb::detail
