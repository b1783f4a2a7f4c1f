#pragma once
// What a WebSocket connection means once it is open, whichever server carries it: which paths
// take an upgrade, and what a message on each does. `/rpc` carries JSON-RPC 2.0 to every endpoint
// (calls, batches, notifications); a stream's values arrive as notifications
// {"jsonrpc":"2.0","method":"stream","params":{"id":<the call's id>,"value":...}} before the call's
// own answer, as on stdio. Answers go out as their calls finish: a long call or a stream never
// holds up the calls sent after it, so answers may come in another order than the calls (JSON-RPC
// matches them by id). `/ws/<module>/<member>` is a handler of the app's (ws_handler.hpp): its
// connect, its events by name, its generic message, its disconnect; an error becomes
// {"event":"error","data":{"error":{"kind","message","where"},"event":<the event>}}.

#include <switchboard/context.hpp>
#include <switchboard/json/raw.hpp>
#include <switchboard/json/read.hpp>
#include <switchboard/log.hpp>
#include <switchboard/protocol/jsonrpc.hpp>
#include <switchboard/websocket/frame.hpp>
#include <switchboard/ws_handler.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb {
// Checks the token of a WebSocket's first message {"type":"auth","token":"..."} and fills the session.
using message_authenticator = std::function<result<void>(std::string_view token, session&)>;
}  // namespace sb

namespace sb::detail {

class ws_rpc_sink;

// The streams of one connection that a client may cancel, by the id of their call.
class ws_running_streams {
 public:
  void add(std::string_view id, ws_rpc_sink& sink) {
    std::lock_guard lock(mutex_);
    running_.emplace_back(std::string(id), &sink);
  }
  void remove(ws_rpc_sink& sink) {
    std::lock_guard lock(mutex_);
    std::erase_if(running_, [&](const auto& r) { return r.second == &sink; });
  }
  // False when no stream of that id runs.
  bool cancel(std::string_view id);

 private:
  std::mutex mutex_;
  std::vector<std::pair<std::string, ws_rpc_sink*>> running_;
};

// The connection's side, as the protocol sees it; callable from any thread.
class ws_sender {
 public:
  // Queues one message; false once the connection is closing or too far behind.
  virtual bool send(ws_opcode opcode, std::string_view payload) = 0;
  // Sends a close frame with this code and reason, then ends the connection.
  virtual void close(std::uint16_t code, std::string_view reason) = 0;
  virtual bool open() const = 0;
  // Waits up to `duration`, returning early (false) when the connection closes or `stop` is set
  // (and wake_waiters() called); true while open.
  virtual bool wait_while_open(std::chrono::milliseconds duration, const std::atomic<bool>* stop = nullptr) = 0;
  virtual void wake_waiters() = 0;
  virtual ws_running_streams& running() = 0;

 protected:
  ~ws_sender() = default;
};

// Stream values of one JSON-RPC call, as notifications carrying its id; cancellable by rpc.cancel
// while it runs.
class ws_rpc_sink final : public stream_sink {
 public:
  ws_rpc_sink(ws_sender& to, std::string_view request, std::string_view id) : to_(to), notifier_(request) {
    if (!id.empty()) to_.running().add(id, *this);
    registered_ = !id.empty();
  }
  ~ws_rpc_sink() override {
    if (registered_) to_.running().remove(*this);
  }
  ws_rpc_sink(const ws_rpc_sink&) = delete;
  ws_rpc_sink& operator=(const ws_rpc_sink&) = delete;

  bool send(std::string_view json_text, std::string_view event) override {
    if (!open()) return false;
    if (!notifier_.format(line_, event, json_text)) return true;  // a notification: nobody to stream to
    return to_.send(ws_opcode::text, line_) && open();
  }
  bool open() const override { return !cancelled_ && to_.open(); }
  bool wait_for(std::chrono::milliseconds duration) override {
    return to_.wait_while_open(duration, &cancelled_) && !cancelled_;
  }
  void cancel() {
    cancelled_ = true;
    to_.wake_waiters();
  }
  bool cancelled() const { return cancelled_; }

 private:
  ws_sender& to_;
  rpc_stream_notifier notifier_;
  std::string line_;
  std::atomic<bool> cancelled_{false};
  bool registered_ = false;
};

inline bool ws_running_streams::cancel(std::string_view id) {
  std::lock_guard lock(mutex_);
  bool found = false;
  for (auto& [running_id, sink] : running_)
    if (running_id == id) {
      sink->cancel();
      found = true;
    }
  return found;
}

// {"jsonrpc":"2.0","method":"rpc.cancel","params":{"id":<the stream call's id, as sent>}}
struct ws_cancel_params {
  json::raw id;
};
inline constexpr int request_cancelled = -32800;  // as LSP's RequestCancelled

// A first message that authenticates.
struct ws_auth_message {
  std::optional<std::string_view> type;
  std::optional<std::string> token;
};

// What a message to a handler route may carry besides an event: {"type":"ping"} (answered
// {"type":"pong"}) for clients that cannot see control frames.
struct ws_envelope {
  std::optional<std::string_view> event;
  std::optional<json::raw> data;
  std::optional<std::string_view> type;
};

template <class App>
class ws_api {
 public:
  // Where an upgrade's path leads: /rpc, a handler, or nowhere.
  struct route {
    bool rpc = false;
    const typename App::ws_route* handler = nullptr;
    explicit operator bool() const { return rpc || handler; }
  };

