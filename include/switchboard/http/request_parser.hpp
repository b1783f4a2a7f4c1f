#pragma once
// A strict HTTP/1.1 request head parser (RFC 9112), for servers that read bytes off a socket.
// It works on the bytes as they arrive, allocates nothing, and answers every request it cannot take
// with the status that says why, so that a server can reply and close:
//   400 malformed line or field, bare CR or LF, NUL and other controls, obs-fold, an invalid field
//       name, whitespace before the colon, a malformed, repeated-and-differing Content-Length,
//       Content-Length together with Transfer-Encoding, a missing or repeated Host on HTTP/1.1
//   413 a Content-Length over the body limit     414 a request target over its limit
//   417 an expectation other than 100-continue   431 too many header fields, or too many bytes
//   501 a transfer coding other than chunked     505 an HTTP version other than 1.0 and 1.1
// The head's views point into the caller's buffer, which must stay put while they are used.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdint>
#include <span>
#include <string_view>

namespace sb {

struct http_limits {
  std::size_t max_target_bytes = 8192;   // request target; longer: 414
  std::size_t max_head_bytes = 16384;    // request line and header fields together; more: 431
  std::size_t max_header_count = 100;    // header fields; more: 431
  std::uint64_t max_body_bytes = 1 << 20;  // Content-Length or the sum of chunks; more: 413
};

struct http_field {
  std::string_view name;
  std::string_view value;  // without surrounding whitespace
};

enum class http_body : std::uint8_t { none, length, chunked };

struct http_request_head {
  std::string_view method;
  std::string_view target;  // as sent: origin form ("/a?b"), absolute form or "*"
  std::string_view path;    // the target's path ("/a"); for the absolute form, after the authority
                            // ("/", a static string, when that form has no path)
  std::string_view query;   // after '?', without it; empty when absent
  int minor_version = 1;    // HTTP/1.<minor>: 0 or 1
  std::span<const http_field> fields;
  std::string_view host;
  http_body body = http_body::none;
  std::uint64_t content_length = 0;
  bool keep_alive = true;       // HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with keep-alive
  bool expect_continue = false; // "Expect: 100-continue"
  std::size_t head_bytes = 0;   // bytes of the head, its final CRLF CRLF included

  // Case-insensitive; the first field of that name, empty when absent.
  std::string_view field(std::string_view name) const;
};

}  // namespace sb

namespace sb::detail {

// RFC 9110 tchar: the characters of tokens (methods, field names, codings).
inline constexpr std::array<bool, 256> token_chars = [] {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

inline bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (!token_chars[static_cast<unsigned char>(c)]) return false;
  return true;
}

inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

inline bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

// The Origin's authority ("http://a.example:8080" -> "a.example:8080").
inline std::string_view origin_authority(std::string_view origin) {
  const std::size_t scheme = origin.find("://");
  return scheme == std::string_view::npos ? std::string_view{} : origin.substr(scheme + 3);
}

// Whether a page of `origin` may act here (a WebSocket, MCP): the server's own pages (an Origin
// naming the Host asked) always, whatever else is listed; then the listed origins, "*" any.
template <class Origins>
bool origin_allowed(std::string_view origin, std::string_view host, const Origins& allowed) {
  if (equals_ignoring_case(origin_authority(origin), host)) return true;
  for (const auto& o : allowed)
    if (o == "*" || equals_ignoring_case(o, origin)) return true;
  return false;
}

// "example.com:8080" -> "example.com", "[::1]:80" -> "[::1]".
inline std::string_view host_name(std::string_view host) {
  if (host.starts_with('[')) return host.substr(0, host.find(']') + 1);
  return host.substr(0, host.rfind(':'));
}

inline bool is_loopback_name(std::string_view name) {
  if (equals_ignoring_case(name, "localhost") || name == "[::1]" || name == "::1") return true;
  if (!name.starts_with("127.")) return false;
  for (char c : name)
    if (c != '.' && (c < '0' || c > '9')) return false;
  return true;
}

// Whether to answer a request whose Host is `host` on a server bound to `bound`. A page whose name
// is made to resolve to 127.0.0.1 (DNS rebinding) reaches a local server as its own origin, cookies
// and CORS notwithstanding; so with no list a server on a loopback address answers only to loopback
// names. Listed names (with or without the port; "*": any) are the only ones otherwise.
template <class Hosts>
bool host_allowed(std::string_view host, std::string_view bound, const Hosts& allowed) {
  const std::string_view name = host_name(host);
  for (const auto& a : allowed)
    if (a == "*" || equals_ignoring_case(a, name) || equals_ignoring_case(a, host)) return true;
  if (!allowed.empty()) return false;
  return host.empty() || !is_loopback_name(bound) || is_loopback_name(name);
}

inline std::string_view trim_whitespace(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Calls each(element) for each element of a comma-separated list, trimmed, empty ones skipped;
// stops early (false) when each returns false.
template <class Each>
bool for_each_list_element(std::string_view list, Each&& each) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view element = trim_whitespace(list.substr(0, comma));
    if (!element.empty() && !each(element)) return false;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return true;
}

}  // namespace sb::detail

