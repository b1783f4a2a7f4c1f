// MCP from the same modules (protocol/mcp.hpp), driven in-process: tools from signatures, pages,
// results and errors as the revision wants them, cancellation by scope and id. The official SDK
// drives the same server over stdio and HTTP in tests/e2e/mcp.test.mjs.
#include <switchboard/app.hpp>
#include <switchboard/json/value.hpp>
#include <switchboard/protocol/mcp.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace mcp_fx {

struct point {
  double x;
  double y;
};
double add(double a, double b) { return a + b; }
point mirror(point p) { return {p.y, p.x}; }
int positional(int a, int b) { return a - b; }
sb::html page() { return {"<p>hi</p>"}; }
sb::binary bytes() { return {std::string("\x00\x01\xfe", 3), "application/octet-stream", "b.bin"}; }
sb::result<int> refuse() { return sb::invalid_argument("not today"); }
sb::binary picture() { return {std::string("\x89PNG", 4), "image/png", "p.png"}; }
sb::binary sound() { return {std::string("RIFF", 4), "audio/wav", "s.wav"}; }
sb::mcp_content blocks() {
  return {{sb::mcp_text("look:"), sb::mcp_media(std::string("\x89PNG", 4), "image/png"),
           sb::mcp_embedded_text("test://r", "text/plain", "inside")}};
}
inline std::atomic<bool> waiting{false};
void forever(const sb::context& ctx, sb::stream<int> out) {
  waiting = true;
  for (int i = 0; out.emit(i); ++i) out.wait_for(std::chrono::milliseconds(5));
  (void)ctx;
}
bool until_cancelled(const sb::context& ctx) {
  waiting = true;
  while (!ctx.cancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return true;
}

}  // namespace mcp_fx

