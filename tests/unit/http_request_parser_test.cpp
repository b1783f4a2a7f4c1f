// The HTTP/1.1 request head parser and the chunked body decoder: every rule, byte by byte as well
// as all at once.
#include <switchboard/http/chunked.hpp>
#include <switchboard/http/request_parser.hpp>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

// Appended rather than "text" + std::string(n, c): once that concatenation is inlined, g++ 12 warns
// wrongly that its memcpy runs past the string's local buffer (-Warray-bounds).
std::string with_run(std::string_view before, std::size_t count, char c, std::string_view after = {}) {
  std::string out(before);
  out.append(count, c);
  out.append(after);
  return out;
}

using result = sb::http_request_parser::result;

struct parsed {
  result outcome;
  int status;
  std::string reason;
  sb::http_request_head head;
};

std::array<sb::http_field, 128> storage;

parsed parse(std::string_view text, sb::http_limits limits = {}) {
  sb::http_request_parser parser(limits);
  parsed p{};
  p.outcome = parser.parse(text, p.head, storage);
  p.status = parser.status();
  p.reason = std::string(parser.reason());
  return p;
}

// Fed one byte more each time, as a slow client sends it: the same outcome as all at once.
parsed parse_trickled(std::string_view text, sb::http_limits limits = {}) {
  sb::http_request_parser parser(limits);
  parsed p{};
  for (std::size_t n = 1; n <= text.size(); ++n) {
    p.outcome = parser.parse(text.substr(0, n), p.head, storage);
    if (p.outcome != result::incomplete) break;
  }
  p.status = parser.status();
  return p;
}

TEST(HttpRequestParser, ASimpleGet) {
  const std::string text = "GET /api/tools/add?a=2&b=3 HTTP/1.1\r\nHost: example\r\nAccept:  */* \r\n\r\nNEXT";
  for (const auto& p : {parse(text), parse_trickled(text)}) {
    ASSERT_EQ(p.outcome, result::complete) << p.reason;
    EXPECT_EQ(p.head.method, "GET");
    EXPECT_EQ(p.head.target, "/api/tools/add?a=2&b=3");
    EXPECT_EQ(p.head.path, "/api/tools/add");
    EXPECT_EQ(p.head.query, "a=2&b=3");
    EXPECT_EQ(p.head.host, "example");
    EXPECT_EQ(p.head.field("ACCEPT"), "*/*");
    EXPECT_EQ(p.head.fields.size(), 2u);
    EXPECT_EQ(p.head.body, sb::http_body::none);
    EXPECT_TRUE(p.head.keep_alive);
    EXPECT_EQ(p.head.head_bytes, text.size() - 4);  // "NEXT" is the next request's
  }
}

TEST(HttpRequestParser, IncompleteUntilTheBlankLine) {
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\n").outcome, result::incomplete);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\n\r").outcome, result::incomplete);
  EXPECT_EQ(parse("").outcome, result::incomplete);
  EXPECT_EQ(parse("\r\n").outcome, result::incomplete);
}

// A head whose lines end in bare LFs never has a CRLF CRLF: it is refused at its first LF, not left
// incomplete until the connection's deadline.
TEST(HttpRequestParser, ABareLfFailsAtOnce) {
  for (const auto& p : {parse("GET / HTTP/1.1\nHost: a\n\n"), parse_trickled("GET / HTTP/1.1\nHost: a\n\n"),
                        parse("GET / HTTP/1.1\n")}) {
    EXPECT_EQ(p.outcome, result::failed);
    EXPECT_EQ(p.status, 400);
  }
  // The limits on what came before still come first, as they would have for a slow client.
  EXPECT_EQ(parse(with_run("GET /", 9000, 'a', " HTTP/1.1\n")).status, 414);
}

TEST(HttpRequestParser, LeadingEmptyLinesAreIgnored) {
  const std::string text = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  for (const auto& p : {parse(text), parse_trickled(text)}) {  // trickled: "\r" first, then more
    ASSERT_EQ(p.outcome, result::complete) << p.reason;
    EXPECT_EQ(p.head.head_bytes, 4u + 27u);
    EXPECT_EQ(p.head.method, "GET");
  }
  EXPECT_EQ(parse_trickled("\r\n\r\n\r\n\n\rGET / HTTP/1.1\r\n\r\n").status, 400);  // a bare LF
}