namespace sb {

inline std::string_view http_request_head::field(std::string_view name) const {
  for (const auto& f : fields)
    if (detail::equals_ignoring_case(f.name, name)) return f.value;
  return {};
}

// Parses request heads from a growing buffer. Feed it the whole of what has arrived each time:
// it resumes the search for the end of the head where it stopped, so bytes that trickle in cost
// linear time in all, and it parses the head once, when it is complete.
class http_request_parser {
 public:
  enum class result : std::uint8_t { complete, incomplete, failed };

  explicit http_request_parser(http_limits limits = {}) : limits_(limits) {}

  // `buffer` starts at the head; `fields` is where the head's field views are stored (its size
  // bounds nothing: max_header_count does; a smaller span fails with 431 like a larger count).
  result parse(std::string_view buffer, http_request_head& head, std::span<http_field> fields) {
    // Empty lines before a request line are ignored (RFC 9112 2.2), a few of them.
    std::size_t skipped = 0;
    while (skipped < 8 && buffer.substr(skipped, 2) == "\r\n") skipped += 2;
    if (skipped == buffer.size() && skipped < 8) return result::incomplete;
    if (skipped != skipped_) {  // what was scanned was counted from another start ("\r", then "\r\nG")
      forget_scanning();
      skipped_ = skipped;
    }
    buffer.remove_prefix(skipped);
    const std::size_t end = find_head_end(buffer);
    // The same checks, in the same order, whether the head came at once or a byte at a time: the
    // limits on what came before the end (or before a bare LF), then the bare LF.
    const std::size_t judged = end != std::string_view::npos ? end
                               : bare_lf_ != std::string_view::npos ? bare_lf_ + 1
                                                                    : std::string_view::npos;
    if (!within_limits(judged == std::string_view::npos ? buffer : buffer.substr(0, judged))) return result::failed;
    if (bare_lf_ != std::string_view::npos) {
      failing(400, "a line ends with a bare LF (not CRLF)");
      return result::failed;
    }
    if (end == std::string_view::npos) return result::incomplete;
    scanned_ = 0;
    if (!parse_head(buffer.substr(0, end), head, fields)) return result::failed;
    head.head_bytes += skipped;
    const int kept_status = status_;
    reset();  // ready for the next head on the connection
    status_ = kept_status;
    return result::complete;
  }

  // After `failed`: the status to answer with and why, for the error body and the log.
  int status() const { return status_; }
  std::string_view reason() const { return reason_; }

  // Ready for the next request on the connection.
  void reset() {
    forget_scanning();
    skipped_ = 0;
    status_ = 0;
    reason_ = {};
  }

