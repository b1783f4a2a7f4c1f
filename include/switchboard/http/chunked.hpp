#pragma once
// Decodes a chunked request body as it arrives (RFC 9112 7.1), under a size limit: chunk sizes in
// hex (at most 16 digits), chunk extensions skipped (bounded), trailer fields checked and dropped.
// Every framing error is a 400 and a body past the limit a 413, so the server can answer and close.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sb {

class chunked_decoder {
 public:
  enum class result : std::uint8_t { more, done, failed };

  explicit chunked_decoder(std::uint64_t max_body_bytes, std::size_t max_trailer_bytes = 16384)
      : max_body_(max_body_bytes),
        max_trailer_(max_trailer_bytes),
        max_overhead_(65536 + max_trailer_bytes + max_body_bytes / 8) {}

  // Consumes what it can of `in` (advancing it past what it used), handing each piece of content to
  // on_data(std::string_view). `done` once the last chunk and the trailer section are read; bytes
  // after that (a pipelined request) stay in `in`.
  template <class OnData>
  result feed(std::string_view& in, OnData&& on_data) {
    if (status_ != 0) return result::failed;
    while (!in.empty()) {
      if (state_ == state::data) {
        const std::size_t take = in.size() < remaining_ ? in.size() : static_cast<std::size_t>(remaining_);
        on_data(in.substr(0, take));
        in.remove_prefix(take);
        remaining_ -= take;
        if (remaining_ == 0) state_ = state::data_cr;
        continue;
      }
      const char c = in.front();
      in.remove_prefix(1);
      // Framing bytes (sizes, extensions, CRLFs, trailers) are bounded over the whole body, so that
      // one-byte chunks cannot make a small body cost many times its size on the wire.
      if (++overhead_ > max_overhead_) {
        fail(400, "chunked framing too large for its content");
        return result::failed;
      }
      if (!step(c)) return result::failed;
      if (state_ == state::finished) return result::done;
    }
    return state_ == state::finished ? result::done : result::more;
  }

  std::uint64_t size() const { return total_; }
  int status() const { return status_; }
  std::string_view reason() const { return reason_; }

 private:
  enum class state : std::uint8_t {
    size, size_space, extension, size_lf, data, data_cr, data_lf, trailer_start, trailer, trailer_lf, final_lf, finished
  };

  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool step(char c) {
    switch (state_) {
      case state::size:
        if (const int digit = hex(c); digit >= 0) {
          if (++digits_ > 16) return fail(400, "chunk size too long");
          size_ = size_ * 16 + static_cast<std::uint64_t>(digit);
          return true;
        }
        if (digits_ == 0) return fail(400, "chunk size expected");
        if (c == ';') return to(state::extension);
        if (c == ' ' || c == '\t') return to(state::size_space);
        if (c == '\r') return to(state::size_lf);
        return fail(400, "malformed chunk size");
      case state::size_space:  // whitespace may stand before an extension, nothing else
        if (c == ' ' || c == '\t') return true;
        if (c == ';') return to(state::extension);
        return fail(400, "malformed chunk size");
      case state::extension:
        if (c == '\r') return to(state::size_lf);
        if (++extension_bytes_ > 4096) return fail(400, "chunk extensions too long");
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F) return fail(400, "control character in a chunk extension");
        return true;
      case state::size_lf:
        if (c != '\n') return fail(400, "chunk size line not ended by CRLF");
        if (size_ == 0) return to(state::trailer_start);
        if (size_ > max_body_ - total_) return fail(413, "chunked body over the body limit");
        total_ += size_;
        remaining_ = size_;
        size_ = 0;
        digits_ = 0;
        extension_bytes_ = 0;
        return to(state::data);
      case state::data_cr: return c == '\r' ? to(state::data_lf) : fail(400, "chunk data not followed by CRLF");
      case state::data_lf: return c == '\n' ? to(state::size) : fail(400, "chunk data not followed by CRLF");
      case state::trailer_start:
        if (c == '\r') return to(state::final_lf);
        [[fallthrough]];
      case state::trailer:
        if (++trailer_bytes_ > max_trailer_) return fail(431, "trailer section too large");
        if (c == '\r') return to(state::trailer_lf);
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F) return fail(400, "control character in a trailer field");
        return to(state::trailer);
      case state::trailer_lf: return c == '\n' ? to(state::trailer_start) : fail(400, "trailer line not ended by CRLF");
      case state::final_lf: return c == '\n' ? to(state::finished) : fail(400, "chunked body not ended by CRLF");
      case state::data:
      case state::finished: break;
    }
    return fail(400, "chunked body framing");
  }

  bool to(state next) {
    state_ = next;
    return true;
  }
  bool fail(int status, std::string_view reason) {
    status_ = status;
    reason_ = reason;
    return false;
  }

  std::uint64_t max_body_;
  std::size_t max_trailer_;
  std::uint64_t max_overhead_;
  std::uint64_t overhead_ = 0;
  state state_ = state::size;
  std::uint64_t size_ = 0;
  std::uint64_t remaining_ = 0;
  std::uint64_t total_ = 0;
  unsigned digits_ = 0;
  std::size_t extension_bytes_ = 0;
  std::size_t trailer_bytes_ = 0;
  int status_ = 0;
  std::string_view reason_;
};

}  // namespace sb
