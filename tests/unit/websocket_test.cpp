// RFC 6455 pieces without a socket: SHA-1 and base64 for the handshake, the handshake's checks,
// UTF-8 as it arrives, and the frame reader's rules.
#include <switchboard/http/request_parser.hpp>
#include <switchboard/websocket/frame.hpp>
#include <switchboard/websocket/handshake.hpp>
#include <switchboard/websocket/sha1.hpp>
#include <switchboard/websocket/utf8.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using event = sb::ws_reader::event;

std::string hex(const std::array<std::uint8_t, 20>& digest) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const auto b : digest) out += digits[b >> 4], out += digits[b & 15];
  return out;
}

std::string sha1_hex(std::string_view text) {
  sb::detail::sha1 hash;
  hash.update(text);
  return hex(hash.finish());
}

TEST(WebSocketSha1, KnownDigests) {
  EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");  // 56 bytes: the length spills into a second block
  sb::detail::sha1 million;
  const std::string thousand(1000, 'a');
  for (int i = 0; i < 1000; ++i) million.update(thousand);
  EXPECT_EQ(hex(million.finish()), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(WebSocketHandshake, AcceptKeyOfRfc6455) {
  std::string accept;
  sb::append_ws_accept("dGhlIHNhbXBsZSBub25jZQ==", accept);
  EXPECT_EQ(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketHandshake, Base64Sizes) {
  EXPECT_EQ(sb::detail::base64_decoded_size("dGhlIHNhbXBsZSBub25jZQ=="), 16);
  EXPECT_EQ(sb::detail::base64_decoded_size("AAAA"), 3);
  EXPECT_EQ(sb::detail::base64_decoded_size("AAA="), 2);
  EXPECT_EQ(sb::detail::base64_decoded_size(""), -1);
  EXPECT_EQ(sb::detail::base64_decoded_size("AAAAA"), -1);
  EXPECT_EQ(sb::detail::base64_decoded_size("AA=A"), -1);
  EXPECT_EQ(sb::detail::base64_decoded_size("AA A"), -1);
  EXPECT_EQ(sb::detail::base64_decoded_size("A==="), -1);  // padding only in the last two places
}

// ---- the handshake ----

std::array<sb::http_field, 64> storage;

struct checked {
  sb::http_request_parser::result parsed;
  sb::ws_handshake handshake;
  bool upgrade = false;
};

const std::string key_field = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

std::string handshake_head(std::string_view extra, std::string_view first_line = "GET /rpc HTTP/1.1",
                           std::string_view connection = "Upgrade", std::string_view key = key_field) {
  std::string text(first_line);
  text += "\r\nHost: example.org:8080\r\nUpgrade: websocket\r\nConnection: ";
  text += connection;
  text += "\r\n";
  text += key;
  text += "Sec-WebSocket-Version: 13\r\n";
  text += extra;
  text += "\r\n";
  return text;
}

checked check(const std::string& text, std::vector<std::string> origins = {},
              std::vector<std::string> protocols = {}) {
  static std::string kept;  // the head's views point into it
  static std::vector<std::string> kept_protocols;  // and the chosen subprotocol's into these
  kept = text;
  kept_protocols = std::move(protocols);
  sb::http_request_parser parser;
  sb::http_request_head head;
  checked out;
  out.parsed = parser.parse(kept, head, storage);
  if (out.parsed != sb::http_request_parser::result::complete) return out;
  out.upgrade = sb::is_ws_upgrade(head);
  out.handshake = sb::ws_check_handshake(head, origins, kept_protocols);
  return out;
}

TEST(WebSocketHandshake, AValidOneIsAccepted) {
  const auto c = check(handshake_head(""));
  ASSERT_EQ(c.parsed, sb::http_request_parser::result::complete);
  EXPECT_TRUE(c.upgrade);
  EXPECT_EQ(c.handshake.status, 0) << c.handshake.reason;
  std::string answer;
  sb::append_ws_accepted(c.handshake, answer);
  EXPECT_EQ(answer,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
}

TEST(WebSocketHandshake, TokensAreListsComparedWithoutCase) {
  EXPECT_EQ(check(handshake_head("", "GET /rpc HTTP/1.1", "keep-alive, UPGRADE")).handshake.status, 0);
  std::string split = handshake_head("Connection: upgrade\r\n", "GET /rpc HTTP/1.1", "keep-alive");
  EXPECT_EQ(check(split).handshake.status, 0);  // the token in a second field of the same name
  std::string mixed = handshake_head("");
  mixed.replace(mixed.find("Upgrade: websocket"), 18, "upgrade: WebSocket");
  const auto c = check(mixed);
  EXPECT_TRUE(c.upgrade);
  EXPECT_EQ(c.handshake.status, 0);
}

TEST(WebSocketHandshake, EachFaultHasItsStatus) {
  EXPECT_EQ(check(handshake_head("", "POST /rpc HTTP/1.1")).handshake.status, 400);
  EXPECT_EQ(check(handshake_head("", "GET /rpc HTTP/1.0")).handshake.status, 400);
  EXPECT_EQ(check(handshake_head("", "GET /rpc HTTP/1.1", "keep-alive")).handshake.status, 400);
  EXPECT_EQ(check(handshake_head("", "GET /rpc HTTP/1.1", "Upgrade", "")).handshake.status, 400);  // no key
  EXPECT_EQ(check(handshake_head("", "GET /rpc HTTP/1.1", "Upgrade", "Sec-WebSocket-Key: c2hvcnQ=\r\n"))
                .handshake.status,
            400);  // 5 bytes
  EXPECT_EQ(check(handshake_head(key_field)).handshake.status, 400);  // sent twice
  EXPECT_EQ(check(handshake_head("Content-Length: 2\r\n")).handshake.status, 400);
  std::string old_version = handshake_head("");
  old_version.replace(old_version.find("Version: 13"), 11, "Version: 8");
  const auto c = check(old_version);
  EXPECT_EQ(c.handshake.status, 426);
  EXPECT_NE(c.handshake.reason.find("13"), std::string_view::npos);
  EXPECT_EQ(check(handshake_head("Sec-WebSocket-Version: 13\r\n")).handshake.status, 426);  // twice
}

TEST(WebSocketHandshake, PlainRequestsAreNotUpgrades) {
  const auto c = check("GET /rpc HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n");
  EXPECT_FALSE(c.upgrade);
}

TEST(WebSocketHandshake, OriginsAreChecked) {
  // None listed: a page from the server's own origin only; clients without Origin are not browsers.
  EXPECT_EQ(check(handshake_head("Origin: http://example.org:8080\r\n")).handshake.status, 0);
  EXPECT_EQ(check(handshake_head("Origin: http://evil.example\r\n")).handshake.status, 403);
  EXPECT_EQ(check(handshake_head("Origin: null\r\n")).handshake.status, 403);
  EXPECT_EQ(check(handshake_head("")).handshake.status, 0);
  const std::vector<std::string> listed{"https://app.example"};
  EXPECT_EQ(check(handshake_head("Origin: https://app.example\r\n"), listed).handshake.status, 0);
  // Listing other origins (a dev server's, say) must not lock out the server's own pages.
  EXPECT_EQ(check(handshake_head("Origin: http://example.org:8080\r\n"), listed).handshake.status, 0);
  EXPECT_EQ(check(handshake_head("Origin: http://evil.example\r\n"), listed).handshake.status, 403);
  EXPECT_EQ(check(handshake_head("Origin: http://example.org:9090\r\n"), listed).handshake.status, 403);
  EXPECT_EQ(check(handshake_head("Origin: http://anyone.example\r\n"), {"*"}).handshake.status, 0);
}

TEST(WebSocketHandshake, SubprotocolIsTheServersFirstChoiceAmongTheOffered) {
  const auto c = check(handshake_head("Sec-WebSocket-Protocol: chat, jsonrpc\r\n"), {}, {"jsonrpc", "chat"});
  EXPECT_EQ(c.handshake.protocol, "jsonrpc");
  std::string answer;
  sb::append_ws_accepted(c.handshake, answer);
  EXPECT_NE(answer.find("\r\nSec-WebSocket-Protocol: jsonrpc\r\n"), std::string::npos);
  EXPECT_EQ(check(handshake_head("Sec-WebSocket-Protocol: other\r\n"), {}, {"jsonrpc"}).handshake.protocol, "");
  // The same with the names as views, as code using websocket/handshake.hpp alone may hold them.
  std::string text = handshake_head("Sec-WebSocket-Protocol: chat, jsonrpc\r\n");
  sb::http_request_parser parser;
  sb::http_request_head head;
  ASSERT_EQ(parser.parse(text, head, storage), sb::http_request_parser::result::complete);
  const std::string_view views[] = {"jsonrpc", "chat"};
  EXPECT_EQ(sb::ws_check_handshake(head, {}, views).protocol, "jsonrpc");
}

// ---- UTF-8 ----

TEST(WebSocketUtf8, ValidTextOfEveryLength) {
  sb::utf8_validator v;
  EXPECT_TRUE(v.feed("plain ASCII that is longer than eight bytes"));
  EXPECT_TRUE(v.feed("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"));  // κόσμε
  EXPECT_TRUE(v.feed("\xf0\x9f\x98\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf"));  // U+1F600, U+FFFF, U+10FFFF
  EXPECT_TRUE(v.complete());
}

TEST(WebSocketUtf8, InvalidBytesFailWhereTheyStand) {
  for (const std::string_view bad : {std::string_view("\xc0\x80"), std::string_view("\xc1\xbf"),
                                     std::string_view("\xe0\x80\x80"), std::string_view("\xed\xa0\x80"),
                                     std::string_view("\xf0\x80\x80\x80"), std::string_view("\xf4\x90\x80\x80"),
                                     std::string_view("\xf5"), std::string_view("\xff"), std::string_view("\x80"),
                                     std::string_view("\xce\x41")}) {
    sb::utf8_validator v;
    bool failed = false;
    for (const char c : bad) failed = failed || !v.feed({&c, 1});
    EXPECT_TRUE(failed) << "bytes of size " << bad.size();
  }
  sb::utf8_validator split;  // a character cut between two pieces is fine until the text ends
  EXPECT_TRUE(split.feed("\xf0\x9f"));
  EXPECT_FALSE(split.complete());
  EXPECT_TRUE(split.feed("\x98\x80"));
  EXPECT_TRUE(split.complete());
}

// ---- frames ----

// A client frame: masked unless told otherwise.
std::string frame(std::uint8_t first_byte, std::string_view payload, bool masked = true) {
  std::string out;
  out += static_cast<char>(first_byte);
  const std::uint8_t mask_bit = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    out += static_cast<char>(mask_bit | payload.size());
  } else if (payload.size() <= 0xFFFF) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>(payload.size() >> 8);
    out += static_cast<char>(payload.size() & 0xFF);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((payload.size() >> shift) & 0xFF);
  }
  const std::array<char, 4> key{'\x12', '\x34', '\x56', '\x78'};
  if (masked) out.append(key.data(), 4);
  for (std::size_t i = 0; i < payload.size(); ++i) out += masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i];
  return out;
}
constexpr std::uint8_t fin = 0x80;
constexpr std::uint8_t text = 0x1, binary = 0x2, continuation = 0x0, close_op = 0x8, ping = 0x9, pong = 0xA;

struct seen {
  event e;
  std::string payload;  // the message, the control payload, or the close reason
  std::uint16_t code = 0;
};

// Every event of `bytes`, fed in pieces of `piece` bytes (0: all at once).
std::vector<seen> read_all(std::string_view bytes, std::size_t piece = 0, std::size_t limit = 1 << 24) {
  sb::ws_reader reader(limit);
  std::vector<seen> out;
  std::size_t at = 0;
  while (at < bytes.size()) {
    const std::size_t size = piece == 0 ? bytes.size() - at : std::min(piece, bytes.size() - at);
    std::string_view input = bytes.substr(at, size);
    at += size;
    for (;;) {
      const event e = reader.next(input);
      if (e == event::need_more) break;
      seen s{e, {}};
      if (e == event::message) s.payload = reader.message(), s.code = static_cast<std::uint16_t>(reader.opcode());
      if (e == event::ping || e == event::pong) s.payload = reader.control_payload();
      if (e == event::close) s.payload = reader.close_reason(), s.code = reader.close_code();
      if (e == event::failed) s.payload = reader.failure(), s.code = reader.failure_code();
      out.push_back(s);
      if (e == event::failed) return out;
    }
  }
  return out;
}

TEST(WebSocketFrames, WholeMessagesAtOnceAndByteByByte) {
  const std::string bytes = frame(fin | text, "hello") + frame(fin | binary, std::string("\0\1\2", 3)) +
                            frame(fin | text, std::string(300, 'x')) + frame(fin | text, std::string(70000, 'y')) +
                            frame(fin | text, "");
  for (const std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
    const auto events = read_all(bytes, piece);
    ASSERT_EQ(events.size(), 5u) << piece;
    EXPECT_EQ(events[0].payload, "hello");
    EXPECT_EQ(events[0].code, 1);
    EXPECT_EQ(events[1].payload, std::string("\0\1\2", 3));
    EXPECT_EQ(events[1].code, 2);
    EXPECT_EQ(events[2].payload, std::string(300, 'x'));
    EXPECT_EQ(events[3].payload, std::string(70000, 'y'));
    EXPECT_EQ(events[4].payload, "");
  }
}

TEST(WebSocketFrames, FragmentsWithControlFramesBetween) {
  const std::string bytes = frame(text, "frag") + frame(fin | ping, "are you there") + frame(continuation, "men") +
                            frame(fin | pong, "") + frame(fin | continuation, "ted");
  const auto events = read_all(bytes, 3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].e, event::ping);
  EXPECT_EQ(events[0].payload, "are you there");
  EXPECT_EQ(events[1].e, event::pong);
  EXPECT_EQ(events[2].e, event::message);
  EXPECT_EQ(events[2].payload, "fragmented");
}

