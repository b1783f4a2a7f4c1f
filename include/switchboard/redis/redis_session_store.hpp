#pragma once
// Sessions in Redis, so that every instance behind a load balancer knows every login: a session is
// one key, <prefix>session:<id>, holding the session as JSON, with a TTL of `idle` that each load
// renews (GETEX: Redis 6.2 or newer), so it expires as the in-memory store's do, by Redis itself. An update writes only
// over a key that still exists (SET ... XX): a logout on one instance is not undone by a request
// that loaded the session before it on another.
//   The store's calls are synchronous (the session_store interface is): each takes one round trip
// on a connection of a small pool, from the thread that handles the request. When Redis cannot be
// reached within `timeout`, a load finds no session (the request goes on as a guest) and a save is
// lost; the log says so once per kind of failure, and `healthy()` tells.
//   server{.sessions = std::make_shared<sb::redis_session_store>(sb::redis_session_store_options{
//       .url = "redis://10.0.0.5:6379", .prefix = "chat:"})}

#include <switchboard/context.hpp>
#include <switchboard/json/read.hpp>
#include <switchboard/json/write.hpp>
#include <switchboard/log.hpp>
#include <switchboard/redis/redis_address.hpp>
#include <switchboard/session_store.hpp>

#include <hiredis/hiredis.h>

#include <sys/time.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb {

struct redis_session_store_options {
  std::string url = "redis://127.0.0.1:6379";  // redis://[[user]:password@]host[:port][/db]
  std::string prefix = "sb:";                  // keys are <prefix>session:<id>
  std::chrono::seconds idle = std::chrono::hours(24);  // a session unused this long expires
  std::chrono::milliseconds timeout{500};     // to connect, and for each command's answer
  std::size_t max_idle_connections = 16;       // kept open between calls
};

class redis_session_store final : public session_store {
 public:
  // Throws std::invalid_argument when the url cannot be read; an unreachable Redis is not an error.
  explicit redis_session_store(redis_session_store_options options = {})
      : options_(std::move(options)), address_(redis_address::from_url(options_.url)) {}
  ~redis_session_store() override {
    for (redisContext* c : idle_) redisFree(c);
  }
  redis_session_store(const redis_session_store&) = delete;
  redis_session_store& operator=(const redis_session_store&) = delete;

  std::optional<session> load(std::string_view id) override {
    const std::string key = key_of(id);
    const std::string ttl = std::to_string(options_.idle.count());
    const reply r = run({"GETEX", key, "EX", ttl});
    if (!r || r->type != REDIS_REPLY_STRING) return std::nullopt;
    session found;
    if (auto error = json::read(found, std::string_view(r->str, r->len))) {
      complain("a session in Redis is not one (" + error.to_string() + "): treated as none");
      return std::nullopt;
    }
    found.id = std::string(id);
    return found;
  }

  void save(const session& s) override { write(s, false); }
  bool update(const session& s) override { return write(s, true); }

  void erase(std::string_view id) override { run({"DEL", key_of(id)}); }

  // False while the last call could not reach Redis.
  bool healthy() const override { return healthy_; }

  // Asks Redis (PING) now: {"kind":"redis","connected":true|false,"error":"<what fails now, if anything>"}.
  std::string health() override {
    const reply pong = run({"PING"});
    std::string out = R"({"kind":"redis","connected":)";
    out += pong ? "true" : "false";
    out += R"(,"error":)";
    {
      std::lock_guard lock(said_mutex_);
      json::write_text(said_, out);
    }
    out += '}';
    return out;
  }

 private:
  struct reply_free {
    void operator()(redisReply* r) const { freeReplyObject(r); }
  };
  using reply = std::unique_ptr<redisReply, reply_free>;

  std::string key_of(std::string_view id) const {
    std::string key = options_.prefix;
    key += "session:";
    key += id;
    return key;
  }

  // SET with the TTL; with `existing`, only over a key that is there (false when it was not).
  bool write(const session& s, bool existing) {
    std::string json_text;
    json::write(s, json_text);
    const std::string ttl = std::to_string(options_.idle.count());
    const reply r = existing ? run({"SET", key_of(s.id), json_text, "EX", ttl, "XX"})
                             : run({"SET", key_of(s.id), json_text, "EX", ttl});
    return r && r->type == REDIS_REPLY_STATUS;
  }

  // One command on a pooled connection; null when Redis could not be reached or answered an error
  // (both logged). A connection that failed is dropped, not returned to the pool.
  reply run(std::initializer_list<std::string_view> args) {
    redisContext* c = take();
    if (!c) return nullptr;
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (std::string_view a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    reply r(static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data())));
    if (!r || c->err) {
      complain(std::string("lost the connection: ") + c->errstr);
      redisFree(c);
      return nullptr;
    }
    give_back(c);
    if (r->type == REDIS_REPLY_ERROR) {
      complain(std::string(r->str, r->len));
      return nullptr;
    }
    if (!healthy_.exchange(true)) {
      std::lock_guard lock(said_mutex_);
      said_.clear();  // the next failure is news again
    }
    return r;
  }

  redisContext* take() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        redisContext* c = idle_.back();
        idle_.pop_back();
        return c;
      }
    }
    return connect();
  }
  void give_back(redisContext* c) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < options_.max_idle_connections) return idle_.push_back(c);
    redisFree(c);
  }

  // A new connection, authenticated and in its database; null (logged) when that failed.
  redisContext* connect() {
    const timeval limit = as_timeval(options_.timeout);
    redisContext* c = redisConnectWithTimeout(address_.host.c_str(), address_.port, limit);
    if (!c || c->err) {
      complain(std::string("cannot connect to ") + address_.host + ":" + std::to_string(address_.port) + ": " +
               (c ? c->errstr : "out of memory"));
      if (c) redisFree(c);
      return nullptr;
    }
    redisSetTimeout(c, limit);
    if (!address_.password.empty() && !answered(c, address_.user.empty()
                                                       ? redisCommand(c, "AUTH %b", address_.password.data(), address_.password.size())
                                                       : redisCommand(c, "AUTH %b %b", address_.user.data(), address_.user.size(),
                                                                      address_.password.data(), address_.password.size())))
      return nullptr;
    if (address_.database != 0 && !answered(c, redisCommand(c, "SELECT %d", address_.database))) return nullptr;
    return c;
  }
  // False (logged, the connection freed) unless the reply is a plain status.
  bool answered(redisContext* c, void* raw) {
    const reply r(static_cast<redisReply*>(raw));
    if (r && r->type == REDIS_REPLY_STATUS) return true;
    complain(r && r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : std::string(c->errstr));
    redisFree(c);
    return false;
  }

  static timeval as_timeval(std::chrono::milliseconds ms) {
    timeval t{};
    t.tv_sec = static_cast<decltype(t.tv_sec)>(ms.count() / 1000);
    t.tv_usec = static_cast<decltype(t.tv_usec)>((ms.count() % 1000) * 1000);
    return t;
  }

  // Once per kind of failure, not once per call.
  void complain(std::string what) {
    healthy_ = false;
    std::lock_guard lock(said_mutex_);
    if (said_ == what) return;
    log().write(log_level::warning, "redis session store: " + what);
    said_ = std::move(what);
  }

  redis_session_store_options options_;
  redis_address address_;
  std::mutex mutex_;
  std::vector<redisContext*> idle_;
  std::atomic<bool> healthy_ = true;
  std::mutex said_mutex_;
  std::string said_;
};

}  // namespace sb
