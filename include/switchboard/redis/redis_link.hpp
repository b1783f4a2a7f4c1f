#pragma once
// One connection to Redis that keeps itself up: it connects, authenticates and selects the
// database, tells its owner when it is up or lost, and reconnects with exponential backoff. It
// lives on one Asio loop thread; every member runs there.

#include <switchboard/log.hpp>
#include <switchboard/redis/hiredis_asio.hpp>
#include <switchboard/redis/redis_address.hpp>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace sb {

struct redis_reconnect {
  std::chrono::milliseconds first{100};  // the wait before the first reconnection attempt
  std::chrono::milliseconds most{5000};  // doubled after each failure up to this
  std::chrono::milliseconds connect_timeout{3000};  // an unanswered connection attempt counts as failed
};

namespace detail {

class redis_link {
 public:
  // on_up runs once the connection is usable (commands may be sent at once); on_lost once it is
  // gone, before any reconnection. Both run on the loop thread.
  redis_link(asio::io_context& loop, redis_address address, redis_reconnect reconnect, std::string name,
             std::function<void(redisAsyncContext*)> on_up, std::function<void()> on_lost)
      : loop_(loop), timer_(loop), connect_timer_(loop), address_(std::move(address)), reconnect_(reconnect), wait_(reconnect.first),
        name_(std::move(name)), on_up_(std::move(on_up)), on_lost_(std::move(on_lost)) {}
  redis_link(const redis_link&) = delete;
  redis_link& operator=(const redis_link&) = delete;
  ~redis_link() { stop(); }

  void start() { connect(); }
  // Runs (on the loop thread) after each attempt to connect that failed.
  void on_failure(std::function<void()> failed) { on_failure_ = std::move(failed); }

  // No reconnection after this; the connection closes now (its pending replies are dropped).
  void stop() {
    stopped_ = true;
    timer_.cancel();
    connect_timer_.cancel();
    if (context_) {
      redisAsyncContext* closing = std::exchange(context_, nullptr);
      closing->data = nullptr;  // its callbacks, run while it is freed, find no link
      redisAsyncFree(closing);
    }
    up_ = false;
  }

  // The connection, when it is up; nullptr while connecting or after a loss.
  redisAsyncContext* context() const { return up_ ? context_ : nullptr; }

  // These three may be read from any thread.
  bool up() const { return up_; }
  std::uint64_t reconnects() const { return reconnects_; }
  std::string last_error() const {
    std::lock_guard lock(error_mutex_);
    return last_error_;
  }

 private:
  void connect() {
    if (stopped_) return;
    redisAsyncContext* context = redisAsyncConnect(address_.host.c_str(), address_.port);
    if (!context || context->err) {
      failed(context ? context->errstr : "out of memory");
      if (context) redisAsyncFree(context);
      return attempt_failed();
    }
    context_ = context;
    context->data = this;
    hiredis_asio_watcher::attach(loop_, context);
    redisAsyncSetConnectCallback(context, [](const redisAsyncContext* c, int status) {
      if (auto* self = static_cast<redis_link*>(c->data)) self->connected(status, c->errstr);
    });
    redisAsyncSetDisconnectCallback(context, [](const redisAsyncContext* c, int status) {
      if (auto* self = static_cast<redis_link*>(c->data)) self->lost(status, c->errstr);
    });
    // A host that never answers (packets dropped) would hold the attempt for minutes.
    connect_timer_.expires_after(reconnect_.connect_timeout);
    connect_timer_.async_wait([this](const std::error_code& error) {
      if (error || up_ || !context_) return;
      redisAsyncContext* abandoned = std::exchange(context_, nullptr);
      abandoned->data = nullptr;
      redisAsyncFree(abandoned);  // not connected: no callback runs
      failed("no answer within " + std::to_string(reconnect_.connect_timeout.count()) + " ms");
      attempt_failed();
    });
  }

  void connected(int status, const char* error) {
    if (status != REDIS_OK) {  // hiredis frees the context after this callback
      connect_timer_.cancel();
      context_ = nullptr;
      failed(error);
      return attempt_failed();
    }
    connect_timer_.cancel();
    {
      std::lock_guard lock(error_mutex_);
      said_.clear();  // the next failure is news again
    }
    up_ = true;
    if (ever_up_) ++reconnects_;
    ever_up_ = true;
    wait_ = reconnect_.first;
    log().write(log_level::info, "redis " + name_ + ": connected to " + address_.host + ":" + std::to_string(address_.port));
    authenticate();
    on_up_(context_);
  }

  // Sent before anything else, so every command after it runs authenticated and in the database.
  void authenticate() {
    auto check = [](redisAsyncContext* c, void* reply, void*) {
      const auto* r = static_cast<const redisReply*>(reply);
      if (r && r->type == REDIS_REPLY_ERROR)
        if (auto* self = static_cast<redis_link*>(c->data)) self->failed(std::string(r->str, r->len));
    };
    if (!address_.password.empty()) {
      if (address_.user.empty())
        redisAsyncCommand(context_, check, nullptr, "AUTH %b", address_.password.data(), address_.password.size());
      else
        redisAsyncCommand(context_, check, nullptr, "AUTH %b %b", address_.user.data(), address_.user.size(),
                          address_.password.data(), address_.password.size());
    }
    if (address_.database != 0) redisAsyncCommand(context_, check, nullptr, "SELECT %d", address_.database);
  }

  void lost(int status, const char* error) {  // hiredis frees the context after this callback
    context_ = nullptr;
    const bool was_up = up_.exchange(false);
    if (status != REDIS_OK) failed(error);
    if (was_up) on_lost_();
    retry_later();
  }

  void failed(std::string error) {
    std::lock_guard lock(error_mutex_);
    if (std::exchange(said_, error) != error)  // once per kind of failure, not once per attempt
      log().write(log_level::warning, "redis " + name_ + " (" + address_.host + ":" + std::to_string(address_.port) +
                                          "): " + error + "; retrying with backoff up to " +
                                          std::to_string(reconnect_.most.count()) + " ms");
    last_error_ = std::move(error);
  }

  void attempt_failed() {
    if (on_failure_) on_failure_();
    retry_later();
  }

  void retry_later() {
    if (stopped_) return;
    timer_.expires_after(wait_);
    wait_ = std::min(reconnect_.most, wait_ * 2);
    timer_.async_wait([this](const std::error_code& error) {
      if (!error) connect();
    });
  }

  asio::io_context& loop_;
  asio::steady_timer timer_;
  asio::steady_timer connect_timer_;
  redis_address address_;
  redis_reconnect reconnect_;
  std::chrono::milliseconds wait_;
  std::string name_;
  std::function<void(redisAsyncContext*)> on_up_;
  std::function<void()> on_lost_;
  std::function<void()> on_failure_;
  redisAsyncContext* context_ = nullptr;
  std::atomic<bool> up_ = false;
  bool ever_up_ = false;
  bool stopped_ = false;
  std::atomic<std::uint64_t> reconnects_ = 0;
  mutable std::mutex error_mutex_;
  std::string last_error_;  // kept after a reconnection: health shows the last failure
  std::string said_;        // the failure the log has told of since the last connection
};

}  // namespace detail
}  // namespace sb
