#pragma once
// Where sessions live between requests. The interface copies sessions in and out, so a store in
// another process (Redis, a database) plugs in the same way as the in-memory one.

#include <switchboard/context.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sb {

class session_store {
 public:
  virtual ~session_store() = default;
  virtual std::optional<session> load(std::string_view id) = 0;
  virtual void save(const session& s) = 0;
  virtual void erase(std::string_view id) = 0;
  // A new session with an unguessable id, already saved.
  virtual session create() = 0;
};

// Sessions in process memory, dropped after `idle` without use. Concurrent requests of one session
// each work on a copy; the last to finish is saved.
class memory_session_store final : public session_store {
 public:
  explicit memory_session_store(std::chrono::seconds idle = std::chrono::hours(24)) : idle_(idle) {}

  std::optional<session> load(std::string_view id) override {
    std::lock_guard lock(mutex_);
    auto found = sessions_.find(std::string(id));
    if (found == sessions_.end()) return std::nullopt;
    if (clock::now() - found->second.last_used > idle_) {
      sessions_.erase(found);
      return std::nullopt;
    }
    found->second.last_used = clock::now();
    return found->second.data;
  }
  void save(const session& s) override {
    std::lock_guard lock(mutex_);
    sessions_[s.id] = {s, clock::now()};
  }
  void erase(std::string_view id) override {
    std::lock_guard lock(mutex_);
    sessions_.erase(std::string(id));
  }
  session create() override {
    session s;
    s.id = new_id();
    save(s);
    return s;
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return sessions_.size();
  }

 private:
  using clock = std::chrono::steady_clock;
  struct entry {
    session data;
    clock::time_point last_used;
  };
  std::string new_id() {
    std::lock_guard lock(mutex_);
    static constexpr char digits[] = "0123456789abcdef";
    std::string id;
    for (int word = 0; word < 2; ++word) {  // 128 bits from the OS entropy source
      std::uint64_t bits = (static_cast<std::uint64_t>(entropy_()) << 32) | entropy_();
      for (int i = 0; i < 16; ++i, bits >>= 4) id += digits[bits & 15];
    }
    return id;
  }

  std::chrono::seconds idle_;
  std::mutex mutex_;
  std::random_device entropy_;
  std::unordered_map<std::string, entry> sessions_;
};

}  // namespace sb
