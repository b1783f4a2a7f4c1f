#pragma once
// A bounded pool of worker threads for background tasks and for calls that carry a timeout.
// Background tasks are never dropped: when the queue is full, the submitting thread runs the task
// itself. Calls are refused instead (try_submit), so that an overloaded server answers at once
// rather than running them without their deadline, and calls still queued when the server stops
// are abandoned (their callers are told) rather than run.

#include <switchboard/log.hpp>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sb {

class task_pool {
 public:
  explicit task_pool(std::size_t threads = 2, std::size_t queue_limit = 1024)
      : thread_count_(threads == 0 ? 1 : threads), queue_limit_(queue_limit) {}
  task_pool(const task_pool&) = delete;
  task_pool& operator=(const task_pool&) = delete;
  ~task_pool() { stop(); }

  // A background task: queued, or run here when the queue is full or the pool is stopping.
  void submit(std::function<void()> task) {
    std::function<void()> no_abandon;
    if (!enqueue(task, no_abandon)) run_guarded(task);
  }

  // A call: queued, or false when the queue is full or the pool no longer takes calls. If the pool
  // stops before it starts, `abandon` runs instead of `task`.
  bool try_submit(std::function<void()> task, std::function<void()> abandon) {
    return enqueue(task, abandon);
  }

  // Stops taking calls and abandons those not yet started; background tasks stay queued.
  void abandon_calls() {
    std::vector<std::function<void()>> abandoned;
    {
      std::lock_guard lock(mutex_);
      refusing_calls_ = true;
      for (auto it = queue_.begin(); it != queue_.end();) {
        if (it->abandon) {
          abandoned.push_back(std::move(it->abandon));
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& abandon : abandoned) run_guarded(abandon);
  }

  // Abandons queued calls, finishes queued background tasks, then joins the workers.
  void stop() {
    abandon_calls();
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& worker : workers_)
      if (worker.joinable()) worker.join();
    workers_.clear();
    std::lock_guard lock(mutex_);
    stopping_ = false;
    refusing_calls_ = false;
  }

  std::size_t failures() const { return failures_; }
  std::size_t queue_limit() const { return queue_limit_; }
  // Tasks and calls waiting for a worker (for metrics, and for tests to wait on).
  std::size_t queued() {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }

  void run_guarded(std::function<void()>& task) {
    try {
      task();
    } catch (const std::exception& e) {
      ++failures_;
      log().write(log_level::error, std::string("background task failed: ") + e.what());
    } catch (...) {
      ++failures_;
      log().write(log_level::error, "background task failed with a non-standard exception");
    }
  }

 private:
  struct job {
    std::function<void()> run;
    std::function<void()> abandon;  // empty for background tasks
  };

  bool enqueue(std::function<void()>& task, std::function<void()>& abandon) {
    std::lock_guard lock(mutex_);
    const bool call = static_cast<bool>(abandon);
    if (stopping_ || queue_.size() >= queue_limit_ || (call && refusing_calls_)) return false;
    start_locked();
    queue_.push_back({std::move(task), std::move(abandon)});
    ready_.notify_one();
    return true;
  }
  void start_locked() {
    if (!workers_.empty()) return;
    for (std::size_t i = 0; i < thread_count_; ++i) workers_.emplace_back([this] { work(); });
  }
  void work() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        task = std::move(queue_.front().run);
        queue_.pop_front();
      }
      run_guarded(task);
    }
  }

  std::size_t thread_count_;
  std::size_t queue_limit_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<job> queue_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
  bool refusing_calls_ = false;
  std::atomic<std::size_t> failures_{0};
};

}  // namespace sb
