#pragma once
// Where sessions live between requests, and the rules for when one is created, saved or renamed.
// The store interface copies sessions in and out, so a store in another process (Redis, a
// database) plugs in the same way as the in-memory one.

#include <switchboard/context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <list>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace sb {

namespace detail {
// 128 bits from `entropy` (the OS's source), as 32 hex digits: ids nobody can guess.
inline std::string random_id(std::random_device& entropy) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string id;
  for (int word = 0; word < 2; ++word) {
    std::uint64_t bits = (static_cast<std::uint64_t>(entropy()) << 32) | entropy();
    for (int i = 0; i < 16; ++i, bits >>= 4) id += digits[bits & 15];
  }
  return id;
}
}  // namespace detail

class session_store {
 public:
  virtual ~session_store() = default;
  virtual std::optional<session> load(std::string_view id) = 0;
  virtual void save(const session& s) = 0;  // s.id is set
  // Saves only over a session that still exists (false otherwise): a request that loaded a session
  // before another one logged it out must not bring it back. Stores that can, do it atomically.
  virtual bool update(const session& s) {
    if (!load(s.id)) return false;
    save(s);
    return true;
  }
  virtual void erase(std::string_view id) = 0;
  // Drops what has expired; transports call it now and then. Stores that expire by themselves
  // (Redis TTLs) need not override it.
  virtual void sweep() {}

  // What GET /api/_health shows of a store in another process: a JSON object (empty: nothing to show,
  // as for the in-memory store). It may check the store (a round trip); healthy() then says whether
  // sessions can be read and kept.
  virtual std::string health() { return {}; }
  virtual bool healthy() const { return true; }

  // A fresh unguessable id: 128 bits from the OS entropy source, as 32 hex digits.
  virtual std::string new_id() {
    std::lock_guard lock(entropy_mutex_);
    return detail::random_id(entropy_);
  }

 private:
  std::mutex entropy_mutex_;
  std::random_device entropy_;
};

// Sessions in process memory: at most `max_sessions` (the least recently used goes first), each
// dropped after `idle` without use. Concurrent requests of one session each work on a copy; the
// last to finish is saved.
class memory_session_store final : public session_store {
 public:
  explicit memory_session_store(std::chrono::seconds idle = std::chrono::hours(24), std::size_t max_sessions = 100000)
      : idle_(idle), max_sessions_(max_sessions == 0 ? 1 : max_sessions) {}

  std::optional<session> load(std::string_view id) override {
    std::lock_guard lock(mutex_);
    sweep_locked();
    auto found = index_.find(std::string(id));
    if (found == index_.end()) return std::nullopt;
    touch_locked(found->second);
    return found->second->data;
  }
  void save(const session& s) override {
    std::lock_guard lock(mutex_);
    if (auto found = index_.find(s.id); found != index_.end()) {
      found->second->data = s;
      touch_locked(found->second);
    } else {
      by_use_.push_front({s, clock::now()});
      index_.emplace(s.id, by_use_.begin());
    }
    sweep_locked();
    while (index_.size() > max_sessions_) drop_locked(std::prev(by_use_.end()));
  }
  bool update(const session& s) override {
    std::lock_guard lock(mutex_);
    auto found = index_.find(s.id);
    if (found == index_.end()) return false;
    found->second->data = s;
    touch_locked(found->second);
    return true;
  }
  void erase(std::string_view id) override {
    std::lock_guard lock(mutex_);
    if (auto found = index_.find(std::string(id)); found != index_.end()) drop_locked(found->second);
  }
  void sweep() override {
    std::lock_guard lock(mutex_);
    sweep_locked();
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return index_.size();
  }

 private:
  using clock = std::chrono::steady_clock;
  struct entry {
    session data;
    clock::time_point last_used;
  };
  using position = std::list<entry>::iterator;

  void touch_locked(position p) {
    p->last_used = clock::now();
    by_use_.splice(by_use_.begin(), by_use_, p);
  }
  void drop_locked(position p) {
    index_.erase(p->data.id);
    by_use_.erase(p);
  }
  // The list runs from most to least recently used, so what expired is at its end.
  void sweep_locked() {
    const auto now = clock::now();
    while (!by_use_.empty() && now - by_use_.back().last_used > idle_) drop_locked(std::prev(by_use_.end()));
  }

  std::chrono::seconds idle_;
  std::size_t max_sessions_;
  std::mutex mutex_;
  std::list<entry> by_use_;
  std::unordered_map<std::string, position> index_;
};

// How the session cookie is written.
struct session_cookie {
  std::string name = "sb_session";
  bool secure = false;             // true behind HTTPS: the browser sends it over HTTPS only
  std::string same_site = "Lax";   // "Strict", "Lax" or "None" (None requires secure)
  std::string path = "/";
};

}  // namespace sb

namespace sb::detail {

// One request's view of its session. A session is stored only when a call changed it, so requests
// that are refused or only read create nothing; a change of user or level (a login, a logout)
// moves the session to a new id, so an id planted before the login is worth nothing after it.
class session_scope {
 public:
  explicit session_scope(session_store& store) : store_(store) {}

  void open(std::string_view cookie_id) {
    if (!cookie_id.empty()) {
      if (auto found = store_.load(cookie_id)) {
        current = std::move(*found);
        existed_ = true;
      }
    }
    before_ = current;
  }

  // What changed up to now is not the call's to save: the authenticate hook fills the session from
  // credentials sent with every request (a bearer token), which is no reason to store one.
  void settle() {
    before_.user = current.user;
    before_.level = current.level;
    before_.data = current.data;
  }

  // Saves what changed; returns the Set-Cookie value when the client must learn a new id.
  std::string close(const session_cookie& cookie) {
    if (current.user == before_.user && current.level == before_.level && current.data == before_.data) return {};
    const bool privilege_changed = current.user != before_.user || current.level != before_.level;
    if (existed_ && !privilege_changed) {
      current.id = before_.id;
      store_.update(current);  // gone meanwhile (a concurrent logout): it stays gone
      return {};
    }
    if (existed_) store_.erase(before_.id);
    current.id = store_.new_id();
    store_.save(current);
    std::string header = cookie.name + "=" + current.id + "; Path=" + cookie.path + "; HttpOnly";
    if (!cookie.same_site.empty()) header += "; SameSite=" + cookie.same_site;
    if (cookie.secure) header += "; Secure";
    return header;
  }

  session current;

 private:
  session_store& store_;
  session before_;
  bool existed_ = false;
};

}  // namespace sb::detail
