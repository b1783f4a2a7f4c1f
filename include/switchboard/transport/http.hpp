#pragma once
// sb::http: every module's endpoints over HTTP on cpp-httplib.
//   /api/<module>/<endpoint>   query string, JSON body (array or object), urlencoded or multipart form
//   /sse/<module>/<endpoint>   the endpoint's stream as server-sent events
//   /api/_describe             modules, endpoints, methods and JSON Schemas
//   everything else            static files, when a directory is configured
// Only the transport headers include httplib.

#include <switchboard/app.hpp>
#include <switchboard/bind.hpp>
#include <switchboard/context.hpp>
#include <switchboard/serve.hpp>
#include <switchboard/session_store.hpp>
#include <switchboard/transport/sse.hpp>
#include <switchboard/transport/static_files.hpp>

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

// Decides who is calling, from a bearer token, a cookie or anything else in the request. It may fill
// the session (user, level, data); an error rejects the call (unauthorized: 401).
using authenticator = std::function<result<void>(const request&, session&)>;

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

inline void send_error(httplib::Response& res, error_kind kind, std::string message, std::string where = {}) {
  response r;
  r.fail(kind, std::move(message), std::move(where));
  std::string body;
  r.write_error_body(body);
  res.status = http_status(kind);
  res.set_content(body, "application/json");
}

// For refusals the error table has no kind for (411, 431): the status is given, the body is the same.
inline void send_refusal(httplib::Response& res, int status, std::string message) {
  send_error(res, error_kind::invalid_argument, std::move(message));
  res.status = status;
  res.set_header("Connection", "close");
}

inline void send_response(httplib::Response& res, response& r) {
  if (!r.ok()) {
    std::string body;
    r.write_error_body(body);
    res.status = http_status(r.error);
    if (r.error == error_kind::unavailable) res.set_header("Retry-After", "1");
    res.set_content(body, "application/json");
    return;
  }
  res.status = 200;
  switch (r.form) {
    case body_form::json: res.set_content(r.body, "application/json"); break;
    case body_form::redirect:
      res.status = r.redirect_status;
      res.set_header("Location", r.body);
      break;
    case body_form::binary:
      if (!r.filename.empty()) {
        std::string safe;
        for (char c : r.filename) safe += (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) ? '_' : c;
        res.set_header("Content-Disposition", "attachment; filename=\"" + safe + "\"");
      }
      res.set_content(r.body, r.content_type.c_str());
      break;
    default: res.set_content(r.body, r.content_type.c_str()); break;
  }
}

inline methods method_of(std::string_view verb) {
  if (verb == "GET" || verb == "HEAD") return get;
  if (verb == "POST") return post;
  if (verb == "PUT") return put;
  if (verb == "PATCH") return patch;
  if (verb == "DELETE") return del;
  return {};
}

inline std::string allow_header(methods allowed) {
  std::string text;
  for (auto [m, name] : {std::pair{get, "GET"}, {post, "POST"}, {put, "PUT"}, {patch, "PATCH"}, {del, "DELETE"}}) {
    if (!allowed.allows(m)) continue;
    if (!text.empty()) text += ", ";
    text += name;
  }
  return text;
}

inline std::string cookie_value(const httplib::Request& req, std::string_view name) {
  const std::string header = req.get_header_value("Cookie");
  std::string_view rest = header;
  while (!rest.empty()) {
    const std::size_t semi = rest.find(';');
    std::string_view part = rest.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    const std::size_t eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
    if (semi == std::string_view::npos) break;
    rest.remove_prefix(semi + 1);
  }
  return {};
}

// A request body read under the size limit (cpp-httplib's own limit misses chunked bodies), with
// multipart parts parsed by cpp-httplib into storage of ours, the same on every cpp-httplib version.
struct body_buffer {
  struct part {
    std::string name, filename, content_type, content;
  };
  std::string bytes;
  std::vector<part> parts;
  bool read = false;  // false: the request has no body of ours (GET), use req.body

  // Kept per thread between requests: what a large request grew is given back.
  void clear() {
    if (bytes.capacity() > (std::size_t{64} << 10)) std::string().swap(bytes);
    bytes.clear();
    if (parts.capacity() > 64) std::vector<part>().swap(parts);
    parts.clear();
    read = false;
  }
};