namespace mcp_test {

struct calc {
  sb::fn<&mcp_fx::add, sb::args{"a", "b"}, sb::doc{"Adds two numbers", "the first", "the second"}> add;
  sb::fn<&mcp_fx::mirror, sb::doc{"Swaps x and y", "the point"}> mirror;
  sb::fn<&mcp_fx::positional> positional;  // no names: cannot be a tool
  sb::fn<&mcp_fx::add, sb::args{"a", "b"}, sb::hidden> secret;
  sb::fn<&mcp_fx::page> page;
  sb::fn<&mcp_fx::bytes> bytes;
  sb::fn<&mcp_fx::refuse> refuse;
  sb::fn<&mcp_fx::forever> forever;
  sb::fn<&mcp_fx::until_cancelled> until_cancelled;
};
struct media {
  sb::fn<&mcp_fx::picture> picture;
  sb::fn<&mcp_fx::sound> sound;
  sb::fn<&mcp_fx::blocks> blocks;
  sb::fn<&mcp_fx::add, sb::args{"a", "b"}> add;  // as calc.add: keeps its module in its name
};
using test_app = sb::app<calc>;
using media_app = sb::app<calc, media>;

// One request through the MCP server; the answer parsed.
sb::json::value ask(sb::detail::mcp_server<test_app>& server, std::string_view request, std::string_view scope = {}) {
  sb::detail::jsonrpc_envelope envelope;
  EXPECT_EQ(sb::detail::scan_envelope(request, envelope), 0) << request;
  std::string out;
  sb::context ctx;
  server.handle(envelope, out, ctx, nullptr, scope);
  sb::json::value answer;
  if (!out.empty()) {
    EXPECT_FALSE(sb::json::parse(out, answer)) << out;
  }
  return answer;
}

std::string text(const sb::json::value& v) {
  std::string out;
  sb::json::write(v, out);
  return out;
}

TEST(Mcp, DescribeCarriesTheDocOption) {
  test_app app;
  const std::string d = app.describe();
  EXPECT_NE(d.find(R"("name":"add","description":"Adds two numbers")"), std::string::npos) << d;
  EXPECT_NE(d.find(R"({"name":"a","description":"the first","required":true)"), std::string::npos) << d;
}

TEST(Mcp, ToolsAreTheVisibleEndpointsWithNamesInPages) {
  test_app app;
  sb::mcp_options options;
  options.page_size = 2;
  sb::detail::mcp_server<test_app> server(app, options);
  std::vector<std::string> names;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    const auto answer = ask(server, R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{)" +
                                        (cursor.empty() ? std::string() : R"("cursor":")" + cursor + '"') + "}}");
    const auto& result = *answer.find("result");
    const auto& tools = *result.find("tools")->get_if<sb::json::value::array>();
    EXPECT_LE(tools.size(), 2u);
    for (const auto& t : tools) names.push_back(*t.find("name")->get_if<std::string>());
    const auto* next = result.find("nextCursor");
    if (!next) break;
    cursor = *next->get_if<std::string>();
  }
  EXPECT_EQ(names, (std::vector<std::string>{"calc.add", "calc.bytes", "calc.forever", "calc.mirror", "calc.page",
                                             "calc.refuse", "calc.until_cancelled"}));
  const auto bad = ask(server, R"({"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":"x9"}})");
  EXPECT_EQ(text(*bad.find("error")->find("code")), "-32602");
}

TEST(Mcp, SchemasUseRealNamesAndStructsAreTheirOwnArguments) {
  test_app app;
  sb::detail::mcp_server<test_app> server(app, {});
  const auto& tools = server.tools();
  const auto tool = [&](std::string_view name) {
    for (const auto& t : tools)
      if (t.name == name) {
        sb::json::value v;
        EXPECT_FALSE(sb::json::parse(t.json, v));
        return v;
      }
    ADD_FAILURE() << name;
    return sb::json::value{};
  };
  EXPECT_EQ(text(tool("calc.add")),
            R"({"name":"calc.add","description":"Adds two numbers","inputSchema":{"type":"object","properties":)"
            R"({"a":{"type":"number","description":"the first"},"b":{"type":"number","description":"the second"}},)"
            R"("required":["a","b"]},"outputSchema":{"type":"object","properties":{"result":{"type":"number"}},)"
            R"("required":["result"]}})");
  const auto mirror = tool("calc.mirror");
  EXPECT_EQ(text(*mirror.find("inputSchema")->find("properties")), R"({"x":{"type":"number"},"y":{"type":"number"}})");
  EXPECT_EQ(text(*mirror.find("inputSchema")->find("description")), R"("the point")");
  EXPECT_EQ(text(*mirror.find("outputSchema")->find("required")), R"(["x","y"])") << "an object result is not wrapped";
  EXPECT_EQ(tool("calc.page").find("outputSchema"), nullptr) << "html has no JSON form";
  EXPECT_EQ(text(*tool("calc.forever").find("outputSchema")->find("properties")),
            R"({"result":{"type":"array","items":{"type":"integer","minimum":-2147483648,"maximum":2147483647}}})");
}

TEST(Mcp, ResultsAndErrors) {
  test_app app;
  sb::detail::mcp_server<test_app> server(app, {});
  const auto call = [&](std::string_view name, std::string_view arguments) {
    return ask(server, R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":")" + std::string(name) +
                           R"(","arguments":)" + std::string(arguments) + "}}");
  };
  const auto added = call("calc.add", R"({"a":2,"b":0.5})");
  EXPECT_EQ(text(*added.find("result")), R"({"content":[{"type":"text","text":"{\"result\":2.5}"}],"structuredContent":{"result":2.5}})");
  EXPECT_EQ(text(*call("calc.mirror", R"({"x":1,"y":2})").find("result")->find("structuredContent")), R"({"x":2.0,"y":1.0})");
  const auto bad = call("calc.add", R"({"a":"2","b":1})");
  EXPECT_EQ(text(*bad.find("result")->find("isError")), "true");
  EXPECT_NE(text(bad).find("invalid_argument"), std::string::npos);
  EXPECT_EQ(text(*call("calc.refuse", "{}").find("result")->find("isError")), "true");
  EXPECT_EQ(text(*call("calc.page", "{}").find("result")), R"({"content":[{"type":"text","text":"<p>hi</p>"}]})");
  EXPECT_EQ(text(*call("calc.bytes", "{}").find("result")),
            R"({"content":[{"type":"resource","resource":{"uri":"switchboard:///calc.bytes/b.bin",)"
            R"("mimeType":"application/octet-stream","blob":"AAH+"}}]})");
  EXPECT_EQ(text(*call("calc.secret", R"({"a":1,"b":2})").find("error")->find("code")), "-32602") << "hidden";
  EXPECT_EQ(text(*call("calc.positional", "[1,2]").find("error")->find("code")), "-32602") << "not a tool";
  const auto no_name = ask(server, R"({"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"arguments":{}}})");
  EXPECT_EQ(text(*no_name.find("error")->find("code")), "-32602");
}

