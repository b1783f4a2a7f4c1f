// Call deadlines: app_options::call_timeout for every call, sb::timeout_ms for a hard bound.
#include <switchboard/app.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace deadline_test {

using namespace std::chrono_literals;

std::atomic<int> tasks_run{0};

int nap(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}
sb::result<int> nap_then_task(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return sb::result<int>(ms).task([] { ++tasks_run; });
}
// What a handler sees of its deadline: milliseconds left, or -1 without one.
long long time_left(sb::context& ctx) {
  if (ctx.deadline == std::chrono::steady_clock::time_point::max()) return -1;
  return std::chrono::duration_cast<std::chrono::milliseconds>(ctx.deadline - std::chrono::steady_clock::now()).count();
}
bool stops_when_expired(sb::context& ctx) {
  while (!ctx.expired()) std::this_thread::sleep_for(5ms);
  return true;
}
void slow_stream(int n, sb::stream<int> out) {
  for (int i = 0; i < n; ++i) {
    std::this_thread::sleep_for(40ms);
    if (!out.emit(i)) return;
  }
}

struct work {
  static constexpr std::string_view name = "work";
  sb::fn<&deadline_test::nap> nap;
  sb::fn<&deadline_test::nap_then_task> nap_then_task;
  sb::fn<&deadline_test::time_left> time_left;
  sb::fn<&deadline_test::stops_when_expired> cooperative;
  sb::fn<&deadline_test::slow_stream> stream;
  sb::fn<&deadline_test::nap, sb::timeout_ms{100}> bounded;
};

using app_type = sb::app<work>;

sb::response call(app_type& app, std::string_view name, std::string_view params) {
  sb::response out;
  app.call(name, params, out);
  return out;
}

TEST(Deadline, ALateAnswerBecomesTheTimeoutError) {
  app_type app({.call_timeout = 60ms});
  EXPECT_EQ(call(app, "work.nap", "[0]").body, "0");
  const sb::response late = call(app, "work.nap", "[150]");
  EXPECT_EQ(late.error, sb::error_kind::timeout);
  EXPECT_NE(late.message.find("work.nap answered after 1"), std::string::npos) << late.message;
  EXPECT_NE(late.message.find("past its deadline of 60 ms"), std::string::npos) << late.message;
  EXPECT_TRUE(late.body.empty());
  std::string rpc;
  app.handle_jsonrpc(R"({"jsonrpc":"2.0","method":"work.nap","params":[150],"id":1})", rpc);
  EXPECT_NE(rpc.find(R"("code":-32008)"), std::string::npos) << rpc;
}

TEST(Deadline, TheDefaultIsThirtySecondsAndZeroTurnsItOff) {
  app_type app;
  const long long left = std::stoll(call(app, "work.time_left", "[]").body);
  EXPECT_GT(left, 29000);
  EXPECT_LE(left, 30000);
  app_type unbounded({.call_timeout = 0ms});
  EXPECT_EQ(call(unbounded, "work.time_left", "[]").body, "-1");
  EXPECT_EQ(call(unbounded, "work.nap", "[20]").body, "20");
}

TEST(Deadline, HandlersCanStopAtTheirDeadline) {
  app_type app({.call_timeout = 50ms});
  const auto started = std::chrono::steady_clock::now();
  const sb::response r = call(app, "work.cooperative", "[]");
  const auto took = std::chrono::steady_clock::now() - started;
  // The deadline is never early (whatever the kernel's tick), and the handler stopped at it.
  EXPECT_GE(took, 50ms);
  EXPECT_LT(took, 1s);
  EXPECT_TRUE(r.ok() || r.error == sb::error_kind::timeout);
}

TEST(Deadline, BackgroundTasksOfALateResultStillRun) {
  tasks_run = 0;
  {
    app_type app({.call_timeout = 30ms});
    std::string rpc;
    app.handle_jsonrpc(R"({"jsonrpc":"2.0","method":"work.nap_then_task","params":[80],"id":1})", rpc);
    EXPECT_NE(rpc.find(R"("code":-32008)"), std::string::npos) << rpc;
  }  // the app's destructor waits for its task pool
  EXPECT_EQ(tasks_run, 1);
}

// A sink that takes every value, as SSE does while its client listens.
struct listening_sink final : sb::stream_sink {
  std::string values;
  bool send(std::string_view json_text, std::string_view) override {
    values += json_text;
    return true;
  }
  bool open() const override { return true; }
};

TEST(Deadline, LiveStreamsRunWhileTheirConsumerListens) {
  app_type app({.call_timeout = 50ms});
  listening_sink sink;
  sb::context ctx;
  ctx.sink = &sink;
  sb::response r;
  app.call("work.stream", "[3]", r, ctx);  // 120 ms in all, past the call timeout
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(sink.values, "012");
}

TEST(Deadline, CollectedStreamsEndAtTheDeadline) {
  app_type app({.call_timeout = 100ms});
  const auto started = std::chrono::steady_clock::now();
  const sb::response r = call(app, "work.stream", "[1000]");  // 40 s if nothing stopped it
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(r.error, sb::error_kind::timeout) << r.body;
  EXPECT_LT(took, 5s);
  app_type patient({.call_timeout = 5000ms});
  EXPECT_EQ(call(patient, "work.stream", "[3]").body, "[0,1,2]");
}

TEST(Deadline, TimeoutMsReleasesTheCallerAtTheDeadline) {
  app_type app;
  const auto started = std::chrono::steady_clock::now();
  const sb::response r = call(app, "work.bounded", "[400]");
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(r.error, sb::error_kind::timeout);
  EXPECT_GE(took, 95ms);
  EXPECT_LT(took, 350ms);  // released long before the 400 ms of work ends
  EXPECT_EQ(call(app, "work.bounded", "[5]").body, "5");
}

}  // namespace deadline_test
