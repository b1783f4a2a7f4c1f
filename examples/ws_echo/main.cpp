// A WebSocket echo server: every text or binary message comes back unchanged, at any path. What the
// Autobahn|Testsuite fuzzing client drives (cases 1 to 10: framing, pings, fragmentation, UTF-8,
// close handling, limits; 12 and 13 with --compress: permessage-deflate).
//   ws_echo [--host H] [--port P] [--compress] [--subprotocol NAME]...  (each NAME offered, the first preferred)
#include <switchboard/switchboard.hpp>
#include <switchboard/websocket/deflate.hpp>  // only for --compress; needs zlib

#include <cstdio>
#include <cstdlib>
#include <string>

namespace echo {

void back(sb::connection& c, const sb::ws_message& m) {
  if (m.binary) c.send_binary(m.payload);
  else c.send(m.payload);
}

struct any {
  sb::fn<&echo::back> message;
};
struct ws_echo {
  sb::ws<any> messages;  // /ws/ws_echo/messages, and every other path (websocket_default_route)
};

}  // namespace echo

int main(int argc, char** argv) {
  sb::server server;
  server.port = 9001;
  server.websocket_default_route = "/ws/ws_echo/messages";
  server.max_send_queue_bytes = std::size_t{64} << 20;  // an echo holds what it was sent
  server.cors_origins = {"*"};                          // test clients send any Origin
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--port" && i + 1 < argc) server.port = std::atoi(argv[++i]);
    else if (arg == "--host" && i + 1 < argc) server.host = argv[++i];
    else if (arg == "--compress") server.websocket_compression = sb::permessage_deflate();
    else if (arg == "--subprotocol" && i + 1 < argc) server.websocket_subprotocols.emplace_back(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s [--host H] [--port P] [--compress] [--subprotocol NAME]...\n", argv[0]);
      return 2;
    }
  }
  sb::app<echo::ws_echo> app;
  return app.serve(server);
}
