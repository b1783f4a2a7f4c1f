#pragma once
// sb::hub: starts tools (programs in any language) as child processes, reads every line they write,
// and routes their TYPE|sender|data events (see transport/stdio.hpp for the line format).
//
// Config (read with sb::json::read; everything but a tool's name and command is optional):
//   {"core": {"log_file": "hub.log", "log_level": "info", "shutdown_grace_sec": 2},
//    "tools": [{"name": "pinger", "command": "python3", "args": ["pinger.py"], "env": {"K": "v"},
//               "cwd": "tools", "autostart": true, "restart_on_crash": true,
//               "restart_policy": "never" | "on-failure" | "always", "restart_max_delay_sec": 5,
//               "protocol": "events" | "jsonrpc",
//               "restart_initial_delay_sec": 0.1, "queue_bytes": 1048576, "max_line_bytes": 1048576}]}
// The log goes to log_file (appended) when set, else to stderr. A tool's command is looked up in PATH
// when it has no '/', and runs in cwd (relative to the hub's) with the hub's environment plus env.
//
// Routing (events tools):
//   - TOOL_READY|<name>|<description> marks the tool ready; SUBSCRIBE|<name>|<TYPE> (and
//     UNSUBSCRIBE) registers interest, "*" meaning every type. Subscriptions end with the process.
//   - Any other line is an event, delivered verbatim to every running tool subscribed to its type,
//     except the sender: a tool never receives its own events, even when subscribed to "*". The
//     sender field is the hub's name for the tool whatever the tool wrote there.
//   - COMMAND|<tool>|<text> runs list, status [t], start t, stop t, restart t, call t <method>
//     <params JSON> (a JSON-RPC call to a jsonrpc tool), and answers the sender alone with
//     COMMAND_RESULT|hub|{"command":"<text>","ok":true|false,...}.
//   - Lines that are not TYPE|sender|data, and lines over max_line_bytes, are logged and skipped.
//   - Each tool's stderr goes to the hub log as "[name] line".
// Slow readers: what a tool has not read yet waits in its inbound queue (queue_bytes). When a new
// line does not fit, that line is dropped for that tool alone and counted (`dropped` in status, a
// warning in the log at the first drop and at every power of two): the queue keeps the oldest lines
// in order, the tool sees a gap, never a reordering. Writes never block: the hub and the other tools
// go on whatever one tool does.
// Restarts: restart_policy "on-failure" (the default) restarts a tool that exits non-zero or is
// killed, "always" whatever its exit, "never" never; restart_on_crash: false means "never". Delays
// double from restart_initial_delay_sec up to restart_max_delay_sec; a run of 10 s resets them.
// Stopping (SIGTERM or SIGINT to the hub, hub::stop(), or COMMAND stop): the tool's stdin is closed;
// after shutdown_grace_sec it gets SIGTERM, after as long again SIGKILL (to its process group). run()
// returns 0 once every tool has exited.
// jsonrpc tools (sb::stdio apps among them) are ready once started; hub::call() and the "call"
// command send them requests and hand back the response line.

#include <switchboard/json/read.hpp>
#include <switchboard/json/write.hpp>
#include <switchboard/log.hpp>
#include <switchboard/protocol/event_lines.hpp>
#include <switchboard/protocol/lines.hpp>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

extern char** environ;  // NOLINT: POSIX

namespace sb {

enum class restart_policy : std::uint8_t { never, on_failure, always };
enum class tool_protocol : std::uint8_t { events, jsonrpc };

struct hub_core_config {
  std::optional<std::string> log_file{};
  sb::log_level log_level = sb::log_level::info;
  double shutdown_grace_sec = 2;  // stdin closed → SIGTERM → SIGKILL, this long apart
};

struct hub_tool_config {
  std::string name{};
  std::string command{};
  std::vector<std::string> args{};
  std::map<std::string, std::string> env{};
  std::optional<std::string> cwd{};
  bool autostart = true;
  bool restart_on_crash = true;
  std::optional<sb::restart_policy> restart_policy{};  // absent: on-failure
  double restart_max_delay_sec = 5;
  tool_protocol protocol = tool_protocol::events;
  double restart_initial_delay_sec = 0.1;
  std::size_t queue_bytes = std::size_t{1} << 20;
  std::size_t max_line_bytes = std::size_t{1} << 20;

  sb::restart_policy effective_policy() const {
    return restart_on_crash ? restart_policy.value_or(sb::restart_policy::on_failure) : sb::restart_policy::never;
  }
};

struct hub_config {
  hub_core_config core{};
  std::vector<hub_tool_config> tools{};
};

}  // namespace sb

