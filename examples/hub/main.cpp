// hub <config.json>: starts the configured tools, routes their TYPE|sender|data events, restarts
// them per policy, and stops them all on SIGTERM or SIGINT (exit 0). See hub/hub.hpp.
#include <switchboard/hub/hub.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <config.json>\n", argv[0]);
    return 2;
  }
  std::string why;
  auto config = sb::load_hub_config(argv[1], why);
  if (!config) {
    std::fprintf(stderr, "%s\n", why.c_str());
    return 2;
  }
  sb::hub hub(std::move(*config));
  return hub.run();
}
