// The showcase: the same modules over HTTP and SSE on one port (the Asio server, or cpp-httplib with
// --httplib), or (with --stdio) JSON-RPC over stdin/stdout. With --redis URL, instances that share
// that Redis share the bus and the sessions: the chat room spans them, and a login on one is known
// to all (examples/cluster runs three).
//   showcase [--host 127.0.0.1] [--port 8080] [--static DIR] [--sse-heartbeat S] [--cors-origin O]...
//            [--redis redis://127.0.0.1:6379] [--httplib | --stdio]
#include "modules.hpp"

#include <switchboard/redis/redis_bus.hpp>
#include <switchboard/redis/redis_session_store.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef SHOWCASE_PUBLIC_DIR
#define SHOWCASE_PUBLIC_DIR "public"
#endif

namespace {

struct flags {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string static_dir = SHOWCASE_PUBLIC_DIR;
  int sse_heartbeat_s = 15;
  std::vector<std::string> cors_origins = {"http://localhost:5173", "http://127.0.0.1:5173"};
  std::string redis_url;  // empty: the in-process bus and sessions
  bool over_stdio = false;
  bool over_httplib = false;

  // Both servers take the same settings.
  template <class Server>
  Server configure(Server server) const {
    server.host = host;
    server.port = port;
    server.static_dir = static_dir;
    server.sse_heartbeat_s = sse_heartbeat_s;
    server.cors_origins = cors_origins;
    if (!redis_url.empty())
      server.sessions = std::make_shared<sb::redis_session_store>(
          sb::redis_session_store_options{.url = redis_url, .prefix = "showcase:"});
    return server;
  }
};

bool parse(int argc, char** argv, flags& f) {
  bool cors_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--port" && has_value) f.port = std::atoi(argv[++i]);
    else if (arg == "--host" && has_value) f.host = argv[++i];
    else if (arg == "--static" && has_value) f.static_dir = argv[++i];
    else if (arg == "--sse-heartbeat" && has_value) f.sse_heartbeat_s = std::atoi(argv[++i]);
    else if (arg == "--redis" && has_value) f.redis_url = argv[++i];
    else if (arg == "--stdio") f.over_stdio = true;
    else if (arg == "--httplib") f.over_httplib = true;
    else if (arg == "--cors-origin" && has_value) {  // replaces the defaults; "*": any origin, no credentials
      if (!cors_given) f.cors_origins.clear();
      cors_given = true;
      f.cors_origins.push_back(argv[++i]);
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  flags f;
  if (!parse(argc, argv, f)) {
    std::fprintf(stderr,
                 "usage: %s [--host H] [--port P] [--static DIR] [--sse-heartbeat S] [--cors-origin O]... "
                 "[--redis URL] [--httplib | --stdio]\n",
                 argv[0]);
    return 2;
  }
  // The chat room keeps its last 1,000 events, so that the SSE feed resumes where a client left off.
  const sb::bus_history_options room_history{
      .channels = [](std::string_view channel) { return channel == showcase::chat::room; }, .length = 1000};
  sb::local_bus local_bus(room_history);
  std::unique_ptr<sb::redis_bus> shared_bus;
  if (!f.redis_url.empty()) {
    try {
      shared_bus = std::make_unique<sb::redis_bus>(
          sb::redis_bus_options{.url = f.redis_url, .prefix = "showcase:", .history = room_history});
    } catch (const std::invalid_argument& bad) {
      std::fprintf(stderr, "%s\n", bad.what());
      return 2;
    }
  }
  sb::app<showcase::tools, showcase::greet, showcase::progress, showcase::demo, showcase::chat> app(
      {.bus = shared_bus ? static_cast<sb::bus*>(shared_bus.get()) : &local_bus});
  // --stdio: the same modules as JSON-RPC 2.0, one message per line on stdin/stdout (logs on stderr).
  if (f.over_stdio) return app.serve(sb::stdio{});
  if (f.over_httplib) return app.serve(f.configure(sb::http{}));
  return app.serve(f.configure(sb::server{}));
}
