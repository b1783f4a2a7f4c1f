// switchboard's side of run.sh, written as a user would: handler modules on sb::server.
//   /ws/bench/room   every connection joins the bus channel "room"; what one sends goes to all
//   any other path   echo (what examples/ws_echo does)
//   bench_ws_sb [--host 127.0.0.1] [--port 9001] [--threads 0 (one per core)]
#include <switchboard/switchboard.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace bench {

void echo_back(sb::connection& c, const sb::ws_message& m) {
  if (m.binary) c.send_binary(m.payload);
  else c.send(m.payload);
}
sb::result<void> join(sb::connection& c) { return c.subscribe("room"); }
void shout(sb::bus& bus, const sb::ws_message& m) { bus.broadcast("room", m.payload); }

struct echo_handler {
  sb::fn<&bench::echo_back> message;
};
struct room_handler {
  sb::fn<&bench::join> connect;
  sb::fn<&bench::shout> message;
};
struct bench {
  sb::ws<echo_handler> echo;
  sb::ws<room_handler> room;
};

}  // namespace bench

int main(int argc, char** argv) {
  sb::server server;
  server.port = 9001;
  server.websocket_default_route = "/ws/bench/echo";
  server.max_connections = 20000;                       // the fan-out holds 10,000
  server.max_send_queue_bytes = std::size_t{64} << 20;  // 16 messages of 64 KiB in flight per connection
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--port" && i + 1 < argc) server.port = std::atoi(argv[++i]);
    else if (arg == "--host" && i + 1 < argc) server.host = argv[++i];
    else if (arg == "--threads" && i + 1 < argc) server.io_threads = static_cast<std::size_t>(std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "usage: %s [--host H] [--port P] [--threads N]\n", argv[0]);
      return 2;
    }
  }
  sb::app<bench::bench> app;
  return app.serve(server);
}
