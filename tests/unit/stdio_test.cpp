// sb::stdio: line framing, the event line format and escaping, and the transport run in-process
// over a pipe (input) and a temporary file (output).
#include <switchboard/app.hpp>
#include <switchboard/transport/stdio.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace stdio_fx {

int add(int a, int b) { return a + b; }
void count(int n, sb::stream<int> out) {
  for (int i = 1; i <= n; ++i)
    if (!out.emit(i)) return;
}
std::string whoami(const sb::event_line& line) { return std::string(line.sender) + ":" + std::string(line.data); }
int twice(int x) { return 2 * x; }
void ping(const sb::event_line& line, sb::stream<std::string> out) { out.emit_event("PONG", std::string(line.data)); }
std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  return s;
}
sb::result<int> refuse() { return sb::invalid_argument("no"); }

}  // namespace stdio_fx

namespace stdio_test {

struct calc {
  sb::fn<&stdio_fx::add> add;
  sb::fn<&stdio_fx::count> count;
  sb::fn<&stdio_fx::twice> twice;
  sb::fn<&stdio_fx::upper> toUpper;
  sb::fn<&stdio_fx::add, sb::hidden> secret;
};
struct ev {
  sb::fn<&stdio_fx::whoami> whoami;
  sb::fn<&stdio_fx::ping> ping;
  sb::fn<&stdio_fx::refuse> refuse;
};
using test_app = sb::app<calc, ev>;

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    lines.emplace_back(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  return lines;
}

// Runs the transport over `input` until end of input; returns what it wrote.
std::string serve(sb::stdio options, std::string_view input) {
  int in[2];
  EXPECT_EQ(::pipe(in), 0);
  std::FILE* out = std::tmpfile();
  options.input_fd = in[0];
  options.output_fd = ::fileno(out);
  test_app app;
  sb::shutdown stop;
  std::thread writer([&] {
    std::string_view rest = input;
    while (!rest.empty()) {
      const ssize_t n = ::write(in[1], rest.data(), rest.size());
      if (n <= 0) break;
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
    ::close(in[1]);
  });
  options.run(app, stop);
  writer.join();
  ::close(in[0]);
  std::string text;
  std::rewind(out);
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, out)) > 0) text.append(buffer, n);
  std::fclose(out);
  return text;
}

struct split_result {
  std::vector<std::string> lines;
  std::vector<std::size_t> overlong;
};
split_result split(std::string_view input, std::size_t max, std::size_t chunk) {
  split_result r;
  sb::detail::line_splitter splitter(max);
  const auto on_line = [&](std::string_view l) { r.lines.emplace_back(l); };
  const auto on_long = [&](std::size_t n) { r.overlong.push_back(n); };
  for (std::size_t i = 0; i < input.size(); i += chunk) {
    splitter.feed(input.substr(i, chunk), on_line, on_long);
    EXPECT_LE(splitter.buffered(), max + 1);
  }
  splitter.finish(on_line, on_long);
  return r;
}

TEST(StdioFraming, SplitsLinesAcrossChunksAndDropsCarriageReturns) {
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 100u}) {
    const auto r = split("a\r\nbb\n\nccc\nlast", 10, chunk);
    EXPECT_EQ(r.lines, (std::vector<std::string>{"a", "bb", "", "ccc", "last"})) << chunk;
    EXPECT_TRUE(r.overlong.empty());
  }
}

TEST(StdioFraming, OverlongLinesAreCountedNotBuffered) {
  const std::string input = "ok\n" + std::string(50, 'x') + "\nfine\n0123456789\n01234567890\n" + std::string(30, 'y');
  for (std::size_t chunk : {1u, 4u, 16u, 1000u}) {
    const auto r = split(input, 10, chunk);
    EXPECT_EQ(r.lines, (std::vector<std::string>{"ok", "fine", "0123456789"})) << chunk;
    EXPECT_EQ(r.overlong, (std::vector<std::size_t>{50, 11, 30})) << chunk;
  }
  // The limit counts the line without its "\r".
  EXPECT_EQ(split("0123456789\r\n", 10, 1).lines, std::vector<std::string>{"0123456789"});
}

TEST(StdioEvents, SplitsAtTheFirstTwoBars) {
  auto p = sb::detail::split_event_line("PING|me|a|b|c");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, "PING");
  EXPECT_EQ(p->sender, "me");
  EXPECT_EQ(p->data, "a|b|c");
  p = sb::detail::split_event_line("T||");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->sender, "");
  EXPECT_EQ(p->data, "");
  EXPECT_FALSE(sb::detail::split_event_line("PING|me"));
  EXPECT_FALSE(sb::detail::split_event_line("no bars"));
  EXPECT_FALSE(sb::detail::split_event_line("|me|data"));
  EXPECT_FALSE(sb::detail::split_event_line("TWO WORDS|me|data"));
}

