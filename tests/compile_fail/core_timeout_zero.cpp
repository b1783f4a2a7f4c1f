// expect: switchboard: sb::timeout_ms needs a positive number of milliseconds
// A zero timeout would fail every call before it starts; "no deadline" is app_options::call_timeout
// of zero, for all endpoints without sb::timeout_ms.
#include <switchboard/app.hpp>

#include <string>

namespace cf {
int twice(int x) { return 2 * x; }

struct bounded {
  static constexpr const char* name = "bounded";
#ifdef SB_MISUSE
  sb::fn<&cf::twice, sb::timeout_ms{0}> twice;
#else
  sb::fn<&cf::twice, sb::timeout_ms{50}> twice;
#endif
};
}  // namespace cf

int main() {
  sb::app<cf::bounded> app;
  std::string out;
  app.handle_jsonrpc(R"({"jsonrpc":"2.0","method":"bounded.twice","params":[2],"id":1})", out);
  return out.empty();
}
