// expect: switchboard: an endpoint parameter taken by non-const reference must be injectable
// A parsed parameter is a temporary of the call: a function that writes through a reference to it
// writes nowhere. Only injected types (request, session, a module...) may be taken by non-const &.
#include <switchboard/app.hpp>

namespace cf {
#ifdef SB_MISUSE
int twice(int& x) { return x *= 2; }
#else
int twice(const int& x) { return x * 2; }
#endif

struct calc {
  static constexpr const char* name = "calc";
  sb::fn<&cf::twice> twice;
};
}  // namespace cf

int main() {
  sb::app<cf::calc> app;
  std::string out;
  app.handle_jsonrpc(R"({"jsonrpc":"2.0","method":"calc.twice","params":[2],"id":1})", out);
  return out.empty();
}