  explicit ws_api(App& app) : app_(app) {}

  // `fallback`: the path whose handler serves every path that nothing else serves (none when empty).
  route find(std::string_view path, std::string_view fallback = {}) const {
    if (path == "/rpc") return {true, nullptr};
    const auto* handler = App::find_ws(path);
    if (!handler && !fallback.empty()) handler = App::find_ws(fallback);
    return {false, handler};
  }
  // For a refusal: the paths that take an upgrade.
  static std::string paths() {
    std::string listed = "/rpc";
    for (const auto& r : App::ws_routes) (listed += ", ") += r.path;
    return listed;
  }

  // A message that should run where it may block for long: a single call of a stream endpoint.
  bool runs_long(const route& to_route, ws_opcode opcode, std::string_view message) const {
    if (!to_route.rpc || opcode != ws_opcode::text) return false;
    jsonrpc_envelope envelope;
    return scan_envelope(message, envelope) == 0 && envelope.has_id && streams(envelope.method);
  }
  static bool streams(std::string_view method) {
    const std::size_t index = App::find(method);
    return index != App::npos && App::table[index].streams;
  }

  // A connection that authenticates by its first message: true when `message` did, with `reply`
  // {"type":"auth_response","user":...}; false with `reply` {"type":"auth_error","error":{...}}
  // and `why` a reason for the close.
  static bool authenticate(const message_authenticator& check, ws_opcode opcode, std::string_view message,
                           session& who, std::string& reply, std::string& why) {
    reply.clear();
    ws_auth_message auth;
    response verdict;
    if (opcode != ws_opcode::text || json::read(auth, message) || auth.type != "auth" || !auth.token) {
      verdict.fail(error_kind::unauthorized, R"(authenticate first: send {"type":"auth","token":"..."})");
    } else {
      try {
        if (auto checked = check(*auth.token, who); !checked.ok())
          verdict.fail(checked.error().kind == error_kind::internal ? error_kind::unauthorized : checked.error().kind,
                       std::move(checked.error().message));
      } catch (const std::exception& e) {
        log().write(log_level::error, std::string("websocket: authenticate_message threw: ") + e.what());
        verdict.fail(error_kind::unauthorized, "the token could not be checked");
      }
    }
    if (verdict.ok()) {
      reply += R"({"type":"auth_response","user":)";
      json::write_text(who.user, reply);
      reply += '}';
      return true;
    }
    std::string body;  // {"error":{...}}
    verdict.write_error_body(body);
    reply += R"({"type":"auth_error",)";
    reply.append(body, 1);
    why = verdict.message;
    return false;
  }

  // The connection is open: a handler's connect runs; an error from it closes the connection (1008
  // with its message, 1011 for an internal error).
  void on_open(const route& at, ws_sender& to, context& ctx, std::string& reply) {
    if (!at.handler) return;
    thread_local response out;
    out.clear();
    if (!at.handler->reserved(app_, ws_reserved::connect, ctx, out) || finish(out)) return;
    reply.clear();
    write_error_event(out, "connect", reply);
    to.send(ws_opcode::text, reply);
    to.close(out.error == error_kind::internal ? ws_close::internal_error : ws_close::policy_violation, out.message);
  }

  // The connection has ended (once, after on_open).
  void on_close(const route& at, context& ctx) {
    if (!at.handler) return;
    thread_local response out;
    out.clear();
    if (at.handler->reserved(app_, ws_reserved::disconnect, ctx, out) && !finish(out))
      log().write(log_level::warning, std::string(at.handler->path) + " disconnect: " + out.message);
  }

