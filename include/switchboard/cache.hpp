#pragma once
// A thread-safe LRU cache of responses with a time to live, keyed by the canonical JSON of the
// arguments (what the binder parsed, written back compactly).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace sb {

struct cache_stats {
  std::size_t hits = 0;
  std::size_t misses = 0;
  std::size_t size = 0;
};

class response_cache {
 public:
  using clock = std::chrono::steady_clock;

  response_cache(std::size_t max_entries, std::chrono::seconds ttl) : max_entries_(max_entries), ttl_(ttl) {}

  // Copies the cached body into `body` when a fresh entry exists.
  bool find(std::string_view key, std::string& body) {
    std::lock_guard lock(mutex_);
    auto found = index_.find(std::string(key));
    if (found == index_.end() || clock::now() >= found->second->expires) {
      if (found != index_.end()) erase(found);
      ++misses_;
      return false;
    }
    entries_.splice(entries_.begin(), entries_, found->second);  // most recently used first
    body = found->second->body;
    ++hits_;
    return true;
  }

  void store(std::string_view key, std::string_view body) {
    std::lock_guard lock(mutex_);
    std::string k(key);
    if (auto found = index_.find(k); found != index_.end()) erase(found);
    entries_.push_front({k, std::string(body), clock::now() + ttl_});
    index_.emplace(std::move(k), entries_.begin());
    while (entries_.size() > max_entries_) index_.erase(entries_.back().key), entries_.pop_back();
  }

  void clear() {
    std::lock_guard lock(mutex_);
    entries_.clear();
    index_.clear();
  }

  cache_stats stats() const {
    std::lock_guard lock(mutex_);
    return {hits_, misses_, entries_.size()};
  }

 private:
  struct entry {
    std::string key;
    std::string body;
    clock::time_point expires;
  };
  using iterator = std::list<entry>::iterator;
  void erase(std::unordered_map<std::string, iterator>::iterator found) {
    entries_.erase(found->second);
    index_.erase(found);
  }

  std::size_t max_entries_;
  std::chrono::seconds ttl_;
  mutable std::mutex mutex_;
  std::list<entry> entries_;
  std::unordered_map<std::string, iterator> index_;
  std::size_t hits_ = 0;
  std::size_t misses_ = 0;
};

}  // namespace sb
