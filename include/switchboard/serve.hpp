#pragma once
// Running transports side by side until SIGINT/SIGTERM, or until one of them ends on its own.
// A transport is any type with `template <class App> void run(App&, sb::shutdown&)` that returns once
// shutdown.requested() or when it has nothing left to serve, and that registers a way to be woken.

#include <switchboard/log.hpp>

#include <pthread.h>

#include <atomic>
#include <csignal>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sb {

class shutdown {
 public:
  bool requested() const { return requested_.load(); }
  // Called once when shutdown is requested (from any thread).
  void on_request(std::function<void()> wake) {
    std::lock_guard lock(mutex_);
    if (requested_) return wake();
    wakers_.push_back(std::move(wake));
  }
  void request() {
    std::vector<std::function<void()>> wakers;
    {
      std::lock_guard lock(mutex_);
      if (requested_.exchange(true)) return;
      wakers.swap(wakers_);
    }
    for (auto& wake : wakers) wake();
  }

 private:
  std::atomic<bool> requested_{false};
  std::mutex mutex_;
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
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return 0;
}

}  // namespace sb::detail
