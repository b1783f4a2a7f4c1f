// expect: switchboard: a module must be an aggregate struct
// A module with a user-declared constructor is not an aggregate: Boost.PFR cannot list its members,
// so sb::app rejects it before any reflection error.
#include <switchboard/app.hpp>

namespace cf {
int add(int a, int b) { return a + b; }

struct calc {
  static constexpr const char* name = "calc";
#ifdef SB_MISUSE
  calc() {}
#endif
  sb::fn<&cf::add> add;
};
}  // namespace cf

int main() {
  sb::app<cf::calc> app;
  std::string out;
  app.handle_jsonrpc(R"({"jsonrpc":"2.0","method":"calc.add","params":[2,3],"id":1})", out);
  return out.empty();
}
