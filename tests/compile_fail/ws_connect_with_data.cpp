// expect: switchboard: a WebSocket handler's connect, disconnect and message functions take only parameters supplied by type
// connect runs before any message has come, so nothing can be bound to its parameters; the data of
// an event goes to a member named after the event.
#include <switchboard/app.hpp>

#include <string>

namespace cf {
#ifdef SB_MISUSE
void greet(sb::connection& c, std::string name) { c.send("\"hello " + name + "\""); }
#else
void greet(sb::connection& c) { c.send("\"hello\""); }
#endif

struct lobby_handler {
  sb::fn<&cf::greet> connect;
};
struct lobby {
  sb::ws<lobby_handler> hall;
};
}  // namespace cf

int main() {
  sb::app<cf::lobby> app;
  return sb::app<cf::lobby>::find_ws("/ws/lobby/hall") == nullptr;
}
