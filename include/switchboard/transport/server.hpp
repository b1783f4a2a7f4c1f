#pragma once
// sb::server: the HTTP API (protocol/http_api.hpp) on one port, event-driven on standalone Asio.
// I/O threads only move bytes: a connection waiting for a request, a slow client or an SSE client
// waiting for its next event holds no thread. Requests are parsed by switchboard's own HTTP/1.1
// head parser and chunked decoder (http/), and each endpoint call runs on a worker thread, so an
// endpoint that blocks never stalls a socket. Answers go out in request order (pipelining).

#include <switchboard/app.hpp>
#include <switchboard/http/chunked.hpp>
#include <switchboard/http/request_parser.hpp>
#include <switchboard/protocol/http_api.hpp>
#include <switchboard/serve.hpp>
#include <switchboard/protocol/ws_api.hpp>
#include <switchboard/websocket/compression.hpp>
#include <switchboard/transport/connection_registry.hpp>
#include <switchboard/transport/io_monitor.hpp>
#include <switchboard/transport/worker_pool.hpp>
#include <switchboard/transport/ws_connection.hpp>
#include <switchboard/websocket/handshake.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/write.hpp>

#include <poll.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sb {

struct server {
  std::string host = "127.0.0.1";
  int port = 8080;                        // 0: any free port, reported to on_listening
  std::size_t io_threads = 0;             // 0: one per hardware thread
  // Calls run on the I/O threads; while all of them are inside calls for longer than this, another
  // thread joins the event loop (up to max_blocked_threads more), so a blocking endpoint never
  // stalls I/O for longer.
  int blocked_patience_us = 2000;
  std::size_t max_blocked_threads = 256;
  std::size_t max_connections = 10000;    // more are answered 503 and closed
  std::size_t max_sse_streams = 1024;     // concurrent SSE streams; more get an error event
  std::size_t max_body_bytes = 1 << 20;   // Content-Length or chunked; larger: 413
  std::size_t max_header_count = 100;     // more header fields: 431
  std::size_t max_header_bytes = 16384;   // request line and header fields together; more: 431
  std::size_t max_target_bytes = 8192;    // longer request targets: 414
  std::size_t max_send_queue_bytes = 1 << 20;  // an SSE client this far behind is closed
  int header_timeout_ms = 10000;          // the whole head, from its first byte: 408 and close
  int body_timeout_ms = 30000;            // the whole body, from the end of the head: 408 and close
  int idle_timeout_ms = 30000;            // a keep-alive connection without a request: closed
  int write_timeout_ms = 30000;           // an answer the client does not take: closed
  // Allowed Origin values: listed origins may send credentials (cookies); "*" lets any other
  // origin call without credentials (Access-Control-Allow-Origin: *).
  std::vector<std::string> cors_origins;
  std::string static_dir;                 // served for paths outside /api and /sse when set
  // Host names answered; empty: on a loopback address only localhost, 127.0.0.1 and [::1] (DNS
  // rebinding), elsewhere any. Others get 421.
  std::vector<std::string> allowed_hosts;
  std::string mcp_path = "/mcp";          // MCP over Streamable HTTP (protocol/mcp.hpp); empty: not served
  mcp_options mcp{};                      // its server name, version, instructions, page size
  int sse_heartbeat_s = 15;               // comment lines that keep proxies open and notice gone clients
  int sse_retry_ms = 3000;                // the client's reconnection delay
  std::size_t websocket_max_message_bytes = std::size_t{16} << 20;  // larger: closed with 1009
  int websocket_ping_s = 30;              // a ping this often (0: never)
  int websocket_pong_timeout_s = 10;      // no frame from the client this long after a ping: closed
  // WebSocket limits, 0 for none: messages a second per connection (a second's worth may come at
  // once; more: closed with 1008), time without a message (closed with 1000), connections from one
  // address (more: 429 before the upgrade).
  int websocket_max_messages_per_s = 0;
  int websocket_idle_timeout_s = 0;
  std::size_t websocket_max_per_ip = 0;
  // When set, a WebSocket authenticates with its first message {"type":"auth","token":"..."} within
  // websocket_auth_timeout_s instead of at the handshake (authenticate is not asked then): answered
  // {"type":"auth_response","user":...} or {"type":"auth_error","error":{...}} and 1008.
  message_authenticator authenticate_message;
  int websocket_auth_timeout_s = 10;
  // A handler's path ("/ws/<module>/<member>") that also serves every path no other route serves.
  std::string websocket_default_route;
  // Subprotocols the server speaks, its preference first: the first of them the client offers is
  // answered in Sec-WebSocket-Protocol and seen by handlers as sb::connection::subprotocol(). A client
  // that offers none of them is still accepted, without one (RFC 6455 4.2.2); it may then give up.
  std::vector<std::string> websocket_subprotocols;
  // Message compression, off when null: sb::permessage_deflate() from <switchboard/websocket/deflate.hpp>
  // (which needs zlib).
  std::shared_ptr<const ws_compression> websocket_compression;
  sb::session_cookie session_cookie;      // name, Secure, SameSite, Path
  std::shared_ptr<session_store> sessions = std::make_shared<memory_session_store>();
  authenticator authenticate;             // empty: every call is allowed
  std::function<void(int port)> on_listening;

