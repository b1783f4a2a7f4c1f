#pragma once
// What a transport hands to a call, and what a call hands back. Endpoints take the parts they need
// as parameters (injection by type); nothing here depends on a particular transport.

#include <switchboard/bus.hpp>
#include <switchboard/json/value.hpp>
#include <switchboard/result.hpp>

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace sb {

// Which transport a call came through.
enum class origin : std::uint8_t { in_process, http, sse, websocket, stdio };

struct header {
  std::string_view name;
  std::string_view value;
};

// A decoded name=value pair from a query string, a urlencoded form or a multipart form field.
struct field {
  std::string_view name;
  std::string_view value;
};

// A multipart/form-data file part; inject `std::span<const sb::upload>` or `const sb::request&`.
struct upload {
  std::string_view field_name;
  std::string_view filename;
  std::string_view content_type;
  std::string_view content;
};

// The HTTP request behind a call. Views are valid for the duration of the call.
struct request {
  std::string_view method;
  std::string_view path;
  std::string_view query_string;
  std::string_view body;
  std::string_view remote_address;
  int remote_port = 0;
  std::span<const header> headers;
  std::span<const field> query;
  std::span<const field> form;
  std::span<const upload> files;

  // Case-insensitive header lookup; empty when absent.
  std::string_view header_value(std::string_view name) const {
    for (const auto& h : headers) {
      if (h.name.size() != name.size()) continue;
      bool same = true;
      for (std::size_t i = 0; i < name.size() && same; ++i)
        same = (h.name[i] | 0x20) == (name[i] | 0x20);
      if (same) return h.value;
    }
    return {};
  }
};

// Who is calling. Transports look sessions up in a session_store; endpoints may change them.
struct session {
  std::string id;
  std::string user;
  int level = 0;          // an application-defined privilege level
  json::value data;       // anything else the application keeps per session
};

// A live bidirectional connection (WebSocket); the stdio and HTTP transports have none.
class connection {
 public:
  virtual ~connection() = default;
  // Unique among every process sharing the app's bus: bus::send(id, ...) reaches it from anywhere.
  virtual std::uint64_t id() const = 0;
  virtual bool send(std::string_view json_text) = 0;  // false once the peer is gone
  virtual bool send_binary(std::string_view bytes) = 0;
  virtual void close() = 0;
  // Joins a channel of the app's bus: what is published to it is sent to this connection. Refused
  // (with why) for names starting "sb." (the framework's own) and, unless the app's channel guard
  // admits this connection's session, for names starting "private-".
  virtual result<void> subscribe(std::string_view channel) = 0;
  virtual void unsubscribe(std::string_view channel) = 0;
  // The subprotocol the handshake chose from server::websocket_subprotocols; empty when none.
  virtual std::string_view subprotocol() const { return {}; }
};

// The message a WebSocket handler's generic `message` function received, as it came.
struct ws_message {
  std::string_view payload;
  bool binary = false;
};

// Where a stream's values go: an SSE response, WebSocket notifications, stdio notifications, or
// an in-memory array when the transport cannot stream.
class stream_sink {
 public:
  virtual ~stream_sink() = default;
  // One value as JSON text; `event` names it (SSE "event:") and may be empty. False once the
  // consumer is gone: the endpoint should stop and return.
  virtual bool send(std::string_view json_text, std::string_view event) = 0;
  // The same with an id the client may resume after (SSE "id:", e.g. a bus history's); transports
  // without ids send the value alone.
  virtual bool send_with_id(std::string_view json_text, std::string_view event, std::string_view id) {
    (void)id;
    return send(json_text, event);
  }
  virtual bool open() const = 0;
  // Waits up to `duration`, returning early (false) when the consumer goes away; true while open.
  virtual bool wait_for(std::chrono::milliseconds duration) {
    std::this_thread::sleep_for(duration);
    return open();
  }
  // For an endpoint that is a coroutine (sb::task): true when the transport will resume `paused`
  // after `duration`, or at once when the consumer goes away, with no thread waiting meanwhile;
  // false when it cannot, and wait_for() is used instead.
  virtual bool resume_after(std::chrono::milliseconds duration, std::coroutine_handle<> paused) {
    (void)duration, (void)paused;
    return false;
  }
};

namespace detail {
// A call that went on as a coroutine after it returned; destroying it ends the coroutine.
class suspended_call {
 public:
  virtual ~suspended_call() = default;
};
}  // namespace detail

// Supplied by a transport that lets an endpoint that is a coroutine (sb::task) go on after its
// call returned, with no thread held while it waits (sb::server's SSE streams). The transport keeps
// the call's context and response alive until finished(), and the suspended call after that.
class call_completion {
 public:
  // The call goes on: `call` owns the coroutine. Comes before its first step runs.
  virtual void suspended(std::unique_ptr<detail::suspended_call> call) = 0;
  // It ended and the response holds its answer; on the thread that ran its last step. Must not
  // destroy the suspended call from inside.
  virtual void finished() noexcept = 0;

 protected:
  ~call_completion() = default;
};

// Tells a running call whether its caller has gone (an HTTP client that closed its connection).
// Transports that can tell supply one; checking may cost a system call, so poll it between steps.
class hangup_probe {
 public:
  virtual ~hangup_probe() = default;
  virtual bool hung_up() const = 0;
};

// Everything a transport knows about one call. Members are null when the transport has no such thing.
struct context {
  origin from = origin::in_process;
  const request* http = nullptr;
  sb::session* session = nullptr;
  sb::connection* connection = nullptr;
  stream_sink* sink = nullptr;
  sb::bus* bus = nullptr;
  const ws_message* message = nullptr;  // a WebSocket handler's message
  std::string_view last_event_id;  // SSE reconnects: the id of the last event the client saw
  // When this call's answer is due, set by the app from the endpoint's timeout; far in the future
  // when it has none (streams, or app_options::call_timeout of zero). Long work can stop early.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  const hangup_probe* hangup = nullptr;  // null when the transport cannot tell
  call_completion* completion = nullptr;  // null: every call ends before it returns

  bool expired() const { return std::chrono::steady_clock::now() >= deadline; }
  bool hung_up() const { return hangup && hangup->hung_up(); }
  // Past the deadline or abandoned by the caller: nobody will read the answer.
  bool cancelled() const { return expired() || hung_up(); }
};

// The outcome of one call, reused across calls so that its strings keep their capacity.
enum class body_form : std::uint8_t { json, html, text, binary, redirect, raw };

struct response {
  error_kind error = error_kind::none;
  body_form form = body_form::json;
  std::string body;          // success: the JSON result or the form's bytes
  std::string message;       // error: for the caller
  std::string where;         // error: which parameter or path, e.g. params[1] ("b")
  std::string details;       // error: optional JSON text
  std::string content_type;  // non-JSON forms
  std::string filename;      // binary downloads
  int redirect_status = 0;
  std::vector<background_task> tasks;  // run after the response is sent

  bool ok() const { return error == error_kind::none; }
  void clear() {
    error = error_kind::none;
    form = body_form::json;
    body.clear();
    message.clear();
    where.clear();
    details.clear();
    content_type.clear();
    filename.clear();
    redirect_status = 0;
    tasks.clear();
  }
  void fail(error_kind kind, std::string text, std::string location = {}) {
    error = kind;
    message = std::move(text);
    where = std::move(location);
    body.clear();
  }

  // {"error":{"kind":"...","message":"...","where":"..."}}: the HTTP error body.
  void write_error_body(std::string& out) const {
    out += R"({"error":{"kind":")";
    out += kind_name(error);
    out += R"(","message":)";
    json::write_text(message, out);  // messages quote the caller's input, which may not be UTF-8
    if (!where.empty()) {
      out += R"(,"where":)";
      json::write_text(where, out);
    }
    if (!details.empty()) {
      out += R"(,"details":)";
      out += details;
    }
    out += "}}";
  }
};

// What hooks see of a call.
struct call_info {
  std::string_view module;
  std::string_view endpoint;
  std::string_view params;  // the JSON parameters as received (after any rewrite)
  sb::context& context;
  std::string rewritten;    // a before-hook that sets this replaces the parameters

  void rewrite_params(std::string json_text) {
    rewritten = std::move(json_text);
    params = rewritten;
  }
};

}  // namespace sb

namespace sb::detail {

// The monotonic clock at a few milliseconds' resolution for a few nanoseconds (Linux: the coarse
// clock, which counts from the same origin as steady_clock); precise enough for call deadlines.
inline std::chrono::steady_clock::time_point coarse_now() {
#if defined(__linux__) && defined(CLOCK_MONOTONIC_COARSE)
  timespec now{};
  if (::clock_gettime(CLOCK_MONOTONIC_COARSE, &now) == 0)
    return std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::seconds(now.tv_sec) +
                                                                        std::chrono::nanoseconds(now.tv_nsec)));
#endif
  return std::chrono::steady_clock::now();
}

}  // namespace sb::detail
