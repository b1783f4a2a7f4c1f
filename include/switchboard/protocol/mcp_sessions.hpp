#pragma once
// MCP sessions over HTTP (Mcp-Session-Id). The protocol needs no state between requests here; the
// one thing a session is for is naming the call a notifications/cancelled means, since request
// ids are only unique per client. An id is handed out at initialize; a request that carries one the
// server does not know (expired, deleted, another instance's) gets 404, which tells the client to
// initialize again; a request without one is served, and can be cancelled only by hanging up.

#include <switchboard/session_store.hpp>

#include <chrono>
#include <cstddef>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sb::detail {

class mcp_sessions {
 public:
  using clock = std::chrono::steady_clock;
  explicit mcp_sessions(std::size_t max_sessions = 10000, clock::duration idle = std::chrono::hours(1))
      : max_(max_sessions), idle_(idle) {}

  std::string open() {
    std::lock_guard lock(mutex_);
    const auto now = clock::now();
    if (last_.size() >= max_) forget_oldest(now);
    std::string id = random_id(entropy_);
    last_[id] = now;
    return id;
  }
  // Known and not idle too long (and now used again).
  bool touch(std::string_view id) {
    std::lock_guard lock(mutex_);
    const auto it = last_.find(std::string(id));
    if (it == last_.end()) return false;
    const auto now = clock::now();
    if (now - it->second > idle_) {
      last_.erase(it);
      return false;
    }
    it->second = now;
    return true;
  }
  bool close(std::string_view id) {
    std::lock_guard lock(mutex_);
    return last_.erase(std::string(id)) != 0;
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return last_.size();
  }

 private:
  // Full: the idle ones go, and if none is, the least recently used (a flood of initializes cannot
  // grow the table, only shorten how long an unused session lasts).
  void forget_oldest(clock::time_point now) {
    auto oldest = last_.end();
    for (auto it = last_.begin(); it != last_.end();) {
      if (now - it->second > idle_) {
        it = last_.erase(it);
        continue;
      }
      if (oldest == last_.end() || it->second < oldest->second) oldest = it;
      ++it;
    }
    if (last_.size() >= max_ && oldest != last_.end()) last_.erase(oldest);
  }
  std::mutex mutex_;
  std::unordered_map<std::string, clock::time_point> last_;
  std::size_t max_;
  clock::duration idle_;
  std::random_device entropy_;
};

}  // namespace sb::detail