  template <class App>
  void run(App& app, shutdown& stop) const;
};

}  // namespace sb

namespace sb::detail {

// "Date: Wed, 02 Dec 2026 19:47:41 GMT\r\n", formatted once a second per thread.
inline std::string_view date_field() {
  thread_local std::time_t cached = 0;
  thread_local char text[64];
  thread_local std::size_t size = 0;
  const std::time_t now = std::time(nullptr);
  if (now != cached) {
    cached = now;
    std::tm utc{};
    gmtime_r(&now, &utc);
    size = std::strftime(text, sizeof text, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &utc);
  }
  return {text, size};
}

inline void append_number(std::string& out, std::uint64_t n) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, n).ptr);
}

// The status line and header fields of an answer. A stream has no length: it ends with the connection.
inline void serialize_head(const http_output& out, bool keep_alive, bool http10, std::string& wire,
                           bool stream = false) {
  wire += http10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  append_number(wire, static_cast<std::uint64_t>(out.status));
  wire += ' ';
  wire += reason_phrase(out.status);
  wire += "\r\n";
  wire += date_field();
  if (!out.content_type.empty()) {
    wire += "Content-Type: ";
    wire += out.content_type;
    wire += "\r\n";
  }
  if (!stream && out.status != 204 && out.status != 304) {
    wire += "Content-Length: ";
    append_number(wire, out.body.size());
    wire += "\r\n";
  }
  wire += out.fields;
  if (!keep_alive) wire += "Connection: close\r\n";
  else if (http10) wire += "Connection: keep-alive\r\n";
  wire += "\r\n";
}

template <class App>
class http_connection;

// What every connection of one server shares.
template <class App>
struct server_core {
  using api_type = http_api<App, server>;
  server_core(App& app, const server& options, std::size_t io_threads)
      : app(app), options(options), api(app, options), ws(app),
        // The body limit is applied after the API's screening, which may refuse the request for a
        // better reason (a compressed body, a chunked one where none is read).
        limits{options.max_target_bytes, options.max_header_bytes, options.max_header_count, UINT64_MAX},
        monitor(io, io_threads, io_threads + options.max_blocked_threads,
                std::chrono::microseconds(std::max(100, options.blocked_patience_us))) {}

  App& app;
  const server& options;
  api_type api;
  ws_api<App> ws;
  asio::io_context io;  // no concurrency hint: threads join the loop when calls block
  http_limits limits;
  io_monitor monitor;
  // Streams run on threads of their own, so that open streams never take the calls' workers.
  worker_pool stream_pool{1, options.max_sse_streams + 1};
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> crowd{0};  // the most connections open at once since memory was last released
  std::atomic<bool> stopping{false};
  connection_registry registry;  // the open connections, for the stop

  // WebSocket connections per client address (server::websocket_max_per_ip).
  bool admit_address(const std::string& address) {
    std::lock_guard lock(per_address_mutex);
    std::size_t& count = per_address[address];
    if (count >= options.websocket_max_per_ip) return false;
    ++count;
    return true;
  }
  void release_address(const std::string& address) {
    std::lock_guard lock(per_address_mutex);
    const auto found = per_address.find(address);
    if (found != per_address.end() && --found->second == 0) per_address.erase(found);
  }
  std::mutex per_address_mutex;
  std::unordered_map<std::string, std::size_t> per_address;
};

