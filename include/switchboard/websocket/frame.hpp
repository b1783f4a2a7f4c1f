#pragma once
// WebSocket frames (RFC 6455 section 5), server side: a reader that takes a client's bytes as they
// arrive and yields whole messages and control frames, and the head of the frames a server sends.
// The reader enforces the rules a server must: client frames masked, no reserved bits (but RSV1 for a
// negotiated compression) or opcodes,
// control frames whole and at most 125 bytes, continuation only inside a message, text valid UTF-8
// (checked as it arrives: a bad byte fails the connection before the frame is complete), close codes
// and reasons valid, and a message limit checked from each frame's head, before its payload comes.
// It allocates only the message it assembles, and costs the same per fragment however many came
// before.

#include <switchboard/websocket/utf8.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sb {

enum class ws_opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// The close codes of RFC 6455 section 7.4.1 that the server sends.
namespace ws_close {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;        // the server stops
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;  // e.g. binary where only text is understood
inline constexpr std::uint16_t no_status = 1005;         // received without a code; never sent
inline constexpr std::uint16_t invalid_payload = 1007;   // text that is not UTF-8
inline constexpr std::uint16_t policy_violation = 1008;  // e.g. too far behind, too many messages
inline constexpr std::uint16_t message_too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
inline constexpr std::uint16_t try_again_later = 1013;

// A code a peer may send: the defined ones (1004-1006 and 1015 are never on the wire), those
// registered since (1012-1014), and the ranges for libraries and applications (3000-4999).
constexpr bool valid_on_wire(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}
}  // namespace ws_close

// The head of an unmasked (server) frame: 2 to 10 bytes. `compressed` sets RSV1, which
// permessage-deflate gives to the first frame of a compressed message.
inline void append_ws_frame_head(std::string& out, ws_opcode opcode, std::uint64_t size, bool fin = true,
                                 bool compressed = false) {
  out += static_cast<char>((fin ? 0x80 : 0) | (compressed ? 0x40 : 0) | static_cast<int>(opcode));
  if (size < 126) {
    out += static_cast<char>(size);
  } else if (size <= 0xFFFF) {
    out += static_cast<char>(126);
    out += static_cast<char>(size >> 8);
    out += static_cast<char>(size & 0xFF);
  } else {
    out += static_cast<char>(127);
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((size >> shift) & 0xFF);
  }
}

inline void append_ws_frame(std::string& out, ws_opcode opcode, std::string_view payload, bool compressed = false) {
  append_ws_frame_head(out, opcode, payload.size(), true, compressed);
  out += payload;
}

// A close frame: the code, then a reason cut to fit the 125 bytes of a control frame (at a
// character boundary, so that it stays UTF-8).
inline void append_ws_close(std::string& out, std::uint16_t code, std::string_view reason = {}) {
  if (reason.size() > 123) {
    std::size_t cut = 123;  // moved back to the start of a character the cut would split
    while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
    reason = reason.substr(0, cut);
  }
  append_ws_frame_head(out, ws_opcode::close, 2 + reason.size());
  out += static_cast<char>(code >> 8);
  out += static_cast<char>(code & 0xFF);
  out += reason;
}

class ws_reader {
 public:
  enum class event : std::uint8_t {
    need_more,  // every byte was taken; feed more
    message,    // a whole text or binary message: opcode(), message()
    ping,       // control_payload()
    pong,       // control_payload()
    close,      // close_code() (ws_close::no_status when the frame had none), close_reason()
    failed,     // failure_code() and failure(): send a close with them and end the connection
  };

  explicit ws_reader(std::size_t max_message_bytes = std::size_t{16} << 20) : max_message_(max_message_bytes) {}

  // A compression was negotiated (permessage-deflate): RSV1 on a message's first frame marks it
  // compressed. Such a message is yielded as it came (compressed() says so), its UTF-8 unchecked:
  // the inflated text is the caller's to check.
  void allow_compressed(bool allowed) { compression_ = allowed; }
  bool compressed() const { return message_compressed_; }

