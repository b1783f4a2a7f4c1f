// expect: switchboard: sb::doc describes more parameters than the endpoint binds from the wire
// sb::doc gives the endpoint's description, then one per parameter bound from the wire at most.
#include <switchboard/app.hpp>

namespace cf {
int twice(const sb::request& r, int x) { return static_cast<int>(r.path.size()) + 2 * x; }

struct calc {
  static constexpr const char* name = "calc";
#ifdef SB_MISUSE
  sb::fn<&cf::twice, sb::args{"x"}, sb::doc{"Doubles x", "the request", "the number"}> twice;
#else
  sb::fn<&cf::twice, sb::args{"x"}, sb::doc{"Doubles x", "the number"}> twice;
#endif
};
}  // namespace cf

int main() {
  sb::app<cf::calc> app;
  std::string out;
  app.handle_jsonrpc(R"({"jsonrpc":"2.0","method":"calc.twice","params":{"x":2},"id":1})", out);
  return out.empty();
}
