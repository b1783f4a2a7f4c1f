#pragma once
// The result of sb::json::read and sb::json::write: falsy on success, a precise diagnosis otherwise.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sb::json {

enum class errc : std::uint8_t {
  none,
  syntax,             // the bytes are not JSON
  unexpected_type,    // valid JSON of the wrong kind for the target type
  out_of_range,       // a number that does not fit the target type
  invalid_string,     // bad escape, raw control character, invalid UTF-8 or lone surrogate
  too_deep,           // nesting beyond read_options::max_depth
  missing_field,      // a required member is absent
  unknown_field,      // unknown_keys::error and a member with no field
  duplicate_field,    // duplicate_keys::error and a repeated member
  wrong_size,         // a fixed-size array or tuple with another element count
  unknown_enumerator, // a string that names no enumerator
  needs_mutable_buffer,  // an escaped string read into std::string_view from read-only input
  trailing_content,   // something after the value
  buffer_overflow,    // write into a fixed span ran out of room
  not_representable,  // write of NaN, infinity or invalid UTF-8
  custom,             // raised by a user codec
};

class error {
 public:
  error() = default;
  error(errc code, std::size_t offset, std::size_t line, std::size_t column, std::string path,
        std::string message)
      : code_(code), offset_(offset), line_(line), column_(column), path_(std::move(path)),
        message_(std::move(message)) {}

  explicit operator bool() const { return code_ != errc::none; }
  errc code() const { return code_; }
  std::size_t offset() const { return offset_; }  // bytes from the start of the input
  std::size_t line() const { return line_; }      // 1-based
  std::size_t column() const { return column_; }  // 1-based, in bytes
  const std::string& path() const { return path_; }  // JSON path of the failing value, "$.items[3].price"
  const std::string& message() const { return message_; }  // "expected integer, found string"

  // "$.items[3].price: expected number, found string (line 1, column 42)"
  std::string to_string() const {
    if (!*this) return "ok";
    std::string text = path_.empty() ? std::string("$") : path_;
    text += ": ";
    text += message_;
    if (line_ != 0) {
      text += " (line " + std::to_string(line_) + ", column " + std::to_string(column_) + ")";
    }
    return text;
  }

 private:
  errc code_ = errc::none;
  std::size_t offset_ = 0;
  std::size_t line_ = 0;
  std::size_t column_ = 0;
  std::string path_;
  std::string message_;
};

}  // namespace sb::json
