// expect: std::span can be written but not read
#include <switchboard/json.hpp>

#include <span>
#include <vector>

int main() {
  std::vector<int> storage(3);
#ifdef SB_MISUSE
  std::span<int> target(storage);
  return static_cast<bool>(sb::json::read(target, "[1,2,3]"));
#else
  return static_cast<bool>(sb::json::read(storage, "[1,2,3]"));
#endif
}
