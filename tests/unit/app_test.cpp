// The core: dispatch table, binding errors, results, injection, cache, hooks, lifecycle, JSON-RPC.
#include <switchboard/app.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace fx {

struct point {
  int x;
  int y;
};

int add(int a, int b) { return a + b; }
int sum_point(point p) { return p.x + p.y; }
std::string_view echo(std::string_view s) { return s; }
std::string copy(std::string s) { return s; }
sb::result<int> divide(int a, int b) {
  if (b == 0) return sb::invalid_argument("division by zero");
  return a / b;
}
int throws(int) { throw std::runtime_error("secret detail"); }
void count(int n, sb::stream<int> out) {
  for (int i = 1; i <= n; ++i)
    if (!out.emit(i)) return;
}
std::string path_of(const sb::request& r) { return std::string(r.path); }
int optional_tail(int a, std::optional<int> b) { return a + b.value_or(100); }
sb::html page() { return {"<p>hi</p>"}; }
sb::redirect moved() { return {"/new", 308}; }
std::atomic<int> expensive_calls{0};
int expensive(int x) {
  ++expensive_calls;
  return x * 2;
}
std::vector<std::string> lifecycle;

}  // namespace fx


namespace app_test {

using fx::lifecycle;
using fx::expensive_calls;

struct calc {
  static constexpr std::string_view name = "calc";
  static constexpr std::string_view version = "1.2";
  int total = 0;
  int accumulate_impl(int by) { return total += by; }

  sb::fn<&fx::add, sb::args{"a", "b"}> add;
  sb::fn<&fx::sum_point> sum;
  sb::fn<&fx::echo> echo;
  sb::fn<&fx::copy> copy;
  sb::fn<&fx::divide> divide;
  sb::fn<&fx::throws> fail;
  sb::fn<&fx::count> count;
  sb::fn<&fx::path_of> path;
  sb::fn<&fx::optional_tail> tail;
  sb::fn<&calc::accumulate_impl> accumulate;
  sb::fn<[](int a, int b) { return a * b; }> multiply;
  sb::fn<&fx::page> page;
  sb::fn<&fx::moved> moved;
  sb::fn<&fx::expensive, sb::cache{.max_entries = 2, .ttl_s = 60}> expensive;
  sb::fn<&fx::add, sb::hidden> secret_add;
  sb::fn<&fx::add, sb::get> get_only;