template <>
struct sb::json::meta<sb::hub_core_config> {
  static constexpr bool defaults = true;
};
template <>
struct sb::json::meta<sb::hub_tool_config> {
  static constexpr bool defaults = true;
};
template <>
struct sb::json::meta<sb::hub_config> {
  static constexpr bool defaults = true;
};

// "never", "on-failure", "always" (the config spelling, with a hyphen).
template <>
struct sb::json::codec<sb::restart_policy> {
  static void read(sb::restart_policy& out, sb::json::reader& in) {
    std::string text;
    if (!in.read(text)) return;
    if (text == "never") out = sb::restart_policy::never;
    else if (text == "on-failure") out = sb::restart_policy::on_failure;
    else if (text == "always") out = sb::restart_policy::always;
    else in.fail("restart_policy must be \"never\", \"on-failure\" or \"always\", not \"" + text + "\"");
  }
  template <class Writer>
  static void write(const sb::restart_policy& in, Writer& out) {
    out.raw(in == sb::restart_policy::never ? "\"never\"" : in == sb::restart_policy::always ? "\"always\"" : "\"on-failure\"");
  }
};

namespace sb {

// Parses and checks a hub config; on failure returns nothing and says why.
inline std::optional<hub_config> read_hub_config(std::string_view text, std::string& why) {
  hub_config config;
  if (auto e = json::read(config, text)) {
    why = "hub config: " + e.to_string();
    return std::nullopt;
  }
  for (std::size_t i = 0; i < config.tools.size(); ++i) {
    const auto& tool = config.tools[i];
    const std::string where = "hub config: tools[" + std::to_string(i) + "]";
    if (!detail::valid_event_token(tool.name) || tool.name == "hub") {
      why = where + ": \"name\" is required: not empty, not \"hub\", without '|', spaces or control characters";
      return std::nullopt;
    }
    if (tool.command.empty()) {
      why = where + " (" + tool.name + "): \"command\" is required";
      return std::nullopt;
    }
    for (std::size_t j = 0; j < i; ++j)
      if (config.tools[j].name == tool.name) {
        why = where + ": the name \"" + tool.name + "\" is used twice";
        return std::nullopt;
      }
    if (!(tool.restart_max_delay_sec >= 0) || !(tool.restart_initial_delay_sec >= 0)) {
      why = where + " (" + tool.name + "): restart delays cannot be negative";
      return std::nullopt;
    }
  }
  if (!(config.core.shutdown_grace_sec >= 0)) {
    why = "hub config: core.shutdown_grace_sec cannot be negative";
    return std::nullopt;
  }
  return config;
}

inline std::optional<hub_config> load_hub_config(const std::string& path, std::string& why) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    why = "hub config: cannot open " + path;
    return std::nullopt;
  }
  std::stringstream text;
  text << file.rdbuf();
  return read_hub_config(text.str(), why);
}

enum class tool_state : std::uint8_t { stopped, running, stopping, restarting };

struct hub_tool_status {
  std::string name;
  tool_state state = tool_state::stopped;
  bool ready = false;
  int pid = 0;
  std::string description;
  std::vector<std::string> subscriptions;
  std::uint64_t restarts = 0;
  std::uint64_t delivered = 0;  // lines queued for this tool
  std::uint64_t dropped = 0;    // lines dropped because its queue was full or its stdin closed
  std::size_t queued_bytes = 0;
  std::string last_exit;        // "exit 0", "signal 9", "spawn failed: ..."
};

