// sb::task endpoints: run to their end where nothing can resume them later (a plain call, a stream
// collected into an array), and suspended across pauses where a transport can (ctx.completion and a
// sink that resumes), with their parameters, hooks, errors and clean-up intact.
#include <switchboard/app.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <coroutine>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace task_test {

using namespace std::chrono_literals;

int cleanups = 0;  // frames whose locals were destroyed
struct counts_cleanup {
  ~counts_cleanup() { ++cleanups; }
};

sb::task<int> doubled(int x) { co_return 2 * x; }
sb::task<int> quadrupled(int x) {
  const int twice = co_await doubled(x);
  co_return co_await doubled(twice);
}
sb::task<void> fails() {
  throw std::runtime_error("broken inside");
  co_return;
}

// Emits `label` n times with a pause between; string_view must outlive every pause.
sb::task<sb::result<int>> repeat(std::string_view label, int n, sb::stream<std::string> out) {
  counts_cleanup guard;
  for (int k = 0; k < n; ++k) {
    if (!out.emit(std::string(label) + std::to_string(k))) co_return sb::unavailable("gone");
    if (k + 1 < n && !co_await out.pause(1ms)) co_return sb::unavailable("gone");
  }
  co_return n;
}

struct tasks {
  static constexpr std::string_view name = "tasks";
  sb::fn<&task_test::doubled, sb::args{"x"}> doubled;
  sb::fn<&task_test::quadrupled, sb::args{"x"}> quadrupled;
  sb::fn<&task_test::fails> fails;
  sb::fn<&task_test::repeat, sb::args{"label", "n"}> repeat;
};
using test_app = sb::app<tasks>;

// A sink that keeps the paused coroutine for the test to resume: what sb::server does with a timer.
class resumable_sink final : public sb::stream_sink {
 public:
  bool send(std::string_view json_text, std::string_view) override {
    if (!open_) return false;
    values.emplace_back(json_text);
    return true;
  }
  bool open() const override { return open_; }
  bool resume_after(std::chrono::milliseconds, std::coroutine_handle<> paused) override {
    paused_ = paused;
    return true;
  }
  bool resume() {
    if (!paused_) return false;
    std::exchange(paused_, {}).resume();
    return true;
  }
  void close() { open_ = false; }
  bool paused() const { return static_cast<bool>(paused_); }
  std::vector<std::string> values;

 private:
  bool open_ = true;
  std::coroutine_handle<> paused_;
};

class completion final : public sb::call_completion {
 public:
  void suspended(std::unique_ptr<sb::detail::suspended_call> call) override { held = std::move(call); }
  void finished() noexcept override { ++finishes; }
  std::unique_ptr<sb::detail::suspended_call> held;
  int finishes = 0;
};

TEST(Task, PlainCallsRunToTheirEnd) {
  test_app app;
  sb::response r;
  app.call("tasks.doubled", "[21]", r);
  EXPECT_EQ(r.body, "42");
  app.call("tasks.quadrupled", R"({"x":5})", r);
  EXPECT_EQ(r.body, "20");
  app.call("tasks.fails", "[]", r);
  EXPECT_EQ(r.error, sb::error_kind::internal);
}

TEST(Task, AStreamWithoutALiveSinkIsCollectedWithItsPausesWaitedOut) {
  test_app app;
  sb::response r;
  cleanups = 0;
  app.call("tasks.repeat", R"({"label":"v","n":3})", r);
  EXPECT_EQ(r.body, R"(["v0","v1","v2"])");
  EXPECT_EQ(cleanups, 1);
}