// The media type of a Content-Type value, lower-cased ("Application/JSON; charset=utf-8" -> "application/json").
inline std::string media_type_of(std::string_view content_type) {
  std::string media(content_type.substr(0, content_type.find(';')));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.pop_back();
  std::size_t first = 0;
  while (first < media.size() && (media[first] == ' ' || media[first] == '\t')) ++first;
  media.erase(0, first);
  for (char& c : media)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return media;
}

inline bool same_field_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

// Reads the body through cpp-httplib's ContentReader, counting bytes; false with `res` filled.
inline bool read_body(const httplib::Request& req, const httplib::ContentReader& reader, std::size_t limit,
                      body_buffer& body, httplib::Response& res) {
  body.clear();
  body.read = true;
  std::size_t total = 0;
  bool too_large = false;
  const auto counted = [&](std::size_t n) {
    total += n;
    too_large = too_large || total > limit;
    return !too_large;
  };
  bool ok = false;
  if (media_type_of(req.get_header_value("Content-Type")) == "multipart/form-data") {
    ok = reader(
        [&](const auto& header) {  // MultipartFormData before cpp-httplib 0.23, FormData since
          // A part's own header counts too, so that many empty parts cannot grow memory for free.
          if (!counted(header.name.size() + header.filename.size() + header.content_type.size() + 64)) return false;
          body.parts.push_back({header.name, header.filename, header.content_type, {}});
          return true;
        },
        [&](const char* data, std::size_t n) {
          if (!counted(n) || body.parts.empty()) return false;
          body.parts.back().content.append(data, n);
          return true;
        });
  } else {
    ok = reader([&](const char* data, std::size_t n) {
      if (!counted(n)) return false;
      body.bytes.append(data, n);
      return true;
    });
  }
  if (too_large || (!ok && res.status == 413)) {
    send_error(res, error_kind::payload_too_large,
               "the request body is larger than " + std::to_string(limit) + " bytes (http::max_body_bytes)");
    res.set_header("Connection", "close");  // the rest of the body is never read
    return false;
  }
  if (!ok) {
    send_error(res, error_kind::invalid_argument, "the request body could not be read (malformed framing or multipart)");
    res.set_header("Connection", "close");
    return false;
  }
  return true;
}

// The request as endpoints see it, with storage for the views it hands out.
struct request_view {
  request info;
  query_fields query;
  query_fields form;
  std::vector<header> headers;
  std::vector<field> multipart_fields;
  std::vector<upload> uploads;
  std::string last_event_id;
  std::string_view body;

  // False with `res` filled when the request cannot be understood. Reusable: buffers keep capacity.
  bool load(const httplib::Request& req, const body_buffer& read, httplib::Response& res) {
    headers.clear();
    multipart_fields.clear();
    uploads.clear();
    const std::size_t question = req.target.find('?');
    const std::string_view query_string =
        question == std::string::npos ? std::string_view{} : std::string_view(req.target).substr(question + 1);
    if (!query.parse(query_string)) {
      send_error(res, error_kind::invalid_argument, query.error(), "query");
      return false;
    }
    for (const auto& [name, value] : req.headers) headers.push_back({name, value});
    for (const auto& part : read.parts) {
      if (part.filename.empty()) multipart_fields.push_back({part.name, part.content});
      else uploads.push_back({part.name, part.filename, part.content_type, part.content});
    }
    body = read.read ? std::string_view(read.bytes) : std::string_view(req.body);
    info = {req.method, req.path, query_string, body, req.remote_addr, req.remote_port,
            headers,    query.fields(), {},   uploads};
    last_event_id = req.get_header_value("Last-Event-ID");
    return true;
  }
};


// The session of one call: loaded from the cookie when the endpoint or the authenticate hook
// needs it, saved (and a cookie set) only when the call changed it.
struct http_session {
  const http& options;
  detail::session_scope scope;
  bool used = false;

  explicit http_session(const http& o) : options(o), scope(*o.sessions) {}

