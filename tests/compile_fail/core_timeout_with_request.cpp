// expect: switchboard: an endpoint with sb::timeout_ms runs on the task pool and outlives its caller
// On timeout the call keeps running on the task pool after the caller has returned, so it cannot
// hold views into the caller's request, session, connection, context or stream.
#include <switchboard/app.hpp>

#include <string>

namespace cf {
#ifdef SB_MISUSE
std::string slow_path(const sb::request& r) { return std::string(r.path); }
#else
std::string slow_path(std::string path) { return path; }
#endif

struct slow {
  static constexpr const char* name = "slow";
  sb::fn<&cf::slow_path, sb::timeout_ms{100}> path;
};
}  // namespace cf

int main() {
  sb::app<cf::slow> app;
  std::string out;
  app.handle_jsonrpc(R"({"jsonrpc":"2.0","method":"slow.path","params":["/x"],"id":1})", out);
  return out.empty();
}