TEST(WebSocketFrames, FourMebibytesIn64ByteFragments) {
  const std::string part(64, 'z');
  const std::size_t count = (std::size_t{4} << 20) / 64;
  std::string bytes = frame(binary, part);
  for (std::size_t i = 1; i + 1 < count; ++i) bytes += frame(continuation, part);
  bytes += frame(fin | continuation, part);
  const auto events = read_all(bytes, 4096);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload.size(), std::size_t{4} << 20);
}

void expect_failure(const std::string& bytes, std::uint16_t code, std::string_view why_part) {
  for (const std::size_t piece : {std::size_t{0}, std::size_t{1}}) {
    const auto events = read_all(bytes, piece);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().e, event::failed);
    EXPECT_EQ(events.back().code, code);
    EXPECT_NE(events.back().payload.find(why_part), std::string::npos) << events.back().payload;
  }
}

TEST(WebSocketFrames, ProtocolErrors) {
  expect_failure(frame(fin | text, "x", false), 1002, "not masked");
  expect_failure(frame(fin | 0x40 | text, "x"), 1002, "reserved bits");
  expect_failure(frame(fin | 0x3, "x"), 1002, "reserved opcode");
  expect_failure(frame(fin | 0xB, "x"), 1002, "reserved opcode");
  expect_failure(frame(ping, "x"), 1002, "fragmented control");
  expect_failure(frame(fin | ping, std::string(126, 'p')), 1002, "longer than 125");
  expect_failure(frame(fin | continuation, "x"), 1002, "continuation frame outside");
  expect_failure(frame(text, "a") + frame(fin | text, "b"), 1002, "new message began");
  std::string huge_length = frame(fin | binary, "");
  huge_length[1] = static_cast<char>(0x80 | 127);
  huge_length.insert(2, std::string("\x80\0\0\0\0\0\0\0", 8));
  expect_failure(huge_length, 1002, "most significant bit");
}

