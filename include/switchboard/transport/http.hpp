#pragma once
// sb::http: the HTTP API (protocol/http_api.hpp) on cpp-httplib, a thread per open connection.
// The simple alternative to sb::server; it serves HTTP and SSE, not WebSocket. Only this header
// includes httplib.

#include <switchboard/app.hpp>
#include <switchboard/protocol/http_api.hpp>
#include <switchboard/serve.hpp>

#include <httplib.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <type_traits>
#include <utility>
#include <chrono>
#include <condition_variable>
#include <algorithm>
#include <cstddef>
#include <deque>
#include <fstream>
#include <list>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace sb {

struct http {
  std::string host = "127.0.0.1";
  int port = 8080;                        // 0: any free port, reported to on_listening
  // cpp-httplib gives each open connection (keep-alive or SSE) a thread of its own. The pool starts
  // with `threads` and grows on demand up to `max_threads`, so busy connections are never starved by
  // a fixed worker count; threads left idle for 30 s retire.
  std::size_t threads = 8;
  std::size_t max_threads = 1100;
  std::size_t max_sse_streams = 1024;     // concurrent SSE streams; more get an error event
  std::size_t max_body_bytes = 1 << 20;   // larger bodies get 413, Content-Length or chunked
  std::size_t max_header_count = 100;     // more header fields get 431
  std::size_t max_header_bytes = 16384;   // request line and header fields together; more get 431
  int read_timeout_s = 5;
  int write_timeout_s = 5;
  int keep_alive_timeout_s = 5;
  std::size_t keep_alive_max_requests = 100000;  // cpp-httplib's default closes after 5
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
  sb::session_cookie session_cookie;      // name, Secure, SameSite, Path
  std::shared_ptr<session_store> sessions = std::make_shared<memory_session_store>();
  authenticator authenticate;             // empty: every call is allowed
  std::function<void(int port)> on_listening;

  template <class App>
  void run(App& app, shutdown& stop) const;
};

namespace detail {

// cpp-httplib 0.15 made TaskQueue::enqueue return whether the job was taken; older ones return void.
using task_queue_enqueue_result =
    decltype(std::declval<httplib::TaskQueue&>().enqueue(std::declval<std::function<void()>>()));

// A thread pool that grows when every worker is busy, up to a cap, and shrinks back when idle.
class elastic_pool final : public httplib::TaskQueue {
 public:
  elastic_pool(std::size_t min_threads, std::size_t max_threads)
      : min_(std::max<std::size_t>(1, min_threads)), max_(std::max(min_, max_threads)) {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < min_; ++i) spawn_locked();
  }
  ~elastic_pool() override { shutdown(); }

