// expect: a JSON member name from sb::json::meta may not contain
#include <switchboard/json.hpp>

#include <array>
#include <string>

struct record {
  int id;
};

template <>
struct sb::json::meta<record> {
#ifdef SB_MISUSE
  static constexpr std::array rename = {sb::json::field{"id", "the \"id\""}};
#else
  static constexpr std::array rename = {sb::json::field{"id", "the id"}};
#endif
};

int main() {
  std::string out;
  return static_cast<bool>(sb::json::write(record{1}, out));
}