TEST(WebSocketFrames, BadTextFailsAtTheBadByteNotAtTheEnd) {
  const std::string bytes = frame(fin | text, std::string(100, 'a') + "\xff" + std::string(100, 'b'));
  // Everything up to and including the bad byte, the frame's remaining 100 bytes not yet sent.
  const std::string_view early(bytes.data(), bytes.size() - 100);
  const auto events = read_all(early);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].e, event::failed);
  EXPECT_EQ(events[0].code, 1007);
  expect_failure(frame(text, "ok \xf0\x9f") + frame(fin | continuation, ""), 1007, "inside a character");
  // A character split between fragments is fine.
  const auto split = read_all(frame(text, "\xf0\x9f") + frame(fin | continuation, "\x98\x80"));
  ASSERT_EQ(split.size(), 1u);
  EXPECT_EQ(split[0].e, event::message);
}

TEST(WebSocketFrames, TheLimitIsCheckedFromTheHead) {
  const auto events = read_all(frame(fin | binary, std::string(1001, 'x')).substr(0, 8), 0, 1000);  // head only
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].code, 1009);
  const auto fragments = read_all(frame(binary, std::string(600, 'x')) + frame(fin | continuation, std::string(401, 'x')),
                                  0, 1000);
  ASSERT_EQ(fragments.size(), 1u);
  EXPECT_EQ(fragments[0].code, 1009);
  const auto exact = read_all(frame(binary, std::string(600, 'x')) + frame(fin | continuation, std::string(400, 'x')),
                              0, 1000);
  ASSERT_EQ(exact.size(), 1u);
  EXPECT_EQ(exact[0].e, event::message);
}

