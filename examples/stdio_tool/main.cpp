// A small switchboard app served over stdin/stdout (sb::stdio): the tool the stdio tests and the
// benchmark drive.
//
//   stdio_tool                      JSON-RPC 2.0, one message per line
//   stdio_tool --events --name N    the TYPE|sender|data event protocol, as tool N
//   options: --workers K (0 = calls one at a time, in order), --max-line BYTES
#include <switchboard/app.hpp>
#include <switchboard/stream.hpp>
#include <switchboard/transport/stdio.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace stdio_tool {

double add(double a, double b) { return a + b; }
double multiply(double a, double b) { return a * b; }
sb::json::value echo(sb::json::value value) { return value; }
std::string to_upper_case(std::string text) {
  for (char& c : text)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return text;
}
// Sleeps, then answers: shows that slow calls do not hold up the ones behind them.
int sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}
// Writes to stdout on purpose: the stdout guard sends it to stderr instead of into the protocol.
std::string print(std::string text) {
  std::printf("printed by user code: %s\n", text.c_str());
  std::fflush(stdout);
  return text;
}

struct progress_step {
  int step;
  int of;
};
// n values, a short pause between them.
void count(int n, sb::stream<progress_step> out) {
  for (int k = 1; k <= n; ++k) {
    if (!out.emit({k, n})) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Event mode: PING|sender|data is answered with PONG|<name>|data.
void ping(const sb::event_line& line, sb::stream<std::string> out) { out.emit_event("PONG", std::string(line.data)); }
// GENERATE|sender|<n>: n TICK events 10 ms apart, then GENERATE_RESULT|<name>|done.
std::string generate(int n, sb::stream<int> out) {
  for (int k = 1; k <= n; ++k) {
    if (!out.emit_event("TICK", k)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return "done";
}

struct tools {
  sb::fn<&stdio_tool::add, sb::args{"a", "b"}> add;
  sb::fn<&stdio_tool::multiply, sb::args{"a", "b"}> multiply;
  sb::fn<&stdio_tool::echo, sb::args{"value"}> echo;
  sb::fn<&stdio_tool::to_upper_case, sb::args{"text"}> toUpperCase;
  sb::fn<&stdio_tool::sleep_ms, sb::args{"ms"}> sleep;
  sb::fn<&stdio_tool::print, sb::args{"text"}> print;
};
struct progress {
  sb::fn<&stdio_tool::count, sb::args{"n"}> count;
};
struct events {
  sb::fn<&stdio_tool::ping> ping;
  sb::fn<&stdio_tool::generate> generate;
  sb::fn<&stdio_tool::to_upper_case> shout;
};

}  // namespace stdio_tool

int main(int argc, char** argv) {
  sb::stdio options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--events") options.protocol = sb::stdio_protocol::events;
    else if (arg == "--name" && has_value) options.name = argv[++i];
    else if (arg == "--workers" && has_value) options.workers = std::strtoul(argv[++i], nullptr, 10);
    else if (arg == "--max-line" && has_value) options.max_line_bytes = std::strtoul(argv[++i], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: %s [--events] [--name NAME] [--workers N] [--max-line BYTES]\n", argv[0]);
      return 2;
    }
  }
  if (options.protocol == sb::stdio_protocol::events) {
    options.description = "switchboard example tool: PING, GENERATE, SHOUT";
    options.routes = {{"PING", "events.ping", ""}, {"GENERATE", "events.generate", ""}, {"SHOUT", "events.shout", ""}};
  }
  sb::app<stdio_tool::tools, stdio_tool::progress, stdio_tool::events> app;
  return app.serve(options);
}