  bool open(const httplib::Request& req, const request& info, bool needed, httplib::Response& res) {
    if (!needed && !options.authenticate) return true;
    used = true;
    scope.open(cookie_value(req, options.session_cookie.name));
    if (options.authenticate) {
      result<void> verdict = options.authenticate(info, scope.current);
      if (!verdict.ok()) {
        const error_kind kind = verdict.error().kind == error_kind::internal ? error_kind::unauthorized
                                                                             : verdict.error().kind;
        send_error(res, kind, std::move(verdict.error().message));
        return false;  // nothing is saved for a refused call
      }
      scope.settle();
    }
    return true;
  }
  void close(httplib::Response& res) {
    if (!used) return;
    const std::string cookie = scope.close(options.session_cookie);
    if (!cookie.empty()) res.set_header("Set-Cookie", cookie);
  }
};

// Builds the call input from the query, a JSON body or a form; false with `res` filled on error.
inline bool call_input_from(const httplib::Request& req, request_view& view, call_input& input,
                            httplib::Response& res) {
  input = {{}, view.query.fields(), true};
  const bool multipart = media_type_of(req.get_header_value("Content-Type")) == "multipart/form-data";
  if (view.body.empty() && !multipart) return true;
  const std::string media = media_type_of(req.get_header_value("Content-Type"));
  if (multipart) {
    if (!view.query.fields().empty()) {
      send_error(res, error_kind::invalid_argument, "send parameters in the query string or in the form, not both",
                 "query");
      return false;
    }
    view.info.form = view.multipart_fields;
    input = {{}, view.multipart_fields, true};
  } else if (media == "application/json" || media.empty()) {
    if (!view.query.fields().empty()) {
      send_error(res, error_kind::invalid_argument, "send parameters in the query string or in the body, not both",
                 "query");
      return false;
    }
    input = {view.body, {}, false};
  } else if (media == "application/x-www-form-urlencoded") {
    if (!view.form.parse(view.body)) {
      send_error(res, error_kind::invalid_argument, view.form.error(), "body");
      return false;
    }
    view.info.form = view.form.fields();
    input = {{}, view.form.fields(), true};
  } else {
    send_error(res, error_kind::unsupported_media_type,
               "unsupported Content-Type \"" + media.substr(0, 100) +
                   "\": send application/json, application/x-www-form-urlencoded or multipart/form-data");
    return false;
  }
  return true;
}

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

template <class App>
std::size_t find_route(const httplib::Request& req, httplib::Response& res) {
  const std::string& module = req.matches[1];
  const std::string& endpoint = req.matches[2];
  const std::size_t index = App::find(module, endpoint);
  if (index == App::npos || App::table[index].internal) {
    send_error(res, error_kind::not_found, "no endpoint named \"" + module + "." + endpoint + "\"");
    return App::npos;
  }
  return index;
}

template <class App>
void handle_api(App& app, const http& options, const httplib::Request& req, httplib::Response& res,
                const body_buffer& body) {
  const std::size_t index = find_route<App>(req, res);
  if (index == App::npos) return;
  const auto& entry = App::table[index];
  if (!entry.allowed.allows(method_of(req.method))) {
    res.set_header("Allow", allow_header(entry.allowed));
    return send_error(res, error_kind::method_not_allowed,
                      req.method + " is not allowed for " + std::string(entry.full_name));
  }
  thread_local request_view view;
  if (!view.load(req, body, res)) return;
  call_input input;
  if (!call_input_from(req, view, input, res)) return;
  http_session session(options);
  if (!session.open(req, view.info, entry.uses_session, res)) return;
  const httplib_hangup hangup(req);
  context ctx;
  ctx.from = origin::http;
  ctx.http = &view.info;
  ctx.session = &session.scope.current;
  ctx.bus = &app;
  ctx.hangup = &hangup;
  thread_local response result;
  app.call_at(index, input, result, ctx);
  session.close(res);
  send_response(res, result);
  app.run_tasks(result);
}

