// expect: switchboard: take sb::stream<T> by value
// sb::stream<T> is a small handle the framework creates for each call: take it by value.
#include <switchboard/app.hpp>

namespace cf {
#ifdef SB_MISUSE
void count(int n, sb::stream<int>& out) {
#else
void count(int n, sb::stream<int> out) {
#endif
  for (int i = 1; i <= n; ++i)
    if (!out.emit(i)) return;
}

struct progress {
  static constexpr const char* name = "progress";
  sb::fn<&cf::count> count;
};
}  // namespace cf

int main() {
  sb::app<cf::progress> app;
  std::string out;
  app.handle_jsonrpc(R"({"jsonrpc":"2.0","method":"progress.count","params":[3],"id":1})", out);
  return out.empty();
}
