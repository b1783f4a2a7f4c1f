// expect: its alternatives must each take a different kind
#include <switchboard/json.hpp>

#include <string>
#include <variant>

int main() {
#ifdef SB_MISUSE
  std::variant<int, long> target;  // both are JSON integers: the reader could not tell them apart
#else
  std::variant<int, std::string> target;
#endif
  return static_cast<bool>(sb::json::read(target, "1"));
}
