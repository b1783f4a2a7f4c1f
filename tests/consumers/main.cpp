// An outside program using the installed (or added) package.
#include <switchboard/switchboard.hpp>

#include <cstdio>
#include <string>

struct point {
  int x;
  int y;
};

int main() {
  point p{};
  if (auto err = sb::json::read(p, R"({"x":1,"y":2})")) {
    std::fprintf(stderr, "%s\n", err.to_string().c_str());
    return 1;
  }
  std::string out;
  sb::json::write(p, out);
  std::printf("switchboard %s: %s\n", sb::version_string, out.c_str());
  return out == R"({"x":1,"y":2})" ? 0 : 1;
}