// The streams a server has open, for heartbeats and for ending them at shutdown.
class sse_registry {
 public:
  class stream final : public stream_sink {
   public:
    stream(httplib::DataSink& sink, std::uint64_t first_id) : sink_(sink), next_id_(first_id) {}
    bool send(std::string_view json_text, std::string_view event) override {
      std::lock_guard lock(mutex_);
      if (!open_) return false;
      buffer_.clear();
      format_sse_event(buffer_, next_id_++, event, json_text);
      return write_locked(buffer_);
    }
    bool open() const override { return open_.load(); }
    bool wait_for(std::chrono::milliseconds duration) override {
      std::unique_lock lock(mutex_);
      closed_.wait_for(lock, duration, [this] { return !open_.load(); });
      return open_.load();
    }
    bool write(std::string_view text) {
      std::lock_guard lock(mutex_);
      return open_ && write_locked(text);
    }
    // The closing event has no id: a reconnecting client resumes after the last value, not after it.
    bool final_event(std::string_view event, std::string_view data) {
      std::lock_guard lock(mutex_);
      if (!sink_.is_writable()) return false;
      buffer_.clear();
      format_sse_event(buffer_, 0, event, data);
      return sink_.write(buffer_.data(), buffer_.size());
    }
    void close() {
      {
        std::lock_guard lock(mutex_);
        open_ = false;
      }
      closed_.notify_all();
    }

   private:
    bool write_locked(std::string_view text) {
      if (!sink_.is_writable() || !sink_.write(text.data(), text.size())) {
        open_ = false;
        closed_.notify_all();
      }
      return open_;
    }
    httplib::DataSink& sink_;
    std::mutex mutex_;
    std::atomic<bool> open_{true};
    std::condition_variable closed_;
    std::uint64_t next_id_;
    std::string buffer_;
  };

  bool add(stream* s, std::size_t limit) {
    std::lock_guard lock(mutex_);
    if (closing_ || streams_.size() >= limit) return false;
    streams_.insert(s);
    return true;
  }
  void remove(stream* s) {
    std::lock_guard lock(mutex_);
    streams_.erase(s);
  }
  void heartbeat() {
    std::lock_guard lock(mutex_);
    for (stream* s : streams_) s->write(": heartbeat\n\n");  // a gone client fails here and closes
  }
  void close_all() {
    std::lock_guard lock(mutex_);
    closing_ = true;
    for (stream* s : streams_) s->close();
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return streams_.size();
  }

 private:
  std::mutex mutex_;
  std::set<stream*> streams_;
  bool closing_ = false;
};

// Ids continue after the client's Last-Event-ID when it is a number; anything else starts at 1.
inline std::uint64_t first_event_id(std::string_view last_event_id) {
  std::uint64_t id = 0;
  const auto [end, error] = std::from_chars(last_event_id.data(), last_event_id.data() + last_event_id.size(), id);
  if (error != std::errc{} || end != last_event_id.data() + last_event_id.size() || id == UINT64_MAX) return 1;
  return id + 1;
}

template <class App>
void handle_sse(App& app, const http& options, sse_registry& registry, const httplib::Request& req,
                httplib::Response& res) {
  const std::size_t index = find_route<App>(req, res);
  if (index == App::npos) return;
  auto view = std::make_shared<request_view>();
  if (!view->load(req, body_buffer{}, res)) return;
  // The stream outlives this handler: a session it changes later is not saved (no response
  // header can carry a new cookie any more), so it sees the session as the request found it.
  auto session = std::make_shared<http_session>(options);
  if (!session->open(req, view->info, App::table[index].uses_session, res)) return;
  session->close(res);
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  // The provider runs after this handler returns, so it owns copies of everything it needs.
  res.set_chunked_content_provider(
      "text/event-stream", [&app, &options, &registry, index, view, session](std::size_t, httplib::DataSink& sink) {
        sse_registry::stream stream(sink, first_event_id(view->last_event_id));
        if (!registry.add(&stream, options.max_sse_streams)) {
          stream.final_event("error", R"({"error":{"kind":"too_many_requests","message":"too many open streams"}})");
          sink.done();
          return true;
        }
        stream.write("retry: " + std::to_string(options.sse_retry_ms) + "\n\n");
        context ctx;
        ctx.from = origin::sse;
        ctx.http = &view->info;
        ctx.session = &session->scope.current;
        ctx.sink = &stream;
        ctx.bus = &app;
        ctx.last_event_id = view->last_event_id;
        response result;
        app.call_at(index, {{}, view->query.fields(), true}, result, ctx);
        registry.remove(&stream);
        if (result.ok()) {
          stream.final_event("end", result.form == body_form::json ? std::string_view(result.body) : "null");
        } else {
          std::string body;
          result.write_error_body(body);
          stream.final_event("error", body);
        }
        app.run_tasks(result);
        sink.done();
        return true;
      });
}