template <class App>
class http_connection final : public std::enable_shared_from_this<http_connection<App>>,
                              public server_connection,
                              public hangup_probe,
                              public stream_end_listener {
  using core_type = server_core<App>;
  using stream_call = typename core_type::api_type::stream_call;

 public:
  http_connection(core_type& core, asio::ip::tcp::socket socket)
      : core_(core), strand_(socket.get_executor()), socket_(std::move(socket)), timer_(strand_), pause_(strand_),
        parser_(core.limits), fields_(core.limits.max_header_count + 1),
        chunked_(core.options.max_body_bytes), buffer_(initial_buffer) {
    if (const std::size_t open = ++core_.connections; open > core_.crowd.load(std::memory_order_relaxed))
      core_.crowd.store(open, std::memory_order_relaxed);  // a close race may lose a peak: it is a hint
    std::error_code ec;
    const auto peer = socket_.remote_endpoint(ec);
    if (!ec) {
      address_ = peer.address().to_string();
      port_ = peer.port();
    }
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);  // answers are single writes: Nagle only delays them
  }
  ~http_connection() override {
    if (!upgrade_address_.empty()) core_.release_address(upgrade_address_);  // the upgrade never happened
    --core_.connections;
    core_.registry.remove(this);
  }

  void start() {
    core_.registry.add(this);
    asio::post(strand_, [self = this->shared_from_this()] {
      if (self->core_.stopping) return self->close();
      self->await_request();
    });
  }

  // From the server's stop, on any thread: a connection between requests or inside one that has
  // not reached its call closes now; calls finish and answer (with Connection: close), streams end
  // through the API.
  void stop() override {
    asio::post(strand_, [self = this->shared_from_this()] {
      if (self->phase_ == phase::head || self->phase_ == phase::body) self->close();
    });
  }
  std::shared_ptr<server_connection> shared() override { return this->weak_from_this().lock(); }

  // Asked by the endpoint, on the thread running its call: the socket itself is polled, since the
  // connection's reads wait until the call returns.
  bool hung_up() const override {
    if (hung_up_.load(std::memory_order_relaxed)) return true;
    pollfd probe{const_cast<asio::ip::tcp::socket&>(socket_).native_handle(), static_cast<short>(POLLIN | POLLRDHUP), 0};
    if (::poll(&probe, 1, 0) <= 0 || (probe.revents & (POLLRDHUP | POLLHUP | POLLERR)) == 0) return false;
    hung_up_ = true;
    return true;
  }

 private:
  enum class phase : std::uint8_t { head, body, calling, writing, streaming, draining, upgrading, closed };
  static constexpr std::size_t initial_buffer = 4096;
  static constexpr int max_batch = 32;  // pipelined answers written together
  static constexpr std::size_t max_batch_bytes = 64 * 1024;
  static constexpr std::size_t linger_ms = 2000;

  // ---- reading ----------------------------------------------------------------------------------

  void await_request() {
    if (core_.stopping) return linger_close();  // no request is taken after the stop
    phase_ = phase::head;
    head_complete_ = false;
    hung_up_ = false;
    compact();
    head_started_ = end_ != begin_;
    arm(head_started_ ? core_.options.header_timeout_ms : core_.options.idle_timeout_ms);
    parse_head();
  }

  // Moves unconsumed bytes to the front; only while no read is in flight and no view is held.
  void compact() {
    if (reading_ || begin_ == 0) return;
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }

  void parse_head() {
    const auto parsed = parser_.parse(std::string_view(buffer_.data() + begin_, end_ - begin_), head_, fields_);
    if (parsed == http_request_parser::result::incomplete) return read_more();
    if (parsed == http_request_parser::result::failed) {
      if (parser_.status() == 431)
        return refuse(431, "request header fields too large: " + std::string(parser_.reason()) +
                               " (limits: server::max_header_count = " + std::to_string(core_.options.max_header_count) +
                               ", server::max_header_bytes = " + std::to_string(core_.options.max_header_bytes) + ")");
      return refuse(parser_.status(), "the request could not be parsed: " + std::string(parser_.reason()));
    }
    begin_ += head_.head_bytes;
    body_start_ = begin_;
    head_complete_ = true;
    headers_.clear();
    for (const auto& f : head_.fields) headers_.push_back({f.name, f.value});
    input_ = {head_.method, head_.path, head_.query, headers_, {}, address_, port_, this};
    out_.clear();
    if (is_ws_upgrade(head_)) return upgrade();
    if (!core_.api.screen(input_, out_)) return answer_refusal();
    if (head_.body == http_body::length && head_.content_length > core_.options.max_body_bytes) return body_too_large();
    body_.clear();
    if (head_.body == http_body::chunked) chunked_ = chunked_decoder(core_.options.max_body_bytes);
    phase_ = phase::body;
    arm(core_.options.body_timeout_ms);
    if (head_.expect_continue && head_.body != http_body::none &&
        !(head_.body == http_body::length && end_ - begin_ >= head_.content_length))
      return send_continue();
    read_body();
  }

  // A WebSocket handshake: refused as HTTP, or accepted, and then the socket and what the client
  // sent after its head belong to a WebSocket connection.
  void upgrade() {
    const auto route = core_.ws.find(head_.path, core_.options.websocket_default_route);
    if (!route)
      return refuse(404, "no WebSocket is served at " + std::string(head_.path.substr(0, 256)) +
                             " (WebSocket paths: " + core_.ws.paths() + ")");
    const ws_handshake handshake =
        ws_check_handshake(head_, core_.options.cors_origins, core_.options.websocket_subprotocols);
    if (handshake.status != 0) {
      out_.clear();
      detail::refuse(out_, handshake.status, handshake.reason);
      if (handshake.status == 426) out_.fields += "Sec-WebSocket-Version: 13\r\n";
      return answer_refusal();
    }
    upgrade_resume_ = ws_resume_request{};
    if (std::string why; !upgrade_resume_.parse(head_.query, why)) return refuse(400, why);
    upgrade_session_ = session{};
    const bool by_message = static_cast<bool>(core_.options.authenticate_message);
    if (!core_.api.admit_upgrade(input_, out_, upgrade_session_, !by_message)) return answer_refusal();
    if (core_.stopping) return refuse(503, "the server is stopping");
    upgrade_address_.clear();
    if (core_.options.websocket_max_per_ip != 0) {
      if (!core_.admit_address(address_))
        return refuse(429, "too many WebSocket connections from this address (server::websocket_max_per_ip)");
      upgrade_address_ = address_;
    }
    upgrade_answer_ = std::move(wire_);  // answers to pipelined requests before it go first
    std::string extension;
    upgrade_compressor_.reset();
    if (core_.options.websocket_compression)
      upgrade_compressor_ = core_.options.websocket_compression->accept(ws_extension_offers(head_), extension);
    append_ws_accepted(handshake, upgrade_answer_, extension);
    upgrade_route_ = route;
    upgrade_protocol_ = handshake.protocol;  // one of the server's own strings
    if (!reading_) return hand_over();
    // A read from an earlier request's call is pending: what it brings belongs to the WebSocket.
    phase_ = phase::upgrading;
    std::error_code ec;
    socket_.cancel(ec);
  }
  void hand_over() {
    const std::string_view early(buffer_.data() + begin_, end_ - begin_);
    auto ws = std::make_shared<ws_connection<core_type>>(core_, std::move(socket_), strand_, upgrade_route_,
                                                         std::move(upgrade_session_), std::exchange(upgrade_address_, {}),
                                                         std::move(upgrade_compressor_), upgrade_protocol_,
                                                         std::move(upgrade_resume_));
    ws->start(upgrade_answer_, early);
    phase_ = phase::closed;  // the socket is gone; this object ends with its last handler
    disarm();
    timer_.cancel();
    core_.registry.remove(this);
  }

  void read_body() {
    if (head_.body == http_body::none) return dispatch({});
    if (head_.body == http_body::length) {
      const std::size_t wanted = static_cast<std::size_t>(head_.content_length);
      if (body_.empty() && end_ - begin_ >= wanted) {  // the usual case: the whole body is in the buffer
        const std::string_view body(buffer_.data() + begin_, wanted);
        begin_ += wanted;
        return dispatch(body);
      }
      // Collected beside the buffer, so the head's views stay put and the buffer stays small.
      const std::size_t take = std::min(wanted - body_.size(), end_ - begin_);
      body_.append(buffer_.data() + begin_, take);
      begin_ += take;  // what follows the body (a pipelined request) stays
      if (body_.size() == wanted) return dispatch(body_);
      reclaim_body_bytes();
      return read_more();
    }
    std::string_view raw(buffer_.data() + begin_, end_ - begin_);
    const auto decoded = chunked_.feed(raw, [this](std::string_view data) { body_.append(data); });
    if (decoded == chunked_decoder::result::failed) {
      if (chunked_.status() == 413) return body_too_large();
      return refuse(chunked_.status(), "the chunked body could not be read: " + std::string(chunked_.reason()));
    }
    // The decoder takes everything until the body ends; what it leaves is the next request.
    begin_ = end_ - raw.size();
    if (decoded == chunked_decoder::result::done) return dispatch(body_);
    reclaim_body_bytes();
    read_more();
  }

  // Body bytes already taken are dropped, and what is left moves up to the end of the head (whose
  // views stay put); not while a read is in flight, since it lands where it was aimed.
  void reclaim_body_bytes() {
    if (reading_ || begin_ == body_start_) return;
    std::memmove(buffer_.data() + body_start_, buffer_.data() + begin_, end_ - begin_);
    end_ = body_start_ + (end_ - begin_);
    begin_ = body_start_;
  }

  void read_more() {
    if (reading_ || phase_ == phase::closed) return;
    if (end_ == buffer_.size()) {
      if (phase_ == phase::calling || phase_ == phase::writing) return;  // resumes with the next request
      if (phase_ == phase::head) compact();
      if (phase_ == phase::body) reclaim_body_bytes();
      if (end_ == buffer_.size()) grow();
    }
    if (phase_ == phase::streaming || phase_ == phase::draining) return read_to_scratch();
    reading_ = true;
    socket_.async_read_some(asio::buffer(buffer_.data() + end_, buffer_.size() - end_),
                            [self = this->shared_from_this()](std::error_code ec, std::size_t n) {
                              self->reading_ = false;
                              self->on_read(ec, n);
                            });
  }

  // A stream's client, or one being closed, is read only to notice it leave: into scratch space,
  // since the request's views (used by a running stream) live in the buffer.
  void read_to_scratch() {
    reading_ = true;
    socket_.async_read_some(asio::buffer(scratch_), [self = this->shared_from_this()](std::error_code ec, std::size_t) {
      self->reading_ = false;
      if (self->phase_ == phase::closed) return;
      if (ec) return self->peer_left();
      self->read_more();
    });
  }

  // The buffer grows while a head is incomplete (the parser bounds it) or when a head filled it to
  // the end; then the head's views move along.
  void grow() {
    const char* from = buffer_.data();
    const std::size_t old_size = buffer_.size();
    buffer_.resize(old_size * 2);
    const char* to = buffer_.data();
    const auto move = [&](std::string_view& v) {
      if (v.data() >= from && v.data() < from + old_size) v = std::string_view(to + (v.data() - from), v.size());
    };
    move(head_.method), move(head_.target), move(head_.path), move(head_.query), move(head_.host);
    for (std::size_t i = 0; i < head_.fields.size(); ++i) move(fields_[i].name), move(fields_[i].value);
    for (auto& h : headers_) move(h.name), move(h.value);
    move(input_.method), move(input_.path), move(input_.query);
  }

  void on_read(std::error_code ec, std::size_t n) {
    if (phase_ == phase::closed) return;
    if (phase_ == phase::upgrading) {
      if (!ec) end_ += n;
      return hand_over();
    }
    if (ec) return peer_left();
    if (phase_ == phase::streaming || phase_ == phase::draining) return read_more();  // dropped
    end_ += n;
    switch (phase_) {
      case phase::head:
        if (!head_started_) {
          head_started_ = true;
          arm(core_.options.header_timeout_ms);  // the whole head must arrive within this from its first byte
        }
        return parse_head();
      case phase::body: return read_body();
      // While a call runs the socket is still read, so that a client that hangs up is noticed
      // (ctx.hung_up()); pipelined requests wait in the buffer (reading pauses when it is full).
      case phase::calling: return read_more();
      case phase::writing: return;  // the next request picks these bytes up
      case phase::streaming:
      case phase::draining:
      case phase::upgrading:
      case phase::closed: return;
    }
  }

  void peer_left() {
    switch (phase_) {
      case phase::calling:
      case phase::writing:
        hung_up_ = true;  // the answer is still written; the connection closes after it
        peer_gone_ = true;
        return;
      case phase::streaming:
        peer_gone_ = true;
        if (stream_) stream_->stream.close();  // wakes the endpoint now, not at its next value
        return finish_stream_if_done();
      default: return close();
    }
  }

  // ---- calling ----------------------------------------------------------------------------------

  // The call runs here, on the I/O thread, as in Beast: no hand-off to another thread, whose
  // wake-up would cost a quarter of the throughput. An endpoint that blocks holds this thread only:
  // the server's monitor sees every I/O thread inside a call for too long and adds one (io_monitor).
  void dispatch(std::string_view body) {
    input_.body = body;
    phase_ = phase::calling;
    disarm();
    keep_alive_ = head_.keep_alive;
    read_more();  // a pipelined request or the client leaving is seen when the call returns
    {
      const io_monitor::call_scope busy(core_.monitor);
      call();
    }
    answered();
  }

  // The answer joins those not yet written (a pipelined batch), in request order.
  void call() {
    stream_ = core_.api.handle(input_, out_, stream_output_);
    const bool http10 = head_.minor_version == 0;
    keep_alive_ = keep_alive_ && !out_.close && !core_.stopping && !stream_;  // decided once, as sent
    if (stream_) {
      serialize_head(out_, false, http10, wire_, true);  // a stream ends the connection
    } else {
      serialize_head(out_, keep_alive_, http10, wire_);
      if (head_.method != "HEAD") wire_ += out_.body;
    }
  }

  void answered() {
    if (phase_ == phase::closed) return;
    if (stream_) return start_stream();
    // Pipelined requests already read are answered before any is written, in one write: a write
    // per answer would cost a system call each.
    if (keep_alive_ && !peer_gone_ && ++batched_ < max_batch && wire_.size() < max_batch_bytes &&
        next_request_buffered())
      return next_request();
    batched_ = 0;
    phase_ = phase::writing;
    arm(core_.options.write_timeout_ms);
    asio::async_write(socket_, asio::buffer(wire_), [self = this->shared_from_this()](std::error_code ec, std::size_t) {
      self->wire_.clear();
      if (self->phase_ == phase::closed) return;
      if (ec || self->peer_gone_) return self->close();
      if (!self->keep_alive_) return self->linger_close();
      self->next_request();
    });
  }

  // A whole request without a body (pipelining is for GET and HEAD) is in the buffer: it can be
  // answered without waiting, so its answer may join the batch. Anything with a body or an
  // expectation (100-continue must not overtake earlier answers) waits for the write instead.
  bool next_request_buffered() const {
    const std::string_view rest(buffer_.data() + begin_, end_ - begin_);
    const std::size_t head_end = rest.find("\r\n\r\n");
    if (head_end == std::string_view::npos) return false;
    const std::string_view head = rest.substr(0, head_end + 2);
    for (std::string_view name : {"\ncontent-length:", "\ntransfer-encoding:", "\nexpect:"}) {
      for (std::size_t at = head.find('\n'); at != std::string_view::npos; at = head.find('\n', at + 1))
        if (detail::equals_ignoring_case(head.substr(at, name.size()), name)) return false;
    }
    return true;
  }

  void next_request() {
    parser_.reset();
    if (body_.capacity() > (std::size_t{64} << 10)) std::string().swap(body_);
    if (wire_.empty() && wire_.capacity() > (std::size_t{64} << 10)) std::string().swap(wire_);  // not a batch
    if (out_.body.capacity() > (std::size_t{64} << 10)) std::string().swap(out_.body);
    await_request();
  }

  void send_continue() {
    static constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
    asio::async_write(socket_, asio::buffer(continue_line.data(), continue_line.size()),
                      [self = this->shared_from_this()](std::error_code ec, std::size_t) {
                        if (self->phase_ != phase::body) return;  // refused meanwhile (a deadline)
                        if (ec) return self->close();
                        self->read_body();
                      });
  }

  // ---- refusals ---------------------------------------------------------------------------------

  void body_too_large() {
    out_.clear();
    detail::fail(out_, error_kind::payload_too_large,
                 "the request body is larger than " + std::to_string(core_.options.max_body_bytes) +
                     " bytes (server::max_body_bytes)");
    answer_refusal();
  }

  // An answer decided before any call (a malformed head, a limit, a timeout): sent, then closed.
  void refuse(int status, std::string_view message) {
    out_.clear();
    detail::refuse(out_, status, message);
    answer_refusal();
  }
  void answer_refusal() {
    phase_ = phase::writing;
    keep_alive_ = false;
    batched_ = 0;
    serialize_head(out_, false, head_complete_ && head_.minor_version == 0, wire_);  // after any batched answers
    if (!(head_complete_ && head_.method == "HEAD")) wire_ += out_.body;
    arm(core_.options.write_timeout_ms);
    asio::async_write(socket_, asio::buffer(wire_), [self = this->shared_from_this()](std::error_code ec, std::size_t) {
      self->wire_.clear();
      if (ec) return self->close();
      self->linger_close();
    });
  }
  // The client may still be sending (a body we refused): our side is shut and what arrives is read
  // and dropped for a moment, so the client sees the answer rather than a reset.
  void linger_close() {
    if (phase_ == phase::closed) return;
    phase_ = phase::draining;
    std::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    arm(static_cast<int>(core_.stopping ? linger_ms / 4 : linger_ms));
    read_more();
  }

  // ---- streaming --------------------------------------------------------------------------------

  class stream_writer final : public sse_output {
   public:
    explicit stream_writer(http_connection& c) : c_(c) {}
    bool write(std::string_view bytes) override { return c_.queue(bytes); }
    bool resume_after(std::chrono::milliseconds duration, std::coroutine_handle<> paused) override {
      return c_.pause(duration, paused);
    }
    void wake() override { c_.wake(); }

   private:
    http_connection& c_;
  };

  // A stream whose endpoint blocks runs on a thread of the stream pool.
  class stream_job final : public work_item {
   public:
    explicit stream_job(http_connection& c) : c_(c) {}
    void run() override {
      c_.core_.api.run_stream(*c_.stream_);
      c_.stream_ended();
    }

   private:
    http_connection& c_;
  };

  // From the stream's last step, on whichever thread ran it.
  void stream_ended() noexcept override {
    auto self = std::move(stream_self_);
    asio::post(strand_, [self = std::move(self)] {
      self->stream_work_.reset();
      self->stream_done_ = true;
      self->finish_stream_if_done();
    });
  }

  // A coroutine endpoint pauses (on this strand, where it runs): the timer resumes it, or wake()
  // sooner. Nothing but the timer waits meanwhile.
  bool pause(std::chrono::milliseconds duration, std::coroutine_handle<> paused) {
    if (phase_ == phase::closed) return false;
    pause_.expires_after(duration);
    pause_.async_wait([self = this->shared_from_this(), paused](std::error_code) { paused.resume(); });
    return true;
  }
  // The stream closed (the client left, too slow, the stop): a paused endpoint resumes now. From any
  // thread, hence the post; a pause begun later sees the stream closed and does not wait.
  void wake() {
    asio::post(strand_, [self = this->shared_from_this()] { self->pause_.cancel(); });
  }

  void start_stream() {
    phase_ = phase::streaming;
    disarm();
    queue(wire_);  // the head, ahead of every event
    read_more();   // to notice the client leaving
    if (head_.method == "HEAD") {  // the head of a stream only; its endpoint never runs
      stream_done_ = true;
      return finish_stream_if_done();
    }
    stream_self_ = this->shared_from_this();
    if (core_.api.suspends(*stream_)) {  // a coroutine: it starts here and pauses without a thread
      if (core_.api.start_stream(*stream_, this)) stream_ended();
      return;
    }
    stream_work_.emplace(core_.io.get_executor());  // the loop must not run out of work meanwhile
    core_.stream_pool.submit(stream_job_);
  }

  // From the stream's worker: appended to the send queue; false once the client is gone or too far
  // behind (memory stays bounded; the stream then ends).
  bool queue(std::string_view bytes) {
    std::lock_guard lock(send_mutex_);
    if (send_closed_) return false;
    if (!send_queue_.empty() && send_queue_.size() + bytes.size() > core_.options.max_send_queue_bytes) {
      send_closed_ = true;
      asio::post(strand_, [self = this->shared_from_this()] { self->slow_consumer(); });
      return false;
    }
    send_queue_.append(bytes);
    if (!flush_posted_) {
      flush_posted_ = true;
      asio::post(strand_, [self = this->shared_from_this()] { self->flush(); });
    }
    return true;
  }

  void slow_consumer() {
    log().write(log_level::warning, "sse: closing a client " + std::to_string(core_.options.max_send_queue_bytes) +
                                        " bytes behind (server::max_send_queue_bytes)");
    peer_gone_ = true;
    if (stream_) stream_->stream.close();
    finish_stream_if_done();
  }

  void flush() {
    {
      std::lock_guard lock(send_mutex_);
      flush_posted_ = false;
      if (writing_stream_ || send_queue_.empty() || phase_ == phase::closed) return;
      sending_.swap(send_queue_);
      send_queue_.clear();
      writing_stream_ = true;
    }
    arm(core_.options.write_timeout_ms);  // a client that stops taking the stream is closed
    asio::async_write(socket_, asio::buffer(sending_), [self = this->shared_from_this()](std::error_code ec, std::size_t) {
      {
        std::lock_guard lock(self->send_mutex_);
        self->writing_stream_ = false;
        self->sending_.clear();
      }
      if (self->phase_ == phase::closed) return;
      if (self->phase_ == phase::streaming) self->disarm();
      if (ec) return self->peer_left();
      self->flush();
      self->finish_stream_if_done();
    });
  }

  // The connection ends once the stream's worker has returned and its last bytes are out.
  void finish_stream_if_done() {
    if (!stream_done_ || phase_ == phase::closed) return;
    {
      std::lock_guard lock(send_mutex_);
      if (!peer_gone_ && (writing_stream_ || !send_queue_.empty())) return;
      send_closed_ = true;
    }
    stream_work_.reset();
    if (peer_gone_) return close();
    linger_close();
  }

  // ---- time and closing -------------------------------------------------------------------------

  // One deadline per connection, set for each phase. The timer is not re-armed for every request
  // (that would touch the kernel's timer each time): it wakes at the deadline it was set for, and
  // waits again if the deadline has moved on meanwhile.
  void arm(int milliseconds) {
    deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(milliseconds > 0 ? milliseconds : 1);
    if (!timer_waiting_ || deadline_ < timer_.expiry()) wait_for_deadline();  // sooner: the wait moves up
  }
  void disarm() { deadline_ = std::chrono::steady_clock::time_point::max(); }
  void wait_for_deadline() {
    timer_waiting_ = true;
    const std::uint64_t wait = ++timer_wait_;
    timer_.expires_at(deadline_);  // a pending wait ends as superseded
    timer_.async_wait([self = this->shared_from_this(), wait](std::error_code ec) {
      if (wait != self->timer_wait_) return;
      self->timer_waiting_ = false;
      if (ec || self->phase_ == phase::closed) return;
      if (self->deadline_ == std::chrono::steady_clock::time_point::max()) return;  // disarmed; arm() waits anew
      if (std::chrono::steady_clock::now() < self->deadline_) return self->wait_for_deadline();
      self->disarm();
      self->expired();
    });
  }

  void expired() {
    switch (phase_) {
      case phase::head:
        if (!head_started_) return close();  // an idle keep-alive connection: nothing to answer
        return refuse(408, "the request head did not arrive within server::header_timeout_ms");
      case phase::body: return refuse(408, "the request body did not arrive within server::body_timeout_ms");
      default: return close();  // an answer the client would not take, or the linger's end
    }
  }

  void close() {
    if (phase_ == phase::closed) return;
    phase_ = phase::closed;
    std::error_code ec;
    timer_.cancel();
    socket_.close(ec);
    if (stream_) stream_->stream.close();
    {
      std::lock_guard lock(send_mutex_);
      send_closed_ = true;
    }
    core_.registry.remove(this);
  }

  core_type& core_;
  asio::any_io_executor strand_;  // the strand the connection was accepted on
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  asio::steady_timer pause_;  // a coroutine stream's pause
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  bool timer_waiting_ = false;
  std::uint64_t timer_wait_ = 0;
  phase phase_ = phase::head;
  bool head_started_ = false;
  bool head_complete_ = false;
  bool keep_alive_ = true;
  bool reading_ = false;
  bool peer_gone_ = false;
  mutable std::atomic<bool> hung_up_{false};

  http_request_parser parser_;
  http_request_head head_;
  std::vector<http_field> fields_;
  std::vector<header> headers_;
  chunked_decoder chunked_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // the first byte not yet consumed
  std::size_t end_ = 0;    // one past the last byte read
  std::size_t body_start_ = 0;  // where the current request's head ends
  std::array<char, 512> scratch_;
  std::string body_;
  std::string address_;
  int port_ = 0;

  http_input input_;
  http_output out_;
  std::string wire_;  // answers not yet written
  std::string upgrade_answer_;  // the 101 (after any answers before it), while a read is cancelled
  typename ws_api<App>::route upgrade_route_;
  session upgrade_session_;  // what authenticate and the session cookie made of the handshake
  std::string upgrade_address_;  // counted against websocket_max_per_ip, when that is set
  std::unique_ptr<ws_compressor> upgrade_compressor_;  // what the handshake agreed to, if anything
  std::string_view upgrade_protocol_;                  // the subprotocol the handshake chose, if any
  ws_resume_request upgrade_resume_;                   // the handshake's sb_resume, if any
  int batched_ = 0;

  stream_writer stream_output_{*this};
  stream_job stream_job_{*this};
  std::unique_ptr<stream_call> stream_;
  std::shared_ptr<http_connection> stream_self_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> stream_work_;
  bool stream_done_ = false;
  std::mutex send_mutex_;
  std::string send_queue_;
  std::string sending_;
  bool send_closed_ = false;
  bool flush_posted_ = false;
  bool writing_stream_ = false;
};

}  // namespace sb::detail

