#pragma once
// sb::stream<T>: an injected parameter through which an endpoint emits values over time. The same
// endpoint streams over SSE, WebSocket and stdio, and returns the values as one array elsewhere.

#include <switchboard/context.hpp>
#include <switchboard/json/write.hpp>

#include <chrono>
#include <string>
#include <string_view>

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

  bool open() const { return sink_ && sink_->open(); }

  // Pauses between values; returns false as soon as the consumer goes away (then return and let
  // destructors clean up) instead of sleeping through it.
  bool wait_for(std::chrono::milliseconds duration) { return sink_ && sink_->wait_for(duration); }

 private:
  stream_sink* sink_;
};

// Collects streamed values into a JSON array: what a transport that cannot stream returns.
class array_sink final : public stream_sink {
 public:
  explicit array_sink(std::string& out) : out_(out) { out_ += '['; }
  bool send(std::string_view json_text, std::string_view) override {
    if (count_++ != 0) out_ += ',';
    out_ += json_text;
    return true;
  }
  bool open() const override { return true; }
  void finish() { out_ += ']'; }

 private:
  std::string& out_;
  std::size_t count_ = 0;
};

}  // namespace sb
