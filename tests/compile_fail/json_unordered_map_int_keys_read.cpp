// expect: a std::map or std::unordered_map has a JSON form only with std::string or std::string_view keys (JSON object keys are strings)
#include <switchboard/json.hpp>

#include <string>
#include <unordered_map>

int main() {
#ifdef SB_MISUSE
  std::unordered_map<int, int> target;
#else
  std::unordered_map<std::string, int> target;
#endif
  return static_cast<bool>(sb::json::read(target, R"({"1":2})"));
}
