// expect: switchboard: an endpoint's result type has no JSON form
// A result is written as JSON (unless it is a response form such as sb::html), so its type must
// have a JSON form; the diagnostic's template arguments name the endpoint.
#include <switchboard/app.hpp>

#include <mutex>

namespace cf {
struct guarded {  // not an aggregate: no JSON form
  guarded() = default;
  guarded(const guarded&) {}
  std::mutex m;
};

#ifdef SB_MISUSE
guarded make() { return {}; }
#else
int make() { return 1; }
#endif

struct things {
  static constexpr const char* name = "things";
  sb::fn<&cf::make> make;
};
}  // namespace cf

int main() {
  sb::app<cf::things> app;
  std::string out;
  app.handle_jsonrpc(R"({"jsonrpc":"2.0","method":"things.make","params":[],"id":1})", out);
  return out.empty();
}
