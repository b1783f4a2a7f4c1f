#pragma once
// multipart/form-data (RFC 7578) over a body already read under the body limit: each part's name,
// filename, media type and content are views into the body, so parsing allocates nothing and a
// form costs no more memory than its bytes.

#include <switchboard/http/request_parser.hpp>

#include <cstddef>
#include <utility>
#include <string_view>

namespace sb::detail {

struct multipart_part {
  std::string_view name;
  std::string_view filename;      // empty for a plain field
  std::string_view content_type;  // empty when the part has none
  std::string_view content;
};

// The value of parameter `name` in a header value ("form-data; name=\"a\"; filename=b"): quoted
// or a token; empty when absent. Parameter names compare case-insensitively.
inline std::string_view header_parameter(std::string_view value, std::string_view name) {
  std::size_t at = value.find(';');
  while (at != std::string_view::npos) {
    std::string_view rest = trim_whitespace(value.substr(at + 1));
    const std::size_t eq = rest.find('=');
    if (eq == std::string_view::npos) return {};
    const std::string_view key = trim_whitespace(rest.substr(0, eq));
    rest = trim_whitespace(rest.substr(eq + 1));
    std::string_view found;
    if (!rest.empty() && rest.front() == '"') {
      std::size_t close = 1;
      while (close < rest.size() && rest[close] != '"') close += rest[close] == '\\' ? 2 : 1;
      if (close >= rest.size()) return {};  // an unterminated quote: no value at all
      found = rest.substr(1, close - 1);
      rest.remove_prefix(close + 1);
    } else {
      found = trim_whitespace(rest.substr(0, rest.find(';')));
      rest.remove_prefix(found.size());
    }
    if (equals_ignoring_case(key, name)) return found;
    at = rest.find(';');
    value = rest;
  }
  return {};
}

class multipart_reader {
 public:
  // Calls on_part(const multipart_part&) for each part; false (and reason() says why) when the
  // body is not a well-formed form with the boundary of `content_type`.
  template <class OnPart>
  bool read(std::string_view content_type, std::string_view body, OnPart&& on_part) {
    const std::string_view boundary = header_parameter(content_type, "boundary");
    if (boundary.empty() || boundary.size() > 70) return fail("multipart/form-data without a valid boundary parameter");
    // The first delimiter may follow a preamble; later ones always follow CRLF.
    std::size_t at = 0;
    if (!starts_delimiter(body, 0, boundary)) {
      at = find_delimiter(body, 0, boundary);
      if (at == std::string_view::npos) return fail("the multipart body has no boundary delimiter");
      at += 2;
    }
    for (;;) {
      at += 2 + boundary.size();
      if (body.substr(at, 2) == "--") return true;  // the close delimiter; an epilogue is ignored
      while (at < body.size() && (body[at] == ' ' || body[at] == '\t')) ++at;  // transport padding
      if (body.substr(at, 2) != "\r\n") return fail("a multipart delimiter is not followed by CRLF");
      at += 2;
      const std::size_t head_end = body.find("\r\n\r\n", at);
      const std::size_t next = find_delimiter(body, at, boundary);
      if (next == std::string_view::npos) return fail("the multipart body ends before its close delimiter");
      multipart_part part;
      std::size_t content_at = 0;
      if (body.substr(at, 2) == "\r\n") {
        content_at = at + 2;  // a part without header fields
      } else {
        if (head_end == std::string_view::npos || head_end > next) return fail("a multipart part's header is not terminated");
        if (!read_part_head(body.substr(at, head_end - at), part)) return false;
        content_at = head_end + 4;
      }
      if (content_at > next) return fail("a multipart part's header is not terminated");
      part.content = body.substr(content_at, next - content_at);
      on_part(std::as_const(part));
      at = next + 2;
    }
  }

  std::string_view reason() const { return reason_; }

 private:
  // "--boundary" at `at`, followed by "--" (the close delimiter) or by optional whitespace and CRLF
  // (RFC 2046 5.1.1); anything else after it ("--boundaryX") is content that merely looks alike.
  static bool starts_delimiter(std::string_view body, std::size_t at, std::string_view boundary) {
    if (body.substr(at, 2) != "--" || body.substr(at + 2, boundary.size()) != boundary) return false;
    std::size_t after = at + 2 + boundary.size();
    if (body.substr(after, 2) == "--") return true;
    while (after < body.size() && (body[after] == ' ' || body[after] == '\t')) ++after;
    return body.substr(after, 2) == "\r\n";
  }
  // The CRLF before the next delimiter at or after `from`.
  static std::size_t find_delimiter(std::string_view body, std::size_t from, std::string_view boundary) {
    for (;;) {
      const std::size_t crlf = body.find("\r\n--", from);
      if (crlf == std::string_view::npos) return crlf;
      if (starts_delimiter(body, crlf + 2, boundary)) return crlf;
      from = crlf + 2;
    }
  }
  bool read_part_head(std::string_view head, multipart_part& part) {
    bool disposition = false;
    while (!head.empty()) {
      const std::size_t eol = head.find("\r\n");
      const std::string_view line = head.substr(0, eol);
      head = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos || !is_token(line.substr(0, colon)))
        return fail("a multipart part has a malformed header field");
      const std::string_view name = line.substr(0, colon);
      const std::string_view value = trim_whitespace(line.substr(colon + 1));
      if (equals_ignoring_case(name, "Content-Disposition")) {
        if (!equals_ignoring_case(trim_whitespace(value.substr(0, value.find(';'))), "form-data"))
          return fail("a multipart part's Content-Disposition is not form-data");
        part.name = header_parameter(value, "name");
        part.filename = header_parameter(value, "filename");
        disposition = true;
      } else if (equals_ignoring_case(name, "Content-Type")) {
        part.content_type = value;
      }
    }
    if (!disposition) return fail("a multipart part has no Content-Disposition");
    return true;
  }
  bool fail(std::string_view why) {
    reason_ = why;
    return false;
  }

  std::string_view reason_;
};

}  // namespace sb::detail
