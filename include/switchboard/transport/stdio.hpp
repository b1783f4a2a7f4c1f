#pragma once
// sb::stdio: an app as a child process that speaks over its standard input and output.
//
// JSON-RPC mode (the default, the framing MCP uses over stdio): one JSON-RPC 2.0 message per line
// on stdin ('\n'-terminated, a trailing '\r' is ignored, blank lines are skipped), one response or
// notification per line on stdout, written as soon as it is ready. Logs go to stderr only.
//   - A line that is not JSON gets {"jsonrpc":"2.0","error":{"code":-32700,...},"id":null}.
//   - A line longer than max_line_bytes gets a -32600 error (data.kind "payload_too_large", id null);
//     its bytes are skipped as they arrive, never buffered.
//   - Requests run on `workers` threads, so a slow call does not hold up the ones behind it; responses
//     come in completion order (match them by id). Each line is written whole: never interleaved.
//     With workers = 0 calls run one at a time on the reading thread, answered in request order.
//   - An endpoint taking sb::stream<T> sends each value as a notification before its response:
//       {"jsonrpc":"2.0","method":"stream","params":{"id":<request id>,"value":<value>}}
//     (with "event":"<name>" added for emit_event). Inside a batch, or for a notification, values
//     are collected into the result array as on transports that cannot stream.
//   - MCP's methods (initialize, tools/list, tools/call, ...: protocol/mcp.hpp) are answered too, so
//     the same binary is an MCP server over stdio with nothing to select; notifications/cancelled
//     is taken as soon as it is read (with workers = 0, only between calls).
//   - End of input: the calls already read are finished and answered, then run() returns (sb::app's
//     serve() then runs the modules' on_stop() and returns 0). SIGINT/SIGTERM: calls in flight
//     finish, requests not yet started are dropped.
//
// Guarding stdout: with guard_stdout (the default) and output_fd == 1, run() moves the protocol to a
// duplicate of file descriptor 1 and points descriptor 1 at stderr (dup2), for the rest of the
// process. printf, std::cout, a child process's output and anything else written to fd 1 then lands
// in the log instead of corrupting the protocol. Bytes printed before run() and still sitting in
// stdio's buffer are flushed to stderr too. SIGPIPE is ignored (when it has its default action) so
// that a vanished reader ends the transport rather than the process.
//
// Event mode (protocol = stdio_protocol::events): lines are `TYPE|sender|data`, split at the first
// two '|' only (data may contain '|'). In data, a newline is written as the two characters "\n", a
// carriage return as "\r" and a backslash as "\\"; any other backslash stands for itself.
//   - At start the tool writes SUBSCRIBE|<name>|<TYPE> for each type it handles, then
//     TOOL_READY|<name>|<description>.
//   - Mapping: with `routes` empty, every endpoint that is neither hidden nor internal handles the
//     type spelled as its name in upper snake case (endpoint `ping` handles PING, `toUpperCase`
//     handles TO_UPPER_CASE; when two modules clash, the first in "<module>.<endpoint>" order wins).
//     With `routes`, exactly those: {.type = "PING", .endpoint = "pong.ping"}; type "*" takes every
//     type that has no route of its own and is announced as SUBSCRIBE|<name>|*.
//   - The call: data (unescaped) is the endpoint's first argument, as a JSON string when that
//     parameter is a string, as JSON text otherwise; an endpoint without parameters is called with
//     none. `const sb::event_line&` is injected for the type, sender and data of the line.
//   - Replies: a result other than null is sent as <reply>|<name>|<data> where reply is the route's
//     `reply` (default "<TYPE>_RESULT"); an sb::stream<T> emits live, each value under the reply type,
//     or under the name given to emit_event: out.emit_event("PONG", "pong") writes PONG|<name>|pong.
//     A string is sent as its text, anything else as compact JSON. An error is sent as
//     ERROR|<name>|{"type":"<TYPE>","kind":"<kind>","message":"..."}.
//   - Malformed and over-long lines, and types nobody handles, are logged to stderr and skipped.

