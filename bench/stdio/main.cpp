// bench_stdio: throughput of the stdio pipes, side by side in one run.
//
//   bench_stdio [--calls N] [--events N] [--runs R] [--tool PATH [ARGS...]]
//
// 1. Pipelined JSON-RPC: N requests {"jsonrpc":"2.0","method":"tools.add","params":[i,1],"id":i}
//    written as fast as the pipe takes them while the answers are read, through the tool
//    (default: examples/stdio_tool; e.g. --tool showcase --stdio), and the same lines through
//    bench_line_echo, a plain C++ line echo: the limit of the pipes and of this driver.
// 2. Hub routing: one producer writes N events, four subscribers read them; sb::hub runs in this
//    process. Events/s = events delivered to all subscribers / time from the first to the last one.
//
// The roles `produce` and `subscribe` are this program run as the hub's tools.
#include <switchboard/hub/hub.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#ifndef SB_BENCH_LINE_ECHO
#define SB_BENCH_LINE_ECHO "bench_line_echo"
#endif
#ifndef SB_BENCH_STDIO_TOOL
#define SB_BENCH_STDIO_TOOL "stdio_tool"
#endif

namespace {

using clock_type = std::chrono::steady_clock;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch()).count();
}

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Sends `requests` (N lines) to the command and waits for N lines back; returns lines per second.
double pipe_rate(const std::vector<std::string>& command, const std::string& requests, std::size_t lines) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return 0;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  std::vector<char*> argv;
  for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
    std::fprintf(stderr, "cannot run %s\n", argv[0]);
    std::exit(1);
  }
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  // Let the child start before the clock does.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto started = clock_type::now();
  std::thread writer([&] {
    write_all(in[1], requests.data(), requests.size());
    ::close(in[1]);
  });
  std::string buffer(std::size_t{1} << 16, '\0');
  std::size_t seen = 0;
  auto finished = started;
  while (seen < lines) {
    const ssize_t n = ::read(out[0], buffer.data(), buffer.size());
    if (n <= 0) break;
    seen += static_cast<std::size_t>(std::count(buffer.data(), buffer.data() + n, '\n'));
    finished = clock_type::now();
  }
  writer.join();
  while (::read(out[0], buffer.data(), buffer.size()) > 0) {
  }
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (seen != lines) {
    std::fprintf(stderr, "%s: %zu of %zu answers\n", command[0].c_str(), seen, lines);
    std::exit(1);
  }
  return static_cast<double>(lines) / std::chrono::duration<double>(finished - started).count();
}

int produce(std::size_t count) {
  std::printf("SUBSCRIBE|producer|GO\nTOOL_READY|producer|bench producer\n");
  std::fflush(stdout);
  char go[256];
  if (!std::fgets(go, sizeof go, stdin)) return 1;
  std::string buffer;
  char line[64];
  for (std::size_t i = 1; i <= count; ++i) {
    buffer.append(line, static_cast<std::size_t>(std::snprintf(line, sizeof line, "TICK|producer|%zu\n", i)));
    if (buffer.size() >= (1u << 16)) {
      if (!write_all(1, buffer.data(), buffer.size())) return 1;
      buffer.clear();
    }
  }
  buffer += "END|producer|done\n";
  write_all(1, buffer.data(), buffer.size());
  while (std::fgets(go, sizeof go, stdin)) {
  }
  return 0;
}

int subscribe(const char* name, std::size_t count, const char* result) {
  std::printf("SUBSCRIBE|%s|TICK\nSUBSCRIBE|%s|END\nTOOL_READY|%s|bench subscriber\n", name, name, name);
  std::fflush(stdout);
  std::string buffer(std::size_t{1} << 16, '\0');
  std::size_t lines = 0;
  std::int64_t first = 0;
  std::int64_t last = 0;
  while (lines < count + 1) {
    const ssize_t n = ::read(0, buffer.data(), buffer.size());
    if (n <= 0) break;
    if (first == 0) first = now_ns();
    lines += static_cast<std::size_t>(std::count(buffer.data(), buffer.data() + n, '\n'));
    last = now_ns();
  }
  std::ofstream(result) << lines - 1 << ' ' << first << ' ' << last << '\n';
  while (::read(0, buffer.data(), buffer.size()) > 0) {
  }
  return 0;
}