  void on_start() { lifecycle.push_back("calc start"); }
  void on_stop() { lifecycle.push_back("calc stop"); }
};

struct audit {
  bool on_start() {
    lifecycle.push_back("audit start");
    return true;
  }
  void on_stop() { lifecycle.push_back("audit stop"); }
  sb::fn<&fx::add> plus;
};

using test_app = sb::app<calc, audit>;

std::string rpc(test_app& app, std::string_view request) {
  std::string out;
  app.handle_jsonrpc(request, out);
  return out;
}

sb::response call(test_app& app, std::string_view method, std::string_view params) {
  sb::response r;
  app.call(method, params, r);
  return r;
}

TEST(App, TableIsSortedAndSearchable) {
  static_assert(test_app::size() == 17);
  for (std::size_t i = 1; i < test_app::size(); ++i)
    EXPECT_LT(test_app::table[i - 1].full_name, test_app::table[i].full_name);
  for (std::size_t i = 0; i < test_app::size(); ++i) {
    const auto& e = test_app::table[i];
    EXPECT_EQ(test_app::find(e.full_name), i) << e.full_name;
    EXPECT_EQ(test_app::find(e.module, e.name), i) << e.full_name;
    const std::string longer = std::string(e.full_name) + "x";
    EXPECT_EQ(test_app::find(longer), test_app::npos) << longer;
    EXPECT_EQ(test_app::find(e.full_name.substr(0, e.full_name.size() - 1)), test_app::npos);
    std::string changed(e.full_name);
    changed.back() ^= 0x20;  // the same length, the same first and last eight bytes but one
    EXPECT_EQ(test_app::find(changed), test_app::npos) << changed;
  }
  EXPECT_EQ(test_app::find("calc", ""), test_app::npos);
  EXPECT_EQ(test_app::find("", "add"), test_app::npos);
  EXPECT_EQ(test_app::find("calc.add.add"), test_app::npos);
  EXPECT_NE(test_app::find("calc.add"), test_app::npos);
  EXPECT_NE(test_app::find("audit", "plus"), test_app::npos);
  EXPECT_EQ(test_app::find("calc.nope"), test_app::npos);
  EXPECT_EQ(test_app::find("nodot"), test_app::npos);
}

TEST(App, PositionalNamedAndAggregateBinding) {
  test_app app;
  EXPECT_EQ(call(app, "calc.add", "[2,3]").body, "5");
  EXPECT_EQ(call(app, "calc.add", R"({"b":3,"a":2})").body, "5");
  EXPECT_EQ(call(app, "calc.sum", R"({"x":4,"y":5})").body, "9");
  EXPECT_EQ(call(app, "calc.sum", R"([{"x":4,"y":5}])").body, "9");
  EXPECT_EQ(call(app, "calc.tail", "[1]").body, "101");
  EXPECT_EQ(call(app, "calc.tail", "[1,2]").body, "3");
  EXPECT_EQ(call(app, "calc.echo", R"(["zero copy"])").body, R"("zero copy")");
}

TEST(App, BindingErrorsNameTheParameter) {
  test_app app;
  auto r = call(app, "calc.add", R"([1,"x"])");
  EXPECT_EQ(r.error, sb::error_kind::invalid_argument);
  EXPECT_EQ(r.where, R"(params[1] ("b"))");
  EXPECT_EQ(r.message, R"(params[1] ("b"): expected integer, found string)");
  r = call(app, "calc.add", R"({"a":1,"c":2})");
  EXPECT_NE(r.message.find(R"(unknown parameter "c")"), std::string::npos) << r.message;
  r = call(app, "calc.add", "[1]");
  EXPECT_EQ(r.message, R"(params[1] ("b"): missing required parameter)");
  r = call(app, "calc.add", "[1,2,3]");
  EXPECT_NE(r.message.find("too many parameters"), std::string::npos) << r.message;
  r = call(app, "calc.sum", R"({"x":1,"y":"no"})");
  EXPECT_EQ(r.where, "params[0].y");
  r = call(app, "calc.multiply", R"({"a":1})");
  EXPECT_NE(r.message.find("must be a JSON array"), std::string::npos) << r.message;
  r = call(app, "calc.add", "[1,2");
  EXPECT_EQ(r.error, sb::error_kind::invalid_argument);
}

TEST(App, FieldsBindThroughTheSameBinder) {
  test_app app;
  sb::query_fields q;
  ASSERT_TRUE(q.parse("a=2&b=40"));
  sb::response r;
  sb::context ctx;
  app.call_at(test_app::find("calc.add"), {{}, q.fields(), true}, r, ctx);
  EXPECT_EQ(r.body, "42");
  ASSERT_TRUE(q.parse("a=2&b=%7B%22x%22%3A1%7D"));  // b={"x":1}: never spliced in as JSON for an int
  app.call_at(test_app::find("calc.add"), {{}, q.fields(), true}, r, ctx);
  EXPECT_EQ(r.where, R"(params[1] ("b"))");
  ASSERT_TRUE(q.parse("x=1&y=2"));
  app.call_at(test_app::find("calc.sum"), {{}, q.fields(), true}, r, ctx);
  EXPECT_EQ(r.body, "3");
  EXPECT_FALSE(q.parse("a=%zz"));
}

TEST(App, ResultsFormsAndExceptions) {
  test_app app;
  auto r = call(app, "calc.divide", "[1,0]");
  EXPECT_EQ(r.error, sb::error_kind::invalid_argument);
  EXPECT_EQ(r.message, "division by zero");
  r = call(app, "calc.fail", "[1]");
  EXPECT_EQ(r.error, sb::error_kind::internal);
  EXPECT_EQ(r.message.find("secret"), std::string::npos) << "what() must not reach the client by default";
  r = call(app, "calc.page", "");
  EXPECT_EQ(r.form, sb::body_form::html);
  EXPECT_EQ(r.body, "<p>hi</p>");
  r = call(app, "calc.moved", "");
  EXPECT_EQ(r.form, sb::body_form::redirect);
  EXPECT_EQ(r.redirect_status, 308);
  EXPECT_EQ(sb::http_status(sb::error_kind::too_many_requests), 429);
  EXPECT_EQ(sb::jsonrpc_code(sb::error_kind::internal), -32603);
}

TEST(App, InjectionAndStreams) {
  test_app app;
  auto r = call(app, "calc.path", "");
  EXPECT_EQ(r.error, sb::error_kind::invalid_argument);
  EXPECT_NE(r.message.find("needs an HTTP request"), std::string::npos) << r.message;
  sb::request req;
  req.path = "/api/calc/path";
  sb::context ctx;
  ctx.http = &req;
  app.call("calc.path", "", r, ctx);
  EXPECT_EQ(r.body, R"("/api/calc/path")");
  EXPECT_EQ(call(app, "calc.count", "[3]").body, "[1,2,3]");
  EXPECT_EQ(call(app, "calc.accumulate", "[5]").body, "5");
  EXPECT_EQ(call(app, "calc.accumulate", "[5]").body, "10");
  EXPECT_EQ(app.module<calc>().total, 10);
}

TEST(App, CacheHitsMissesAndEviction) {
  test_app app;
  expensive_calls = 0;
  EXPECT_EQ(call(app, "calc.expensive", "[1]").body, "2");
  EXPECT_EQ(call(app, "calc.expensive", "[ 1 ]").body, "2");  // canonical key: same arguments
  EXPECT_EQ(expensive_calls, 1);
  call(app, "calc.expensive", "[2]");
  call(app, "calc.expensive", "[3]");  // evicts [1] (max 2 entries)
  call(app, "calc.expensive", "[1]");
  EXPECT_EQ(expensive_calls, 4);
  const auto stats = app.cache_statistics("calc.expensive");
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 4u);
  EXPECT_EQ(stats.size, 2u);
}