  task_queue_enqueue_result enqueue(std::function<void()> job) override {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(job));
      if (idle_ < jobs_.size() && live_ < max_) spawn_locked();
    }
    ready_.notify_one();
    return accepted<task_queue_enqueue_result>();
  }

  void shutdown() override {
    std::list<std::thread> all;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
      all.splice(all.end(), threads_);
      all.splice(all.end(), retired_);
    }
    ready_.notify_all();
    for (auto& t : all) t.join();
  }

  template <class R>
  static R accepted() {
    if constexpr (std::is_same_v<R, bool>) return true;
  }

  std::size_t live() {
    std::lock_guard lock(mutex_);
    return live_;
  }

 private:
  void spawn_locked() {
    for (auto& t : retired_) t.join();  // they have left work() and need no lock to finish
    retired_.clear();
    ++live_;
    threads_.emplace_back();
    auto self = std::prev(threads_.end());
    *self = std::thread([this, self] { work(self); });
  }
  void work(std::list<std::thread>::iterator self) {
    std::unique_lock lock(mutex_);
    for (;;) {
      ++idle_;
      const bool woke = ready_.wait_for(lock, std::chrono::seconds(30), [this] { return stopping_ || !jobs_.empty(); });
      --idle_;
      if (jobs_.empty()) {
        if (stopping_) break;
        if (!woke && live_ > min_) {  // idle too long: retire, to be joined by the next spawn
          retired_.splice(retired_.end(), threads_, self);
          break;
        }
        continue;
      }
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
    --live_;
  }

  const std::size_t min_;
  const std::size_t max_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  std::list<std::thread> threads_;
  std::list<std::thread> retired_;
  std::size_t live_ = 0;
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

inline void send_output(const http_output& out, httplib::Response& res) {
  res.status = out.status;
  out.for_each_field([&](std::string_view name, std::string_view value) {
    res.set_header(std::string(name), std::string(value));
  });
  if (out.close) res.set_header("Connection", "close");
  if (!out.content_type.empty()) res.set_content(out.body, out.content_type.c_str());
}

// For refusals of cpp-httplib's own making (431 before the API sees the request).
inline void send_refusal(httplib::Response& res, int status, std::string_view message) {
  http_output out;
  refuse(out, status, message);
  send_output(out, res);
}

// cpp-httplib parses multipart bodies itself when it sees that media type; the API parses them, so
// cpp-httplib is shown another type and the one sent travels in a field of ours.
inline constexpr const char* multipart_field = "X-Switchboard-Multipart-Type";

// Reads the body through cpp-httplib's ContentReader under the limit (cpp-httplib's own misses
// chunked bodies); false with `res` filled.
inline bool read_body(const httplib::ContentReader& reader, std::size_t limit, std::string& body, httplib::Response& res) {
  body.clear();
  if (body.capacity() > (std::size_t{64} << 10)) std::string().swap(body);  // what a large request grew goes back
  bool too_large = false;
  const bool ok = reader([&](const char* data, std::size_t n) {
    too_large = too_large || body.size() + n > limit;
    if (!too_large) body.append(data, n);
    return !too_large;
  });
  if (too_large || (!ok && res.status == 413)) {
    http_output out;
    fail(out, error_kind::payload_too_large,
         "the request body is larger than " + std::to_string(limit) + " bytes (max_body_bytes)");
    out.close = true;  // the rest of the body is never read
    send_output(out, res);
    return false;
  }
  if (!ok) {
    send_refusal(res, 400, "the request body could not be read (malformed chunked framing)");
    return false;
  }
  return true;
}

// The request's header fields as views, the multipart media type restored.
inline void header_views(const httplib::Request& req, std::vector<header>& headers) {
  headers.clear();
  const std::string* multipart = nullptr;
  for (const auto& [name, value] : req.headers)
    if (name == multipart_field) multipart = &value;
  for (const auto& [name, value] : req.headers) {
    if (name == multipart_field) continue;
    if (multipart && equals_ignoring_case(name, "Content-Type")) headers.push_back({name, *multipart});
    else headers.push_back({name, value});
  }
}

inline http_input input_of(const httplib::Request& req, std::span<const header> headers, std::string_view body,
                           const hangup_probe* hangup) {
  const std::size_t question = req.target.find('?');
  const std::string_view target = req.target;
  http_input in;
  in.method = req.method;
  in.path = target.substr(0, question);
  in.query = question == std::string::npos ? std::string_view{} : target.substr(question + 1);
  in.headers = headers;
  in.body = body;
  in.remote_address = req.remote_addr;
  in.remote_port = req.remote_port;
  in.hangup = hangup;
  return in;
}

// An SSE stream's bytes go to the DataSink cpp-httplib hands the content provider.
struct httplib_sse_output final : sse_output {
  httplib::DataSink* sink = nullptr;
  bool write(std::string_view bytes) override {
    return sink && sink->is_writable() && sink->write(bytes.data(), bytes.size());
  }
};

// Whether the client of a request handled on this thread has closed its connection. Newer
// cpp-httplib says so itself; with older ones the connection's socket is found by its addresses
// (once, when first asked) and polled for a hang-up.
class httplib_hangup final : public hangup_probe {
 public:
  explicit httplib_hangup(const httplib::Request& req) : req_(req) {}
  bool hung_up() const override { return closed(req_); }

 private:
  template <class Request>
  bool closed(const Request& req) const {
    if constexpr (requires { req.is_connection_closed(); }) {
      return req.is_connection_closed && req.is_connection_closed();
    } else {
      if (socket_ == unknown) socket_ = find_socket();
      if (socket_ < 0) return false;
      pollfd probe{socket_, static_cast<short>(POLLIN | POLLRDHUP), 0};
      return ::poll(&probe, 1, 0) > 0 && (probe.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
    }
  }

  static constexpr int unknown = -2;
  static int port_of(const sockaddr_storage& a) {
    if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
    if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
    return -1;
  }
  // As cpp-httplib spells it in Request::remote_addr (inet_ntop of the peer address).
  static bool same_address(const sockaddr_storage& a, const std::string& text) {
    char buffer[INET6_ADDRSTRLEN] = {};
    const void* raw = a.ss_family == AF_INET6 ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr)
                                              : static_cast<const void*>(&reinterpret_cast<const sockaddr_in&>(a).sin_addr);
    return ::inet_ntop(a.ss_family, raw, buffer, sizeof buffer) && text == buffer;
  }
  // The thread serving this request owns the socket until the handler returns, so the descriptor
  // found stays this connection's for as long as the probe lives.
  int find_socket() const {
#if defined(__linux__)
    DIR* fds = ::opendir("/proc/self/fd");
    if (!fds) return -1;
    int found = -1;
    while (const dirent* entry = ::readdir(fds)) {
      const int fd = std::atoi(entry->d_name);
      if (fd <= 2 || fd == ::dirfd(fds)) continue;
      sockaddr_storage local{}, peer{};
      socklen_t local_size = sizeof local, peer_size = sizeof peer;
      if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_size) != 0) continue;
      if (port_of(local) != req_.local_port) continue;
      if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_size) != 0) continue;
      if (port_of(peer) != req_.remote_port || !same_address(peer, req_.remote_addr)) continue;
      found = fd;
      break;
    }
    ::closedir(fds);
    return found;
