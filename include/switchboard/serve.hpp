#pragma once
// Running transports side by side until SIGINT/SIGTERM, or until one of them ends on its own.
// A transport is any type with `template <class App> void run(App&, sb::shutdown&)` that returns once
// shutdown.requested() or when it has nothing left to serve, and that registers a way to be woken.

#include <switchboard/log.hpp>

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sb {

class shutdown {
 public:
  bool requested() const { return requested_.load(); }
  // Called once when shutdown is requested (from any thread); at once when it already was. The
  // number names the waker for forget().
  std::size_t on_request(std::function<void()> wake) {
    std::lock_guard lock(mutex_);
    if (requested_) {
      wake();
      return npos;
    }
    wakers_.push_back(std::move(wake));
    return wakers_.size() - 1;
  }
  // After this returns, the waker is not running and never will: a transport forgets the waker
  // that references its locals before they go, since a request from the signal thread may be
  // calling it just then. Not from inside a waker.
  void forget(std::size_t waker) {
    std::lock_guard calling(calling_);
    std::lock_guard lock(mutex_);
    if (waker < wakers_.size()) wakers_[waker] = nullptr;
  }
  void request() {
    {
      std::lock_guard lock(mutex_);
      if (requested_.exchange(true)) return;
    }
    std::lock_guard calling(calling_);
    for (std::size_t i = 0;; ++i) {
      std::function<void()> wake;
      {
        std::lock_guard lock(mutex_);
        if (i == wakers_.size()) break;
        wake = wakers_[i];
      }
      if (wake) wake();
    }
  }

  // A waker forgotten when the scope that registered it ends.
  class scoped_waker {
   public:
    scoped_waker(shutdown& stop, std::function<void()> wake) : stop_(stop), id_(stop.on_request(std::move(wake))) {}
    ~scoped_waker() { stop_.forget(id_); }
    scoped_waker(const scoped_waker&) = delete;
    scoped_waker& operator=(const scoped_waker&) = delete;

   private:
    shutdown& stop_;
    std::size_t id_;
  };

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  std::atomic<bool> requested_{false};
  std::mutex mutex_;    // the list
  std::mutex calling_;  // held while a request calls the wakers
  std::vector<std::function<void()>> wakers_;
};

}  // namespace sb

namespace sb::detail {

template <class App, class... Transports>
int serve_all(App& app, Transports&&... transports) {
  // Signals are taken by one thread with sigwait, so handlers never run inside library code.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &signals, &previous);
  std::string why;
  if (!app.start(&why)) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return 1;
  }
  shutdown stop;
  std::atomic<bool> finished{false};
  stop.on_request([&app] { app.begin_stopping(); });
  // Whatever the endpoints do, the process ends within the grace period after a stop request.
  std::mutex watch_mutex;
  std::condition_variable watch;
  bool stop_seen = false;
  bool all_stopped = false;
  stop.on_request([&] {
    std::lock_guard lock(watch_mutex);
    stop_seen = true;
    watch.notify_all();
  });
  // Zero, negative or beyond a day: no limit (as for call_timeout, and no clock overflow).
  const auto grace = app.stop_grace();
  const bool bounded = grace.count() > 0 && grace <= std::chrono::hours(24);
  std::thread watchdog([&] {
    std::unique_lock lock(watch_mutex);
    watch.wait(lock, [&] { return stop_seen || all_stopped; });
    if (!bounded) {
      watch.wait(lock, [&] { return all_stopped; });
      return;
    }
    if (all_stopped || watch.wait_for(lock, grace, [&] { return all_stopped; })) return;
    // Straight to the descriptor: the logger's lock or a full stderr pipe must not hold the exit.
    const std::string text = "stop: calls still running " + std::to_string(grace.count()) +
                             " ms after the stop request (app_options::stop_grace); exiting without them\n";
    [[maybe_unused]] const auto written = ::write(STDERR_FILENO, text.data(), text.size());
    std::_Exit(1);
  });
  std::thread signal_thread([&] {
    int received = 0;
    while (sigwait(&signals, &received) == 0) {
      if (finished) return;
      log().write(log_level::info, received == SIGINT ? "SIGINT: shutting down" : "SIGTERM: shutting down");
      stop.request();
      return;
    }
  });
  std::vector<std::thread> runners;
  (runners.emplace_back([&app, &stop, &transports] {
     transports.run(app, stop);
     stop.request();  // one transport ending (stdio at EOF) ends them all
   }),
   ...);
  for (auto& runner : runners) runner.join();
  finished = true;
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  app.stop();
  {
    std::lock_guard lock(watch_mutex);
    all_stopped = true;
  }
  watch.notify_all();
  watchdog.join();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return 0;
}

}  // namespace sb::detail
