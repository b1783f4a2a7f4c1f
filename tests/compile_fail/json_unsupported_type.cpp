// expect: switchboard: sb::json::read target has no JSON form
#include <switchboard/json.hpp>

struct socket_handle {
  socket_handle() = default;
  socket_handle(const socket_handle&) = delete;  // not an aggregate of JSON types
  int fd = -1;
};

struct request {
  int id;
#ifdef SB_MISUSE
  socket_handle handle;
#endif
};

int main() {
  request r{};
  return static_cast<bool>(sb::json::read(r, R"({"id":1})"));
}
