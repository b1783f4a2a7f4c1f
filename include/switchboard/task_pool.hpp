#pragma once
// A bounded pool of worker threads for background tasks and for calls that carry a timeout.
// When the queue is full, the submitting thread runs the task itself: work is delayed, never dropped.

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

  void submit(std::function<void()> task) {
    {
      std::unique_lock lock(mutex_);
      if (!stopping_ && queue_.size() < queue_limit_) {
        start_locked();
        queue_.push_back(std::move(task));
        ready_.notify_one();
        return;
      }
    }
    run_guarded(task);  // full or stopping: run here rather than lose it
  }

  // Finishes queued tasks, then joins the workers.
  void stop() {
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
  }

  std::size_t failures() const { return failures_; }

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
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      run_guarded(task);
    }
  }

  std::size_t thread_count_;
  std::size_t queue_limit_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
  std::atomic<std::size_t> failures_{0};
};

}  // namespace sb