  // Takes bytes from the front of `input` up to the next event. The views it yields stay valid
  // until the next call.
  event next(std::string_view& input) {
    if (failed_) return event::failed;
    while (!input.empty() || (stage_ == stage::payload && remaining_ == 0)) {
      if (stage_ == stage::head) {
        if (!take_head(input)) return failed_ ? event::failed : event::need_more;
        continue;
      }
      take_payload(input);
      if (failed_) return event::failed;
      if (remaining_ != 0) return event::need_more;
      stage_ = stage::head;
      head_filled_ = 0;
      if (const event e = frame_done(); e != event::need_more) return e;
    }
    return event::need_more;
  }

  ws_opcode opcode() const { return message_opcode_; }
  std::string_view message() const { return message_; }
  std::string_view control_payload() const { return {control_.data(), control_size_}; }
  std::uint16_t close_code() const { return close_code_; }
  std::string_view close_reason() const { return close_reason_; }
  std::uint16_t failure_code() const { return failure_code_; }
  std::string_view failure() const { return failure_; }
  // A message is being assembled (some of its fragments came).
  bool inside_message() const { return in_message_; }

 private:
  enum class stage : std::uint8_t { head, payload };
  static constexpr std::size_t kept_capacity = std::size_t{1} << 20;  // a larger message's buffer is freed

  bool fail(std::uint16_t code, std::string_view why) {
    failed_ = true;
    failure_code_ = code;
    failure_ = why;
    return false;
  }

  // The head arrives in pieces: the first two bytes say how long it is, and are checked at once.
  bool take_head(std::string_view& input) {
    while (!input.empty()) {
      const std::size_t wanted = head_filled_ < 2 ? 2 : head_size_;
      const std::size_t take = std::min(wanted - head_filled_, input.size());
      std::memcpy(head_.data() + head_filled_, input.data(), take);
      input.remove_prefix(take);
      head_filled_ += take;
      if (head_filled_ < wanted) return false;
      if (wanted == 2) {
        if (!check_first_bytes()) return false;
        if (head_filled_ < head_size_) continue;
      }
      return begin_payload();
    }
    return false;
  }

  bool check_first_bytes() {
    const std::uint8_t b0 = head_[0], b1 = head_[1];
    fin_ = (b0 & 0x80) != 0;
    const int op = b0 & 0x0F;
    if (op != 0 && op != 1 && op != 2 && op != 8 && op != 9 && op != 10)
      return fail(ws_close::protocol_error, "reserved opcode");
    rsv1_ = (b0 & 0x40) != 0;
    if ((b0 & 0x30) != 0 || (rsv1_ && !compression_))
      return fail(ws_close::protocol_error, "reserved bits set without an extension that defines them");
    if (rsv1_ && (op == 0 || op >= 8))
      return fail(ws_close::protocol_error, "RSV1 on a continuation or control frame");
    if ((b1 & 0x80) == 0) return fail(ws_close::protocol_error, "a client frame is not masked");
    opcode_ = static_cast<ws_opcode>(op);
    const std::size_t length_bytes = (b1 & 0x7F) == 126 ? 2 : (b1 & 0x7F) == 127 ? 8 : 0;
    if (control()) {
      if (!fin_) return fail(ws_close::protocol_error, "a fragmented control frame");
      if ((b1 & 0x7F) > 125) return fail(ws_close::protocol_error, "a control frame longer than 125 bytes");
    } else if (opcode_ == ws_opcode::continuation && !in_message_) {
      return fail(ws_close::protocol_error, "a continuation frame outside a message");
    } else if (opcode_ != ws_opcode::continuation && in_message_) {
      return fail(ws_close::protocol_error, "a new message began before the last one ended");
    }
    head_size_ = 2 + length_bytes + 4;
    return true;
  }

  bool begin_payload() {
    const std::uint8_t len7 = head_[1] & 0x7F;
    std::uint64_t size = len7;
    std::size_t at = 2;
    if (len7 == 126) {
      size = std::uint64_t{head_[2]} << 8 | head_[3];
      at = 4;
    } else if (len7 == 127) {
      size = 0;
      for (at = 2; at < 10; ++at) size = size << 8 | head_[at];
      if (size >> 63) return fail(ws_close::protocol_error, "a payload length with its most significant bit set");
    }
    std::memcpy(mask_.data(), head_.data() + at, 4);
    mask_at_ = 0;
    if (!control()) {
      const std::size_t so_far = opcode_ == ws_opcode::continuation ? message_.size() : 0;
      if (size > max_message_ - so_far) return fail(ws_close::message_too_big, "the message is larger than the limit");
      if (opcode_ != ws_opcode::continuation) start_message();
    } else {
      control_size_ = 0;
    }
    remaining_ = size;
    stage_ = stage::payload;
    return true;
  }

