// expect: switchboard: an endpoint parameter type has no JSON form
// A parameter is parsed from JSON, so its type must have a JSON form (or be injectable).
#include <switchboard/app.hpp>

namespace cf {
struct file_handle {  // not an aggregate: no JSON form
  file_handle() = default;
  file_handle(const file_handle&) = delete;
  int fd = -1;
};

#ifdef SB_MISUSE
int close_file(const file_handle& f) { return f.fd; }
#else
int close_file(int fd) { return fd; }
#endif

struct files {
  static constexpr const char* name = "files";
  sb::fn<&cf::close_file> close;
};
}  // namespace cf

int main() {
  sb::app<cf::files> app;
  std::string out;
  app.handle_jsonrpc(R"({"jsonrpc":"2.0","method":"files.close","params":[3],"id":1})", out);
  return out.empty();
}
