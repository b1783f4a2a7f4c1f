// expect: JSON object keys are strings
#include <switchboard/json.hpp>

#include <map>
#include <string>

int main() {
#ifdef SB_MISUSE
  std::map<int, int> target;
#else
  std::map<std::string, int> target;
#endif
  std::string out;
  return static_cast<bool>(sb::json::write(target, out));
}