#include <switchboard/app.hpp>
#include <switchboard/context.hpp>
#include <switchboard/invoke.hpp>
#include <switchboard/json/read.hpp>
#include <switchboard/json/write.hpp>
#include <switchboard/log.hpp>
#include <switchboard/module.hpp>
#include <switchboard/protocol/event_lines.hpp>
#include <switchboard/protocol/lines.hpp>
#include <switchboard/protocol/mcp.hpp>
#include <switchboard/serve.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace sb {

enum class stdio_protocol : std::uint8_t { jsonrpc, events };

// One event type handled by one endpoint (event mode).
struct event_route {
  std::string type;      // "PING"; "*" for every type without a route of its own
  std::string endpoint;  // "<module>.<endpoint>"
  std::string reply{};   // the type of the line a non-null result is sent as; empty: "<TYPE>_RESULT"
};

// The line an event-mode call is handling; inject it with a `const sb::event_line&` parameter.
// Empty outside event mode. Views are valid for the duration of the call.
struct event_line {
  std::string_view type;
  std::string_view sender;
  std::string_view data;  // unescaped
};

struct stdio {
  stdio_protocol protocol = stdio_protocol::jsonrpc;
  std::string name = "switchboard";  // event mode: the sender field of every line this tool writes
  std::string description{};         // event mode: the text of TOOL_READY
  std::vector<event_route> routes{}; // event mode: empty = every visible endpoint (see above)
  std::size_t max_line_bytes = std::size_t{1} << 20;
  std::size_t workers = 2;         // threads running calls; 0 = one at a time on the reading thread
  std::size_t queue_lines = 1024;  // lines read ahead of the workers before reading pauses
  bool guard_stdout = true;        // see above; only applies when output_fd is 1
  mcp_options mcp{};               // JSON-RPC mode answers MCP's methods too (protocol/mcp.hpp)
  int input_fd = STDIN_FILENO;
  int output_fd = STDOUT_FILENO;

  template <class App>
  void run(App& app, shutdown& stop) const;
};

namespace detail {
inline thread_local const event_line* current_event_line = nullptr;
}  // namespace detail

template <>
struct inject<event_line> {
  static const event_line& get(context&) {
    static const event_line none{};
    return detail::current_event_line ? *detail::current_event_line : none;
  }
};

}  // namespace sb

// ---- the transport ----

namespace sb::detail {

// Writes all of `bytes`, waiting for room when the descriptor is non-blocking. False when the
// descriptor is broken, or when `give_up` says so while no progress can be made.
template <class GiveUp>
bool write_fully(int fd, std::string_view bytes, GiveUp&& give_up) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 100) == 0 && give_up()) return false;
      continue;
    }
    return false;
  }
  return true;
}

// Descriptor 1 → stderr; returns the duplicate that keeps the original stdout for the protocol.
inline int guard_stdout() {
  const int protocol = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (protocol < 0) return STDOUT_FILENO;
  if (::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    ::close(protocol);
    return STDOUT_FILENO;
  }
  std::fflush(stdout);  // whatever user code had buffered goes to stderr now
  return protocol;
}

