// The smallest useful server: two modules of ordinary functions over HTTP, on sb::server.
//   GET  /api/greet/hello?name=Ada&nickname=Countess   -> "Hello, Ada (Countess)!"
//   POST /api/tools/add  [2,3] or {"a":2,"b":3}         -> 5
//   GET  /api/_describe                                 -> modules, endpoints, JSON Schemas
#include <switchboard/switchboard.hpp>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

struct greeting {
  std::string_view name;
  std::optional<std::string_view> nickname;
};

std::string hello(greeting g) {
  std::string text = "Hello, " + std::string(g.name);
  if (g.nickname) text += " (" + std::string(*g.nickname) + ")";
  return text + "!";
}

double add(double a, double b) { return a + b; }
double multiply(double a, double b) { return a * b; }

struct greet {
  sb::fn<&::hello> hello;  // one aggregate parameter: binds from an object or a query string by field name
};

struct tools {
  sb::fn<&::add, sb::args{"a", "b"}> add;
  sb::fn<&::multiply, sb::args{"a", "b"}> multiply;
};

int main(int argc, char** argv) {
  sb::server options;  // HTTP, SSE (and WebSocket, later) on one port; sb::http for cpp-httplib
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--port") == 0) options.port = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--host") == 0) options.host = argv[i + 1];
  }
  sb::app<greet, tools> app;
  return app.serve(options);
}