#else
    return -1;
#endif
  }

  const httplib::Request& req_;
  mutable int socket_ = unknown;
};

// The request line and header fields within the configured budget; false with a 431 in `res`.
inline bool within_header_budget(const http& options, const httplib::Request& req, httplib::Response& res) {
  std::size_t bytes = req.method.size() + req.target.size() + 16;
  for (const auto& [name, value] : req.headers) bytes += name.size() + value.size() + 4;
  if (req.headers.size() <= options.max_header_count && bytes <= options.max_header_bytes) return true;
  send_refusal(res, 431,
               "request header fields too large: " + std::to_string(req.headers.size()) + " fields, " +
                   std::to_string(bytes) + " bytes (limits: http::max_header_count = " +
                   std::to_string(options.max_header_count) +
                   ", http::max_header_bytes = " + std::to_string(options.max_header_bytes) + ")");
  return false;
}

// What runs before routing: the limits cpp-httplib does not apply itself, and the API's screening
// of the head, before cpp-httplib reads any body.
template <class Api>
httplib::Server::HandlerResponse screen_request(const http& options, const Api& api, const httplib::Request& req,
                                                httplib::Response& res) {
  using handled = httplib::Server::HandlerResponse;
  if (!within_header_budget(options, req, res)) return handled::Handled;
  auto& request = const_cast<httplib::Request&>(req);  // the request object is not const
  request.headers.erase(multipart_field);  // only ours, never the client's
  std::vector<header> headers;
  header_views(req, headers);
  http_output out;
  if (!api.screen(input_of(req, headers, {}, nullptr), out)) {
    send_output(out, res);
    return handled::Handled;
  }
  std::string media;
  for (auto& [name, value] : request.headers) {
    if (!equals_ignoring_case(name, "Content-Type") || media_type_of(value, media) != "multipart/form-data") continue;
    std::string sent = std::move(value);
    value = "application/octet-stream";
    request.headers.emplace(multipart_field, std::move(sent));
    break;
  }
  // RFC 9112: a request with neither Content-Length nor Transfer-Encoding has no body.
  if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding"))
    request.set_header("Content-Length", "0");
  request.ranges.clear();  // the API answers Range itself (static files only)
  return handled::Unhandled;
}