namespace sb::detail {

// Accepts connections on one port; several listeners may share one server core (one event loop).
template <class App>
class listener {
 public:
  // `control`: the strand the acceptor, its retry timer and the server's stop share.
  listener(server_core<App>& core, const asio::any_io_executor& control)
      : core_(core), acceptor_(control), retry_(control) {}

  // The bound port, or -1 with the reason logged.
  int open(const std::string& host, int port) {
    std::error_code ec;
    asio::ip::tcp::resolver resolver(core_.io);
    const auto found = resolver.resolve(host, std::to_string(port), asio::ip::tcp::resolver::passive, ec);
    if (ec || found.empty()) return failed("cannot resolve " + host + ": " + ec.message());
    const asio::ip::tcp::endpoint endpoint = *found.begin();
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    // The system's backlog (SOMAXCONN), so that a burst of connections waits instead of being refused.
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return failed("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
    accept();
    return acceptor_.local_endpoint().port();
  }

  void close() {
    std::error_code ec;
    acceptor_.close(ec);
    retry_.cancel();
  }

 private:
  int failed(const std::string& why) {
    log().write(log_level::error, "server: " + why);
    return -1;
  }

  void accept() {
    acceptor_.async_accept(asio::make_strand(core_.io), [this](std::error_code ec, asio::ip::tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (ec) {
        // Out of descriptors (EMFILE) or the like: the pending connections wait in the backlog.
        log().write(log_level::warning, "server: accept failed (" + ec.message() + "); retrying in 100 ms");
        retry_.expires_after(std::chrono::milliseconds(100));
        retry_.async_wait([this](std::error_code wait_error) {
          if (!wait_error) accept();
        });
        return;
      }
      if (core_.connections >= core_.options.max_connections) refuse(socket);
      else std::make_shared<http_connection<App>>(core_, std::move(socket))->start();
      accept();
    });
  }

  // Past the connection cap: a clear answer, written without waiting (it fits any send buffer).
  static void refuse(asio::ip::tcp::socket& socket) {
    static constexpr std::string_view answer =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
        "Connection: close\r\nContent-Length: 104\r\n\r\n"
        R"({"error":{"kind":"unavailable","message":"too many connections (server::max_connections); retry later"}})";
    static_assert(answer.size() - answer.find("\r\n\r\n") - 4 == 104);
    std::error_code ec;
    socket.non_blocking(true, ec);
    socket.write_some(asio::buffer(answer.data(), answer.size()), ec);
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    socket.close(ec);
  }

  server_core<App>& core_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_;
};

}  // namespace sb::detail

namespace sb::detail {

// glibc keeps the heap pages a crowd of closed connections freed (10,000 dropped streams stayed
// resident as 120 MiB); once the crowd has halved, the heartbeat gives them back to the system.
inline void release_memory_after_crowd(std::atomic<std::size_t>& crowd, std::size_t open_connections) {
  constexpr std::size_t large_crowd = 1000;
  const std::size_t peak = crowd.load(std::memory_order_relaxed);
  if (peak < large_crowd || open_connections > peak / 2) return;
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
  crowd.store(open_connections, std::memory_order_relaxed);
}

}  // namespace sb::detail

namespace sb {

template <class App>
void server::run(App& app, shutdown& stop) const {
  const std::size_t io_count = io_threads != 0 ? io_threads : std::max(1u, std::thread::hardware_concurrency());
  detail::server_core<App> core(app, *this, io_count);
  // The acceptor, the heartbeat and the stop run on one strand: Asio objects are not thread-safe.
  const asio::any_io_executor control = asio::make_strand(core.io);
  detail::listener<App> listener(core, control);
  const int bound = listener.open(host, port);
  if (bound < 0) {
    stop.request();
    return;
  }
  log().write(log_level::info, "server: listening on http://" + host + ":" + std::to_string(bound) + " (" +
                                   std::to_string(io_count) + " I/O threads)");
  // Heartbeats keep streams alive through proxies and reveal clients that went away.
  asio::steady_timer beat(control);
  std::function<void()> next_beat = [&] {
    beat.expires_after(std::chrono::seconds(std::max(1, sse_heartbeat_s)));
    beat.async_wait([&](std::error_code ec) {
      if (ec || core.stopping) return;
      core.api.heartbeat();
      sessions->sweep();  // expired sessions go even when nobody asks for them
      detail::release_memory_after_crowd(core.crowd, core.connections);
      next_beat();
    });
  };
  next_beat();
  // Forgotten before the loop and `control` go: a request on the signal thread may still be inside
  // this post (its copy of the strand) when the loop it woke has already ended.
  const shutdown::scoped_waker waker(stop, [&] {
    asio::post(control, [&] {
      core.stopping = true;
      listener.close();
      beat.cancel();
      core.api.close_streams();  // streams end with their final event
      core.registry.stop_all();
    });
  });
  if (on_listening) on_listening(bound);
  core.monitor.start();
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < io_count; ++i) threads.emplace_back([&] { core.monitor.run_loop(); });
  core.monitor.run_loop();
  for (auto& t : threads) t.join();
  core.monitor.stop();
  core.stream_pool.stop();
  stop.request();  // fire this transport's waker while what it references is still alive
}

}  // namespace sb