TEST(App, GlobalHooksRunInOrderAndCanShortCircuit) {
  test_app app;
  std::vector<std::string> seen;
  app.before([&](sb::call_info& info) -> sb::result<void> {
    seen.push_back("before " + std::string(info.endpoint));
    if (info.endpoint == "divide") return sb::forbidden("no dividing");
    if (info.endpoint == "add") info.rewrite_params("[40,2]");
    return {};
  });
  app.after([&](const sb::call_info& info, const sb::response& r, std::chrono::nanoseconds took) {
    seen.push_back("after " + std::string(info.endpoint) + " " + std::string(sb::kind_name(r.error)));
    EXPECT_GE(took.count(), 0);
  });
  EXPECT_EQ(call(app, "calc.add", "[1,1]").body, "42");
  EXPECT_EQ(call(app, "calc.divide", "[1,1]").error, sb::error_kind::forbidden);
  EXPECT_EQ(seen, (std::vector<std::string>{"before add", "after add none", "before divide", "after divide forbidden"}));
}

TEST(App, LifecycleOrder) {
  lifecycle.clear();
  {
    test_app app;
    ASSERT_TRUE(app.start());
    app.stop();
  }
  EXPECT_EQ(lifecycle, (std::vector<std::string>{"calc start", "audit start", "audit stop", "calc stop"}));
}

TEST(App, DescribeListsVisibleEndpointsWithSchemas) {
  test_app app;
  const std::string d = app.describe();
  EXPECT_NE(d.find(R"("name":"calc","version":"1.2")"), std::string::npos);
  EXPECT_NE(d.find(R"({"name":"add","methods":["GET","POST"],"binding":"named")"), std::string::npos) << d;
  EXPECT_NE(d.find(R"("name":"get_only","methods":["GET"])"), std::string::npos);
  EXPECT_EQ(d.find("secret_add"), std::string::npos);
  EXPECT_NE(d.find(R"("stream":{"type":"integer")"), std::string::npos);
  sb::json::value parsed;
  EXPECT_FALSE(sb::json::read(parsed, d)) << "describe() must be valid JSON";
}

// The examples of the JSON-RPC 2.0 specification, section 7.
TEST(JsonRpc, SpecificationExamples) {
  test_app app;
  EXPECT_EQ(rpc(app, R"({"jsonrpc": "2.0", "method": "calc.add", "params": [42, 23], "id": 1})"),
            R"({"jsonrpc":"2.0","result":65,"id":1})");
  EXPECT_EQ(rpc(app, R"({"jsonrpc": "2.0", "method": "calc.add", "params": {"b": 23, "a": 42}, "id": 3})"),
            R"({"jsonrpc":"2.0","result":65,"id":3})");
  EXPECT_EQ(rpc(app, R"({"jsonrpc": "2.0", "method": "calc.add", "params": [1,2]})"), "");  // notification
  EXPECT_EQ(rpc(app, R"({"jsonrpc": "2.0", "method": "foobar", "id": "1"})"),
            R"({"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":"1"})");
  EXPECT_EQ(rpc(app, R"({"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz])"),
            R"({"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null})");
  EXPECT_EQ(rpc(app, R"({"jsonrpc": "2.0", "method": 1, "params": "bar"})"),
            R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null})");
  EXPECT_EQ(rpc(app, R"([
    {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
    {"jsonrpc": "2.0", "method"
  ])"),
            R"({"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null})");
  EXPECT_EQ(rpc(app, "[]"), R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null})");
  EXPECT_EQ(rpc(app, "[1]"), R"([{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}])");
  EXPECT_EQ(rpc(app, "[1,2,3]"),
            R"([{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null},)"
            R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null},)"
            R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}])");
  EXPECT_EQ(rpc(app, R"([
    {"jsonrpc": "2.0", "method": "calc.add", "params": [1,2], "id": "1"},
    {"jsonrpc": "2.0", "method": "calc.add", "params": [7,0]},
    {"jsonrpc": "2.0", "method": "calc.divide", "params": [42,23], "id": "2"},
    {"foo": "boo"},
    {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
    {"jsonrpc": "2.0", "method": "calc.add", "params": [4,5], "id": "9"}
  ])"),
            R"([{"jsonrpc":"2.0","result":3,"id":"1"},{"jsonrpc":"2.0","result":1,"id":"2"},)"
            R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null},)"
            R"({"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":"5"},)"
            R"({"jsonrpc":"2.0","result":9,"id":"9"}])");
  EXPECT_EQ(rpc(app, R"([{"jsonrpc": "2.0", "method": "calc.add", "params": [1,2]}])"), "");
}

