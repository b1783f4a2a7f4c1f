// expect: switchboard: two endpoints have the same full name
// Two modules that share a static name and an endpoint name would both answer "calc.add".
#include <switchboard/app.hpp>

namespace cf {
int add(int a, int b) { return a + b; }
int plus(int a, int b) { return a + b; }

struct calc {
  static constexpr const char* name = "calc";
  sb::fn<&cf::add> add;
};
struct calc_v2 {
#ifdef SB_MISUSE
  static constexpr const char* name = "calc";
#else
  static constexpr const char* name = "calc2";
#endif
  sb::fn<&cf::plus> add;
};
}  // namespace cf

int main() {
  sb::app<cf::calc, cf::calc_v2> app;
  std::string out;
  app.handle_jsonrpc(R"({"jsonrpc":"2.0","method":"calc.add","params":[2,3],"id":1})", out);
  return out.empty();
}
