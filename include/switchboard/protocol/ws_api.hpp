#pragma once
// What a WebSocket connection means once it is open, whichever server carries it: which paths
// take an upgrade, and what a message on each does. `/rpc` carries JSON-RPC 2.0 to every endpoint
// (calls, batches, notifications); a stream's values arrive as notifications
// {"jsonrpc":"2.0","method":"stream","params":{"id":<the call's id>,"value":...}} before the call's
// own answer, as on stdio. Answers go out as their calls finish: a long call or a stream never
// holds up the calls sent after it, so answers may come in another order than the calls (JSON-RPC
// matches them by id).

#include <switchboard/context.hpp>
#include <switchboard/protocol/jsonrpc.hpp>
#include <switchboard/websocket/frame.hpp>

#include <chrono>
#include <cstdint>
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

enum class ws_route : std::uint8_t { none, rpc };

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

template <class App>
class ws_api {
 public:
  explicit ws_api(App& app) : app_(app) {}

  ws_route route(std::string_view path) const { return path == "/rpc" ? ws_route::rpc : ws_route::none; }

  // A message that should run where it may block for long: a single call of a stream endpoint.
  bool runs_long(ws_route route, ws_opcode opcode, std::string_view message) const {
    if (route != ws_route::rpc || opcode != ws_opcode::text) return false;
    jsonrpc_envelope envelope;
    if (scan_envelope(message, envelope) != 0 || !envelope.has_id) return false;
    const std::size_t index = App::find(envelope.method);
    return index != App::npos && App::table[index].streams;
  }

  // One whole message from the client; `reply` is the connection's scratch for the answer.
  void on_message(ws_route route, ws_opcode opcode, std::string_view message, ws_sender& to, context& ctx,
                  std::string& reply) {
    if (route != ws_route::rpc) return;
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
  App& app_;
};

}  // namespace sb::detail