 private:
  void forget_scanning() {
    scanned_ = 0;
    line_scanned_ = 0;
    first_lf_ = std::string_view::npos;
    first_space_ = std::string_view::npos;
    bare_lf_ = std::string_view::npos;
  }

  // The offset just past the CRLF CRLF that ends the head, or npos. Where it stopped looking is
  // kept, less three bytes that may begin the terminator.
  std::size_t find_head_end(std::string_view buffer) {
    std::size_t from = scanned_ >= 3 ? scanned_ - 3 : 0;
    for (;;) {
      const std::size_t lf = buffer.find('\n', from);
      if (lf == std::string_view::npos) break;
      // A bare LF is refused at once: waiting for a CRLF CRLF that never comes would hold the
      // connection until its deadline.
      if (lf == 0 || buffer[lf - 1] != '\r') {
        bare_lf_ = lf;
        return std::string_view::npos;
      }
      // "\r\n\r\n": the head ends here; anything else is checked when the head is parsed.
      if (lf >= 3 && buffer[lf - 1] == '\r' && buffer[lf - 2] == '\n' && buffer[lf - 3] == '\r') return lf + 1;
      from = lf + 1;
    }
    scanned_ = buffer.size();
    return std::string_view::npos;
  }

  // What can be refused before the head is complete: a request target that is already too long
  // (414) and a head past its size (431). Both only grow with more bytes, and they are judged on
  // at most max_head_bytes + 1 of them, so a head refused early is refused the same when whole.
  bool within_limits(std::string_view text) {
    if (text.size() > limits_.max_head_bytes) text = text.substr(0, limits_.max_head_bytes + 1);
    // Where the first line ends and its first space are searched for in new bytes only.
    if (first_lf_ == std::string_view::npos) {
      const std::size_t lf = text.find('\n', line_scanned_);
      if (first_space_ == std::string_view::npos) {
        const std::size_t space = text.substr(0, lf).find(' ', line_scanned_);
        if (space != std::string_view::npos) first_space_ = space;
      }
      first_lf_ = lf;
      line_scanned_ = text.size();
    }
    const std::size_t first_line = first_lf_ == std::string_view::npos ? text.size() : first_lf_;
    // After the first space: the target, then " HTTP/1.1" and the CR, 10 bytes (saturating).
    const std::size_t target_room =
        limits_.max_target_bytes > SIZE_MAX - 10 ? SIZE_MAX : limits_.max_target_bytes + 10;
    if (first_space_ != std::string_view::npos && first_space_ < first_line && first_line - first_space_ - 1 > target_room)
      return failing(414, "request target longer than the limit");
    if (text.size() > limits_.max_head_bytes) return failing(431, "request head larger than the limit");
    return true;
  }

