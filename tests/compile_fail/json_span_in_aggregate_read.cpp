// expect: std::span can be written but not read
#include <switchboard/json.hpp>

#include <span>
#include <vector>

struct request {
#ifdef SB_MISUSE
  std::span<int> ids;  // a view of nothing: there is no storage to read into
#else
  std::vector<int> ids;
#endif
};

int main() {
  request r{};
  return static_cast<bool>(sb::json::read(r, R"({"ids":[1,2]})"));
}