TEST(Task, WithACompletionTheCallReturnsAtItsFirstPauseAndEndsLater) {
  test_app app;
  resumable_sink sink;
  completion done;
  sb::context ctx;
  ctx.sink = &sink;
  ctx.completion = &done;
  sb::response r;
  // From fields, as /sse/ gives them: the converted JSON is scratch space reused by the next call,
  // so the label must live in the suspended call's own copy.
  const sb::field fields[] = {{"label", "item-"}, {"n", "3"}};
  cleanups = 0;
  app.call_at(test_app::find("tasks.repeat"), {{}, fields, true}, r, ctx);
  ASSERT_TRUE(done.held);
  EXPECT_TRUE(sink.paused());
  EXPECT_EQ(done.finishes, 0);
  sb::response other;
  app.call("tasks.repeat", R"({"label":"XXXXXXXXXXXX","n":1})", other);  // reuses the scratch space
  ASSERT_TRUE(sink.resume());
  ASSERT_TRUE(sink.resume());
  EXPECT_FALSE(sink.paused());
  EXPECT_EQ(done.finishes, 1);
  EXPECT_EQ(r.body, "3");
  EXPECT_EQ(sink.values, (std::vector<std::string>{R"("item-0")", R"("item-1")", R"("item-2")"}));
  EXPECT_EQ(cleanups, 2);  // the plain call's frame and this one's
  done.held.reset();
}

TEST(Task, DestroyingASuspendedCallRunsItsCleanUp) {
  test_app app;
  resumable_sink sink;
  completion done;
  sb::context ctx;
  ctx.sink = &sink;
  ctx.completion = &done;
  sb::response r;
  cleanups = 0;
  app.call("tasks.repeat", R"({"label":"x","n":100})", r, ctx);
  ASSERT_TRUE(sink.paused());
  done.held.reset();  // the transport dropped it (a server torn down mid-stream)
  EXPECT_EQ(cleanups, 1);
  EXPECT_EQ(done.finishes, 0);
}

TEST(Task, AConsumerThatLeavesEndsThePauseAndTheCall) {
  test_app app;
  resumable_sink sink;
  completion done;
  sb::context ctx;
  ctx.sink = &sink;
  ctx.completion = &done;
  sb::response r;
  app.call("tasks.repeat", R"({"label":"x","n":100})", r, ctx);
  sink.close();
  ASSERT_TRUE(sink.resume());
  EXPECT_EQ(done.finishes, 1);
  EXPECT_EQ(r.error, sb::error_kind::unavailable);
  EXPECT_EQ(sink.values.size(), 1u);
}

TEST(Task, HooksSeeTheEndOfASuspendedCall) {
  test_app app;
  std::vector<std::string> seen;
  app.before([&](sb::call_info& info) -> sb::result<void> {
    seen.push_back("before " + std::string(info.params));
    return {};
  });
  app.after([&](const sb::call_info& info, const sb::response& out, std::chrono::nanoseconds) {
    seen.push_back("after " + std::string(info.params) + " -> " + out.body);
  });
  resumable_sink sink;
  completion done;
  sb::context ctx;
  ctx.sink = &sink;
  ctx.completion = &done;
  sb::response r;
  app.call("tasks.repeat", R"(["a",2])", r, ctx);
  EXPECT_EQ(seen, (std::vector<std::string>{R"(before ["a",2])"}));
  ASSERT_TRUE(sink.resume());
  EXPECT_EQ(seen, (std::vector<std::string>{R"(before ["a",2])", R"(after ["a",2] -> 2)"}));
}

TEST(Task, ABindingErrorEndsBeforeAnythingIsSuspended) {
  test_app app;
  resumable_sink sink;
  completion done;
  sb::context ctx;
  ctx.sink = &sink;
  ctx.completion = &done;
  sb::response r;
  app.call("tasks.repeat", R"({"label":"a","n":"two"})", r, ctx);
  EXPECT_FALSE(done.held);
  EXPECT_EQ(r.error, sb::error_kind::invalid_argument);
  EXPECT_NE(r.where.find("n"), std::string::npos);
}

TEST(Task, TheTableSaysWhichEndpointsSuspend) {
  EXPECT_TRUE(test_app::table[test_app::find("tasks.repeat")].suspends);
  EXPECT_FALSE(test_app::table[test_app::find("tasks.doubled")].suspends);  // no stream: nothing to pause on
  std::string description = test_app().describe();
  EXPECT_NE(description.find(R"("name":"doubled")"), std::string::npos);
}

}  // namespace task_test