void hub_rate(const std::string& self, std::size_t count) {
  char dir_template[] = "/tmp/sb_bench_hub_XXXXXX";
  if (!::mkdtemp(dir_template)) return;
  const std::string dir = dir_template;
  sb::hub_config config;
  config.core.log_level = sb::log_level::warning;
  config.core.shutdown_grace_sec = 1;
  config.tools.push_back({.name = "producer", .command = self, .args = {"produce", std::to_string(count)}});
  for (int i = 1; i <= 4; ++i) {
    const std::string name = "sub" + std::to_string(i);
    config.tools.push_back({.name = name,
                            .command = self,
                            .args = {"subscribe", name, std::to_string(count), dir + "/" + name},
                            .queue_bytes = std::size_t{256} << 20});
  }
  for (auto& tool : config.tools) tool.restart_policy = sb::restart_policy::never;
  sb::hub hub(std::move(config));
  std::thread runner([&] { hub.run(); });
  // Start once every subscriber has subscribed.
  for (int tries = 0; tries < 500; ++tries) {
    const auto status = hub.status();
    if (std::all_of(status.begin(), status.end(), [](const auto& s) { return s.ready; })) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  hub.publish("GO", "");
  std::size_t delivered = 0;
  std::int64_t first = 0, last = 0;
  for (int i = 1; i <= 4; ++i) {
    const std::string path = dir + "/sub" + std::to_string(i);
    std::size_t n = 0;
    std::int64_t f = 0, l = 0;
    for (int tries = 0; tries < 6000; ++tries) {
      std::ifstream in(path);
      if (in >> n >> f >> l) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    delivered += n;
    first = first == 0 ? f : std::min(first, f);
    last = std::max(last, l);
    std::remove(path.c_str());
  }
  std::uint64_t dropped = 0;
  for (const auto& s : hub.status()) dropped += s.dropped;
  hub.stop();
  runner.join();
  ::rmdir(dir.c_str());
  const double seconds = static_cast<double>(last - first) / 1e9;
  std::printf("hub routing, 1 producer -> 4 subscribers: %zu events delivered (%llu dropped) in %.3f s: %.0f events/s delivered (%.0f produced/s)\n",
              delivered, static_cast<unsigned long long>(dropped), seconds, static_cast<double>(delivered) / seconds,
              static_cast<double>(delivered) / 4 / seconds);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string self = argv[0];
  if (argc >= 3 && std::strcmp(argv[1], "produce") == 0) return produce(std::strtoull(argv[2], nullptr, 10));
  if (argc >= 5 && std::strcmp(argv[1], "subscribe") == 0)
    return subscribe(argv[2], std::strtoull(argv[3], nullptr, 10), argv[4]);

  std::size_t calls = 1000000;
  std::size_t events = 2000000;
  int runs = 3;
  std::vector<std::string> tool{SB_BENCH_STDIO_TOOL};
  std::string echo = SB_BENCH_LINE_ECHO;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--calls" && i + 1 < argc) calls = std::strtoull(argv[++i], nullptr, 10);
    else if (arg == "--events" && i + 1 < argc) events = std::strtoull(argv[++i], nullptr, 10);
    else if (arg == "--runs" && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (arg == "--echo" && i + 1 < argc) echo = argv[++i];
    else if (arg == "--tool" && i + 1 < argc) {
      tool.assign(argv + i + 1, argv + argc);
      break;
    } else {
      std::fprintf(stderr, "usage: %s [--calls N] [--events N] [--runs R] [--echo PATH] [--tool PATH [ARGS...]]\n", argv[0]);
      return 2;
    }
  }
  std::string requests;
  requests.reserve(calls * 64);
  char line[128];
  for (std::size_t i = 0; i < calls; ++i)
    requests.append(line, static_cast<std::size_t>(std::snprintf(
                              line, sizeof line, R"({"jsonrpc":"2.0","method":"tools.add","params":[%zu,1],"id":%zu})" "\n", i, i)));
  std::string tool_text;
  for (const auto& a : tool) tool_text += (tool_text.empty() ? "" : " ") + a;
  if (calls > 0) {
    double best_tool = 0, best_echo = 0;
    for (int r = 0; r < runs; ++r) {
      const double e = pipe_rate({echo}, requests, calls);
      const double t = pipe_rate(tool, requests, calls);
      std::printf("run %d: line echo %.0f lines/s, %s %.0f calls/s\n", r + 1, e, tool_text.c_str(), t);
      best_echo = std::max(best_echo, e);
      best_tool = std::max(best_tool, t);
    }
    std::printf("pipelined JSON-RPC tools.add, %zu calls, best of %d: %s %.0f calls/s; line echo %.0f lines/s; ratio %.2f\n",
                calls, runs, tool_text.c_str(), best_tool, best_echo, best_tool / best_echo);
  }
  if (events > 0) hub_rate(self, events);
  return 0;
}
