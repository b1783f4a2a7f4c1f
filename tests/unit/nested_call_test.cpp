// Calls made from inside other calls: deadlines nest, per-call buffers are not shared.
#include <switchboard/app.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace nested_call_test {

// Calls back into the app under test (defined below, once the module is complete).
void call_app(std::string_view name, std::string_view params, sb::response& out, sb::context* ctx = nullptr);
std::string rpc_app(std::string_view request);

long long time_left(sb::context& ctx) {
  if (ctx.deadline == std::chrono::steady_clock::time_point::max()) return -1;
  return std::chrono::duration_cast<std::chrono::milliseconds>(ctx.deadline - std::chrono::steady_clock::now()).count();
}
// Calls time_left with its own context; returns what the inner call saw and what is left after it.
std::string nested_time_left(sb::context& ctx) {
  sb::response inner;
  call_app("outer.time_left", "[]", inner, &ctx);
  return inner.body + " " + std::to_string(time_left(ctx));
}
int plus_one(int x) { return x + 1; }
// A cached endpoint of the same shape as plus_one that calls plus_one (also cached) while running.
int ten_times(int x) {
  sb::response inner;
  call_app("outer.plus_one", "[" + std::to_string(x + 100) + "]", inner);
  return x * 10;
}

// A JSON-RPC request made while answering one (a handler relaying to another endpoint).
std::string relay(std::string method, int x) {
  return rpc_app(R"({"jsonrpc":"2.0","method":")" + method + R"(","params":[)" + std::to_string(x) + R"(],"id":9})");
}

struct outer_module {
  static constexpr std::string_view name = "outer";
  sb::fn<&nested_call_test::time_left> time_left;
  sb::fn<&nested_call_test::nested_time_left> nested_time_left;
  sb::fn<&nested_call_test::plus_one, sb::cache{}> plus_one;
  sb::fn<&nested_call_test::ten_times, sb::cache{}> ten_times;
  sb::fn<&nested_call_test::relay> relay;
};

using app_type = sb::app<outer_module>;
app_type* running = nullptr;

void call_app(std::string_view name, std::string_view params, sb::response& out, sb::context* ctx) {
  if (ctx) running->call(name, params, out, *ctx);
  else running->call(name, params, out);
}

std::string rpc_app(std::string_view request) {
  std::string out;
  running->handle_jsonrpc(request, out);
  return out;
}

std::string body(app_type& app, std::string_view name, std::string_view params) {
  sb::response out;
  app.call(name, params, out);
  EXPECT_TRUE(out.ok()) << out.message;
  return out.body;
}

TEST(NestedCall, KeepsTheOuterDeadline) {
  app_type app({.call_timeout = std::chrono::seconds(10)});
  running = &app;
  const std::string seen = body(app, "outer.nested_time_left", "[]");  // "\"<inner> <after>\""
  const auto space = seen.find(' ');
  ASSERT_NE(space, std::string::npos) << seen;
  const long long inner = std::stoll(seen.substr(1, space - 1));
  const long long after = std::stoll(seen.substr(space + 1));
  EXPECT_GT(inner, 9000);
  EXPECT_LE(inner, 10000);
  EXPECT_GT(after, 9000) << "the inner call must give the outer deadline back";
  EXPECT_LE(after, inner);
  running = nullptr;
}

TEST(NestedCall, MaxTimeoutMeansNoDeadline) {
  app_type app({.call_timeout = std::chrono::milliseconds::max()});
  EXPECT_EQ(body(app, "outer.time_left", "[]"), "-1");
  app_type zero({.call_timeout = std::chrono::milliseconds::zero()});
  EXPECT_EQ(body(zero, "outer.time_left", "[]"), "-1");
}

TEST(NestedCall, CachedEndpointsOfOneShapeKeepTheirOwnKeys) {
  app_type app;
  running = &app;
  EXPECT_EQ(body(app, "outer.ten_times", "[1]"), "10");  // calls plus_one(101) inside
  // A shared key buffer would have stored ten_times(1) under plus_one's key "[101]".
  EXPECT_EQ(body(app, "outer.ten_times", "[101]"), "1010");
  EXPECT_EQ(body(app, "outer.ten_times", "[1]"), "10");
  EXPECT_EQ(body(app, "outer.plus_one", "[101]"), "102");
  EXPECT_EQ(app.cache_statistics("outer.ten_times").hits, 1u);
  EXPECT_EQ(app.cache_statistics("outer.plus_one").hits, 1u);
  running = nullptr;
}

TEST(NestedCall, JsonRpcInsideJsonRpcKeepsBothAnswers) {
  app_type app;
  running = &app;
  EXPECT_EQ(rpc_app(R"({"jsonrpc":"2.0","method":"outer.relay","params":["outer.plus_one",4],"id":1})"),
            R"({"jsonrpc":"2.0","result":"{\"jsonrpc\":\"2.0\",\"result\":5,\"id\":9}","id":1})");
  EXPECT_EQ(rpc_app(R"({"jsonrpc":"2.0","method":"outer.relay","params":["outer.nope",4],"id":2})"),
            R"({"jsonrpc":"2.0","result":"{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":\"Method not found\"},\"id\":9}","id":2})");
  // The same through a batch, whose element buffer is reused per level too.
  EXPECT_EQ(rpc_app(R"([{"jsonrpc":"2.0","method":"outer.relay","params":["outer.plus_one",1],"id":3},)"
                    R"({"jsonrpc":"2.0","method":"outer.plus_one","params":[7],"id":4}])"),
            R"([{"jsonrpc":"2.0","result":"{\"jsonrpc\":\"2.0\",\"result\":2,\"id\":9}","id":3},)"
            R"({"jsonrpc":"2.0","result":8,"id":4}])");
  running = nullptr;
}

}  // namespace nested_call_test
