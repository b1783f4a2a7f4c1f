#pragma once
// The threads endpoint calls run on, apart from the I/O threads, so that a blocking endpoint never
// stalls a socket. The pool starts with `min` threads, grows when every thread is busy (up to
// `max`: a call that sleeps does not queue the calls behind it) and shrinks back after 30 s idle.
// Jobs are intrusive (the submitter owns them) and wait in a ring that keeps its capacity, so a
// warmed server submits without allocating.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace sb::detail {

class work_item {
 public:
  virtual void run() = 0;

 protected:
  ~work_item() = default;
};

class worker_pool {
 public:
  worker_pool(std::size_t min_threads, std::size_t max_threads)
      : min_(min_threads == 0 ? 1 : min_threads), max_(max_threads < min_ ? min_ : max_threads), ring_(64) {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < min_; ++i) spawn_locked();
  }
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;
  ~worker_pool() { stop(); }

  void submit(work_item& item) {
    bool wake = false;
    {
      std::lock_guard lock(mutex_);
      push_locked(&item);
      if (idle_ < count_ && live_ < max_) spawn_locked();
      wake = idle_ > 0;
    }
    if (wake) ready_.notify_one();
  }

  // Runs what is queued, then joins every thread.
  void stop() {
    std::list<std::thread> all;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
      all.splice(all.end(), threads_);
      all.splice(all.end(), retired_);
    }
    ready_.notify_all();
    for (auto& t : all) t.join();
  }

  std::size_t threads() {
    std::lock_guard lock(mutex_);
    return live_;
  }

 private:
  void push_locked(work_item* item) {
    if (count_ == ring_.size()) {
      std::vector<work_item*> larger(ring_.size() * 2);
      for (std::size_t i = 0; i < count_; ++i) larger[i] = ring_[(head_ + i) % ring_.size()];
      ring_.swap(larger);
      head_ = 0;
    }
    ring_[(head_ + count_++) % ring_.size()] = item;
  }
  work_item* pop_locked() {
    work_item* item = ring_[head_];
    head_ = (head_ + 1) % ring_.size();
    --count_;
    return item;
  }
  void spawn_locked() {
    for (auto& t : retired_) t.join();  // they have left work() and need no lock to finish
    retired_.clear();
    ++live_;
    threads_.emplace_back();
    auto self = std::prev(threads_.end());
    *self = std::thread([this, self] { work(self); });
  }
  void work(std::list<std::thread>::iterator self) {
    std::unique_lock lock(mutex_);
    for (;;) {
      ++idle_;
      const bool woke = ready_.wait_for(lock, std::chrono::seconds(30), [this] { return stopping_ || count_ > 0; });
      --idle_;
      if (count_ == 0) {
        if (stopping_) break;
        if (!woke && live_ > min_) {  // idle too long: retire, to be joined by the next spawn
          retired_.splice(retired_.end(), threads_, self);
          break;
        }
        continue;
      }
      work_item* item = pop_locked();
      lock.unlock();
      item->run();
      lock.lock();
    }
    --live_;
  }

  const std::size_t min_;
  const std::size_t max_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<work_item*> ring_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::list<std::thread> threads_;
  std::list<std::thread> retired_;
  std::size_t live_ = 0;
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace sb::detail
