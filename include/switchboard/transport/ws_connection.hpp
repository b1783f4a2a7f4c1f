#pragma once
// A WebSocket connection on sb::server, once the HTTP side has accepted its handshake: frames are
// read by websocket/frame.hpp and messages handled by protocol/ws_api.hpp; this file only moves
// bytes and keeps time. Messages are handled on the I/O thread that read them (as HTTP calls are;
// the io_monitor covers one that blocks), except a stream, which runs on a thread of the stream
// pool so that it can take as long as it needs. Whatever the thread, sends go through one bounded
// queue, written by the connection's strand.
//   Heartbeat: a ping every `websocket_ping_s`; no frame at all from the client within
//   `websocket_pong_timeout_s` after it ends the connection (any frame proves the client alive).
//   Falling behind: more than `max_send_queue_bytes` waiting closes the connection with 1008.
//   Closing: the close frame goes out after what was queued before it; then the server shuts its
//   side and reads until the client's side ends too, or for a short while at most.
//   Resuming (protocol/ws_resume.hpp): the history a client missed is read and sent on a thread of
//   the stream pool, a page at a time, each once the send queue has room, while the channel's live
//   deliveries wait (as much as max_send_queue_bytes; more closes the connection with 1008).

#include <switchboard/context.hpp>
#include <switchboard/log.hpp>
#include <switchboard/protocol/ws_api.hpp>
#include <switchboard/protocol/ws_resume.hpp>
#include <switchboard/transport/connection_registry.hpp>
#include <switchboard/transport/io_monitor.hpp>
#include <switchboard/transport/worker_pool.hpp>
#include <switchboard/websocket/compression.hpp>
#include <switchboard/websocket/frame.hpp>
#include <switchboard/websocket/utf8.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sb::detail {

