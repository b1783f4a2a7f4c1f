// expect: switchboard: sb::args must list exactly one name per parameter that is not injected
// sb::args names the parameters parsed from JSON (injected ones take no name): one name each.
#include <switchboard/app.hpp>

namespace cf {
int add(const sb::request& r, int a, int b) { return static_cast<int>(r.path.size()) + a + b; }

struct calc {
  static constexpr const char* name = "calc";
#ifdef SB_MISUSE
  sb::fn<&cf::add, sb::args{"a"}> add;
#else
  sb::fn<&cf::add, sb::args{"a", "b"}> add;
#endif
};
}  // namespace cf

int main() {
  sb::app<cf::calc> app;
  std::string out;
  app.handle_jsonrpc(R"({"jsonrpc":"2.0","method":"calc.add","params":{"a":2,"b":3},"id":1})", out);
  return out.empty();
}