// Where finished lines go. Threaded: callers append to a buffer that one writer thread drains, so a
// line is visible as soon as it is submitted and lines never interleave. Otherwise submit() writes.
class stdio_output {
 public:
  stdio_output(int fd, bool threaded, const shutdown& stop) : fd_(fd), threaded_(threaded), stop_(stop) {
    struct stat info {};
    // Only a pipe or socket of our own is made non-blocking (a terminal is shared with the shell), so
    // that shutdown cannot hang on a reader that stopped reading.
    if (::fstat(fd_, &info) == 0 && (S_ISFIFO(info.st_mode) || S_ISSOCK(info.st_mode))) {
      const int flags = ::fcntl(fd_, F_GETFL);
      if (flags >= 0 && (flags & O_NONBLOCK) == 0 && ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK) == 0)
        restore_flags_ = flags;
    }
    if (threaded_) writer_ = std::thread([this] { drain(); });
  }
  stdio_output(const stdio_output&) = delete;
  stdio_output& operator=(const stdio_output&) = delete;
  ~stdio_output() { finish(); }

  // Whole lines, each ending in '\n'.
  void submit(std::string_view lines) {
    if (lines.empty()) return;
    std::unique_lock lock(mutex_);
    if (!threaded_) {
      if (!broken_ && !write_fully(fd_, lines, [this] { return give_up(); })) broken_ = true;
      return;
    }
    room_.wait(lock, [&] { return pending_.size() < limit || broken_ || finishing_; });
    if (broken_) return;
    pending_.append(lines);
    if (writer_idle_) ready_.notify_one();
  }

  void finish() {
    {
      std::lock_guard lock(mutex_);
      finishing_ = true;
    }
    ready_.notify_all();
    if (writer_.joinable()) writer_.join();
    if (restore_flags_ >= 0) ::fcntl(fd_, F_SETFL, restore_flags_);  // the descriptor may be shared
    restore_flags_ = -1;
  }

  bool broken() const { return broken_; }

 private:
  static constexpr std::size_t limit = std::size_t{16} << 20;

  // After shutdown, a reader that takes nothing for two seconds is given up on.
  bool give_up() {
    if (!stop_.requested()) return false;
    const auto now = std::chrono::steady_clock::now();
    if (stalled_since_ == std::chrono::steady_clock::time_point{}) stalled_since_ = now;
    return now - stalled_since_ > std::chrono::seconds(2);
  }

  void drain() {
    std::string writing;
    std::unique_lock lock(mutex_);
    for (;;) {
      writer_idle_ = true;
      ready_.wait(lock, [&] { return !pending_.empty() || finishing_; });
      writer_idle_ = false;
      if (pending_.empty()) return;
      writing.swap(pending_);
      room_.notify_all();
      lock.unlock();
      const bool ok = broken_ || write_fully(fd_, writing, [this] { return give_up(); });
      writing.clear();
      if (writing.capacity() > limit) std::string().swap(writing);
      lock.lock();
      if (!ok) {
        broken_ = true;
        pending_.clear();
        room_.notify_all();
      }
    }
  }

  int fd_;
  int restore_flags_ = -1;
  bool threaded_;
  const shutdown& stop_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable room_;
  std::string pending_;
  bool writer_idle_ = false;
  bool finishing_ = false;
  std::atomic<bool> broken_{false};
  std::chrono::steady_clock::time_point stalled_since_{};
  std::thread writer_;
};

// Lines waiting for a worker: a ring of strings that keep their capacity (no allocation once warm).
class stdio_line_queue {
 public:
  stdio_line_queue(std::size_t lines, std::size_t max_bytes) : ring_(lines == 0 ? 1 : lines), max_bytes_(max_bytes) {}

  // Waits for room; false when `abandon` turns true first.
  template <class Abandon>
  bool push(std::string_view line, Abandon&& abandon) {
    std::unique_lock lock(mutex_);
    while (count_ == ring_.size() || (count_ > 0 && bytes_ + line.size() > max_bytes_)) {
      if (abandon()) return false;
      ++pushers_waiting_;
      room_.wait_for(lock, std::chrono::milliseconds(50));
      --pushers_waiting_;
    }
    ring_[(head_ + count_) % ring_.size()].assign(line);
    ++count_;
    bytes_ += line.size();
    if (poppers_waiting_ > 0) ready_.notify_one();
    return true;
  }

  // The next line into `into` (whose old buffer goes back to the ring); false once closed and empty.
  bool pop(std::string& into) {
    std::unique_lock lock(mutex_);
    ++poppers_waiting_;
    ready_.wait(lock, [&] { return count_ > 0 || closed_; });
    --poppers_waiting_;
    if (count_ == 0) return false;
    into.clear();
    if (into.capacity() > shrink_above) std::string().swap(into);
    into.swap(ring_[head_]);
    head_ = (head_ + 1) % ring_.size();
    --count_;
    bytes_ -= into.size();
    if (pushers_waiting_ > 0) room_.notify_one();
    return true;
  }

  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

  // Drops the lines nobody has started; returns how many.
  std::size_t discard() {
    std::lock_guard lock(mutex_);
    const std::size_t dropped = count_;
    count_ = 0;
    bytes_ = 0;
    return dropped;
  }