TEST(HttpRequestParser, BodiesByLengthAndChunked) {
  auto p = parse("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n");
  EXPECT_EQ(p.head.body, sb::http_body::length);
  EXPECT_EQ(p.head.content_length, 12u);
  p = parse("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(p.head.body, sb::http_body::none);
  p = parse("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n");
  EXPECT_EQ(p.outcome, result::complete);  // identical repetitions are one length
  p = parse("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n");
  EXPECT_EQ(p.head.body, sb::http_body::chunked);
}

TEST(HttpRequestParser, ConnectionAndExpect) {
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Close\r\n\r\n").head.keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.0\r\n\r\n").head.keep_alive);
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").head.keep_alive);
  EXPECT_TRUE(parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n").head.expect_continue);
  EXPECT_FALSE(parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n").head.expect_continue);
}

TEST(HttpRequestParser, TargetForms) {
  auto p = parse("GET http://example.com:8080/a/b?c=d HTTP/1.1\r\nHost: example.com\r\n\r\n");
  ASSERT_EQ(p.outcome, result::complete) << p.reason;
  EXPECT_EQ(p.head.path, "/a/b");
  EXPECT_EQ(p.head.query, "c=d");
  EXPECT_EQ(p.head.host, "example.com:8080");  // the target's authority wins over Host
  p = parse("GET http://good.example/x HTTP/1.1\r\nHost: evil.example\r\n\r\n");
  EXPECT_EQ(p.head.host, "good.example");
  p = parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(p.head.path, "*");
  EXPECT_EQ(parse("GET http://example.com HTTP/1.1\r\nHost: a\r\n\r\n").head.path, "/");
}

struct refusal {
  const char* name;
  std::string text;
  int status;
};

TEST(HttpRequestParser, EveryRuleHasItsStatus) {
  const std::string big_target(9000, 'a');
  std::string many_fields = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 101; ++i) many_fields += "X-" + std::to_string(i) + ": v\r\n";
  many_fields += "\r\n";
  const refusal cases[] = {
      {"CL and TE", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"TE then CL", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400},
      {"differing CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400},
      {"CL list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\n", 400},
      {"CL sign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\n", 400},
      {"CL empty", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", 400},
      {"CL huge", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400},
      {"CL over limit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n", 413},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400},
      {"bare CR in a value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n", 400},
      {"bare LF", "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", 400},
      {"NUL in a value", std::string("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n", 37), 400},
      {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
      {"invalid name", "GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n", 400},
      {"no colon", "GET / HTTP/1.1\r\nHost: a\r\nJunk\r\n\r\n", 400},
      {"no Host on 1.1", "GET / HTTP/1.1\r\nX: y\r\n\r\n", 400},
      {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400},
      {"gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {"identity", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 400},
      {"gzip alone", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400},
      {"asterisk for GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"fragment", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"invalid Host", "GET / HTTP/1.1\r\nHost: a b/c@d\r\n\r\n", 400},
      {"invalid authority", "GET http://a b/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"chunked not last", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400},
      {"chunked twice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"TE on 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
      {"HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505},
      {"version garbage", "GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400},
      {"two spaces", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"no version", "GET /\r\nHost: a\r\n\r\n", 400},
      {"control in target", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"method not a token", "G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"relative target", "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"bad scheme", "GET G:'z://x/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"target too long", "GET /" + big_target + " HTTP/1.1\r\nHost: a\r\n\r\n", 414},
      {"too many fields", many_fields, 431},
      {"unknown expectation", "GET / HTTP/1.1\r\nHost: a\r\nExpect: telepathy\r\n\r\n", 417},
  };
  for (const auto& c : cases) {
    const parsed whole = parse(c.text);
    EXPECT_EQ(whole.outcome, result::failed) << c.name;
    EXPECT_EQ(whole.status, c.status) << c.name << ": " << whole.reason;
    EXPECT_FALSE(whole.reason.empty()) << c.name;
    const parsed trickled = parse_trickled(c.text);
    EXPECT_EQ(trickled.status, c.status) << c.name << " (byte by byte)";
  }
}

TEST(HttpRequestParser, TrickledTargetsCostLinearTime) {
  sb::http_limits wide;
  wide.max_target_bytes = 1 << 20;
  wide.max_head_bytes = 2 << 20;
  const std::string text = with_run("GET /", 200000, 'a', " HTTP/1.1\r\nHost: a\r\n\r\n");
  sb::http_request_parser parser(wide);
  sb::http_request_head head;
  const auto started = std::chrono::steady_clock::now();
  auto outcome = sb::http_request_parser::result::incomplete;
  for (std::size_t n = 1; n <= text.size() && outcome == sb::http_request_parser::result::incomplete; ++n)
    outcome = parser.parse(std::string_view(text).substr(0, n), head, storage);
  EXPECT_EQ(outcome, sb::http_request_parser::result::complete);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));  // quadratic: minutes
  sb::http_limits unlimited;
  unlimited.max_target_bytes = SIZE_MAX;
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n", unlimited).outcome, result::complete);
}

TEST(HttpRequestParser, HeadsThatNeverEndAreRefusedAtTheLimit) {
  sb::http_request_parser parser;
  sb::http_request_head head;
  std::string slow = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
  while (slow.size() <= 16384) slow += 'x';
  EXPECT_EQ(parser.parse(slow, head, storage), result::failed);
  EXPECT_EQ(parser.status(), 431);
  sb::http_request_parser line_parser;
  const std::string endless_target = with_run("GET /", 9000, 'a');
  EXPECT_EQ(line_parser.parse(endless_target, head, storage), result::failed);
  EXPECT_EQ(line_parser.status(), 414);
}

// ---- chunked bodies ----

struct decoded {
  sb::chunked_decoder::result outcome;
  int status;
  std::string body;
  std::string rest;
};

decoded decode(std::string_view text, std::size_t piece = 0, std::uint64_t limit = 1 << 20) {
  sb::chunked_decoder decoder(limit);
  decoded d{sb::chunked_decoder::result::more, 0, {}, {}};
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t n = piece == 0 ? text.size() - at : std::min(piece, text.size() - at);
    std::string_view in = text.substr(at, n);
    d.outcome = decoder.feed(in, [&](std::string_view data) { d.body += data; });
    at += n - in.size();
    if (d.outcome != sb::chunked_decoder::result::more) break;
  }
  d.rest = std::string(text.substr(at));
  d.status = decoder.status();
  return d;
}

TEST(ChunkedDecoder, DecodesWholeAndInPieces) {
  const std::string body = "5\r\nhello\r\n7;name=value\r\n, world\r\n0\r\nTrailer: x\r\n\r\nGET";
  for (std::size_t piece : {0, 1, 2, 3, 7}) {
    const decoded d = decode(body, piece);
    EXPECT_EQ(d.outcome, sb::chunked_decoder::result::done) << piece;
    EXPECT_EQ(d.body, "hello, world") << piece;
    EXPECT_EQ(d.rest, "GET") << piece;  // the next pipelined request is left alone
  }
  EXPECT_EQ(decode("A\r\n0123456789\r\n0\r\n\r\n").body, "0123456789");
  EXPECT_EQ(decode("5\r\nhel").outcome, sb::chunked_decoder::result::more);
}

TEST(ChunkedDecoder, FramingErrorsAndLimits) {
  const std::pair<std::string, int> cases[] = {
      {"\r\n", 400},                          // no size
      {"G\r\n", 400},                         // not hex
      {"5\nhello\r\n0\r\n\r\n", 400},         // bare LF after the size
      {"5\r\nhelloX\r\n", 400},               // data longer than its size
      {"11111111111111111\r\n", 400},         // 17 hex digits
      {"5 x\r\n", 400},                       // garbage after whitespace
      {std::string("5;a\0b\r\n", 7), 400},     // control in an extension
      {"100001\r\n", 413},                    // over the 1 MiB limit by its size alone
      {"0\r\nX: a\rb\r\n\r\n", 400},          // bare CR in a trailer
      {"0\r\n\rX", 400},                      // no LF after the final CR
  };
  for (const auto& [text, status] : cases) {
    const decoded d = decode(text);
    EXPECT_EQ(d.outcome, sb::chunked_decoder::result::failed) << text;
    EXPECT_EQ(d.status, status) << text;
  }
  std::string over = with_run("80000\r\n", 0x80000, 'a', "\r\n80001\r\n");
  EXPECT_EQ(decode(over).status, 413);  // the sum of chunks counts
  std::string tiny_chunks;
  for (int i = 0; i < 100000; ++i) tiny_chunks += "1;padding\r\nx\r\n";
  const decoded framing = decode(tiny_chunks);
  EXPECT_EQ(framing.status, 400);  // framing bounded over the body, not only per chunk
  EXPECT_LT(framing.body.size(), 20000u);
}

}  // namespace

TEST(HostCheck, ALoopbackServerAnswersOnlyToLoopbackNamesUnlessTold) {
  using sb::detail::host_allowed;
  const std::vector<std::string> none;
  EXPECT_TRUE(host_allowed("127.0.0.1:8080", "127.0.0.1", none));
  EXPECT_TRUE(host_allowed("localhost:8080", "127.0.0.1", none));
  EXPECT_TRUE(host_allowed("LOCALHOST", "localhost", none));
  EXPECT_TRUE(host_allowed("[::1]:8080", "::1", none));
  EXPECT_TRUE(host_allowed("127.0.0.2", "127.0.0.1", none));
  EXPECT_FALSE(host_allowed("evil.example.com", "127.0.0.1", none)) << "DNS rebinding";
  EXPECT_FALSE(host_allowed("evil.example.com:8080", "localhost", none));
  EXPECT_FALSE(host_allowed("127.0.0.1.evil.example.com", "127.0.0.1", none));
  EXPECT_TRUE(host_allowed("anything.example.com", "0.0.0.0", none)) << "a public server cannot know its names";
  EXPECT_TRUE(host_allowed("", "127.0.0.1", none)) << "HTTP/1.0 without Host";
  const std::vector<std::string> listed{"app.test", "other.test:9000"};
  EXPECT_TRUE(host_allowed("app.test:8080", "127.0.0.1", listed));
  EXPECT_TRUE(host_allowed("other.test:9000", "127.0.0.1", listed));
  EXPECT_FALSE(host_allowed("localhost:8080", "127.0.0.1", listed)) << "a list is the whole answer";
  EXPECT_FALSE(host_allowed("evil.example.com", "0.0.0.0", listed));
  EXPECT_TRUE(host_allowed("evil.example.com", "127.0.0.1", std::vector<std::string>{"*"}));
}
