#pragma once
// Keeps the event loop moving while endpoints run on the threads that run it. Calls execute on the
// I/O thread that read them (no hand-off, as in Beast); an endpoint that blocks holds that thread
// only. When every loop thread has been inside a call for longer than the patience and none of
// those calls has ended meanwhile, one more thread joins the loop (up to a cap), so I/O stalls for
// at most about that long; a joined thread leaves once more threads than configured are free again.
// The same idea as Go's scheduler handing a processor on when a goroutine blocks in a system call.

#include <asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

namespace sb::detail {

class io_monitor {
 public:
  io_monitor(asio::io_context& io, std::size_t threads, std::size_t max_threads, std::chrono::microseconds patience)
      : io_(io), threads_(threads), max_threads_(max_threads < threads ? threads : max_threads), patience_(patience) {}
  io_monitor(const io_monitor&) = delete;
  io_monitor& operator=(const io_monitor&) = delete;
  ~io_monitor() { stop(); }

  // Marks the calling loop thread busy for the scope of one call.
  class call_scope {
   public:
    explicit call_scope(io_monitor& m) : m_(m) {
      if (m_.busy_.fetch_add(1) + 1 >= m_.running_.load() && m_.sleeping_.load()) m_.wake_.notify_one();
    }
    ~call_scope() {
      m_.ended_.fetch_add(1, std::memory_order_relaxed);
      m_.busy_.fetch_sub(1);
    }
    call_scope(const call_scope&) = delete;
    call_scope& operator=(const call_scope&) = delete;

   private:
    io_monitor& m_;
  };

  // Runs the loop on the calling thread until it has no more work (one of the configured threads).
  void run_loop() {
    ++running_;
    io_.run();
    --running_;
  }

  void start() {
    watcher_ = std::thread([this] { watch(); });
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_all();
    if (watcher_.joinable()) watcher_.join();
    for (auto& t : extra_) t.thread.join();
    extra_.clear();
  }

  std::size_t extra_threads() {
    std::lock_guard lock(mutex_);
    std::size_t live = 0;
    for (auto& t : extra_) live += !t.done->load();
    return live;
  }

 private:
  struct extra_thread {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };

  bool all_busy() const { return busy_.load() >= running_.load() && running_.load() > 0; }

  void watch() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (!all_busy()) {
        // While calls are flowing, look again after the patience, unasked: being woken by every call
        // that takes the last free thread cost a futex call per few calls under load (measured).
        if (const auto seen = ended_.load(); seen != last_seen_) {
          last_seen_ = seen;
          wake_.wait_for(lock, patience_, [this] { return stopping_; });
          continue;
        }
        // Quiet: sleep until a call takes the last free thread (it wakes us; a wake-up missed
        // between the check and the sleep costs at most the 20 ms).
        sleeping_ = true;
        wake_.wait_for(lock, std::chrono::milliseconds(20), [this] { return stopping_ || all_busy(); });
        sleeping_ = false;
        continue;
      }
      const auto ended = ended_.load();
      reap();
      // At the cap there is nothing to add: look again only now and then.
      const bool capped = extra_.size() + threads_ >= max_threads_;
      wake_.wait_for(lock, capped ? std::chrono::microseconds(100000) : patience_, [this] { return stopping_; });
      if (stopping_ || io_.stopped()) break;
      if (all_busy() && ended_.load() == ended) join_one();
    }
  }

  // One more thread in the loop; it leaves when more than the configured number are free.
  void join_one() {
    reap();
    if (extra_.size() + threads_ >= max_threads_) return;
    auto done = std::make_shared<std::atomic<bool>>(false);
    ++running_;  // counted before it starts, so that the watcher does not add another meanwhile
    extra_.push_back({std::thread([this, done] {
                        while (!io_.stopped()) {
                          io_.run_one_for(std::chrono::milliseconds(100));
                          if (running_.load() - busy_.load() > static_cast<int>(threads_)) break;
                        }
                        --running_;
                        done->store(true);
                      }),
                      done});
  }

  void reap() {
    for (auto it = extra_.begin(); it != extra_.end();) {
      if (!it->done->load()) {
        ++it;
        continue;
      }
      it->thread.join();
      it = extra_.erase(it);
    }
  }

  asio::io_context& io_;
  const std::size_t threads_;
  const std::size_t max_threads_;
  const std::chrono::microseconds patience_;
  std::atomic<int> running_{0};
  std::atomic<int> busy_{0};
  std::atomic<std::uint64_t> ended_{0};
  std::uint64_t last_seen_ = 0;  // ended_ at the watcher's last look
  std::atomic<bool> sleeping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread watcher_;
  std::list<extra_thread> extra_;
};

}  // namespace sb::detail
