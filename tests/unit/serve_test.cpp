// Running transports until a signal: a stop request ends well-behaved transports with exit code 0,
// and a process whose calls never end still exits, with code 1, once app_options::stop_grace is up.
#include <switchboard/app.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <csignal>
#include <cstdlib>
#include <thread>

#include <unistd.h>

namespace serve_test {

using namespace std::chrono_literals;

int one() { return 1; }
struct mod {
  static constexpr std::string_view name = "mod";
  sb::fn<&serve_test::one> one;
};

// Asks for SIGTERM as soon as it runs, then returns when told to stop.
struct polite_transport {
  template <class App>
  void run(App&, sb::shutdown& stop) {
    ::kill(::getpid(), SIGTERM);
    while (!stop.requested()) std::this_thread::sleep_for(5ms);
  }
};

// Asks for SIGTERM, then ignores the stop request: a call that never returns.
struct stuck_transport {
  template <class App>
  void run(App&, sb::shutdown&) {
    ::kill(::getpid(), SIGTERM);
    for (;;) std::this_thread::sleep_for(1h);
  }
};

// Both run in a child process: a process-directed SIGTERM must not reach the test runner's threads.
TEST(ServeDeathTest, SigtermEndsPoliteTransportsWithExitCodeZero) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        sb::app<mod> app;
        std::exit(app.serve(polite_transport{}));
      },
      testing::ExitedWithCode(0), "SIGTERM: shutting down");
}

TEST(ServeDeathTest, APastDueStopExitsWithinTheGrace) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        sb::app<mod> app({.stop_grace = 300ms});
        app.serve(stuck_transport{});
      },
      testing::ExitedWithCode(1), "calls still running 300 ms after the stop request");
}

}  // namespace serve_test

// A transport forgets its waker before its locals go: forget() must wait for a request that is
// calling the waker on another thread (sb::server's strand died under a post that way).
TEST(Shutdown, ForgetWaitsForAWakerBeingCalled) {
  sb::shutdown stop;
  std::mutex m;
  std::condition_variable cv;
  bool entered = false, released = false;
  std::atomic<bool> waker_done{false};
  const std::size_t id = stop.on_request([&] {
    std::unique_lock lock(m);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return released; });
    waker_done = true;
  });
  std::thread requester([&] { stop.request(); });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return entered; });
  }
  bool done_when_forgotten = false;
  std::thread forgetter([&] {
    stop.forget(id);
    done_when_forgotten = waker_done;
  });
  {
    std::lock_guard lock(m);
    released = true;
  }
  cv.notify_all();
  forgetter.join();
  requester.join();
  EXPECT_TRUE(done_when_forgotten);
}

TEST(Shutdown, AForgottenWakerIsNotCalled) {
  sb::shutdown stop;
  int calls = 0;
  const std::size_t first = stop.on_request([&] { calls += 1; });
  stop.on_request([&] { calls += 10; });
  stop.forget(first);
  stop.request();
  EXPECT_EQ(calls, 10);
  stop.on_request([&] { calls += 100; });  // after the request: at once
  EXPECT_EQ(calls, 110);
}