  bool parse_head(std::string_view text, http_request_head& head, std::span<http_field> fields) {
    head = {};
    head.head_bytes = text.size();
    text.remove_suffix(4);  // the final CRLF CRLF; each line below ends before its own CRLF
    std::size_t count = 0;
    std::string_view line = next_line(text);
    if (!request_line(line, head)) return false;
    bool host_seen = false;
    bool length_seen = false;
    bool encoding_seen = false;
    while (!text.empty()) {
      line = next_line(text);
      if (status_ != 0) return false;
      if (line.empty()) return failing(400, "empty header line inside the head");
      if (line.front() == ' ' || line.front() == '\t') return failing(400, "obsolete line folding in a header field");
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) return failing(400, "header line without a colon");
      const std::string_view name = line.substr(0, colon);
      if (!detail::is_token(name)) return failing(400, "invalid header field name");
      const std::string_view value = detail::trim_whitespace(line.substr(colon + 1));
      if (!valid_field_value(value)) return failing(400, "control character in a header field value");
      if (count >= limits_.max_header_count || count >= fields.size()) return failing(431, "too many header fields");
      fields[count++] = {name, value};
      if (detail::equals_ignoring_case(name, "host")) {
        if (host_seen) return failing(400, "more than one Host header field");
        host_seen = true;
        head.host = value;
      } else if (detail::equals_ignoring_case(name, "content-length")) {
        if (!content_length(value, length_seen, head)) return false;
        length_seen = true;
      } else if (detail::equals_ignoring_case(name, "transfer-encoding")) {
        if (!transfer_encoding(value, head)) return false;
        encoding_seen = true;
      } else if (detail::equals_ignoring_case(name, "connection")) {
        connection(value, head);
      } else if (detail::equals_ignoring_case(name, "expect") && head.minor_version == 1) {  // 1.0: ignored
        if (!detail::equals_ignoring_case(value, "100-continue")) return failing(417, "unsupported expectation");
        head.expect_continue = true;
      }
    }
    head.fields = fields.first(count);
    if (head.minor_version == 1 && !host_seen) return failing(400, "HTTP/1.1 request without a Host header field");
    if (host_seen && !valid_host(head.host)) return failing(400, "invalid Host header field");
    if (!authority_.empty()) head.host = authority_;  // RFC 9112 3.2.2: the target's authority wins
    if (encoding_seen && length_seen) return failing(400, "both Content-Length and Transfer-Encoding");
    if (encoding_seen && head.minor_version == 0) return failing(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (head.body == http_body::length && head.content_length > limits_.max_body_bytes)
      return failing(413, "Content-Length over the body limit");
    if (head.body == http_body::length && head.content_length == 0) head.body = http_body::none;
    return true;
  }

  // The next CRLF-terminated line of `text` (removed from it); a lone CR or LF fails with 400.
  std::string_view next_line(std::string_view& text) {
    const std::size_t lf = text.find('\n');
    std::string_view line = text.substr(0, lf);
    if (lf == std::string_view::npos) {
      text = {};
    } else {
      text.remove_prefix(lf + 1);
      if (line.empty() || line.back() != '\r') {
        failing(400, "line ended by a bare LF");
        return {};
      }
      line.remove_suffix(1);
    }
    if (line.find('\r') != std::string_view::npos) failing(400, "bare CR inside a line");
    return line;
  }