  void start_message() {
    in_message_ = true;
    message_opcode_ = opcode_;
    message_compressed_ = rsv1_;
    if (message_.capacity() > kept_capacity) std::string().swap(message_);
    message_.clear();
    utf8_.reset();
  }

  void take_payload(std::string_view& input) {
    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size()));
    if (take == 0) return;
    char* to;
    if (control()) {
      to = control_.data() + control_size_;
      control_size_ += take;
    } else {
      message_.resize(message_.size() + take);  // amortized: constant cost per fragment
      to = message_.data() + message_.size() - take;
    }
    unmask(input.data(), to, take);
    input.remove_prefix(take);
    remaining_ -= take;
    if (!control() && message_opcode_ == ws_opcode::text && !message_compressed_ && !utf8_.feed({to, take}))
      fail(ws_close::invalid_payload, "a text message that is not UTF-8");
  }

  void unmask(const char* from, char* to, std::size_t size) {
    std::size_t i = 0;
    if (size >= 8) {
      std::array<unsigned char, 8> key;
      for (std::size_t k = 0; k < 8; ++k) key[k] = mask_[(mask_at_ + k) & 3];
      std::uint64_t wide;
      std::memcpy(&wide, key.data(), 8);
      for (; i + 8 <= size; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, from + i, 8);
        word ^= wide;
        std::memcpy(to + i, &word, 8);
      }
    }
    for (; i < size; ++i) to[i] = static_cast<char>(from[i] ^ mask_[(mask_at_ + i) & 3]);
    mask_at_ = (mask_at_ + size) & 3;
  }

  event frame_done() {
    switch (opcode_) {
      case ws_opcode::ping: return event::ping;
      case ws_opcode::pong: return event::pong;
      case ws_opcode::close: return read_close();
      default: break;
    }
    if (!fin_) return event::need_more;
    if (message_opcode_ == ws_opcode::text && !message_compressed_ && !utf8_.complete()) {
      fail(ws_close::invalid_payload, "a text message that ends inside a character");
      return event::failed;
    }
    in_message_ = false;
    return event::message;
  }

  event read_close() {
    close_reason_ = {};
    if (control_size_ == 0) {
      close_code_ = ws_close::no_status;
      return event::close;
    }
    if (control_size_ == 1) {
      fail(ws_close::protocol_error, "a close frame with a one-byte payload");
      return event::failed;
    }
    close_code_ = static_cast<std::uint16_t>(static_cast<unsigned char>(control_[0]) << 8 |
                                             static_cast<unsigned char>(control_[1]));
    if (!ws_close::valid_on_wire(close_code_)) {
      fail(ws_close::protocol_error, "a close code that may not be sent");
      return event::failed;
    }
    close_reason_ = std::string_view(control_.data() + 2, control_size_ - 2);
    utf8_validator reason;
    if (!reason.feed(close_reason_) || !reason.complete()) {
      fail(ws_close::invalid_payload, "a close reason that is not UTF-8");
      return event::failed;
    }
    return event::close;
  }

  bool control() const { return (static_cast<int>(opcode_) & 8) != 0; }

  std::size_t max_message_;
  stage stage_ = stage::head;
  std::array<std::uint8_t, 14> head_{};
  std::size_t head_filled_ = 0;
  std::size_t head_size_ = 2;
  bool fin_ = false;
  bool rsv1_ = false;
  bool compression_ = false;
  bool message_compressed_ = false;
  ws_opcode opcode_ = ws_opcode::continuation;
  std::uint64_t remaining_ = 0;
  std::array<unsigned char, 4> mask_{};
  std::size_t mask_at_ = 0;

  bool in_message_ = false;
  ws_opcode message_opcode_ = ws_opcode::text;
  std::string message_;
  utf8_validator utf8_;

  std::array<char, 125> control_{};
  std::size_t control_size_ = 0;
  std::uint16_t close_code_ = 0;
  std::string_view close_reason_;

  bool failed_ = false;
  std::uint16_t failure_code_ = 0;
  std::string_view failure_;
};

}  // namespace sb