 private:
  static constexpr std::size_t shrink_above = std::size_t{1} << 16;
  std::vector<std::string> ring_;
  std::size_t max_bytes_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::size_t bytes_ = 0;
  std::size_t pushers_waiting_ = 0;
  std::size_t poppers_waiting_ = 0;
  bool closed_ = false;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable room_;
};

// Wakes the reading thread from poll(); shared with the shutdown waker, which may outlive run().
struct stdio_wakeup {
  std::mutex mutex;
  int fds[2] = {-1, -1};
  bool open = false;

  stdio_wakeup() {
    if (::pipe(fds) == 0) {
      for (int fd : fds) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      }
      open = true;
    }
  }
  ~stdio_wakeup() { close(); }
  void wake() {
    std::lock_guard lock(mutex);
    if (open && ::write(fds[1], "x", 1) < 0) {
      // full: a wake-up is pending anyway
    }
  }
  void close() {
    std::lock_guard lock(mutex);
    if (!open) return;
    ::close(fds[0]);
    ::close(fds[1]);
    open = false;
  }
};

// What event mode needs to know of an endpoint, from its C++ signature.
struct stdio_target {
  std::string_view full_name;
  std::string_view endpoint;
  std::size_t arity = 0;        // parameters bound from the wire
  bool string_first = false;    // the first of them is a string
  bool visible = true;          // neither hidden nor internal
};

template <class T>
struct unwrap_optional {
  using type = T;
};
template <class T>
struct unwrap_optional<std::optional<T>> {
  using type = T;
};

template <class App>
struct stdio_targets;
template <class... Modules>
struct stdio_targets<app<Modules...>> {
  using App = app<Modules...>;

  template <class M, std::size_t Field>
  static stdio_target one() {
    using invoker = endpoint_invoker<App, M, Field>;
    using bound = typename invoker::bound_tuple;
    stdio_target target;
    target.full_name = invoker::full_name;
    target.endpoint = endpoint_name<M, Field>;
    target.arity = std::tuple_size_v<bound>;
    if constexpr (std::tuple_size_v<bound> > 0) {
      using first = typename unwrap_optional<std::remove_cvref_t<std::tuple_element_t<0, bound>>>::type;
      target.string_first = json::detail::owning_string<first> || json::detail::string_view_like<first>;
    }
    using traits = typename invoker::traits;
    target.visible = !traits::is_hidden && !traits::is_internal;
    return target;
  }

  template <class M, std::size_t... I>
  static void add_module(std::vector<stdio_target>& targets, std::index_sequence<I...>) {
    [[maybe_unused]] constexpr auto fields = endpoint_fields<M>();  // a module may have only WebSocket handlers
    (targets.push_back(one<M, fields[I]>()), ...);
  }

  static std::vector<stdio_target> all() {
    std::vector<stdio_target> targets;
    (add_module<Modules>(targets, std::make_index_sequence<endpoint_count<Modules>()>{}), ...);
    return targets;
  }
};

struct stdio_route {
  std::string type;
  std::string reply;
  std::size_t index = 0;  // in the app's table
  stdio_target target;
};

template <class App>
class stdio_session {
 public:
  stdio_session(App& app, const stdio& options, shutdown& stop)
      : app_(app), options_(options), stop_(stop), wakeup_(std::make_shared<stdio_wakeup>()) {}