class hub {
 public:
  explicit hub(hub_config config) : config_(std::move(config)) {
    tools_.resize(config_.tools.size());
    for (std::size_t i = 0; i < tools_.size(); ++i) tools_[i].config = &config_.tools[i];
    if (::pipe(wake_) == 0) {
      for (int fd : wake_) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      }
    }
    if (config_.core.log_file) {
      log_file_ = std::fopen(config_.core.log_file->c_str(), "a");
      if (log_file_) std::setvbuf(log_file_, nullptr, _IOLBF, 0);
    }
  }
  hub(const hub&) = delete;
  hub& operator=(const hub&) = delete;
  ~hub() {
    for (int fd : wake_)
      if (fd >= 0) ::close(fd);
    if (log_file_) std::fclose(log_file_);
  }

  // Runs the tools until stop(), SIGTERM or SIGINT, then stops them; returns 0. One hub runs at a
  // time per process: while it runs it handles SIGCHLD, SIGTERM and SIGINT and ignores SIGPIPE.
  int run();

  // From any thread (not from a signal handler).
  void stop() { post([this] { begin_shutdown("stop requested"); }); }

  // A JSON-RPC request to a jsonrpc tool; `done` runs on the hub's thread with the response line
  // (a JSON-RPC error object when the tool is not running or exits first).
  void call(std::string tool, std::string method, std::string params_json, std::function<void(std::string_view)> done) {
    post([this, tool = std::move(tool), method = std::move(method), params = std::move(params_json),
          done = std::move(done)]() mutable { send_call(tool, method, params, std::move(done)); });
  }

  // Sends TYPE|hub|data to every tool subscribed to type.
  void publish(std::string type, std::string data) {
    post([this, type = std::move(type), data = std::move(data)] {
      std::string line;
      detail::write_event_line(type, "hub", data, line);
      line.pop_back();
      route(type, line, npos);
    });
  }

  std::vector<hub_tool_status> status() const {
    std::lock_guard lock(state_mutex_);
    std::vector<hub_tool_status> all;
    for (const auto& t : tools_) all.push_back(status_of(t));
    return all;
  }

  // Writes one line to the hub's log (file or stderr).
  void write_log(log_level level, std::string_view message) {
    if (level < config_.core.log_level) return;
    char stamp[40];
    const auto now = std::chrono::system_clock::now();
    const auto t = std::chrono::system_clock::to_time_t(now);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm utc{};
    gmtime_r(&t, &utc);
    const std::size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(stamp + n, sizeof stamp - n, ".%03dZ", static_cast<int>(ms));
    std::lock_guard lock(log_mutex_);
    std::FILE* out = log_file_ ? log_file_ : stderr;
    std::fprintf(out, "%s [%.*s] %.*s\n", stamp, static_cast<int>(level_name(level).size()), level_name(level).data(),
                 static_cast<int>(message.size()), message.data());
    if (!log_file_) std::fflush(out);
  }

 private:
  using clock = std::chrono::steady_clock;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  struct tool {
    const hub_tool_config* config = nullptr;
    tool_state state = tool_state::stopped;
    pid_t pid = 0;
    int in = -1;   // its stdin (we write)
    int out = -1;  // its stdout (we read)
    int err = -1;  // its stderr (we read)
    bool ready = false;
    bool all_types = false;
    std::vector<std::string> subscriptions;
    std::string description;
    std::optional<detail::line_splitter> out_lines;
    std::optional<detail::line_splitter> err_lines;
    std::string queue;  // inbound bytes not yet written; queue[0, head) already went out
    std::size_t head = 0;
    std::uint64_t delivered = 0;
    std::uint64_t dropped = 0;
    std::uint64_t restarts = 0;
    unsigned backoff_step = 0;
    clock::time_point started{};
    clock::time_point deadline{};  // restarting: when to start; stopping: next escalation
    int stop_phase = 0;            // 0 stdin closed, 1 SIGTERM sent, 2 SIGKILL sent
    bool stop_requested = false;   // by command or shutdown: no restart
    bool start_after_stop = false; // "restart" command
    std::string last_exit;

    std::string_view name() const { return config->name; }
    std::size_t queued() const { return queue.size() - head; }
    bool wants(std::string_view type) const {
      if (all_types) return true;
      for (const auto& s : subscriptions)
        if (s == type) return true;
      return false;
    }
  };

  struct pending_call {
    std::size_t tool;
    std::function<void(std::string_view)> done;
  };

  // "[name] " (built by appending: GCC 12 -O3 warns falsely about "literal" + std::string).
  static std::string tag(std::string_view name) {
    std::string text;
    text.reserve(name.size() + 3);
    text += '[';
    text += name;
    text += "] ";
    return text;
  }

  // ---- posting work from other threads ----

  void post(std::function<void()> work) {
    {
      std::lock_guard lock(inbox_mutex_);
      inbox_.push_back(std::move(work));
    }
    wake('w');
  }
  void wake(char why) {
    if (wake_[1] >= 0 && ::write(wake_[1], &why, 1) < 0) {
      // full: the loop will run anyway
    }
  }

  static std::atomic<int>& signal_fd() {
    static std::atomic<int> fd{-1};
    return fd;
  }
  static void on_signal(int signal) {
    const int saved = errno;
    const int fd = signal_fd().load();
    const char code = signal == SIGCHLD ? 'c' : 't';
    if (fd >= 0 && ::write(fd, &code, 1) < 0) {
      // nothing to do in a signal handler
    }
    errno = saved;
  }

  // ---- processes ----

  void start(std::size_t index) {
    tool& t = tools_[index];
    const hub_tool_config& c = *t.config;
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    const auto close_all = [&] {
      for (int* p : {in, out, err})
        for (int i = 0; i < 2; ++i)
          if (p[i] >= 0) ::close(p[i]);
    };
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
      close_all();
      return spawn_failed(index, std::string("pipe: ") + std::strerror(errno));
    }
    std::vector<std::string> env_storage;
    for (char** e = environ; e && *e; ++e) {
      const std::string_view entry(*e);
      const std::string key(entry.substr(0, entry.find('=')));
      if (!c.env.count(key)) env_storage.emplace_back(entry);
    }
    for (const auto& [key, value] : c.env) env_storage.push_back(key + "=" + value);
    std::vector<char*> envp;
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> arg_storage{c.command};
    arg_storage.insert(arg_storage.end(), c.args.begin(), c.args.end());
    std::vector<char*> argv;
    for (auto& a : arg_storage) argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
    if (c.cwd && !c.cwd->empty()) posix_spawn_file_actions_addchdir_np(&actions, c.cwd->c_str());
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int s : {SIGPIPE, SIGTERM, SIGINT, SIGCHLD, SIGHUP, SIGQUIT}) sigaddset(&defaults, s);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setpgroup(&attributes, 0);  // its own group: a terminal's ^C reaches the hub only
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    pid_t pid = 0;
    const int failed = ::posix_spawnp(&pid, c.command.c_str(), &actions, &attributes, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    if (failed != 0) {
      ::close(in[1]);
      ::close(out[0]);
      ::close(err[0]);
      return spawn_failed(index, std::string("cannot run ") + c.command + ": " + std::strerror(failed));
    }
    for (int fd : {in[1], out[0], err[0]}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    t.pid = pid;
    t.in = in[1];
    t.out = out[0];
    t.err = err[0];
    t.state = tool_state::running;
    t.ready = c.protocol == tool_protocol::jsonrpc;
    t.all_types = false;
    t.subscriptions.clear();
    t.description.clear();
    t.out_lines.emplace(c.max_line_bytes);
    t.err_lines.emplace(c.max_line_bytes);
    t.queue.clear();
    t.head = 0;
    t.started = clock::now();
    t.stop_phase = 0;
    t.stop_requested = false;
    write_log(log_level::info, tag(t.name()) + "started, pid " + std::to_string(pid));
  }

  void spawn_failed(std::size_t index, std::string why) {
    tool& t = tools_[index];
    write_log(log_level::error, tag(t.name()) + why);
    t.last_exit = "spawn failed: " + why;
    t.started = clock::now();
    after_exit(index, true);
  }

  // Decides what follows an exit: a restart after a delay, or nothing.
  void after_exit(std::size_t index, bool failure) {
    tool& t = tools_[index];
    t.state = tool_state::stopped;
    t.pid = 0;
    t.ready = false;
    t.all_types = false;
    t.subscriptions.clear();
    if (shutting_down_) return;
    if (t.stop_requested) {
      t.stop_requested = false;
      if (t.start_after_stop) {
        t.start_after_stop = false;
        t.backoff_step = 0;
        start(index);
      }
      return;
    }
    const restart_policy policy = t.config->effective_policy();
    if (policy == restart_policy::never || (policy == restart_policy::on_failure && !failure)) {
      write_log(log_level::info, tag(t.name()) + t.last_exit + ", not restarted");
      return;
    }
    if (clock::now() - t.started >= std::chrono::seconds(10)) t.backoff_step = 0;
    const double initial = std::max(t.config->restart_initial_delay_sec, 0.01);
    const double delay =
        std::min(t.config->restart_max_delay_sec, initial * std::ldexp(1.0, static_cast<int>(std::min(t.backoff_step, 30u))));
    const double wait = std::max(delay, 0.01);
    ++t.backoff_step;
    t.state = tool_state::restarting;
    t.deadline = clock::now() + std::chrono::microseconds(static_cast<std::int64_t>(wait * 1e6));
    char text[64];
    std::snprintf(text, sizeof text, "%.3f", wait);
    write_log(log_level::warning,
              tag(t.name()) + t.last_exit + ", restarting in " + text + " s");
  }

  void reap() {
    for (std::size_t i = 0; i < tools_.size(); ++i) {
      tool& t = tools_[i];
      if (t.pid <= 0) continue;
      int status = 0;
      const pid_t done = ::waitpid(t.pid, &status, WNOHANG);
      if (done != t.pid) continue;
      drain(i);  // what it wrote before exiting is in the pipes
      close_fd(t.in);
      close_fd(t.out);
      close_fd(t.err);
      t.queue.clear();
      t.head = 0;
      const bool failure = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
      t.last_exit = WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                      : "signal " + std::to_string(WTERMSIG(status));
      write_log(failure && !t.stop_requested ? log_level::warning : log_level::info,
                tag(t.name()) + "exited: " + t.last_exit);
      fail_calls(i);
      after_exit(i, failure);
    }
  }

  static void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }

  void begin_stop(std::size_t index, bool restart_after) {
    tool& t = tools_[index];
    if (t.state == tool_state::restarting || t.state == tool_state::stopped) {
      t.state = tool_state::stopped;
      if (restart_after && !shutting_down_) {
        t.backoff_step = 0;
        start(index);
      }
      return;
    }
    t.stop_requested = true;
    t.start_after_stop = restart_after;
    if (t.state == tool_state::stopping) return;
    t.state = tool_state::stopping;
    t.stop_phase = 0;
    close_fd(t.in);
    t.queue.clear();
    t.head = 0;
    t.deadline = clock::now() + grace();
    write_log(log_level::info, tag(t.name()) + "stopping: stdin closed");
  }

  clock::duration grace() const {
    return std::chrono::microseconds(static_cast<std::int64_t>(config_.core.shutdown_grace_sec * 1e6));
  }

  void escalate(tool& t) {
    const int signal = t.stop_phase == 0 ? SIGTERM : SIGKILL;
    if (::kill(-t.pid, signal) != 0) ::kill(t.pid, signal);
    write_log(log_level::warning,
              tag(t.name()) + "still running: " + (signal == SIGTERM ? "SIGTERM" : "SIGKILL"));
    ++t.stop_phase;
    t.deadline = t.stop_phase == 1 ? clock::now() + grace() : clock::time_point::max();
  }

  void begin_shutdown(std::string_view why) {
    if (shutting_down_) return;
    shutting_down_ = true;
    write_log(log_level::info, "hub: " + std::string(why) + ", stopping tools");
    for (std::size_t i = 0; i < tools_.size(); ++i) begin_stop(i, false);
  }

  // ---- reading ----

  // Reads what a tool wrote, a bounded amount per turn so that one chatty tool cannot starve others.
  void read_from(std::size_t index, bool from_stderr, int turns) {
    tool& t = tools_[index];
    int& fd = from_stderr ? t.err : t.out;
    auto& splitter = from_stderr ? *t.err_lines : *t.out_lines;
    for (int turn = 0; turn < turns && fd >= 0; ++turn) {
      const ssize_t n = ::read(fd, chunk_.data(), chunk_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      const auto overlong = [&](std::size_t length) {
        write_log(log_level::warning, tag(t.name()) + "skipped a line of " + std::to_string(length) +
                                          " bytes (limit " + std::to_string(t.config->max_line_bytes) + ")");
      };
      if (n <= 0) {
        if (from_stderr) splitter.finish([&](std::string_view line) { log_stderr(t, line); }, overlong);
        else splitter.finish([&](std::string_view line) { on_line(index, line); }, overlong);
        close_fd(fd);
        return;
      }
      const std::string_view bytes(chunk_.data(), static_cast<std::size_t>(n));
      if (from_stderr) splitter.feed(bytes, [&](std::string_view line) { log_stderr(t, line); }, overlong);
      else splitter.feed(bytes, [&](std::string_view line) { on_line(index, line); }, overlong);
    }
  }

  void drain(std::size_t index) {
    read_from(index, false, 64);
    read_from(index, true, 64);
  }

  void log_stderr(const tool& t, std::string_view line) {
    write_log(log_level::info, tag(t.name()) + std::string(line));
  }

  void on_line(std::size_t index, std::string_view line) {
    tool& t = tools_[index];
    if (t.config->protocol == tool_protocol::jsonrpc) return on_rpc_line(index, line);
    if (line.empty()) return;
    const auto parts = detail::split_event_line(line);
    if (!parts) {
      write_log(log_level::warning, tag(t.name()) + "not a TYPE|sender|data line: " +
                                        std::string(line.substr(0, 200)));
      return;
    }
    const std::string_view type = parts->type;
    if (type == "TOOL_READY") {
      t.ready = true;
      t.description.clear();
      detail::unescape_event_data(parts->data, t.description);
      write_log(log_level::info, tag(t.name()) + "ready: " + t.description);
      return;
    }
    if (type == "SUBSCRIBE" || type == "UNSUBSCRIBE") {
      std::string what;
      detail::unescape_event_data(parts->data, what);
      while (!what.empty() && (what.back() == ' ' || what.back() == '\t')) what.pop_back();
      const bool add = type == "SUBSCRIBE";
      if (what == "*") t.all_types = add;
      else if (add && !t.wants(what)) t.subscriptions.push_back(what);
      else if (!add) std::erase(t.subscriptions, what);
      if (add && what == "*" && std::find(t.subscriptions.begin(), t.subscriptions.end(), "*") == t.subscriptions.end())
        t.subscriptions.push_back("*");
      if (!add && what == "*") std::erase(t.subscriptions, std::string("*"));
      write_log(log_level::debug, tag(t.name()) + std::string(type) + " " + what);
      return;
    }
    if (type == "COMMAND") {
      std::string text;
      detail::unescape_event_data(parts->data, text);
      return run_command(index, text);
    }
    if (parts->sender == t.name()) return route(type, line, index);
    rewritten_.clear();
    rewritten_.append(type).append("|").append(t.name()).append("|").append(parts->data);
    route(type, rewritten_, index);
  }

  // Delivers an event line to its subscribers, the sender excepted.
  void route(std::string_view type, std::string_view line, std::size_t sender) {
    for (std::size_t i = 0; i < tools_.size(); ++i) {
      tool& t = tools_[i];
      if (i == sender || t.state != tool_state::running || t.config->protocol != tool_protocol::events) continue;
      if (!t.wants(type)) continue;
      enqueue(i, line);
    }
  }

  // Queues one line for a tool; drops it (and counts) when the queue is full.
  bool enqueue(std::size_t index, std::string_view line) {
    tool& t = tools_[index];
    if (t.in < 0 || t.queued() + line.size() + 1 > t.config->queue_bytes) {
      ++t.dropped;
      if ((t.dropped & (t.dropped - 1)) == 0)
        write_log(log_level::warning, tag(t.name()) +
                                          (t.in < 0 ? "stdin closed" : "not reading: inbound queue full") + ", " +
                                          std::to_string(t.dropped) + " lines dropped so far");
      return false;
    }
    if (t.head == t.queue.size()) {
      t.queue.clear();
      t.head = 0;
    }
    t.queue.append(line);
    t.queue += '\n';
    ++t.delivered;
    dirty_.push_back(index);
    return true;
  }

  // Writes what the tool can take now; never blocks.
  void flush(std::size_t index) {
    tool& t = tools_[index];
    while (t.in >= 0 && t.queued() > 0) {
      const ssize_t n = ::write(t.in, t.queue.data() + t.head, t.queued());
      if (n > 0) {
        t.head += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      write_log(log_level::info, tag(t.name()) + "closed its stdin");
      close_fd(t.in);
      t.queue.clear();
      t.head = 0;
      return;
    }
    if (t.head == t.queue.size()) {
      t.queue.clear();
      t.head = 0;
    } else if (t.head > (std::size_t{1} << 16) && t.head * 2 > t.queue.size()) {
      t.queue.erase(0, t.head);
      t.head = 0;
    }
  }

  // ---- JSON-RPC tools ----

  struct rpc_response_probe {
    std::optional<json::raw> id;
  };
  struct rpc_outcome_probe {
    std::optional<json::raw> result;
  };

  void on_rpc_line(std::size_t index, std::string_view line) {
    if (line.empty()) return;
    rpc_response_probe probe;
    std::uint64_t id = 0;
    if (json::read(probe, line) || !probe.id || json::read(id, probe.id->json)) {
      write_log(log_level::debug, tag(tools_[index].name()) + std::string(line.substr(0, 200)));
      return;
    }
    const auto found = calls_.find(id);
    if (found == calls_.end() || found->second.tool != index) return;
    auto done = std::move(found->second.done);
    calls_.erase(found);
    if (done) done(line);
  }

  void send_call(std::string_view name, std::string_view method, std::string_view params,
                 std::function<void(std::string_view)> done) {
    const std::uint64_t id = ++last_call_;
    const auto fail = [&](std::string_view why) {
      std::string error = R"({"jsonrpc":"2.0","error":{"code":-32603,"message":)";
      json::write(why, error);
      error += R"(},"id":)" + std::to_string(id) + "}";
      if (done) done(error);
    };
    const std::size_t index = find(name);
    if (index == npos) return fail("no tool named " + std::string(name));
    tool& t = tools_[index];
    if (t.config->protocol != tool_protocol::jsonrpc) return fail(std::string(name) + " does not speak jsonrpc");
    if (t.state != tool_state::running) return fail(std::string(name) + " is not running");
    std::string request = R"({"jsonrpc":"2.0","method":)";
    json::write(method, request);
    if (!params.empty()) {
      request += R"(,"params":)";
      request += params;
    }
    request += R"(,"id":)" + std::to_string(id) + "}";
    if (!enqueue(index, request)) return fail(std::string(name) + " is not reading its input");
    calls_[id] = {index, std::move(done)};
  }

  void fail_calls(std::size_t index) {
    for (auto it = calls_.begin(); it != calls_.end();) {
      if (it->second.tool != index) {
        ++it;
        continue;
      }
      auto done = std::move(it->second.done);
      const std::string error = R"({"jsonrpc":"2.0","error":{"code":-32603,"message":"the tool exited"},"id":)" +
                                std::to_string(it->first) + "}";
      it = calls_.erase(it);
      if (done) done(error);
    }
  }

  // ---- commands ----

  std::size_t find(std::string_view name) const {
    for (std::size_t i = 0; i < tools_.size(); ++i)
      if (tools_[i].name() == name) return i;
    return npos;
  }

  hub_tool_status status_of(const tool& t) const {
    hub_tool_status s;
    s.name = t.config->name;
    s.state = t.state;
    s.ready = t.ready;
    s.pid = t.pid;
    s.description = t.description;
    s.subscriptions = t.subscriptions;
    s.restarts = t.restarts;
    s.delivered = t.delivered;
    s.dropped = t.dropped;
    s.queued_bytes = t.queued();
    s.last_exit = t.last_exit;
    return s;
  }

  void reply(std::size_t to, std::string_view command, bool ok, std::string_view extra_json) {
    std::string data = R"({"command":)";
    json::write(command, data);
    data += ok ? R"(,"ok":true)" : R"(,"ok":false)";
    data += extra_json;
    data += '}';
    std::string line;
    detail::write_event_line("COMMAND_RESULT", "hub", data, line);
    line.pop_back();
    if (tools_[to].state == tool_state::running) enqueue(to, line);
  }

  void run_command(std::size_t from, const std::string& text) {
    write_log(log_level::info, tag(tools_[from].name()) + "command: " + text);
    std::string verb = text.substr(0, text.find(' '));
    std::string rest = text.size() > verb.size() ? text.substr(verb.size() + 1) : std::string();
    const auto message = [](std::string_view m) {
      std::string out = R"(,"message":)";
      json::write(m, out);
      return out;
    };
    if (verb == "list") {
      std::vector<std::string> names;
      for (const auto& t : tools_) names.emplace_back(t.name());
      std::string extra = R"(,"tools":)";
      json::write(names, extra);
      return reply(from, text, true, extra);
    }
    if (verb == "status") {
      std::vector<hub_tool_status> all;
      for (const auto& t : tools_)
        if (rest.empty() || t.name() == rest) all.push_back(status_of(t));
      if (all.empty()) return reply(from, text, false, message("no tool named " + rest));
      std::string extra = R"(,"tools":)";
      json::write(all, extra);
      return reply(from, text, true, extra);
    }
    if (verb == "start" || verb == "stop" || verb == "restart") {
      const std::size_t target = find(rest);
      if (target == npos) return reply(from, text, false, message("no tool named " + rest));
      tool& t = tools_[target];
      if (verb == "start") {
        if (t.state == tool_state::running || t.state == tool_state::stopping)
          return reply(from, text, false, message(rest + " is already running"));
        t.backoff_step = 0;
        start(target);
        return reply(from, text, t.state == tool_state::running, message(t.state == tool_state::running ? "started " + rest : t.last_exit));
      }
      const bool was_running = t.state == tool_state::running || t.state == tool_state::stopping;
      begin_stop(target, verb == "restart");
      if (target == from) return;
      return reply(from, text, true, message((verb == "stop" ? (was_running ? "stopping " : "stopped ") : "restarting ") + rest));
    }
    if (verb == "call") {
      // call <tool> <method> [params JSON]
      const std::size_t space = rest.find(' ');
      const std::string name = rest.substr(0, space);
      std::string method = space == std::string::npos ? std::string() : rest.substr(space + 1);
      std::string params;
      if (const std::size_t p = method.find(' '); p != std::string::npos) {
        params = method.substr(p + 1);
        method.resize(p);
      }
      if (name.empty() || method.empty()) return reply(from, text, false, message("usage: call <tool> <method> [params]"));
      const std::string command = text;
      send_call(name, method, params, [this, from, command](std::string_view response) {
        std::string extra = R"(,"response":)";
        extra += response;
        rpc_outcome_probe outcome;
        const bool ok = !json::read(outcome, response) && outcome.result.has_value();
        reply(from, command, ok, extra);
      });
      return;
    }
    reply(from, text, false, message("unknown command: use list, status [tool], start|stop|restart <tool>, call <tool> <method> [params]"));
  }

  // ---- the loop ----

  void run_inbox() {
    std::vector<std::function<void()>> work;
    {
      std::lock_guard lock(inbox_mutex_);
      work.swap(inbox_);
    }
    for (auto& w : work) w();
  }

  void flush_dirty() {
    std::sort(dirty_.begin(), dirty_.end());
    dirty_.erase(std::unique(dirty_.begin(), dirty_.end()), dirty_.end());
    for (std::size_t i : dirty_) flush(i);
    dirty_.clear();
  }

  bool all_stopped() const {
    for (const auto& t : tools_)
      if (t.pid > 0) return false;
    return true;
  }

  hub_config config_;
  std::vector<tool> tools_;
  int wake_[2] = {-1, -1};
  std::mutex inbox_mutex_;
  std::vector<std::function<void()>> inbox_;
  mutable std::mutex state_mutex_;
  std::mutex log_mutex_;
  std::FILE* log_file_ = nullptr;
  bool shutting_down_ = false;
  std::string chunk_ = std::string(std::size_t{64} << 10, '\0');
  std::string rewritten_;
  std::vector<std::size_t> dirty_;
  std::map<std::uint64_t, pending_call> calls_;
  std::uint64_t last_call_ = 0;
};

inline int hub::run() {
  struct sigaction action {};
  action.sa_handler = &hub::on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  struct sigaction old_chld {}, old_term {}, old_int {}, old_pipe {};
  signal_fd().store(wake_[1]);
  ::sigaction(SIGCHLD, &action, &old_chld);
  ::sigaction(SIGTERM, &action, &old_term);
  ::sigaction(SIGINT, &action, &old_int);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ::sigaction(SIGPIPE, &ignore, &old_pipe);
  sigset_t unblock;
  sigemptyset(&unblock);
  for (int s : {SIGCHLD, SIGTERM, SIGINT}) sigaddset(&unblock, s);
  sigset_t old_mask;
  pthread_sigmask(SIG_UNBLOCK, &unblock, &old_mask);

  {
    std::lock_guard lock(state_mutex_);
    write_log(log_level::info, "hub: " + std::to_string(tools_.size()) + " tools configured");
    for (std::size_t i = 0; i < tools_.size(); ++i)
      if (tools_[i].config->autostart) start(i);
  }
  std::vector<pollfd> fds;
  struct slot {
    std::size_t tool;
    int kind;  // 0 stdout, 1 stderr, 2 stdin
  };
  std::vector<slot> slots;
  for (;;) {
    int timeout_ms = 1000;  // reaping also happens on this tick, in case a SIGCHLD went elsewhere
    {
      std::lock_guard lock(state_mutex_);
      if (shutting_down_ && all_stopped()) break;
      const auto now = clock::now();
      fds.clear();
      slots.clear();
      fds.push_back({wake_[0], POLLIN, 0});
      slots.push_back({npos, -1});
      for (std::size_t i = 0; i < tools_.size(); ++i) {
        const tool& t = tools_[i];
        if (t.out >= 0) fds.push_back({t.out, POLLIN, 0}), slots.push_back({i, 0});
        if (t.err >= 0) fds.push_back({t.err, POLLIN, 0}), slots.push_back({i, 1});
        if (t.in >= 0 && t.queued() > 0) fds.push_back({t.in, POLLOUT, 0}), slots.push_back({i, 2});
        if (t.state == tool_state::restarting || (t.state == tool_state::stopping && t.stop_phase < 2)) {
          const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(t.deadline - now).count() + 1;
          timeout_ms = std::min<int>(timeout_ms, static_cast<int>(std::max<long long>(0, left)));
        }
      }
    }
    const int ready = ::poll(fds.data(), fds.size(), timeout_ms);
    if (ready < 0 && errno != EINTR) {
      write_log(log_level::error, std::string("hub: poll failed: ") + std::strerror(errno));
      break;
    }
    std::lock_guard lock(state_mutex_);
    bool child = false;
    if (ready > 0 && fds[0].revents != 0) {
      char codes[64];
      ssize_t n = 0;
      while ((n = ::read(wake_[0], codes, sizeof codes)) > 0) {
        for (ssize_t i = 0; i < n; ++i) {
          if (codes[i] == 'c') child = true;
          else if (codes[i] == 't') begin_shutdown("signal received");
        }
      }
      run_inbox();
    }
    if (ready > 0) {
      for (std::size_t k = 1; k < fds.size(); ++k) {
        if (fds[k].revents == 0) continue;
        const slot s = slots[k];
        tool& t = tools_[s.tool];
        if (s.kind == 2) {
          if (t.in == fds[k].fd) flush(s.tool);
        } else if ((s.kind == 0 ? t.out : t.err) == fds[k].fd) {
          read_from(s.tool, s.kind == 1, 4);
        }
      }
    }
    flush_dirty();
    if (child || ready == 0) reap();
    const auto now = clock::now();
    for (std::size_t i = 0; i < tools_.size(); ++i) {
      tool& t = tools_[i];
      if (t.state == tool_state::restarting && now >= t.deadline && !shutting_down_) {
        ++t.restarts;
        start(i);
      }
      else if (t.state == tool_state::stopping && t.stop_phase < 2 && now >= t.deadline && t.pid > 0) escalate(t);
    }
    flush_dirty();
  }
  {
    std::lock_guard lock(state_mutex_);
    for (std::size_t i = 0; i < tools_.size(); ++i) {
      fail_calls(i);
      close_fd(tools_[i].in);
      close_fd(tools_[i].out);
      close_fd(tools_[i].err);
    }
    write_log(log_level::info, "hub: all tools stopped");
  }
  signal_fd().store(-1);
  ::sigaction(SIGCHLD, &old_chld, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGPIPE, &old_pipe, nullptr);
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  return 0;
}

}  // namespace sb