  bool request_line(std::string_view line, http_request_head& head) {
    if (status_ != 0) return false;
    const std::size_t first = line.find(' ');
    const std::size_t last = line.rfind(' ');
    if (first == std::string_view::npos || first == last) return failing(400, "malformed request line");
    head.method = line.substr(0, first);
    head.target = line.substr(first + 1, last - first - 1);
    const std::string_view version = line.substr(last + 1);
    if (!detail::is_token(head.method)) return failing(400, "invalid method");
    if (head.target.empty()) return failing(400, "empty request target");
    if (head.target.size() > limits_.max_target_bytes) return failing(414, "request target longer than the limit");
    for (char c : head.target) {
      const auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u >= 0x7F) return failing(400, "invalid character in the request target");
    }
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' || version[5] < '0' ||
        version[5] > '9' || version[7] < '0' || version[7] > '9')
      return failing(400, "malformed HTTP version");
    if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) return failing(505, "HTTP version not supported");
    head.minor_version = version[7] - '0';
    head.keep_alive = head.minor_version == 1;
    return split_target(head);
  }

  bool split_target(http_request_head& head) {
    std::string_view target = head.target;
    authority_ = {};
    if (target == "*") {
      if (head.method != "OPTIONS") return failing(400, "asterisk target for a method other than OPTIONS");
      head.path = target;
      return true;
    }
    if (target.find('#') != std::string_view::npos) return failing(400, "fragment in the request target");
    if (target.front() != '/') {  // absolute form: scheme "://" authority path
      const std::size_t scheme_end = target.find("://");
      if (scheme_end == std::string_view::npos || !valid_scheme(target.substr(0, scheme_end)))
        return failing(400, "malformed request target");
      target.remove_prefix(scheme_end + 3);
      const std::size_t path_start = target.find_first_of("/?");
      authority_ = target.substr(0, path_start);
      if (authority_.empty() || !valid_host(authority_)) return failing(400, "invalid authority in the request target");
      target = path_start == std::string_view::npos ? std::string_view("/") : target.substr(path_start);
      if (target.front() == '?') return failing(400, "absolute request target without a path");
    }
    const std::size_t question = target.find('?');
    head.path = target.substr(0, question);
    if (question != std::string_view::npos) head.query = target.substr(question + 1);
    return true;
  }

  // host [":" port] of RFC 3986: reg-name, IPv4 or a bracketed IP literal, as characters go.
  static bool valid_host(std::string_view host) {
    for (char c : host) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      std::string_view("-._~!$&'()*+,;=:%[]").find(c) != std::string_view::npos;
      if (!ok) return false;
    }
    return true;
  }

  // RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  static bool valid_scheme(std::string_view scheme) {
    const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (scheme.empty() || !alpha(scheme.front())) return false;
    for (char c : scheme)
      if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return false;
    return true;
  }

  static bool valid_field_value(std::string_view value) {
    for (char c : value) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && u != '\t') || u == 0x7F) return false;  // obs-text (0x80-0xFF) is allowed
    }
    return true;
  }

  bool content_length(std::string_view value, bool seen_before, http_request_head& head) {
    if (value.empty() || value.size() > 19) return failing(400, "malformed Content-Length");
    std::uint64_t length = 0;
    for (char c : value) {
      if (c < '0' || c > '9') return failing(400, "malformed Content-Length");
      length = length * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (seen_before && length != head.content_length) return failing(400, "differing Content-Length values");
    head.content_length = length;
    head.body = http_body::length;
    return true;
  }

  // Only "chunked" is understood, and it must come last; anything else is not implemented here.
  bool transfer_encoding(std::string_view value, http_request_head& head) {
    bool chunked_last = false;
    bool other = false;
    bool valid = true;
    detail::for_each_list_element(value, [&](std::string_view coding) {
      if (!detail::is_token(coding)) {
        valid = false;
        return false;
      }
      if (chunked_last) valid = false;  // chunked must be the final coding, applied once
      if (detail::equals_ignoring_case(coding, "chunked")) chunked_last = true;
      else other = true;
      return valid;
    });
    // RFC 9112 6.3: without chunked as the final coding the body length is unknown (400); with it,
    // a coding not understood before it is not implemented (501).
    if (!valid || !chunked_last) return failing(400, "Transfer-Encoding without chunked as the final coding");
    if (other) return failing(501, "transfer coding not implemented (only chunked is)");
    if (head.body == http_body::chunked) return failing(400, "chunked applied more than once");
    head.body = http_body::chunked;
    return true;
  }

  // "close" wins over "keep-alive", whatever their order; HTTP/1.0 keeps the connection only when asked.
  static void connection(std::string_view value, http_request_head& head) {
    bool close = false;
    bool keep = false;
    detail::for_each_list_element(value, [&](std::string_view option) {
      close = close || detail::equals_ignoring_case(option, "close");
      keep = keep || detail::equals_ignoring_case(option, "keep-alive");
      return true;
    });
    if (close) head.keep_alive = false;
    else if (keep) head.keep_alive = true;
  }

  bool failing(int status, std::string_view reason) {
    if (status_ == 0) {
      status_ = status;
      reason_ = reason;
    }
    return false;
  }

  http_limits limits_;
  std::size_t skipped_ = 0;       // empty lines before the head, which the offsets below follow
  std::size_t scanned_ = 0;       // where the search for the end of the head resumes
  std::size_t line_scanned_ = 0;  // where the search for the first line's end and space resumes
  std::size_t first_lf_ = std::string_view::npos;
  std::size_t first_space_ = std::string_view::npos;
  std::size_t bare_lf_ = std::string_view::npos;  // where a line ended without CR, once found
  std::string_view authority_;
  int status_ = 0;
  std::string_view reason_;
};

}  // namespace sb
