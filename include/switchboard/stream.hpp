#pragma once
// sb::stream<T>: an injected parameter through which an endpoint emits values over time. The same
// endpoint streams over SSE, WebSocket and stdio, and returns the values as one array elsewhere.

#include <switchboard/context.hpp>
#include <switchboard/json/write.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

namespace sb {

template <class T>
class stream {
 public:
  explicit stream(stream_sink* sink) : sink_(sink) {}

  // Sends one value; false when the consumer has gone away (the endpoint should return, and
  // its destructors do the clean-up).
  bool emit(const T& value) { return emit_event({}, value); }

  // Sends one value under an event name (SSE "event:", WebSocket "event" member).
  bool emit_event(std::string_view event, const T& value) {
    if (!sink_ || !sink_->open()) return false;
    thread_local std::string buffer;
    buffer.clear();
    if (json::write(value, buffer)) return false;
    return sink_->send(buffer, event);
  }

  // Sends one value with the id a reconnecting client names to resume after (over SSE its "id:"
  // field, so the browser's Last-Event-ID; the id of an sb::inbox message, for one).
  bool emit_with_id(std::string_view id, const T& value, std::string_view event = {}) {
    if (!sink_ || !sink_->open()) return false;
    thread_local std::string buffer;
    buffer.clear();
    if (json::write(value, buffer)) return false;
    return sink_->send_with_id(buffer, event, id);
  }

  bool open() const { return sink_ && sink_->open(); }

  // Pauses between values; returns false as soon as the consumer goes away (then return and let
  // destructors clean up) instead of sleeping through it.
  bool wait_for(std::chrono::milliseconds duration) {
    return sink_ && sink_->wait_for(bounded(duration));
  }

  // The same pause in an endpoint that is a coroutine (returns sb::task): `co_await out.pause(d)`
  // is false as soon as the consumer goes away. Where the transport can resume the coroutine later
  // no thread waits; elsewhere this thread does, as wait_for().
  auto pause(std::chrono::milliseconds duration) {
    struct awaiter {
      stream_sink* sink;
      std::chrono::milliseconds duration;
      bool await_ready() const { return !sink || !sink->open(); }
      bool await_suspend(std::coroutine_handle<> paused) {
        if (sink->resume_after(duration, paused)) return true;
        sink->wait_for(duration);
        return false;  // waited here: go on at once
      }
      bool await_resume() const { return sink && sink->open(); }
    };
    return awaiter{sink_, bounded(duration)};
  }

 private:
  // At most a day per pause, so that no sink adds an unbounded duration to a clock.
  static std::chrono::milliseconds bounded(std::chrono::milliseconds d) {
    return std::clamp<std::chrono::milliseconds>(d, std::chrono::milliseconds(0), std::chrono::hours(24));
  }
  stream_sink* sink_;
};

// Collects streamed values into a JSON array: what a transport that cannot stream returns. The
// collection ends at the call's deadline, when the caller hangs up, or past a size limit, so a
// stream meant for SSE never runs unbounded behind a plain request.
class array_sink final : public stream_sink {
 public:
  enum class stop_reason : std::uint8_t { none, too_large, deadline, hangup, stopping };

  // `stopping`: set when the server stops, which ends the collection too.
  array_sink(std::string& out, std::size_t max_bytes, const context& ctx, const std::atomic<bool>& stopping)
      : out_(out), max_bytes_(max_bytes), ctx_(ctx), stopping_(stopping) {
    out_ += '[';
  }
  bool send(std::string_view json_text, std::string_view) override {
    if (!open()) return false;
    if (out_.size() + json_text.size() + 2 > max_bytes_) {
      reason_ = stop_reason::too_large;
      return false;
    }
    if (count_++ != 0) out_ += ',';
    out_ += json_text;
    return true;
  }
  bool open() const override {
    if (reason_ != stop_reason::none) return false;
    if (ctx_.expired()) reason_ = stop_reason::deadline;
    else if (stopping_) reason_ = stop_reason::stopping;
    else if (ctx_.hung_up()) reason_ = stop_reason::hangup;
    return reason_ == stop_reason::none;
  }
  // Sleeps in short slices so that a deadline or a hang-up ends the wait early.
  bool wait_for(std::chrono::milliseconds duration) override {
    using clock = std::chrono::steady_clock;
    const auto until = std::min(ctx_.deadline, clock::now() + duration);
    while (open()) {
      const auto now = clock::now();
      if (now >= until) break;
      std::this_thread::sleep_for(std::min<clock::duration>(until - now, std::chrono::milliseconds(50)));
    }
    return open();
  }
  void finish() { out_ += ']'; }
  stop_reason stopped() const { return reason_; }

 private:
  std::string& out_;
  std::size_t max_bytes_;
  const context& ctx_;
  const std::atomic<bool>& stopping_;
  std::size_t count_ = 0;
  mutable stop_reason reason_ = stop_reason::none;
};

}  // namespace sb