TEST(Mcp, InitializePingAndUnknownMethods) {
  test_app app;
  sb::mcp_options options;
  options.name = "calc-server";
  options.instructions = "Use calc.add for sums.";
  sb::detail::mcp_server<test_app> server(app, options);
  const auto init = [&](std::string_view version) {
    return ask(server, R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":")" +
                           std::string(version) + R"(","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
  };
  const auto answer = init("2025-06-18");
  EXPECT_EQ(text(*answer.find("result")->find("protocolVersion")), R"("2025-06-18")");
  EXPECT_EQ(text(*answer.find("result")->find("serverInfo")->find("name")), R"("calc-server")");
  EXPECT_EQ(text(*answer.find("result")->find("instructions")), R"("Use calc.add for sums.")");
  EXPECT_EQ(text(*init("1.0").find("result")->find("protocolVersion")), R"("2025-11-25")");
  EXPECT_EQ(text(*ask(server, R"({"jsonrpc":"2.0","id":2,"method":"ping"})").find("result")), "{}");
  EXPECT_EQ(text(*ask(server, R"({"jsonrpc":"2.0","id":3,"method":"prompts/list"})").find("error")->find("code")), "-32601");
  EXPECT_TRUE(ask(server, R"({"jsonrpc":"2.0","method":"notifications/whatever"})").is_null());
  EXPECT_TRUE(sb::detail::mcp_server<test_app>::owns("tools/call"));
  EXPECT_FALSE(sb::detail::mcp_server<test_app>::owns("calc.add"));
}

TEST(Mcp, ImagesAudioAndContentBlocksAndBareNames) {
  media_app app;
  sb::mcp_options options;
  options.qualified_names = false;
  sb::detail::mcp_server<media_app> server(app, options);
  std::vector<std::string> names;
  for (const auto& t : server.tools()) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"calc.add", "bytes", "forever", "mirror", "page", "refuse", "until_cancelled",
                                             "media.add", "blocks", "picture", "sound"}))
      << "bare names where unique";
  const auto call = [&](std::string_view name) {
    sb::detail::jsonrpc_envelope envelope;
    const std::string request = R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":")" + std::string(name) + R"("}})";
    EXPECT_EQ(sb::detail::scan_envelope(request, envelope), 0);
    std::string out;
    sb::context ctx;
    server.handle(envelope, out, ctx, nullptr);
    return out;
  };
  EXPECT_EQ(call("picture"), R"({"jsonrpc":"2.0","result":{"content":[{"type":"image","data":"iVBORw==","mimeType":"image/png"}]},"id":1})");
  EXPECT_EQ(call("sound"), R"({"jsonrpc":"2.0","result":{"content":[{"type":"audio","data":"UklGRg==","mimeType":"audio/wav"}]},"id":1})");
  EXPECT_EQ(call("blocks"), R"({"jsonrpc":"2.0","result":{"content":[{"type":"text","text":"look:"},)"
                            R"({"type":"image","data":"iVBORw==","mimeType":"image/png"},)"
                            R"({"type":"resource","resource":{"uri":"test://r","mimeType":"text/plain","text":"inside"}}],)"
                            R"("isError":false},"id":1})");
  for (const auto& t : server.tools())
    if (t.name == "blocks") {
      EXPECT_EQ(t.json.find("outputSchema"), std::string::npos) << "its blocks are its answer";
    }
}

constexpr std::string_view stateless_meta =
    R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}})";

TEST(Mcp, StatelessRequestsOf20260728) {
  test_app app;
  sb::mcp_options options;
  options.name = "calc-server";
  options.cache_ttl_ms = 60000;
  sb::detail::mcp_server<test_app> server(app, options);
  const auto request = [&](std::string_view method, std::string_view params = {}) {
    return ask(server, R"({"jsonrpc":"2.0","id":1,"method":")" + std::string(method) + R"(","params":{)" +
                           std::string(params) + (params.empty() ? "" : ",") + std::string(stateless_meta) + "}}");
  };
  const auto discovered = *request("server/discover").find("result");
  EXPECT_EQ(text(*discovered.find("supportedVersions")), R"(["2026-07-28","2025-11-25","2025-06-18","2025-03-26","2024-11-05"])");
  EXPECT_EQ(text(*discovered.find("resultType")), R"("complete")");
  EXPECT_EQ(text(*discovered.find("ttlMs")), "60000");
  EXPECT_EQ(text(*discovered.find("cacheScope")), R"("public")");
  EXPECT_EQ(text(*discovered.find("_meta")), R"({"io.modelcontextprotocol/serverInfo":{"name":"calc-server","version":"0.1.0"}})");
  EXPECT_NE(discovered.find("capabilities")->find("tools"), nullptr);

  const auto listed = *request("tools/list").find("result");
  EXPECT_EQ(text(*listed.find("resultType")), R"("complete")");
  EXPECT_EQ(text(*listed.find("ttlMs")), "60000");
  const auto& tools = *listed.find("tools")->get_if<sb::json::value::array>();
  EXPECT_EQ(text(*tools.front().find("outputSchema")), R"({"type":"number"})") << "not wrapped from 2026-07-28";

  const auto called = *request("tools/call", R"("name":"calc.add","arguments":{"a":1,"b":2})").find("result");
  EXPECT_EQ(text(*called.find("structuredContent")), "3.0");
  EXPECT_EQ(text(*called.find("resultType")), R"("complete")");
  EXPECT_NE(called.find("_meta"), nullptr);
}

