#pragma once
// Server-sent events (WHATWG HTML, "server-sent events"): the framing of id, event, retry and data
// fields, and the stream an endpoint emits into, over any transport that can write bytes in order.

#include <switchboard/context.hpp>

#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace sb::detail {

// One event with a textual id (empty: no id field, so the client keeps its last id). `data` may
// contain newlines (each line becomes its own "data:" field); line breaks are left out of the event
// name and of the id, and NUL out of the id (a client ignores an id with NUL), so neither injects fields.
inline void format_sse_event(std::string& out, std::string_view id, std::string_view event, std::string_view data) {
  if (!id.empty()) {
    out += "id: ";
    for (char c : id)
      if (c != '\n' && c != '\r' && c != '\0') out += c;
    out += '\n';
  }
  if (!event.empty()) {
    out += "event: ";
    for (char c : event)
      if (c != '\n' && c != '\r') out += c;
    out += '\n';
  }
  std::size_t start = 0;
  for (;;) {
    const std::size_t stop = data.find_first_of("\r\n", start);
    out += "data: ";
    out.append(data.substr(start, stop == std::string_view::npos ? std::string_view::npos : stop - start));
    out += '\n';
    if (stop == std::string_view::npos) break;
    start = stop + (data[stop] == '\r' && stop + 1 < data.size() && data[stop + 1] == '\n' ? 2 : 1);
  }
  out += '\n';
}

// The same with a numeric id; 0 writes no id field.
inline void format_sse_event(std::string& out, std::uint64_t id, std::string_view event, std::string_view data) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, id).ptr;
  format_sse_event(out, id == 0 ? std::string_view() : std::string_view(digits, static_cast<std::size_t>(end - digits)),
                   event, data);
}

// Ids continue after the client's Last-Event-ID when it is a number; anything else starts at 1.
inline std::uint64_t first_event_id(std::string_view last_event_id) {
  std::uint64_t id = 0;
  const auto [end, error] = std::from_chars(last_event_id.data(), last_event_id.data() + last_event_id.size(), id);
  if (error != std::errc{} || end != last_event_id.data() + last_event_id.size() || id == UINT64_MAX) return 1;
  return id + 1;
}

// Where a transport puts a stream's bytes, in order. write() is false once the client is gone or
// too far behind; the stream then closes.
class sse_output {
 public:
  virtual ~sse_output() = default;
  virtual bool write(std::string_view bytes) = 0;
  // An output on an event loop can resume a coroutine endpoint after its pause (stream_sink's
  // resume_after), and must then resume it early when wake() is called (the stream closed).
  virtual bool resume_after(std::chrono::milliseconds duration, std::coroutine_handle<> paused) {
    (void)duration, (void)paused;
    return false;
  }
  virtual void wake() {}
};

// The sink an endpoint's sb::stream writes into: formats each value as an event with the next id.
// Closed by the transport when the client goes away and by the server when it stops; a waiting
// endpoint wakes at once either way.
class sse_stream final : public stream_sink {
 public:
  sse_stream(sse_output& out, std::uint64_t first_id) : out_(out), next_id_(first_id) {}

  bool send(std::string_view json_text, std::string_view event) override {
    std::lock_guard lock(mutex_);
    if (!open_) return false;
    buffer_.clear();
    format_sse_event(buffer_, next_id_++, event, json_text);
    return write_locked(buffer_);
  }
  // The endpoint names the id (a bus history's): the client resumes after it.
  bool send_with_id(std::string_view json_text, std::string_view event, std::string_view id) override {
    std::lock_guard lock(mutex_);
    if (!open_) return false;
    buffer_.clear();
    format_sse_event(buffer_, id, event, json_text);
    return write_locked(buffer_);
  }
  bool open() const override { return open_.load(); }
  // Ids resume after the client's Last-Event-ID; before the first event only.
  void continue_after(std::string_view last_event_id) { next_id_ = first_event_id(last_event_id); }
  bool wait_for(std::chrono::milliseconds duration) override {
    std::unique_lock lock(mutex_);
    closed_.wait_for(lock, duration, [this] { return !open_.load(); });
    return open_.load();
  }
  bool resume_after(std::chrono::milliseconds duration, std::coroutine_handle<> paused) override {
    return open_.load() && out_.resume_after(duration, paused);
  }
  // Comments (heartbeats) and the retry field: written only while the stream is open.
  bool write(std::string_view text) {
    std::lock_guard lock(mutex_);
    return open_ && write_locked(text);
  }
  // The closing event has no id: a reconnecting client resumes after the last value, not after it.
  // It is written even after close() (a stop), so the client learns how the stream ended.
  bool final_event(std::string_view event, std::string_view data) {
    std::lock_guard lock(mutex_);
    buffer_.clear();
    format_sse_event(buffer_, 0, event, data);
    return out_.write(buffer_);
  }
  void close() {
    {
      std::lock_guard lock(mutex_);
      open_ = false;
    }
    closed_.notify_all();
    out_.wake();
  }

 private:
  bool write_locked(std::string_view text) {
    if (!out_.write(text)) {
      open_ = false;
      closed_.notify_all();
      out_.wake();
    }
    return open_;
  }
  sse_output& out_;
  std::mutex mutex_;
  std::atomic<bool> open_{true};
  std::condition_variable closed_;
  std::uint64_t next_id_;
  std::string buffer_;
};

// The streams a server has open: counted against its limit, beaten by its heartbeat, and closed
// together when it stops.
class sse_registry {
 public:
  bool add(sse_stream* s, std::size_t limit) {
    std::lock_guard lock(mutex_);
    if (closing_ || streams_.size() >= limit) return false;
    streams_.insert(s);
    return true;
  }
  void remove(sse_stream* s) {
    std::lock_guard lock(mutex_);
    streams_.erase(s);
  }
  void heartbeat() {
    std::lock_guard lock(mutex_);
    for (sse_stream* s : streams_) s->write(": heartbeat\n\n");  // a gone client fails here and closes
  }
  void close_all() {
    std::lock_guard lock(mutex_);
    closing_ = true;
    for (sse_stream* s : streams_) s->close();
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return streams_.size();
  }

 private:
  std::mutex mutex_;
  std::set<sse_stream*> streams_;
  bool closing_ = false;
};

}  // namespace sb::detail