TEST(WebSocketFrames, CloseFrames) {
  const auto empty = read_all(frame(fin | close_op, ""));
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty[0].e, event::close);
  EXPECT_EQ(empty[0].code, sb::ws_close::no_status);
  const auto with_reason = read_all(frame(fin | close_op, std::string("\x03\xe8", 2) + "bye \xce\xba"));
  ASSERT_EQ(with_reason.size(), 1u);
  EXPECT_EQ(with_reason[0].code, 1000);
  EXPECT_EQ(with_reason[0].payload, "bye \xce\xba");
  for (const std::uint16_t code : {1000, 1001, 1003, 1007, 1011, 1012, 1014, 3000, 4999}) {
    const auto e = read_all(frame(fin | close_op, std::string{static_cast<char>(code >> 8), static_cast<char>(code & 255)}));
    EXPECT_EQ(e.at(0).e, event::close) << code;
  }
  for (const std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}) {
    const auto e = read_all(frame(fin | close_op, std::string{static_cast<char>(code >> 8), static_cast<char>(code & 255)}));
    EXPECT_EQ(e.at(0).code, 1002) << code;
  }
  expect_failure(frame(fin | close_op, "x"), 1002, "one-byte");
  expect_failure(frame(fin | close_op, std::string("\x03\xe8\xff", 3)), 1007, "reason");
}

TEST(WebSocketFrames, ServerFrameHeadsAndCloseReasons) {
  for (const auto& [size, head] : std::vector<std::pair<std::size_t, std::size_t>>{
           {0, 2}, {125, 2}, {126, 4}, {65535, 4}, {65536, 10}}) {
    std::string out;
    sb::append_ws_frame_head(out, sb::ws_opcode::binary, size);
    EXPECT_EQ(out.size(), head) << size;
    EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x82);
  }
  std::string close;
  std::string reason(121, 'r');
  reason += "\xce\xba\xce\xba";  // 125 bytes: cut to 123 at a character boundary
  sb::append_ws_close(close, 1008, reason);
  EXPECT_EQ(static_cast<unsigned char>(close[1]), 2 + 121 + 2);
  sb::utf8_validator v;
  EXPECT_TRUE(v.feed(std::string_view(close).substr(4)) && v.complete());
}

}  // namespace
