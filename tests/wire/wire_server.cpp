// The server the wire-level tests drive: sb::server with its limits and timeouts set from flags, and
// endpoints that block, stream without pause, and report what is open.
//   wire_server --port P [--header-timeout-ms N] [--body-timeout-ms N] [--idle-timeout-ms N]
//               [--max-connections N] [--max-send-queue N] [--max-body N] [--io-threads N]
//               [--max-sse-streams N] [--sse-heartbeat-s N] [--ws-max-message N] [--ws-ping-s N]
//               [--ws-pong-timeout-s N] [--ws-rate N] [--ws-idle-s N] [--ws-per-ip N]
//               [--ws-auth-message TOKEN] [--ws-auth-timeout-s N] [--ws-compress] [--ws-subprotocols A,B]
//               [--auth-token T]
//               [--httplib]
#include <switchboard/switchboard.hpp>
#include <switchboard/websocket/deflate.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace wire {

inline std::atomic<int> open_streams{0};
inline std::atomic<int> finished_streams{0};

struct counted {
  counted() { ++open_streams; }
  ~counted() {
    --open_streams;
    ++finished_streams;
  }
  counted(const counted&) = delete;
  counted& operator=(const counted&) = delete;
};

inline double add(double a, double b) { return a + b; }
inline std::string echo(std::string text) { return text; }

// Blocks its thread, as endpoints that call out to slow systems do.
inline int sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}

// As fast as the sink takes them: a client that does not read must be cut off, not buffered for.
inline void flood(int size, sb::stream<std::string> out) {
  const counted guard;
  const std::string chunk(static_cast<std::size_t>(size), 'x');
  while (out.emit(chunk)) {
  }
}

// Mostly idle, as dashboards hold them: a value, then a long wait that a leaving client cuts short.
inline void idle(int wait_ms, sb::stream<int> out) {
  const counted guard;
  for (int i = 0; out.emit(i); ++i)
    if (!out.wait_for(std::chrono::milliseconds(wait_ms))) return;
}

// The same as a coroutine: between values it holds no thread on sb::server, only a timer.
inline sb::task<void> waiting(int wait_ms, sb::stream<int> out) {
  const counted guard;
  for (int i = 0; out.emit(i); ++i)
    if (!co_await out.pause(std::chrono::milliseconds(wait_ms))) co_return;
}

struct stream_counts {
  int open;
  int finished;
};
inline stream_counts streams() { return {open_streams.load(), finished_streams.load()}; }

// /ws/probe/who: {"event":"subprotocol"} answers what the handshake chose, {"event":"user"} who the
// connection authenticated as.
inline std::string chosen_subprotocol(const sb::connection& c) { return std::string(c.subprotocol()); }
inline std::string user(const sb::session& s) { return s.user; }
struct who_handler {
  sb::fn<&wire::chosen_subprotocol> subprotocol;
  sb::fn<&wire::user> user;
};

struct tools {
  sb::fn<&wire::add, sb::args{"a", "b"}> add;
  sb::fn<&wire::echo, sb::args{"text"}, sb::post> echo;
};
struct probe {
  sb::fn<&wire::sleep_ms, sb::args{"ms"}> sleep;
  sb::fn<&wire::flood, sb::args{"size"}> flood;
  sb::fn<&wire::idle, sb::args{"wait_ms"}> idle;
  sb::fn<&wire::waiting, sb::args{"wait_ms"}> waiting;
  sb::fn<&wire::streams> streams;
  sb::ws<who_handler> who;
  sb::fn<&wire::user> whoami;
};

}  // namespace wire

int main(int argc, char** argv) {
  sb::server server;
  server.port = 0;
  server.max_sse_streams = 20000;
  bool httplib = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto next = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
    if (arg == "--port") server.port = next();
    else if (arg == "--header-timeout-ms") server.header_timeout_ms = next();
    else if (arg == "--body-timeout-ms") server.body_timeout_ms = next();
    else if (arg == "--idle-timeout-ms") server.idle_timeout_ms = next();
    else if (arg == "--max-connections") server.max_connections = static_cast<std::size_t>(next());
    else if (arg == "--max-send-queue") server.max_send_queue_bytes = static_cast<std::size_t>(next());
    else if (arg == "--max-body") server.max_body_bytes = static_cast<std::size_t>(next());
    else if (arg == "--io-threads") server.io_threads = static_cast<std::size_t>(next());
    else if (arg == "--max-sse-streams") server.max_sse_streams = static_cast<std::size_t>(next());
    else if (arg == "--sse-heartbeat-s") server.sse_heartbeat_s = next();
    else if (arg == "--ws-max-message") server.websocket_max_message_bytes = static_cast<std::size_t>(next());
    else if (arg == "--ws-ping-s") server.websocket_ping_s = next();
    else if (arg == "--ws-pong-timeout-s") server.websocket_pong_timeout_s = next();
    else if (arg == "--ws-rate") server.websocket_max_messages_per_s = next();
    else if (arg == "--ws-idle-s") server.websocket_idle_timeout_s = next();
    else if (arg == "--ws-per-ip") server.websocket_max_per_ip = static_cast<std::size_t>(next());
    else if (arg == "--ws-auth-timeout-s") server.websocket_auth_timeout_s = next();
    else if (arg == "--ws-compress") server.websocket_compression = sb::permessage_deflate();
    else if (arg == "--ws-subprotocols" && i + 1 < argc) {  // comma-separated, the server's preference first
      for (std::string_view list = argv[++i]; !list.empty();) {
        const auto comma = list.find(',');
        server.websocket_subprotocols.emplace_back(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      }
    }
    else if (arg == "--ws-auth-message" && i + 1 < argc) {
      server.authenticate_message = [token = std::string(argv[++i])](std::string_view given, sb::session& s) -> sb::result<void> {
        if (given != token) return sb::unauthorized("wrong token");
        s.user = "tester";
        return {};
      };
    } else if (arg == "--auth-token" && i + 1 < argc) {
      // The bearer token, or ?token= for what cannot set headers (a browser's WebSocket and EventSource).
      server.authenticate = [token = std::string(argv[++i])](const sb::request& r, sb::session& s) -> sb::result<void> {
        bool given = r.header_value("Authorization") == "Bearer " + token;
        for (const auto& f : r.query) given = given || (f.name == "token" && f.value == token);
        if (!given) return sb::unauthorized("a bearer token is needed");
        s.user = "tester";
        return {};
      };
    } else if (arg == "--httplib") httplib = true;
    else {
      std::fprintf(stderr, "wire_server: unknown flag %s\n", arg.c_str());
      return 2;
    }
  }
  sb::app<wire::tools, wire::probe> app;
  if (httplib) {
    sb::http http;
    http.port = server.port;
    return app.serve(http);
  }
  return app.serve(server);
}