enum class cors_grant : std::uint8_t { none, any_origin, with_credentials };

// Listed origins may send credentials; "*" admits every other origin, never with credentials
// (otherwise any web site could call with its visitors' cookies).
inline cors_grant cors_for(const http& options, const std::string& origin) {
  if (origin.empty()) return cors_grant::none;
  bool any = false;
  for (const auto& allowed : options.cors_origins) {
    if (allowed == origin) return cors_grant::with_credentials;
    any = any || allowed == "*";
  }
  return any ? cors_grant::any_origin : cors_grant::none;
}

inline void apply_cors(const http& options, const httplib::Request& req, httplib::Response& res) {
  const std::string origin = req.get_header_value("Origin");
  switch (cors_for(options, origin)) {
    case cors_grant::none: return;
    case cors_grant::any_origin:
      res.set_header("Access-Control-Allow-Origin", "*");
      if (options.cors_origins.size() > 1) res.set_header("Vary", "Origin");  // listed origins get another answer
      return;
    case cors_grant::with_credentials:
      res.set_header("Access-Control-Allow-Origin", origin);
      res.set_header("Access-Control-Allow-Credentials", "true");
      res.set_header("Vary", "Origin");
      return;
  }
}

template <class App>
void handle_preflight(const http& options, const httplib::Request& req, httplib::Response& res) {
  const std::string origin = req.get_header_value("Origin");
  const std::size_t index = App::find(std::string(req.matches[1]), std::string(req.matches[2]));
  if (cors_for(options, origin) == cors_grant::none || index == App::npos) {
    res.status = 403;
    return;
  }
  res.status = 204;
  res.set_header("Access-Control-Allow-Methods", allow_header(App::table[index].allowed) + ", OPTIONS");
  const std::string requested = req.get_header_value("Access-Control-Request-Headers");
  res.set_header("Access-Control-Allow-Headers", requested.empty() ? "Content-Type, Authorization" : requested);
  res.set_header("Access-Control-Max-Age", "600");
}