// A single request's parameters are delimited by the envelope and validated by the binder; every
// other path must still answer invalid JSON inside them with a parse error, never run the call.
TEST(JsonRpc, InvalidJsonInsideParamsIsAParseErrorOnEveryPath) {
  test_app app;
  const std::string parse_error = R"({"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null})";
  for (const char* params : {"[1,2", "[1,,2]", "[1 2]", "[01,2]", "[1,2}", R"(["a\x"])", R"(["\u12"])", R"({"a":1,})",
                             "[tru]", "[1,2]]", "nul", "[\"\x01\"]"}) {
    for (const char* method : {"calc.add", "calc.nope", "calc.secret_add"}) {
      const std::string with_id = std::string(R"({"jsonrpc":"2.0","method":")") + method + R"(","params":)" + params + R"(,"id":1})";
      EXPECT_EQ(rpc(app, with_id), parse_error) << with_id;
      const std::string notification = std::string(R"({"jsonrpc":"2.0","method":")") + method + R"(","params":)" + params + "}";
      EXPECT_EQ(rpc(app, notification), parse_error) << notification;
    }
  }
  // Unbalanced or unterminated parameters end the request early: also a parse error.
  EXPECT_EQ(rpc(app, R"({"jsonrpc":"2.0","method":"calc.add","params":[1,"2],"id":1})"), parse_error);
  EXPECT_EQ(rpc(app, R"({"jsonrpc":"2.0","method":"calc.add","params":[[1,2],"id":1})"), parse_error);
  EXPECT_EQ(rpc(app, R"({"jsonrpc":"2.0","method":"calc.add","params":"\)"), parse_error);
  // Strings with escaped quotes and brackets inside are delimited correctly.
  EXPECT_EQ(rpc(app, R"({"jsonrpc":"2.0","method":"calc.copy","params":["a\"]}[{\\"],"id":2})"),
            R"({"jsonrpc":"2.0","result":"a\"]}[{\\","id":2})");
  // Found by fuzz/jsonrpc_fuzz: a repeated "params" whose first value was not JSON, and input that
  // starts like a value but is not JSON as a whole, are parse errors, not invalid requests.
  EXPECT_EQ(rpc(app, R"({"params"::"x","jsonrpc":"2.0","method":"calc.add","params":[1,2],"id":1})"), parse_error);
  EXPECT_EQ(rpc(app, R"({"params":[1,,2],"jsonrpc":"2.0","method":"calc.add","params":[1,2],"id":1})"), parse_error);
  EXPECT_EQ(rpc(app, R"(":"2.0","method":"calc.add"})"), parse_error);
  EXPECT_EQ(rpc(app, "1 2"), parse_error);
  EXPECT_EQ(rpc(app, R"( "text" )"), R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null})");
  // Valid parameters of the wrong shape stay invalid params.
  EXPECT_NE(rpc(app, R"({"jsonrpc":"2.0","method":"calc.add","params":["x",2],"id":3})").find("-32602"), std::string::npos);
}

