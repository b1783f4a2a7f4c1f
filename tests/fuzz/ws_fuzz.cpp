// libFuzzer target for the WebSocket frame reader and the handshake check.
// Input: one byte that sets how the rest is cut into pieces, then a client's bytes.
// Oracles: (1) the bytes fed in pieces give exactly the events they give all at once; (2) no message
// is longer than the limit; (3) every text message, close reason included, is valid UTF-8 by an
// independent decoder; (4) a failure carries 1002, 1007 or 1009 and the reader stays failed;
// (5) the same bytes as an HTTP head either fail to parse or get a handshake status the server
// knows, and an accepted key is 16 bytes of base64.
#include <switchboard/http/request_parser.hpp>
#include <switchboard/websocket/frame.hpp>
#include <switchboard/websocket/handshake.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::size_t limit = 1024;  // small, so that fuzzing reaches the limit

void check(bool condition) {
  if (!condition) std::abort();
}

// Decodes code points one by one: a second opinion on sb::utf8_validator, written differently.
bool reference_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char c = byte(i);
    std::size_t length;
    std::uint32_t point;
    if (c < 0x80) length = 1, point = c;
    else if ((c & 0xE0) == 0xC0) length = 2, point = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) length = 3, point = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) length = 4, point = c & 0x07;
    else return false;
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((byte(i + k) & 0xC0) != 0x80) return false;
      point = point << 6 | (byte(i + k) & 0x3F);
    }
    static constexpr std::array<std::uint32_t, 5> smallest{0, 0, 0x80, 0x800, 0x10000};
    if (point < smallest[length] || point > 0x10FFFF || (point >= 0xD800 && point <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

struct record {
  sb::ws_reader::event e;
  std::string payload;
  std::uint16_t code;
  bool operator==(const record&) const = default;
};

std::vector<record> read(std::string_view bytes, std::size_t piece) {
  sb::ws_reader reader(limit);
  std::vector<record> out;
  using event = sb::ws_reader::event;
  for (std::size_t at = 0; at < bytes.size();) {
    const std::size_t size = piece == 0 ? bytes.size() - at : std::min(piece, bytes.size() - at);
    std::string_view input = bytes.substr(at, size);
    at += size;
    for (;;) {
      const event e = reader.next(input);
      if (e == event::need_more) {
        check(input.empty());
        break;
      }
      record r{e, {}, 0};
      switch (e) {
        case event::message:
          r.payload = reader.message(), r.code = static_cast<std::uint16_t>(reader.opcode());
          check(r.payload.size() <= limit);
          if (reader.opcode() == sb::ws_opcode::text) check(reference_utf8(r.payload));
          break;
        case event::ping:
        case event::pong:
          r.payload = reader.control_payload();
          check(r.payload.size() <= 125);
          break;
        case event::close:
          r.payload = reader.close_reason(), r.code = reader.close_code();
          check(reference_utf8(r.payload));
          check(r.code == sb::ws_close::no_status || sb::ws_close::valid_on_wire(r.code));
          break;
        case event::failed:
          r.payload = reader.failure(), r.code = reader.failure_code();
          check(r.code == 1002 || r.code == 1007 || r.code == 1009);
          check(reader.next(input) == event::failed);
          break;
        case event::need_more: break;
      }
      out.push_back(r);
      if (e == event::failed) return out;
    }
  }
  return out;
}

std::array<sb::http_field, 64> fields;

void handshake(std::string_view bytes) {
  sb::http_request_parser parser;
  sb::http_request_head head;
  if (parser.parse(bytes, head, fields) != sb::http_request_parser::result::complete) return;
  const std::string origins[] = {"http://a.example"};
  const std::string_view protocols[] = {"jsonrpc"};
  const auto h = sb::ws_check_handshake(head, origins, protocols);
  check(h.status == 0 || h.status == 400 || h.status == 403 || h.status == 426);
  if (h.status == 0) {
    check(sb::detail::base64_decoded_size(h.key) == 16);
    std::string answer;
    sb::append_ws_accepted(h, answer);
    check(answer.size() > 100 && answer.ends_with("\r\n\r\n"));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = data[0] % 17;  // 0: all at once
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto whole = read(bytes, 0);
  check(read(bytes, piece == 0 ? 1 : piece) == whole);
  handshake(bytes);
  return 0;
}