inline void serve_static(const http& options, const httplib::Request& req, httplib::Response& res) {
  const auto file = resolve_static(options.static_dir, req.path);
  if (!file) {
    const_cast<httplib::Request&>(req).ranges.clear();  // an error body is never cut to a range
    return send_error(res, error_kind::not_found, "no such file: " + req.path.substr(0, 200));
  }
  std::ifstream in(*file, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  res.set_content(content.str(), std::string(content_type_for(file->string())).c_str());
}

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

inline bool is_api_path(std::string_view path) { return path.substr(0, 5) == "/api/"; }

// /api/<module>/<endpoint>: the only requests whose bodies are read, through the counting reader.
inline bool is_endpoint_path(std::string_view path) {
  if (!is_api_path(path)) return false;
  path.remove_prefix(5);
  const std::size_t slash = path.find('/');
  return slash != 0 && slash != std::string_view::npos && slash + 1 < path.size() &&
         path.find('/', slash + 1) == std::string_view::npos;
}

inline bool is_body_method(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// What runs before routing: limits cpp-httplib does not apply itself.
inline httplib::Server::HandlerResponse screen_request(const http& options, const httplib::Request& req,
                                                      httplib::Response& res) {
  using handled = httplib::Server::HandlerResponse;
  if (!within_header_budget(options, req, res)) return handled::Handled;
  auto& request = const_cast<httplib::Request&>(req);  // the request object is not const
  // Only endpoint bodies are read through the counting reader. Anywhere else cpp-httplib would read
  // a chunked body, a compressed one (inflated) or one without any length (until the client
  // closes) without a limit; a Content-Length body it bounds itself.
  const bool body_route = is_endpoint_path(req.path) && is_body_method(req.method);
  if (req.has_header("Transfer-Encoding") && !body_route) {
    send_refusal(res, 411, "a chunked body is accepted only by /api/<module>/<endpoint> POST, PUT, PATCH and DELETE: "
                           "send Content-Length");
    return handled::Handled;
  }
  if (req.has_header("Content-Encoding") && !body_route) {
    send_refusal(res, 415, "a compressed body is accepted only by /api/<module>/<endpoint>");
    return handled::Handled;
  }
  // Media types are case-insensitive, but cpp-httplib's multipart reader knows only the lower-case
  // spelling: it gets that, with the parameters (the boundary) as sent.
  for (auto& [name, value] : request.headers) {
    if (!same_field_name(name, "Content-Type")) continue;
    const std::size_t semicolon = value.find(';');
    if (media_type_of(value) == "multipart/form-data")
      value = "multipart/form-data" + (semicolon == std::string::npos ? std::string() : value.substr(semicolon));
  }
  // RFC 9112: a request with neither Content-Length nor Transfer-Encoding has no body.
  if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding"))
    request.set_header("Content-Length", "0");
  // cpp-httplib would cut any response to a Range header (errors and SSE included); only static
  // files are meant to be ranged.
  const bool static_get = !options.static_dir.empty() && (req.method == "GET" || req.method == "HEAD") &&
                          !is_api_path(req.path) && req.path.substr(0, 5) != "/sse/";
  if (!static_get) request.ranges.clear();
  return handled::Unhandled;
}

}  // namespace detail

template <class App>
void http::run(App& app, shutdown& stop) const {
  httplib::Server server;
  detail::sse_registry streams;
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
  server.set_pre_routing_handler(
      [&options](const httplib::Request& req, httplib::Response& res) { return detail::screen_request(options, req, res); });
  server.set_post_routing_handler(
      [&options](const httplib::Request& req, httplib::Response& res) { detail::apply_cors(options, req, res); });
  server.Get("/api/_describe", [&app](const httplib::Request&, httplib::Response& res) {
    res.set_content(app.describe(), "application/json");
  });
  const auto api = [&app, &options](const httplib::Request& req, httplib::Response& res) {
    detail::handle_api(app, options, req, res, detail::body_buffer{});
  };
  const auto api_with_body = [&app, &options](const httplib::Request& req, httplib::Response& res,
                                              const httplib::ContentReader& reader) {
    thread_local detail::body_buffer body;
    if (detail::read_body(req, reader, options.max_body_bytes, body, res)) detail::handle_api(app, options, req, res, body);
  };
  const char* api_route = R"(/api/([^/]+)/([^/]+))";
  server.Get(api_route, api);
  server.Post(api_route, api_with_body);
  server.Put(api_route, api_with_body);
  server.Patch(api_route, api_with_body);
  server.Delete(api_route, api_with_body);
  server.Options(api_route, [&options](const httplib::Request& req, httplib::Response& res) {
    detail::handle_preflight<App>(options, req, res);
  });
  server.Get(R"(/sse/([^/]+)/([^/]+))", [&app, &options, &streams](const httplib::Request& req, httplib::Response& res) {
    detail::handle_sse(app, options, streams, req, res);
  });
  if (!static_dir.empty()) {
    server.Get(R"(/(?!api/|sse/).*)", [&options](const httplib::Request& req, httplib::Response& res) {
      detail::serve_static(options, req, res);
    });
  }
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || res.status == 204) return;
    const int status = res.status;
    const auto kind = status == 413 ? error_kind::payload_too_large
                      : status == 404 ? error_kind::not_found
                      : status == 403 ? error_kind::forbidden
                      : status >= 500 ? error_kind::internal
                                      : error_kind::invalid_argument;
    detail::send_error(res, kind,
                       status == 404   ? "no route for " + req.path.substr(0, 200)
                       : status == 400 ? "the request could not be parsed (malformed, or beyond cpp-httplib's own limits)"
                                       : "request failed");
    res.status = status;
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
      streams.heartbeat();
      sessions->sweep();  // expired sessions go even when nobody asks for them
    }
  });
  stop.on_request([&] {
    streams.close_all();  // streams end with their final event, then the server stops
    server.stop();
  });
  const int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    log().write(log_level::error, "http: cannot listen on " + host + ":" + std::to_string(port));
  } else {
    log().write(log_level::info, "http: listening on http://" + host + ":" + std::to_string(bound));
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