TEST(StdioEvents, EscapingRoundTrips) {
  std::string escaped;
  sb::detail::escape_event_data("a\nb\\c\rd|e", escaped);
  EXPECT_EQ(escaped, "a\\nb\\\\c\\rd|e");
  std::string back;
  sb::detail::unescape_event_data(escaped, back);
  EXPECT_EQ(back, "a\nb\\c\rd|e");
  back.clear();
  sb::detail::unescape_event_data("\\t stays, so does a final \\", back);
  EXPECT_EQ(back, "\\t stays, so does a final \\");
  std::string line;
  sb::detail::write_event_line("T", "s", "x\ny", line);
  EXPECT_EQ(line, "T|s|x\\ny\n");
}

TEST(StdioEvents, EndpointNamesBecomeUpperSnakeTypes) {
  EXPECT_EQ(sb::detail::event_type_for("ping"), "PING");
  EXPECT_EQ(sb::detail::event_type_for("toUpperCase"), "TO_UPPER_CASE");
  EXPECT_EQ(sb::detail::event_type_for("user_joined"), "USER_JOINED");
  EXPECT_EQ(sb::detail::event_type_for("getV2Info"), "GET_V2_INFO");
}

TEST(StdioTransport, AnswersJsonRpcLinesInOrderWithoutWorkers) {
  const std::string out = serve({.workers = 0}, R"({"jsonrpc":"2.0","method":"calc.add","params":[1,2],"id":1}
not json

{"jsonrpc":"2.0","method":"calc.add","params":[3,4]}
{"jsonrpc":"2.0","method":"calc.count","params":[2],"id":"c"}
{"jsonrpc":"2.0","method":"calc.add","params":[5,6],"id":2})");
  EXPECT_EQ(lines_of(out), (std::vector<std::string>{
                               R"({"jsonrpc":"2.0","result":3,"id":1})",
                               R"({"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null})",
                               R"({"jsonrpc":"2.0","method":"stream","params":{"id":"c","value":1}})",
                               R"({"jsonrpc":"2.0","method":"stream","params":{"id":"c","value":2}})",
                               R"({"jsonrpc":"2.0","result":null,"id":"c"})",
                               R"({"jsonrpc":"2.0","result":11,"id":2})",
                           }));
}

struct rpc_answer {
  int result;
  int id;
};

TEST(StdioTransport, WorkersAnswerEveryRequest) {
  std::string input;
  for (int i = 0; i < 2000; ++i)
    input += R"({"jsonrpc":"2.0","method":"calc.add","params":[)" + std::to_string(i) + ",1],\"id\":" +
             std::to_string(i) + "}\n";
  const auto lines = lines_of(serve({.workers = 3, .queue_lines = 16}, input));
  ASSERT_EQ(lines.size(), 2000u);
  std::vector<bool> seen(2000);
  for (const auto& line : lines) {
    rpc_answer a{};
    ASSERT_FALSE(sb::json::read(a, line)) << line;
    EXPECT_EQ(a.result, a.id + 1);
    EXPECT_FALSE(seen[static_cast<std::size_t>(a.id)]);
    seen[static_cast<std::size_t>(a.id)] = true;
  }
}

TEST(StdioTransport, OverlongLineGetsAnErrorAndTheToolGoesOn) {
  const std::string input = std::string(300, 'x') + "\n" + R"({"jsonrpc":"2.0","method":"calc.add","params":[1,1],"id":9})";
  const auto lines = lines_of(serve({.max_line_bytes = 100, .workers = 0}, input));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find(R"("kind":"payload_too_large")"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(R"("id":null)"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[1], R"({"jsonrpc":"2.0","result":2,"id":9})");
}

TEST(StdioTransport, EventModeAnnouncesAndRoutes) {
  sb::stdio options{.protocol = sb::stdio_protocol::events,
                    .name = "t",
                    .description = "a test\ntool",
                    .routes = {{"WHO", "ev.whoami", "ME"}, {"PING", "ev.ping", ""}, {"*", "calc.toUpper", ""},
                               {"NO", "ev.refuse", ""}},
                    .workers = 0};
  const auto lines = lines_of(serve(options, "WHO|alice|x|y\nPING|bob|p\\nq\nhello|carol|loud\nNO|x|\nbad\n"));
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "SUBSCRIBE|t|*", "SUBSCRIBE|t|NO", "SUBSCRIBE|t|PING", "SUBSCRIBE|t|WHO",
                       "TOOL_READY|t|a test\\ntool", "ME|t|alice:x|y", "PONG|t|p\\nq", "hello_RESULT|t|LOUD",
                       R"(ERROR|t|{"type":"NO","kind":"invalid_argument","message":"no"})",
                   }));
}

TEST(StdioTransport, DefaultEventRoutesFollowEndpointNames) {
  const auto lines = lines_of(serve({.protocol = sb::stdio_protocol::events, .name = "d", .workers = 0},
                                    "TWICE|x|21\nTO_UPPER|x|abc\nADD|x|[1,2]\nSECRET|x|[1,2]\n"));
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[lines.size() - 3], "TWICE_RESULT|d|42");
  EXPECT_EQ(lines[lines.size() - 2], "TO_UPPER_RESULT|d|ABC");
  // ADD gets its data as the first argument: "[1,2]" is not an int.
  EXPECT_EQ(lines.back().substr(0, 8), "ERROR|d|");
  for (const auto& line : lines) EXPECT_NE(line, "SUBSCRIBE|d|SECRET");  // hidden endpoints are not routed
}

}  // namespace stdio_test