template <class Core>
class ws_connection final : public std::enable_shared_from_this<ws_connection<Core>>,
                            public server_connection,
                            public ws_sender,
                            public sb::connection,
                            public bus_subscriber {
 public:
  using route_type = typename decltype(Core::ws)::route;

  // `address` is counted against server::websocket_max_per_ip (empty when that is not set).
  ws_connection(Core& core, asio::ip::tcp::socket socket, asio::any_io_executor strand, route_type route,
                session who, std::string address, std::unique_ptr<ws_compressor> compressor = nullptr,
                std::string_view subprotocol = {}, ws_resume_request resume = {})
      : core_(core), strand_(std::move(strand)), socket_(std::move(socket)), timer_(strand_),
        deadline_timer_(strand_), route_(route), reader_(core.options.websocket_max_message_bytes),
        id_(core.app.bus().new_connection_id()), buffer_(read_size), session_(std::move(who)),
        address_(std::move(address)), awaiting_auth_(static_cast<bool>(core.options.authenticate_message)),
        tokens_(core.options.websocket_max_messages_per_s), refilled_(coarse_now()), last_message_(refilled_),
        compressor_(std::move(compressor)), subprotocol_(subprotocol),
        resumes_(std::move(resume), core.options.max_send_queue_bytes) {
    reader_.allow_compressed(compressor_ != nullptr);
    ++core_.connections;
    ctx_.from = origin::websocket;
    ctx_.connection = this;
    ctx_.session = &session_;
    ctx_.bus = &core_.app.bus();
  }
  ~ws_connection() override {
    core_.app.bus().unsubscribe_all(*this);
    if (!address_.empty()) core_.release_address(address_);
    --core_.connections;
    core_.registry.remove(this);
  }

  // Sends the handshake's answer, then reads frames; `early` is what the client sent after its
  // handshake, read with it.
  void start(std::string_view accepted, std::string_view early) {
    core_.registry.add(this);
    {
      std::lock_guard lock(send_mutex_);
      queue_.append(accepted);
    }
    // Direct sends (bus::send) and sends to the session's connections come through the bus.
    bus& channels = core_.app.bus();
    channels.subscribe(bus::connection_channel(id_), *this, id_);
    if (!session_.id.empty()) channels.subscribe(bus::session_channel(session_.id), *this, id_);
    asio::post(strand_, [self = this->shared_from_this(), early = std::string(early)] {
      if (self->core_.stopping) return self->close(ws_close::going_away, "the server is stopping");
      self->flush();
      self->beat_after(self->core_.options.websocket_ping_s * 1000);
      self->opened();
      std::string_view input(early);
      if (!self->feed_then_flush(input)) return;
      self->read();
    });
  }

  // ---- server_connection ----
  void stop() override {
    asio::post(strand_, [self = this->shared_from_this()] { self->close(ws_close::going_away, "the server is stopping"); });
  }
  std::shared_ptr<server_connection> shared() override { return this->weak_from_this().lock(); }

  // ---- ws_sender and sb::connection: any thread ----
  bool send(ws_opcode opcode, std::string_view payload) override {
    std::lock_guard lock(send_mutex_);
    if (!open_) return false;
    bool compressed = false;
    if (compressor_) {
      deflated_.clear();
      compressed = compressor_->deflate(payload, deflated_);
      if (compressed) payload = deflated_;
    }
    if (!queue_.empty() && queue_.size() + payload.size() > core_.options.max_send_queue_bytes) {
      fall_behind_locked();
      return false;
    }
    append_ws_frame(queue_, opcode, payload, compressed);
    if (deflated_.capacity() > (std::size_t{256} << 10)) std::string().swap(deflated_);
    post_flush_locked();
    return true;
  }
  bool send(std::string_view json_text) override { return send(ws_opcode::text, json_text); }
  bool send_binary(std::string_view bytes) override { return send(ws_opcode::binary, bytes); }

  void close(std::uint16_t code, std::string_view reason) override {
    std::lock_guard lock(send_mutex_);
    queue_close_locked(code, reason);
  }
  void close() override { close(ws_close::normal, {}); }
  bool open() const override { return open_.load(std::memory_order_relaxed); }
  bool wait_while_open(std::chrono::milliseconds duration, const std::atomic<bool>* stop) override {
    std::unique_lock lock(send_mutex_);
    closed_.wait_for(lock, duration, [&] { return !open_ || (stop && *stop); });
    return open_;
  }
  void wake_waiters() override {
    std::lock_guard lock(send_mutex_);
    closed_.notify_all();
  }
  ws_running_streams& running() override { return running_; }
  std::uint64_t id() const override { return id_; }
  std::string_view subprotocol() const override { return subprotocol_; }
  // A channel the client named in its sb_resume (and that keeps a history) starts with what the
  // client missed, read off this thread.
  result<void> subscribe(std::string_view channel) override {
    if (auto admitted = core_.app.admits(session_, channel); !admitted.ok()) return admitted;
    if (!open()) return unavailable("the connection is closing");
    bus& channels = core_.app.bus();
    std::optional<std::string> after;
    if (resumes_.asked() && channels.keeps_history(channel)) after = resumes_.begin(channel);
    channels.subscribe(channel, *this, id_);
    if (after) start_catch_up(*new catch_up(this->shared_from_this(), channel, std::move(*after)));
    return {};
  }
  void unsubscribe(std::string_view channel) override { core_.app.bus().unsubscribe(channel, *this); }

  // ---- bus_subscriber: under the bus's lock, so it only queues ----
  void deliver(std::string_view channel, std::string_view json_text) override { deliver_with_id(channel, json_text, {}); }
  void deliver_with_id(std::string_view channel, std::string_view json_text, std::string_view id) override {
    if (!resumes_.asked()) return (void)send(ws_opcode::text, json_text);
    resumes_.deliver(channel, json_text, id, [this](std::string_view frame) { send(ws_opcode::text, frame); });
  }

 private:
  static constexpr std::size_t read_size = 4096;
  static constexpr int linger_ms = 2000;

  // ---- reading (on the strand) ----

  void read() {
    if (phase_ == phase::closed) return;
    socket_.async_read_some(asio::buffer(buffer_), [self = this->shared_from_this()](std::error_code ec, std::size_t n) {
      if (self->phase_ == phase::closed) return;
      if (ec) return self->terminate();
      self->client_alive();
      std::string_view input(self->buffer_.data(), n);
      if (self->feed_then_flush(input)) self->read();
    });
  }

  // What the messages of one read answer goes out in one write, started here rather than posted:
  // a post per read would wake another I/O thread to take it (a futex call per read, measured).
  bool feed_then_flush(std::string_view& input) {
    {
      std::lock_guard lock(send_mutex_);
      feeding_ = true;
    }
    bool more = false;
    {
      const io_monitor::call_scope busy(core_.monitor);  // per read, not per message: its atomics are shared
      more = feed(input);
    }
    bool queued = false;
    {
      std::lock_guard lock(send_mutex_);
      feeding_ = false;
      queued = flush_posted_;
    }
    if (queued) flush();
    return more;
  }

  // False when the connection is done reading. Once the client's close came, or a frame broke the
  // protocol, what it sends is dropped.
  bool feed(std::string_view& input) {
    while (!close_received_ && !reader_failed_) {
      switch (reader_.next(input)) {
        case ws_reader::event::need_more: return true;
        case ws_reader::event::message:
          if (phase_ == phase::open) on_message();  // after our close, messages are dropped
          break;
        case ws_reader::event::ping: send_control(ws_opcode::pong, reader_.control_payload()); break;
        case ws_reader::event::pong: break;
        case ws_reader::event::close: {
          close_received_ = true;
          if (phase_ == phase::closing) {  // the answer to our close: the handshake is complete
            terminate();
            return false;
          }
          const std::uint16_t code = reader_.close_code();  // echoed; none for none
          std::lock_guard lock(send_mutex_);
          if (code == ws_close::no_status) queue_empty_close_locked();
          else queue_close_locked(code, {});
          return true;
        }
        case ws_reader::event::failed:
          reader_failed_ = true;
          close(reader_.failure_code(), reader_.failure());
          return true;
      }
      if (phase_ == phase::closed) return false;
    }
    return true;
  }

  // The handler's connect, before the first message is read (or after the one that authenticated).
  void opened() {
    if (phase_ != phase::open) return;
    if (awaiting_auth_) return arm_deadline(core_.options.websocket_auth_timeout_s * 1000);
    connected_ = true;
    arm_deadline(core_.options.websocket_idle_timeout_s * 1000);
    {
      std::lock_guard lock(catch_up_mutex_);
      opening_ = true;
    }
    {
      const io_monitor::call_scope busy(core_.monitor);
      core_.ws.on_open(route_, *this, ctx_, reply_);
    }
    std::vector<work_item*> deferred;
    {
      std::lock_guard lock(catch_up_mutex_);
      opening_ = false;
      deferred.swap(deferred_catch_ups_);
    }
    for (work_item* item : deferred) core_.stream_pool.submit(*item);
  }

  // What the connect handler sends the connection itself (a welcome) goes out before a resumed
  // channel's history: catch-ups it starts wait for it to return.
  void start_catch_up(work_item& item) {
    {
      std::lock_guard lock(catch_up_mutex_);
      if (opening_) return deferred_catch_ups_.push_back(&item);
    }
    core_.stream_pool.submit(item);
  }

  // A compressed message, inflated in place of `message`; false when the connection fails on it.
  bool inflate(ws_opcode opcode, std::string_view& message) {
    bool too_big = false;
    std::string why;
    if (!compressor_->inflate(message, inflated_, core_.options.websocket_max_message_bytes, too_big, why)) {
      close(too_big ? ws_close::message_too_big : ws_close::invalid_payload, why);
      return false;
    }
    utf8_validator text;
    if (opcode == ws_opcode::text && (!text.feed(inflated_) || !text.complete())) {
      close(ws_close::invalid_payload, "a text message that is not UTF-8");
      return false;
    }
    message = inflated_;
    return true;
  }

  void authenticate_by(ws_opcode opcode, std::string_view message) {
    std::string why;
    bool accepted = false;
    {
      const io_monitor::call_scope busy(core_.monitor);
      accepted = core_.ws.authenticate(core_.options.authenticate_message, opcode, message, session_, reply_, why);
    }
    send(ws_opcode::text, reply_);
    if (!accepted) return close(ws_close::policy_violation, why);
    awaiting_auth_ = false;
    opened();
  }

  // server::websocket_max_messages_per_s as a bucket of a second's worth of messages.
  bool within_rate() {
    const int rate = core_.options.websocket_max_messages_per_s;
    if (rate <= 0) return true;
    const auto now = coarse_now();
    tokens_ = std::min<double>(rate, tokens_ + std::chrono::duration<double>(now - refilled_).count() * rate);
    refilled_ = now;
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

  // ---- the auth and idle deadlines (on the strand) ----

  void arm_deadline(int milliseconds) {
    if (milliseconds <= 0 || phase_ != phase::open) return;
    deadline_timer_.expires_after(std::chrono::milliseconds(milliseconds));
    deadline_timer_.async_wait([self = this->shared_from_this()](std::error_code ec) {
      if (!ec && self->phase_ == phase::open) self->deadline_passed();
    });
  }
  void deadline_passed() {
    if (awaiting_auth_)
      return close(ws_close::policy_violation,
                   "no {\"type\":\"auth\"} message within server::websocket_auth_timeout_s");
    const auto idle = std::chrono::seconds(core_.options.websocket_idle_timeout_s);
    const auto quiet = coarse_now() - last_message_;
    if (quiet >= idle) return close(ws_close::normal, "idle: no message within server::websocket_idle_timeout_s");
    arm_deadline(static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(idle - quiet).count()));
  }

  void on_message() {
    if (!open()) return;  // closing: what the client still sends is dropped
    if (!within_rate())
      return close(ws_close::policy_violation,
                   "more than " + std::to_string(core_.options.websocket_max_messages_per_s) +
                       " messages a second (server::websocket_max_messages_per_s)");
    last_message_ = coarse_now();
    const ws_opcode opcode = reader_.opcode();
    std::string_view message = reader_.message();
    if (reader_.compressed() && !inflate(opcode, message)) return;
    if (awaiting_auth_) return authenticate_by(opcode, message);
    if (core_.ws.runs_long(route_, opcode, message)) return start_long_call(opcode, message);
    core_.ws.on_message(route_, opcode, message, *this, ctx_, reply_);  // under feed_then_flush's call_scope
    if (reply_.capacity() > (std::size_t{64} << 10)) std::string().swap(reply_);
    if (inflated_.capacity() > (std::size_t{1} << 20)) std::string().swap(inflated_);
  }

  // A message that may run for long (a stream), on a thread of the stream pool, with copies of
  // what it needs: the reader's buffer moves on meanwhile.
  class long_call final : public work_item {
   public:
    long_call(std::shared_ptr<ws_connection> c, ws_opcode opcode, std::string_view message)
        : work_(c->core_.io.get_executor()), c_(std::move(c)), opcode_(opcode), message_(message), ctx_(c_->ctx_) {}
    void run() override {
      c_->core_.ws.on_message(c_->route_, opcode_, message_, *c_, ctx_, reply_);
      delete this;
    }

   private:
    // Declared first, destroyed last: the event loop keeps running until the call and the
    // connection it holds are gone.
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    std::shared_ptr<ws_connection> c_;
    ws_opcode opcode_;
    std::string message_;
    context ctx_;
    std::string reply_;
  };

  void start_long_call(ws_opcode opcode, std::string_view message) {
    core_.stream_pool.submit(*new long_call(this->shared_from_this(), opcode, message));
  }

  // Sends a resumed channel's history after `after_`, a page at a time, then lets its live
  // deliveries through.
  class catch_up final : public work_item {
   public:
    catch_up(std::shared_ptr<ws_connection> c, std::string_view channel, std::string after)
        : work_(c->core_.io.get_executor()), c_(std::move(c)), channel_(channel), last_(std::move(after)) {}
    void run() override {
      auto send = [this](std::string_view frame) { c_->send(ws_opcode::text, frame); };
      for (bool first = true;; first = false) {
        const bus_history page = c_->core_.app.bus().read_history(channel_, last_, page_size);
        c_->resumes_.send_missed(channel_, page, first, c_->id_, send);
        if (first && page.complete) newest_ = last_;  // the id named is one the history gave
        if (!page.messages.empty()) last_ = newest_ = page.messages.back().id;
        if (page.messages.size() < page_size || !c_->wait_for_room()) break;
      }
      if (!c_->resumes_.caught_up(channel_, newest_, send))
        c_->close(ws_close::policy_violation, "too far behind while resuming: more waited than server::max_send_queue_bytes");
      delete this;
    }

   private:
    static constexpr std::size_t page_size = 256;
    asio::executor_work_guard<asio::io_context::executor_type> work_;  // first: destroyed last
    std::shared_ptr<ws_connection> c_;
    std::string channel_;
    std::string last_;    // the id the next page starts after
    std::string newest_;  // the newest id the client has now; empty: unknown
  };

  // Until what waits to be written is under half of max_send_queue_bytes (true), or the connection
  // ends or the client reads nothing for a while (false).
  bool wait_for_room() {
    std::unique_lock lock(send_mutex_);
    ++waiting_for_room_;
    const bool room = closed_.wait_for(lock, std::chrono::seconds(10), [&] {
      return !open_ || queue_.size() + sending_.size() < core_.options.max_send_queue_bytes / 2;
    });
    --waiting_for_room_;
    return room && open_;
  }

  // ---- writing ----

  // Pongs count against the bound like messages: a client that pings and never reads is behind.
  void send_control(ws_opcode opcode, std::string_view payload) {
    std::lock_guard lock(send_mutex_);
    if (!open_) return;
    if (queue_.size() + payload.size() > core_.options.max_send_queue_bytes) return fall_behind_locked();
    append_ws_frame(queue_, opcode, payload);
    post_flush_locked();
  }

  void post_flush_locked() {
    if (flush_posted_) return;
    flush_posted_ = true;
    if (feeding_) return;  // the strand flushes when the read's messages are done
    asio::post(strand_, [self = this->shared_from_this()] { self->flush(); });
  }

  void fall_behind_locked() {
    log().write(log_level::warning, "websocket: closing a client " + std::to_string(core_.options.max_send_queue_bytes) +
                                        " bytes behind (server::max_send_queue_bytes)");
    queue_.clear();  // it will not read them: the close goes out after what is already in flight
    queue_close_locked(ws_close::policy_violation, "too far behind: the server's send queue is full");
  }

  void queue_close_locked(std::uint16_t code, std::string_view reason) {
    if (close_queued_) return;
    close_queued_ = true;
    open_ = false;
    closed_.notify_all();  // streams waiting between values end now
    append_ws_close(queue_, code, reason);
    close_at_ = queue_.size();
    post_flush_locked();
  }
  void queue_empty_close_locked() {
    if (close_queued_) return;
    close_queued_ = true;
    open_ = false;
    closed_.notify_all();  // streams waiting between values end now
    append_ws_frame_head(queue_, ws_opcode::close, 0);
    close_at_ = queue_.size();
    post_flush_locked();
  }

  void flush() {
    bool carries_close = false;
    {
      std::lock_guard lock(send_mutex_);
      flush_posted_ = false;
      if (writing_ || queue_.empty() || phase_ == phase::closed) return;
      sending_.swap(queue_);
      queue_.clear();
      carries_close = close_at_ != 0;
      close_at_ = 0;
      writing_ = true;
    }
    asio::async_write(socket_, asio::buffer(sending_),
                      [self = this->shared_from_this(), carries_close](std::error_code ec, std::size_t) {
                        {
                          std::lock_guard lock(self->send_mutex_);
                          self->writing_ = false;
                          self->sending_.clear();
                          if (self->sending_.capacity() > (std::size_t{256} << 10)) std::string().swap(self->sending_);
                          if (self->waiting_for_room_ != 0) self->closed_.notify_all();
                        }
                        if (self->phase_ == phase::closed) return;
                        if (ec) return self->terminate();
                        if (carries_close) return self->close_sent();
                        self->flush();
                      });
  }

  // Our close is out. Answering the client's close, the TCP connection ends now (the server ends
  // it first, RFC 6455 7.1.1); otherwise our side shuts, and the client's close or end is awaited
  // for a moment.
  void close_sent() {
    if (close_received_) return terminate();
    phase_ = phase::closing;
    std::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    timer_.expires_after(std::chrono::milliseconds(core_.stopping ? linger_ms / 4 : linger_ms));
    timer_.async_wait([self = this->shared_from_this()](std::error_code wait_error) {
      if (!wait_error) self->terminate();
    });
  }

  // ---- heartbeat ----

  void client_alive() { awaiting_pong_ = false; }

  void beat_after(int milliseconds) {
    if (phase_ != phase::open || milliseconds <= 0) return;
    timer_.expires_after(std::chrono::milliseconds(milliseconds));
    timer_.async_wait([self = this->shared_from_this()](std::error_code ec) {
      if (ec || self->phase_ != phase::open) return;
      self->beat();
    });
  }

  void beat() {
    if (pong_due_) {  // the time given to answer the last ping is up
      pong_due_ = false;
      if (awaiting_pong_) {
        log().write(log_level::info, "websocket: no answer to a ping within server::websocket_pong_timeout_s; closing");
        return terminate();
      }
      return beat_after(core_.options.websocket_ping_s * 1000);
    }
    awaiting_pong_ = true;
    pong_due_ = true;
    send_control(ws_opcode::ping, {});
    beat_after(core_.options.websocket_pong_timeout_s * 1000);
  }

  // ---- the end ----

  void terminate() {
    if (phase_ == phase::closed) return;
    phase_ = phase::closed;
    {
      std::lock_guard lock(send_mutex_);
      open_ = false;
      close_queued_ = true;
      closed_.notify_all();
    }
    std::error_code ec;
    timer_.cancel();
    deadline_timer_.cancel();
    socket_.close(ec);
    core_.registry.remove(this);
    core_.app.bus().unsubscribe_all(*this);
    if (connected_) {
      connected_ = false;
      const io_monitor::call_scope busy(core_.monitor);
      core_.ws.on_close(route_, ctx_);
    }
  }

  enum class phase : std::uint8_t { open, closing, closed };

  Core& core_;
  asio::any_io_executor strand_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;           // heartbeat, then the close's linger
  asio::steady_timer deadline_timer_;  // the first message's auth, then idleness
  route_type route_;
  ws_reader reader_;
  std::uint64_t id_;
  std::vector<char> buffer_;
  phase phase_ = phase::open;
  bool awaiting_pong_ = false;
  bool pong_due_ = false;
  bool close_received_ = false;
  bool reader_failed_ = false;
  bool connected_ = false;  // the handler's connect ran: its disconnect is due
  session session_;  // as it was at the handshake (authenticate and the session cookie)
  std::string address_;
  bool awaiting_auth_;  // server::authenticate_message is set and no message has passed it yet
  double tokens_;       // messages the client may still send at once (websocket_max_messages_per_s)
  std::chrono::steady_clock::time_point refilled_;
  std::chrono::steady_clock::time_point last_message_;
  std::unique_ptr<ws_compressor> compressor_;  // null unless the handshake agreed to one
  std::string_view subprotocol_;               // one of server::websocket_subprotocols, or empty
  std::string inflated_;                       // the message being handled, when it came compressed
  context ctx_;
  std::string reply_;
  ws_running_streams running_;
  ws_resumes resumes_;
  std::mutex catch_up_mutex_;
  bool opening_ = false;  // the connect handler runs: catch-ups wait for it
  std::vector<work_item*> deferred_catch_ups_;

  std::mutex send_mutex_;
  std::condition_variable closed_;
  std::atomic<bool> open_{true};
  std::string queue_;
  std::string sending_;
  std::string deflated_;  // a message being compressed, under send_mutex_
  std::size_t close_at_ = 0;  // nonzero: the queue ends with a close frame
  bool close_queued_ = false;
  bool flush_posted_ = false;
  bool feeding_ = false;  // the strand is in feed_then_flush, which flushes at its end
  bool writing_ = false;
  int waiting_for_room_ = 0;  // catch-ups waiting for the queue to drain
};

}  // namespace sb::detail