  // One whole message from the client; `reply` is the connection's scratch for the answer.
  void on_message(const route& at, ws_opcode opcode, std::string_view message, ws_sender& to, context& ctx,
                  std::string& reply) {
    if (at.handler) return on_handler_message(*at.handler, opcode, message, to, ctx, reply);
    if (!at.rpc) return;
    if (opcode != ws_opcode::text)
      return to.close(ws_close::unsupported_data, "/rpc takes JSON-RPC requests in text messages");
    const std::size_t first = message.find_first_not_of(" \t\r\n");
    const bool single = first != std::string_view::npos && message[first] == '{';  // not a batch
    jsonrpc_envelope envelope;
    const bool scanned = single && scan_envelope(message, envelope) == 0;
    if (scanned && envelope.method == "rpc.cancel") return cancel(envelope, to, reply);
    const bool cancellable = scanned && envelope.has_id && streams(envelope.method);
    ws_rpc_sink sink(to, message, cancellable ? envelope.id : std::string_view{});
    ctx.sink = single ? &sink : nullptr;
    app_.handle_jsonrpc(message, reply, ctx);
    ctx.sink = nullptr;
    if (sink.cancelled() && !reply.empty()) {
      reply.clear();
      write_rpc_error(reply, request_cancelled, "cancelled by rpc.cancel", envelope.id);
    }
    if (!reply.empty()) to.send(ws_opcode::text, reply);
  }

 private:
  void on_handler_message(const typename App::ws_route& handler, ws_opcode opcode, std::string_view message,
                          ws_sender& to, context& ctx, std::string& reply) {
    thread_local response out;
    out.clear();
    reply.clear();
    const ws_message received{message, opcode == ws_opcode::binary};
    ctx.message = &received;
    ws_envelope envelope;
    const bool parsed = opcode == ws_opcode::text && !json::read(envelope, message);
    if (parsed && !envelope.event && envelope.type == "ping") {
      ctx.message = nullptr;
      to.send(ws_opcode::text, R"({"type":"pong"})");
      return;
    }
    std::string_view name = parsed && envelope.event ? *envelope.event : std::string_view{};
    bool handled = false;
    if (!name.empty()) {
      handled = handler.event(app_, name, parameters(envelope.data), ctx, out);
    }
    if (!handled) {
      handled = handler.reserved(app_, ws_reserved::message, ctx, out);
      if (handled) name = "message";
    }
    ctx.message = nullptr;
    if (!handled) {
      if (opcode == ws_opcode::binary)
        return to.close(ws_close::unsupported_data, std::string(handler.path) + " takes no binary messages");
      out.fail(error_kind::not_found,
               name.empty() ? std::string(handler.path) + " takes messages shaped {\"event\":\"<name>\",\"data\":...}"
                            : std::string(handler.path) + " has no event named \"" +
                                  std::string(name.substr(0, 128)) + "\"",
               "event");
    }
    if (finish(out)) {
      if (out.body.empty() || out.body == "null") return;
      reply += R"({"event":)";
      json::write_text(name, reply);
      reply += R"(,"data":)";
      reply += out.body;
      reply += '}';
    } else {
      write_error_event(out, name, reply);
    }
    to.send(ws_opcode::text, reply);
  }

  // Cancels the stream whose call has this id; answers (when asked with an id) whether one ran.
  void cancel(const jsonrpc_envelope& envelope, ws_sender& to, std::string& reply) {
    ws_cancel_params params;
    const bool valid = !envelope.params.empty() && !json::read(params, envelope.params);
    const bool found = valid && to.running().cancel(params.id.json);
    if (!envelope.has_id) return;
    reply.clear();
    if (valid) {
      reply += R"({"jsonrpc":"2.0","result":)";
      reply += found ? "true" : "false";
      reply += R"(,"id":)";
      reply += envelope.id;
      reply += '}';
    } else {
      write_rpc_error(reply, -32602, "rpc.cancel takes {\"id\": <the id of the stream's call>}", envelope.id);
    }
    to.send(ws_opcode::text, reply);
  }

  // An event's data as parameters: an array binds by position and an object by name; any other
  // value is the one parameter.
  static std::string_view parameters(const std::optional<json::raw>& data) {
    if (!data) return "[]";
    const std::string_view text = data->json;
    if (text.starts_with('[') || text.starts_with('{')) return text;
    thread_local std::string wrapped;
    wrapped.assign(1, '[');
    (wrapped += text) += ']';
    return wrapped;
  }

  // Runs the response's background tasks; true when it succeeded.
  bool finish(response& out) {
    if (!out.tasks.empty()) app_.run_tasks(out);
    if (out.ok() && out.form != body_form::json) {
      out.fail(error_kind::internal, "a WebSocket handler answers with JSON values only");
      return false;
    }
    return out.ok();
  }

  // {"event":"error","data":{"error":{"kind":..,"message":..,"where":..},"event":"<the event>"}}
  static void write_error_event(const response& out, std::string_view event, std::string& reply) {
    reply += R"({"event":"error","data":)";
    out.write_error_body(reply);
    reply.pop_back();
    if (!event.empty()) {
      reply += R"(,"event":)";
      json::write_text(event, reply);
    }
    reply += "}}";
  }

  App& app_;
};

}  // namespace sb::detail
