// The showcase: the same modules over HTTP and SSE, or (with --stdio) JSON-RPC over stdin/stdout.
//   showcase [--host 127.0.0.1] [--port 8080] [--static DIR] [--sse-heartbeat S] [--cors-origin O]... [--stdio]
#include "modules.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#ifndef SHOWCASE_PUBLIC_DIR
#define SHOWCASE_PUBLIC_DIR "public"
#endif

int main(int argc, char** argv) {
  sb::http http;
  http.static_dir = SHOWCASE_PUBLIC_DIR;
  http.cors_origins = {"http://localhost:5173", "http://127.0.0.1:5173"};
  bool over_stdio = false;
  bool cors_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--port" && has_value) http.port = std::atoi(argv[++i]);
    else if (arg == "--host" && has_value) http.host = argv[++i];
    else if (arg == "--static" && has_value) http.static_dir = argv[++i];
    else if (arg == "--sse-heartbeat" && has_value) http.sse_heartbeat_s = std::atoi(argv[++i]);
    else if (arg == "--stdio") over_stdio = true;
    else if (arg == "--cors-origin" && has_value) {  // replaces the defaults; "*": any origin, no credentials
      if (!cors_given) http.cors_origins.clear();
      cors_given = true;
      http.cors_origins.push_back(argv[++i]);
    }
    else if (arg == "--ws-port" && has_value) ++i;  // the WebSocket transport comes with a later release
    else {
      std::fprintf(stderr, "usage: %s [--host H] [--port P] [--static DIR] [--sse-heartbeat S] [--cors-origin O]... [--stdio]\n", argv[0]);
      return 2;
    }
  }
  sb::app<showcase::tools, showcase::greet, showcase::progress, showcase::demo> app;
  // --stdio: the same modules as JSON-RPC 2.0, one message per line on stdin/stdout (logs on stderr).
  if (over_stdio) return app.serve(sb::stdio{});
  return app.serve(http);
}
