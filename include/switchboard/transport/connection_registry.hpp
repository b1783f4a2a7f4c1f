#pragma once
// The open connections of one server, of every kind (HTTP, WebSocket), so that its stop reaches
// each of them.

#include <memory>
#include <mutex>
#include <unordered_set>
#include <vector>

namespace sb::detail {

class server_connection {
 public:
  virtual ~server_connection() = default;
  // From the server's stop, on any thread: ends the connection as politely as its state allows.
  virtual void stop() = 0;
  // The connection, while anything still holds it.
  virtual std::shared_ptr<server_connection> shared() = 0;
};

class connection_registry {
 public:
  void add(server_connection* c) {
    std::lock_guard lock(mutex_);
    open_.insert(c);
  }
  void remove(server_connection* c) {
    std::lock_guard lock(mutex_);
    open_.erase(c);
  }
  void stop_all() {
    std::vector<std::shared_ptr<server_connection>> alive;
    {
      std::lock_guard lock(mutex_);
      for (auto* c : open_)
        if (auto held = c->shared()) alive.push_back(std::move(held));
    }
    for (auto& c : alive) c->stop();  // outside the lock: a stop may close, which removes
  }

 private:
  std::mutex mutex_;
  std::unordered_set<server_connection*> open_;
};

}  // namespace sb::detail