// The single pass binds the parameters before it has seen the rest of the request: nothing may run
// unless the rest is well-formed, and a later "params" wins as it does on the general path.
TEST(JsonRpc, NothingRunsBeforeTheWholeRequestIsChecked) {
  test_app app;
  const std::string parse_error = R"({"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null})";
  const std::string invalid = R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null})";
  const int before = expensive_calls;
  EXPECT_EQ(rpc(app, R"({"jsonrpc":"2.0","method":"calc.expensive","params":[1001],"id":tru})"), parse_error);
  EXPECT_EQ(rpc(app, R"({"jsonrpc":"2.0","method":"calc.expensive","params":[1002],"id":1,})"), parse_error);
  EXPECT_EQ(rpc(app, R"({"jsonrpc":"2.0","method":"calc.expensive","params":[1003],"id":1} x)"), parse_error);
  EXPECT_EQ(rpc(app, R"({"jsonrpc":"2.0","method":"calc.expensive","params":[1004],"id":{}})"), invalid);
  EXPECT_EQ(rpc(app, R"({"method":"calc.expensive","params":[1005],"jsonrpc":"1.0","id":1})"),
            R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":1})");
  EXPECT_EQ(rpc(app, R"({"jsonrpc":"2.0","method":"calc.expensive","params":[1006],"params":["a\{"],"id":1})"), parse_error);
  EXPECT_EQ(expensive_calls, before);
  // A later "method" names the endpoint, as on the general path.
  EXPECT_EQ(rpc(app, R"({"jsonrpc":"2.0","method":"calc.expensive","params":[1007],"method":"calc.nope","id":1})"),
            R"({"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":1})");
  EXPECT_EQ(expensive_calls, before);
  EXPECT_EQ(rpc(app, R"({"jsonrpc":"2.0","method":"calc.nope","params":[1,2],"method":"calc.add","id":1})"),
            R"({"jsonrpc":"2.0","result":3,"id":1})");
  // A later "params" replaces an earlier one; members may come in any order.
  EXPECT_EQ(rpc(app, R"({"jsonrpc":"2.0","method":"calc.add","params":[1,2],"params":[3,4],"id":1})"),
            R"({"jsonrpc":"2.0","result":7,"id":1})");
  EXPECT_EQ(rpc(app, R"({"id":2,"params":[5,6],"method":"calc.add","jsonrpc":"2.0"})"), R"({"jsonrpc":"2.0","result":11,"id":2})");
  EXPECT_EQ(rpc(app, R"( { "jsonrpc" : "2.0" , "method" : "calc.add" , "params" : { "b" : 1 , "a" : 2 } , "id" : 3 } )"),
            R"({"jsonrpc":"2.0","result":3,"id":3})");
}

TEST(JsonRpc, HooksNeverSeeInvalidParams) {
  test_app app;
  int hook_calls = 0;
  app.before([&](sb::call_info& info) -> sb::result<void> {
    ++hook_calls;
    info.rewrite_params("[1,2]");
    return {};
  });
  EXPECT_EQ(rpc(app, R"({"jsonrpc":"2.0","method":"calc.add","params":[1,,],"id":1})"),
            R"({"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null})");
  EXPECT_EQ(hook_calls, 0);
  EXPECT_EQ(rpc(app, R"({"jsonrpc":"2.0","method":"calc.add","params":[5,5],"id":1})"), R"({"jsonrpc":"2.0","result":3,"id":1})");
  EXPECT_EQ(hook_calls, 1);
}

TEST(JsonRpc, NullIdIsARequestAndNullParamsAreInvalid) {
  test_app app;
  // "id": null is a request (answered with id null), not a notification.
  EXPECT_EQ(rpc(app, R"({"jsonrpc":"2.0","method":"calc.add","params":[1,2],"id":null})"),
            R"({"jsonrpc":"2.0","result":3,"id":null})");
  // params must be structured when present.
  EXPECT_EQ(rpc(app, R"({"jsonrpc":"2.0","method":"calc.add","params":null,"id":1})"),
            R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":1})");
  EXPECT_EQ(rpc(app, R"({"jsonrpc":"2.0","method":"calc.add","params":[1,2],"id":{}})"),
            R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null})");
  EXPECT_EQ(rpc(app, R"({"jsonrpc":"1.0","method":"calc.add","params":[1,2],"id":5})"),
            R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":5})");
}

TEST(JsonRpc, InvalidParamsCarryTheSpecificError) {
  test_app app;
  EXPECT_EQ(rpc(app, R"({"jsonrpc":"2.0","method":"calc.add","params":[1,"x"],"id":7})"),
            R"x({"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"kind":"invalid_argument",)x"
            R"x("message":"params[1] (\"b\"): expected integer, found string","where":"params[1] (\"b\")"}},"id":7})x");
  EXPECT_EQ(rpc(app, R"({"jsonrpc":"2.0","method":"calc.divide","params":[1,0],"id":8})"),
            R"({"jsonrpc":"2.0","error":{"code":-32602,"message":"division by zero","data":{"kind":"invalid_argument"}},"id":8})");
}

}  // namespace