TEST(Mcp, StatelessRequestsMustNameASupportedVersionAndTheirCapabilities) {
  test_app app;
  sb::detail::mcp_server<test_app> server(app, {});
  sb::detail::jsonrpc_envelope envelope;
  std::string out;
  sb::context ctx;
  const std::string old = R"({"jsonrpc":"2.0","id":4,"method":"tools/list","params":{"_meta":{)"
                          R"("io.modelcontextprotocol/protocolVersion":"1900-01-01","io.modelcontextprotocol/clientCapabilities":{}}}})";
  ASSERT_EQ(sb::detail::scan_envelope(old, envelope), 0);
  EXPECT_EQ(server.handle(envelope, out, ctx, nullptr), sb::detail::mcp_outcome::bad_request);
  EXPECT_EQ(out, R"({"jsonrpc":"2.0","error":{"code":-32022,"message":"Unsupported protocol version","data":{"supported":)"
                 R"(["2026-07-28","2025-11-25","2025-06-18","2025-03-26","2024-11-05"],"requested":"1900-01-01"}},"id":4})");
  const std::string bare = R"({"jsonrpc":"2.0","id":5,"method":"tools/list","params":{"_meta":{)"
                           R"("io.modelcontextprotocol/protocolVersion":"2026-07-28"}}})";
  ASSERT_EQ(sb::detail::scan_envelope(bare, envelope), 0);
  EXPECT_EQ(server.handle(envelope, out, ctx, nullptr), sb::detail::mcp_outcome::bad_request);
  EXPECT_NE(out.find("-32602"), std::string::npos) << out;
  // initialize stays the older era's: asked for 2026-07-28, it answers the latest revision that has it.
  const auto init = ask(server, R"({"jsonrpc":"2.0","id":6,"method":"initialize","params":{"protocolVersion":"2026-07-28"}})");
  EXPECT_EQ(text(*init.find("result")->find("protocolVersion")), R"("2025-11-25")");
}

// A call cancelled by its scope and id ends at once and is not answered; the same id in another
// scope (another client) does not reach it.
void expect_cancelled(std::string_view tool) {
  test_app app;
  sb::detail::mcp_server<test_app> server(app, {});
  mcp_fx::waiting = false;
  sb::json::value answer{true};
  std::thread call([&] {
    answer = ask(server, R"({"jsonrpc":"2.0","id":"c","method":"tools/call","params":{"name":")" + std::string(tool) +
                             R"(","arguments":{}}})", "client-1");
  });
  while (!mcp_fx::waiting) std::this_thread::yield();
  ask(server, R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"c"}})", "client-2");
  ask(server, R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"c","reason":"x"}})", "client-1");
  call.join();
  EXPECT_TRUE(answer.is_null()) << text(answer);
}
TEST(Mcp, CancellationReachesOnlyItsOwnScope) {
  sb::detail::mcp_running_calls running;
  sb::detail::mcp_cancellation mine(nullptr);
  const std::string key = sb::detail::mcp_running_calls::key("client-1", "7");
  ASSERT_TRUE(running.add(key, &mine));
  EXPECT_FALSE(running.add(key, &mine)) << "an id reused while running";
  running.cancel(sb::detail::mcp_running_calls::key("client-2", "7"));
  running.cancel(sb::detail::mcp_running_calls::key("client-1", "8"));
  EXPECT_FALSE(mine.hung_up());
  running.cancel(key);
  EXPECT_TRUE(mine.hung_up());
  running.remove(key, &mine);
  sb::detail::mcp_cancellation later(nullptr);
  EXPECT_TRUE(running.add(key, &later)) << "free again once the call ended";
}
TEST(Mcp, CancellationStopsAStream) { expect_cancelled("calc.forever"); }
TEST(Mcp, CancellationIsSeenByTheContext) { expect_cancelled("calc.until_cancelled"); }

}  // namespace mcp_test