template <class Api>
void handle(Api& api, const httplib::Request& req, httplib::Response& res, std::string_view body) {
  const httplib_hangup hangup(req);
  if (!api.may_stream(req.path)) {
    thread_local std::vector<header> headers;
    thread_local http_output out;
    header_views(req, headers);
    httplib_sse_output unused;
    api.handle(input_of(req, headers, body, &hangup), out, unused);
    return send_output(out, res);
  }
  // A stream runs in the content provider, after this handler returns: what it views is kept here.
  struct held {
    std::vector<header> headers;
    httplib_sse_output output;
    http_output out;
  };
  auto state = std::make_shared<held>();
  header_views(req, state->headers);
  std::shared_ptr<typename Api::stream_call> call =
      api.handle(input_of(req, state->headers, body, &hangup), state->out, state->output);
  if (!call) return send_output(state->out, res);
  state->out.content_type.clear();  // the provider sends the stream instead of a body
  send_output(state->out, res);
  res.set_chunked_content_provider("text/event-stream", [&api, call, state](std::size_t, httplib::DataSink& sink) {
    state->output.sink = &sink;
    api.run_stream(*call);
    sink.done();
    return true;
  });
}

}  // namespace detail

template <class App>
void http::run(App& app, shutdown& stop) const {
  httplib::Server server;
  http_api<App, http> api(app, *this);
  server.set_tcp_nodelay(true);  // without it keep-alive throughput collapses (Nagle + delayed ACK)
  const std::size_t min_workers = threads;
  const std::size_t max_workers = std::max(max_threads, threads);
  server.new_task_queue = [min_workers, max_workers] { return new detail::elastic_pool(min_workers, max_workers); };
  server.set_payload_max_length(max_body_bytes);
  server.set_read_timeout(read_timeout_s, 0);
  server.set_write_timeout(write_timeout_s, 0);
  server.set_keep_alive_timeout(keep_alive_timeout_s);
  server.set_keep_alive_max_count(keep_alive_max_requests);
  const http& options = *this;
  server.set_pre_routing_handler([&options, &api](const httplib::Request& req, httplib::Response& res) {
    return detail::screen_request(options, api, req, res);
  });
  // Every route is the API's: one handler without a body, one reading it.
  const auto without_body = [&api](const httplib::Request& req, httplib::Response& res) {
    detail::handle(api, req, res, req.body);
  };
  const auto with_body = [&api, &options](const httplib::Request& req, httplib::Response& res,
                                          const httplib::ContentReader& reader) {
    thread_local std::string body;
    if (detail::read_body(reader, options.max_body_bytes, body, res)) detail::handle(api, req, res, body);
  };
  const char* every_path = ".*";
  server.Get(every_path, without_body);
  server.Options(every_path, without_body);
  server.Post(every_path, with_body);
  server.Put(every_path, with_body);
  server.Patch(every_path, with_body);
  server.Delete(every_path, with_body);
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || res.status == 204) return;
    const int status = res.status;
    http_output out;
    const auto kind = status == 413 ? error_kind::payload_too_large
                      : status == 404 ? error_kind::not_found
                      : status >= 500 ? error_kind::internal
                                      : error_kind::invalid_argument;
    detail::fail(out, kind,
                 status == 404   ? "no route for " + req.method + " " + req.path.substr(0, 200)
                 : status == 400 ? "the request could not be parsed (malformed, or beyond cpp-httplib's own limits)"
                                 : "request failed");
    out.status = status;
    detail::send_output(out, res);
  });

  // Heartbeats keep streams alive through proxies and reveal clients that went away.
  std::mutex beat_mutex;
  std::condition_variable beat;
  bool beating = true;
  std::thread heart([&] {
    std::unique_lock lock(beat_mutex);
    while (beating) {
      beat.wait_for(lock, std::chrono::seconds(sse_heartbeat_s));
      if (!beating) break;
      api.heartbeat();
      sessions->sweep();  // expired sessions go even when nobody asks for them
    }
  });
  // Forgotten before `server` and `api` go (a request on the signal thread may be calling it).
  const shutdown::scoped_waker waker(stop, [&] {
    api.close_streams();  // streams end with their final event, then the server stops
    server.stop();
  });
  const int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    log().write(log_level::error, "http: cannot listen on " + host + ":" + std::to_string(port));
  } else {
    log().write(log_level::info, "http: listening on http://" + host + ":" + std::to_string(bound) + " (cpp-httplib)");
    if (on_listening) on_listening(bound);
    if (!stop.requested()) server.listen_after_bind();
  }
  stop.request();  // fire this transport's waker while what it references is still alive
  {
    std::lock_guard lock(beat_mutex);
    beating = false;
  }
  beat.notify_all();
  heart.join();
}

}  // namespace sb
