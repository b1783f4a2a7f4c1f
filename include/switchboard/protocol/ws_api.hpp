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

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sb::detail {

// The connection's side, as the protocol sees it; callable from any thread.
class ws_sender {
 public:
  // Queues one message; false once the connection is closing or too far behind.
  virtual bool send(ws_opcode opcode, std::string_view payload) = 0;
  // Sends a close frame with this code and reason, then ends the connection.
  virtual void close(std::uint16_t code, std::string_view reason) = 0;
  virtual bool open() const = 0;
  // Waits up to `duration`, returning early when the connection closes; true while open.
  virtual bool wait_while_open(std::chrono::milliseconds duration) = 0;

 protected:
  ~ws_sender() = default;
};

// Stream values of one JSON-RPC call, as notifications carrying its id.
class ws_rpc_sink final : public stream_sink {
 public:
  ws_rpc_sink(ws_sender& to, std::string_view request) : to_(to), notifier_(request) {}
  bool send(std::string_view json_text, std::string_view event) override {
    if (!notifier_.format(line_, event, json_text)) return open();  // a notification: nobody to stream to
    return to_.send(ws_opcode::text, line_) && open();
  }
  bool open() const override { return to_.open(); }
  bool wait_for(std::chrono::milliseconds duration) override { return to_.wait_while_open(duration); }

 private:
  ws_sender& to_;
  rpc_stream_notifier notifier_;
  std::string line_;
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

  route find(std::string_view path) const {
    if (path == "/rpc") return {true, nullptr};
    return {false, App::find_ws(path)};
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
    if (scan_envelope(message, envelope) != 0 || !envelope.has_id) return false;
    const std::size_t index = App::find(envelope.method);
    return index != App::npos && App::table[index].streams;
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
    ws_rpc_sink sink(to, message);
    const std::size_t first = message.find_first_not_of(" \t\r\n");
    ctx.sink = first != std::string_view::npos && message[first] == '{' ? &sink : nullptr;  // not a batch
    app_.handle_jsonrpc(message, reply, ctx);
    ctx.sink = nullptr;
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
