// What a hostile or careless caller can send the core: escaped strings for string_view parameters,
// invalid UTF-8 in fields and error messages, results with no JSON form, injection that may be
// absent, collected streams without end, and a full task queue.
#include <switchboard/app.hpp>
#include <switchboard/json/value.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace hostile {

using namespace std::chrono_literals;

struct tenant {
  std::string name;
};

struct greeting {
  std::string_view name;
  std::optional<std::string_view> nickname;
};

}  // namespace hostile

// Present only when the context says so: a call without one is refused, not crashed.
template <>
struct sb::inject<hostile::tenant> {
  static hostile::tenant* get(sb::context& ctx) {
    return ctx.session && !ctx.session->user.empty() ? &current : nullptr;
  }
  static inline hostile::tenant current{"acme"};
};

namespace hostile {

std::string hello(std::string_view name, std::optional<std::string_view> nickname) {
  return "Hello, " + std::string(name) + (nickname ? " (" + std::string(*nickname) + ")" : "") + "!";
}
std::string hello_struct(greeting g) { return std::string(g.name) + "|" + std::string(g.nickname.value_or("-")); }
std::string nested(std::vector<std::string_view> words) {
  std::string out;
  for (auto w : words) out += std::string(w) + ";";
  return out;
}
double add(double a, double b) { return a + b; }
std::string whose(const tenant& t) { return t.name; }
std::size_t published(sb::bus& bus) { return bus.publish("room", "1"); }
void endless(sb::stream<std::string> out) {
  while (out.emit(std::string(1000, 'x'))) {
  }
}
void sleepy(sb::stream<int> out) {
  for (int i = 0; out.emit(i); ++i) out.wait_for(1h);  // waits end at the deadline, not after an hour
}
int block(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}

struct api {
  static constexpr std::string_view name = "api";
  sb::fn<&hostile::hello, sb::args{"name", "nickname"}> hello;
  sb::fn<&hostile::hello_struct> hello_struct;
  sb::fn<&hostile::nested, sb::args{"words"}> nested;
  sb::fn<&hostile::add, sb::args{"a", "b"}> add;
  sb::fn<&hostile::whose> whose;
  sb::fn<&hostile::published> published;
  sb::fn<&hostile::endless> endless;
  sb::fn<&hostile::sleepy> sleepy;
  sb::fn<&hostile::block, sb::args{"ms"}, sb::timeout_ms{2000}> block;
};

using app_type = sb::app<api>;

sb::response call(app_type& app, std::string_view method, std::string_view params) {
  sb::response out;
  app.call(method, params, out);
  return out;
}

bool valid_json(std::string_view text) {
  sb::json::value v;
  return !sb::json::parse(text, v);
}

TEST(HostileInput, StringViewParametersTakeEscapedStrings) {
  app_type app;
  EXPECT_EQ(call(app, "api.hello", R"(["caf\u00e9"])").body, R"("Hello, café!")");
  EXPECT_EQ(call(app, "api.hello", R"({"name":"O\"Brien","nickname":"a\\b"})").body, R"("Hello, O\"Brien (a\\b)!")");
  EXPECT_EQ(call(app, "api.hello_struct", R"({"name":"tab\there"})").body, R"("tab\there|-")");
  EXPECT_EQ(call(app, "api.nested", R"([["\n","plain","\u0041"]])").body, R"("\n;plain;A;")");
  // JSON-RPC: the single pass declines, the general path copies and unescapes.
  std::string out;
  app.handle_jsonrpc(R"({"jsonrpc":"2.0","method":"api.hello","params":["Z\u00fcrich"],"id":1})", out);
  EXPECT_EQ(out, R"({"jsonrpc":"2.0","result":"Hello, Zürich!","id":1})");
}

TEST(HostileInput, StringViewParametersFromQueryFields) {
  app_type app;
  sb::query_fields query;
  ASSERT_TRUE(query.parse("name=O%22Brien&nickname=back%5Cslash"));
  sb::response out;
  sb::context ctx;
  app.call_at(app_type::find("api.hello"), {{}, query.fields(), true}, out, ctx);
  EXPECT_EQ(out.body, R"("Hello, O\"Brien (back\\slash)!")") << out.message;
}

TEST(HostileInput, InvalidUtf8InAFieldNamesTheField) {
  app_type app;
  sb::query_fields query;
  ASSERT_TRUE(query.parse("name=%ff%fe"));
  sb::response out;
  sb::context ctx;
  app.call_at(app_type::find("api.hello"), {{}, query.fields(), true}, out, ctx);
  EXPECT_EQ(out.error, sb::error_kind::invalid_argument);
  EXPECT_EQ(out.where, "params.name");
  EXPECT_NE(out.message.find("not valid UTF-8 (byte 0)"), std::string::npos) << out.message;
  ASSERT_TRUE(query.parse("=value"));
  app.call_at(app_type::find("api.hello"), {{}, query.fields(), true}, out, ctx);
  EXPECT_EQ(out.where, "params");
  EXPECT_NE(out.message.find("has no name"), std::string::npos) << out.message;
}

TEST(HostileInput, ErrorBodiesStayValidJsonWhateverTheInput) {
  app_type app;
  const sb::response r = call(app, "api.\xff\xfe", "[]");
  EXPECT_EQ(r.error, sb::error_kind::not_found);
  std::string body;
  r.write_error_body(body);
  EXPECT_TRUE(valid_json(body)) << body;
  EXPECT_NE(body.find("\xEF\xBF\xBD"), std::string::npos) << body;  // U+FFFD stands in
  std::string rpc;
  app.handle_jsonrpc("{\"jsonrpc\":\"2.0\",\"method\":\"api.nope\",\"params\":[],\"id\":1}", rpc);
  EXPECT_TRUE(valid_json(rpc)) << rpc;
  sb::response bad;
  bad.fail(sb::error_kind::invalid_argument, "bad \xc3\x28 input", "params.\xe2\x82");
  body.clear();
  bad.write_error_body(body);
  EXPECT_TRUE(valid_json(body)) << body;
}

TEST(HostileInput, AResultWithNoJsonFormIsUnprocessableNotInternal) {
  app_type app;
  const double big = std::numeric_limits<double>::max();
  const sb::response r = call(app, "api.add", "[" + sb::json::to_string(big) + "," + sb::json::to_string(big) + "]");
  EXPECT_EQ(r.error, sb::error_kind::unprocessable);
  EXPECT_EQ(sb::http_status(r.error), 422);
  EXPECT_EQ(r.where, "result");
  EXPECT_NE(r.message.find("infinity"), std::string::npos) << r.message;
}

TEST(HostileInput, InjectionThatMayBeAbsentIsReported) {
  app_type app;
  sb::context ctx;
  sb::response out;
  app.call("api.whose", "[]", out, ctx);
  EXPECT_EQ(out.error, sb::error_kind::invalid_argument);
  EXPECT_NE(out.message.find("api.whose needs a value from its sb::inject specialization"), std::string::npos)
      << out.message;
  sb::session s;
  s.user = "ada";
  ctx.session = &s;
  app.call("api.whose", "[]", out, ctx);
  EXPECT_EQ(out.body, R"("acme")");
}

struct counting_bus final : sb::bus {
  int published = 0;
  std::size_t publish(std::string_view, std::string_view, std::uint64_t) override {
    ++published;
    return 7;
  }
  void subscribe(std::string_view, sb::bus_subscriber&, std::uint64_t) override {}
  void unsubscribe(std::string_view, sb::bus_subscriber&) override {}
  void unsubscribe_all(sb::bus_subscriber&) override {}
  std::uint64_t new_connection_id() override { return 1; }
};

TEST(HostileInput, TheInjectedBusIsTheContextsBus) {
  app_type app;
  counting_bus bus;
  sb::context ctx;
  ctx.bus = &bus;
  sb::response out;
  app.call("api.published", "[]", out, ctx);
  EXPECT_EQ(out.body, "7");
  EXPECT_EQ(bus.published, 1);
  EXPECT_EQ(call(app, "api.published", "[]").body, "0");  // no bus in the context: the app's own
}

TEST(HostileInput, CollectedStreamsHaveASizeCap) {
  app_type app({.max_collected_bytes = 64 * 1024});
  const auto started = std::chrono::steady_clock::now();
  const sb::response r = call(app, "api.endless", "[]");
  EXPECT_EQ(r.error, sb::error_kind::payload_too_large);
  EXPECT_NE(r.message.find("65536 bytes"), std::string::npos) << r.message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST(HostileInput, CollectedStreamsWaitOnlyUntilTheDeadline) {
  app_type app({.call_timeout = 200ms});
  const auto started = std::chrono::steady_clock::now();
  const sb::response r = call(app, "api.sleepy", "[]");
  EXPECT_EQ(r.error, sb::error_kind::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

struct gone final : sb::hangup_probe {
  std::atomic<bool> hung{false};
  bool hung_up() const override { return hung; }
};

TEST(HostileInput, CollectedStreamsStopWhenTheCallerHangsUp) {
  app_type app({.call_timeout = 600000ms});
  gone probe;
  sb::context ctx;
  ctx.hangup = &probe;
  std::thread hang_up([&] {
    std::this_thread::sleep_for(100ms);
    probe.hung = true;
  });
  const auto started = std::chrono::steady_clock::now();
  sb::response out;
  app.call("api.sleepy", "[]", out, ctx);
  hang_up.join();
  EXPECT_EQ(out.error, sb::error_kind::timeout);
  EXPECT_NE(out.message.find("hung up"), std::string::npos) << out.message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
}

TEST(HostileInput, AFullTaskQueueRefusesTimedCallsWithoutDroppingTheirDeadline) {
  app_type app({.task_threads = 1, .task_queue = 2});
  std::vector<std::thread> callers;
  std::vector<sb::response> answers(12);
  std::vector<std::chrono::steady_clock::duration> took(answers.size());
  for (std::size_t i = 0; i < answers.size(); ++i)
    callers.emplace_back([&, i] {
      const auto started = std::chrono::steady_clock::now();
      answers[i] = call(app, "api.block", "[300]");
      took[i] = std::chrono::steady_clock::now() - started;
    });
  for (auto& c : callers) c.join();
  int refused = 0;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    if (answers[i].error == sb::error_kind::unavailable) {
      ++refused;
      EXPECT_NE(answers[i].message.find("task queue is full"), std::string::npos) << answers[i].message;
    } else {
      // Every call that ran or timed out kept its 2 s deadline (none ran inline past it).
      EXPECT_LT(took[i], 2500ms) << i << ": " << answers[i].message;
    }
  }
  EXPECT_GE(refused, 1);
  EXPECT_EQ(sb::http_status(sb::error_kind::unavailable), 503);
}

TEST(HostileInput, StoppingAbandonsQueuedCalls) {
  app_type app({.task_threads = 1, .task_queue = 64});
  std::vector<std::thread> callers;
  std::vector<sb::response> answers(20);
  for (std::size_t i = 0; i < answers.size(); ++i)
    callers.emplace_back([&, i] { answers[i] = call(app, "api.block", "[200]"); });
  // Wait until calls are queued behind the one running (generous deadline: a busy machine).
  for (const auto until = std::chrono::steady_clock::now() + 30s;
       app.tasks().queued() < 5 && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(1ms);
  ASSERT_GE(app.tasks().queued(), 5u);
  const auto started = std::chrono::steady_clock::now();
  app.begin_stopping();
  for (auto& c : callers) c.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2500ms);  // not 20 x 200 ms
  int abandoned = 0;
  for (const auto& a : answers)
    if (a.error == sb::error_kind::unavailable) ++abandoned;
  EXPECT_GE(abandoned, 10);
  EXPECT_EQ(call(app, "api.block", "[1]").error, sb::error_kind::unavailable);  // refused from now on
}

}  // namespace hostile