  void run() {
    struct sigaction current {};
    if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) std::signal(SIGPIPE, SIG_IGN);
    const bool guard = options_.guard_stdout && options_.output_fd == STDOUT_FILENO;
    const int out_fd = guard ? guard_stdout() : options_.output_fd;
    {
      stdio_output output(out_fd, options_.workers > 0, stop_);
      output_ = &output;
      if (options_.protocol == stdio_protocol::events && !prepare_events()) {
        output_ = nullptr;
        return;
      }
      auto wakeup = wakeup_;
      stop_.on_request([wakeup] { wakeup->wake(); });
      if (options_.workers == 0) {
        read_loop([this](std::string_view line) { handle_inline(line); }, [this] { flush_inline(); });
      } else {
        stdio_line_queue queue(options_.queue_lines, std::max<std::size_t>(options_.max_line_bytes * 2, 16u << 20));
        std::vector<std::thread> workers;
        for (std::size_t i = 0; i < options_.workers; ++i) workers.emplace_back([&] { work(queue); });
        read_loop(
            [&](std::string_view line) {
              if (mcp_.takes_now(line)) return;
              if (!queue.push(line, [&] { return stop_.requested() || output.broken(); })) stopping_ = true;
            },
            [] {});
        if (stop_.requested()) {
          if (const std::size_t dropped = queue.discard())
            log().write(log_level::warning, "stdio: shutting down, " + std::to_string(dropped) + " queued requests dropped");
        }
        queue.close();
        for (auto& worker : workers) worker.join();
      }
      output.finish();
      output_ = nullptr;
    }
    wakeup_->close();
    if (guard) ::close(out_fd);
  }

 private:
  // Reads until end of input, shutdown or a broken output; each line goes to on_line, and after each
  // chunk `after_chunk` runs.
  template <class OnLine, class AfterChunk>
  void read_loop(OnLine&& on_line, AfterChunk&& after_chunk) {
    line_splitter splitter(options_.max_line_bytes);
    std::string chunk(std::size_t{64} << 10, '\0');
    const auto overlong = [&](std::size_t length) { on_overlong(length); };
    bool eof = false;
    while (!stopping_ && !stop_.requested() && !output_->broken()) {
      pollfd fds[2] = {{options_.input_fd, POLLIN, 0}, {wakeup_->fds[0], POLLIN, 0}};
      const int ready = ::poll(fds, wakeup_->open ? 2 : 1, -1);
      if (ready < 0) {
        if (errno == EINTR) continue;
        log().write(log_level::error, std::string("stdio: poll failed: ") + std::strerror(errno));
        break;
      }
      if (fds[1].revents != 0) break;
      if (fds[0].revents == 0) continue;
      const ssize_t n = ::read(options_.input_fd, chunk.data(), chunk.size());
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
        log().write(log_level::error, std::string("stdio: read failed: ") + std::strerror(errno));
        break;
      }
      if (n == 0) {
        eof = true;
        break;
      }
      splitter.feed(std::string_view(chunk.data(), static_cast<std::size_t>(n)), on_line, overlong);
      after_chunk();
    }
    if (eof) {
      splitter.finish(on_line, overlong);
      after_chunk();
    }
  }

  void on_overlong(std::size_t length) {
    const std::string why = "line of " + std::to_string(length) + " bytes exceeds the limit of " +
                            std::to_string(options_.max_line_bytes);
    if (options_.protocol == stdio_protocol::events) {
      log().write(log_level::warning, "stdio: skipped a " + why);
      return;
    }
    std::string line = R"({"jsonrpc":"2.0","error":{"code":)";
    line += std::to_string(jsonrpc_code(error_kind::payload_too_large));
    line += R"(,"message":"Invalid Request","data":{"kind":"payload_too_large","message":)";
    json::write(why, line);
    line += "}},\"id\":null}\n";
    if (options_.workers == 0) inline_out_ += line;
    else output_->submit(line);
  }

  // ---- one line ----

  // Handles one line, appending its reply lines to `out` (stream values are submitted as they come).
  void handle(std::string_view line, std::string& out, std::string& scratch, context& ctx) {
    if (options_.protocol == stdio_protocol::events) return handle_event(line, out, scratch, ctx);
    std::size_t first = 0;
    while (first < line.size() && (line[first] == ' ' || line[first] == '\t')) ++first;
    if (first == line.size()) return;
    rpc_sink sink(*this, line);
    ctx.sink = line[first] == '{' ? &sink : nullptr;
    app_.handle_jsonrpc(line, scratch, ctx, &mcp_);
    ctx.sink = nullptr;
    if (scratch.empty()) return;
    out += scratch;
    out += '\n';
  }

  // MCP's methods, answered beside the endpoints: a client that starts with initialize is an MCP
  // client, and nothing needs to be switched on for it.
  class mcp_methods final : public rpc_extension, public mcp_channel {
   public:
    mcp_methods(stdio_session& session, App& app, const mcp_options& options)
        : session_(session), server_(app, options) {}
    bool owns(std::string_view method) const override { return mcp_server<App>::owns(method); }
    void handle(const jsonrpc_envelope& call, std::string& out, context& ctx) override {
      server_.handle(call, out, ctx, this);
    }
    bool notify(std::string_view message) override {
      thread_local std::string line;
      line.assign(message);
      line += '\n';
      session_.emit(line);
      return !session_.stop_.requested() && !session_.output_->broken();
    }
    // A cancellation is taken as the line is read, not queued behind the calls it may stop.
    bool takes_now(std::string_view line) {
      if (line.find("notifications/cancelled") == std::string_view::npos) return false;
      jsonrpc_envelope envelope;
      if (scan_envelope(line, envelope) != 0 || envelope.has_id || envelope.method != "notifications/cancelled") return false;
      std::string none;
      context ctx;
      server_.handle(envelope, none, ctx, nullptr);
      return true;
    }

   private:
    stdio_session& session_;
    mcp_server<App> server_;
  };

  // Stream values of one JSON-RPC request, as notifications carrying its id.
  class rpc_sink final : public stream_sink {
   public:
    rpc_sink(stdio_session& session, std::string_view request) : session_(session), notifier_(request) {}
    bool send(std::string_view json_text, std::string_view event) override {
      thread_local std::string line;
      if (!notifier_.format(line, event, json_text)) return true;  // a notification: nobody to stream to
      line += '\n';
      session_.emit(line);
      return open();
    }
    bool open() const override { return !session_.stop_.requested() && !session_.output_->broken(); }

   private:
    stdio_session& session_;
    rpc_stream_notifier notifier_;
  };

  // Stream values of one event-mode call, as event lines.
  class event_sink final : public stream_sink {
   public:
    event_sink(stdio_session& session, std::string_view reply) : session_(session), reply_(reply) {}
    bool send(std::string_view json_text, std::string_view event) override {
      thread_local std::string data;
      thread_local std::string line;
      data.clear();
      line.clear();
      json_as_event_data(json_text, data);
      write_event_line(event.empty() ? reply_ : event, session_.options_.name, data, line);
      session_.emit(line);
      return open();
    }
    bool open() const override { return !session_.stop_.requested() && !session_.output_->broken(); }

   private:
    stdio_session& session_;
    std::string_view reply_;
  };

  // A line produced during a call: ahead of whatever the reading thread has gathered.
  void emit(std::string_view line) {
    if (options_.workers == 0) flush_inline();
    output_->submit(line);
  }

  // ---- event mode ----

  bool prepare_events() {
    if (!valid_event_token(options_.name)) {
      log().write(log_level::error, "stdio: the tool name \"" + options_.name +
                                        "\" cannot be a sender (empty, or has '|', spaces or control characters)");
      return false;
    }
    const auto targets = stdio_targets<std::remove_const_t<App>>::all();
    const auto add = [&](std::string type, std::string_view endpoint, std::string reply) {
      const std::size_t index = App::find(endpoint);
      if (index == App::npos) {
        log().write(log_level::error, "stdio: route " + type + " names no endpoint \"" + std::string(endpoint) + "\"");
        return false;
      }
      if (type != "*" && !valid_event_token(type)) {
        log().write(log_level::error, "stdio: \"" + type + "\" cannot be an event type");
        return false;
      }
      stdio_route route;
      for (const auto& t : targets)
        if (t.full_name == endpoint) route.target = t;
      route.index = index;
      route.reply = std::move(reply);
      route.type = std::move(type);
      for (const auto& existing : routes_)
        if (existing.type == route.type) {
          log().write(log_level::warning, "stdio: event type " + route.type + " is handled by " +
                                              std::string(existing.target.full_name) + ", not by " +
                                              std::string(route.target.full_name));
          return true;
        }
      routes_.push_back(std::move(route));
      return true;
    };
    if (options_.routes.empty()) {
      for (const auto& t : targets)
        if (t.visible && !add(event_type_for(t.endpoint), t.full_name, {})) return false;
    } else {
      for (const auto& r : options_.routes)
        if (!add(r.type, r.endpoint, r.reply)) return false;
    }
    std::sort(routes_.begin(), routes_.end(), [](const auto& a, const auto& b) { return a.type < b.type; });
    std::string hello;
    for (const auto& route : routes_) write_event_line("SUBSCRIBE", options_.name, route.type, hello);
    write_event_line("TOOL_READY", options_.name, options_.description, hello);
    output_->submit(hello);
    return true;
  }

  static bool route_before(const stdio_route& r, std::string_view type) {
    return std::string_view(r.type).compare(type) < 0;  // (not string < string_view: clang 14 + libstdc++)
  }
  const stdio_route* route_for(std::string_view type) const {
    const auto found = std::lower_bound(routes_.begin(), routes_.end(), type, &route_before);
    if (found != routes_.end() && found->type == type) return &*found;
    const auto any = std::lower_bound(routes_.begin(), routes_.end(), std::string_view("*"), &route_before);
    return any != routes_.end() && any->type == "*" ? &*any : nullptr;
  }

  void handle_event(std::string_view line, std::string& out, std::string& params, context& ctx) {
    if (line.empty()) return;
    const auto parts = split_event_line(line);
    if (!parts) {
      log().write(log_level::warning, "stdio: not a TYPE|sender|data line: " + std::string(line.substr(0, 200)));
      return;
    }
    const stdio_route* route = route_for(parts->type);
    if (!route) {
      log().write(log_level::debug, "stdio: no endpoint for event type " + std::string(parts->type));
      return;
    }
    thread_local std::string data;
    data.clear();
    unescape_event_data(parts->data, data);
    params.clear();
    params += '[';
    if (route->target.arity > 0 && route->target.string_first) json::write(std::string_view(data), params);
    else if (route->target.arity > 0) params += data;
    params += ']';
    thread_local std::string reply;
    reply.assign(route->reply);
    if (reply.empty()) reply.append(parts->type).append("_RESULT");
    const event_line current{parts->type, parts->sender, data};
    current_event_line = &current;
    event_sink sink(*this, reply);
    ctx.sink = &sink;
    thread_local response result;
    app_.call_at(route->index, {params, {}, false}, result, ctx);
    ctx.sink = nullptr;
    current_event_line = nullptr;
    app_.run_tasks(result);
    thread_local std::string text;
    text.clear();
    if (!result.ok()) {
      text += R"({"type":)";
      json::write(parts->type, text);
      text += R"(,"kind":")";
      text += kind_name(result.error);
      text += R"(","message":)";
      json::write_text(result.message, text);
      if (!result.where.empty()) {
        text += R"(,"where":)";
        json::write_text(result.where, text);
      }
      text += '}';
      write_event_line("ERROR", options_.name, text, out);
      return;
    }
    if (result.body.empty() || (result.form == body_form::json && result.body == "null")) return;
    if (result.form == body_form::json) json_as_event_data(result.body, text);
    else text = result.body;
    write_event_line(reply, options_.name, text, out);
  }

  // ---- running calls ----

  context make_context() {
    context ctx;
    ctx.from = origin::stdio;
    ctx.bus = &app_.bus();
    return ctx;
  }

  void handle_inline(std::string_view line) { handle(line, inline_out_, inline_scratch_, inline_ctx_); }
  void flush_inline() {
    output_->submit(inline_out_);
    inline_out_.clear();
    if (inline_out_.capacity() > (std::size_t{4} << 20)) std::string().swap(inline_out_);
  }

  void work(stdio_line_queue& queue) {
    context ctx = make_context();
    std::string line;
    std::string out;
    std::string scratch;
    while (queue.pop(line)) {
      out.clear();
      handle(line, out, scratch, ctx);
      output_->submit(out);
    }
  }

  App& app_;
  const stdio& options_;
  shutdown& stop_;
  std::shared_ptr<stdio_wakeup> wakeup_;
  stdio_output* output_ = nullptr;
  std::vector<stdio_route> routes_;
  std::string inline_out_;
  std::string inline_scratch_;
  context inline_ctx_ = make_context();
  bool stopping_ = false;
  mcp_methods mcp_{*this, app_, options_.mcp};
};

}  // namespace sb::detail

namespace sb {

template <class App>
void stdio::run(App& app, shutdown& stop) const {
  detail::stdio_session<App> session(app, *this, stop);
  session.run();
}

}  // namespace sb
