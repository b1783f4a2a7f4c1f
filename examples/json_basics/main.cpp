// Reading and writing an ordinary struct: no macros, no registration, errors that say where.
#include <switchboard/json.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

struct position {
  double x;
  double y;
};

struct sensor {
  int id;
  std::string name;
  std::vector<std::string> tags;
  position pos;
  std::optional<double> last_reading;  // may be missing or null
};

int main() {
  sensor s{};
  if (auto err = sb::json::read(s, R"({"id":7,"name":"kitchen","tags":["temp"],"pos":{"x":1.5,"y":-2}})")) {
    std::fprintf(stderr, "%s\n", err.to_string().c_str());
    return 1;
  }
  std::string out;
  sb::json::write(s, out);
  std::printf("%s\n", out.c_str());

  // A wrong type deep inside is reported with its path, line and column.
  auto err = sb::json::read(s, R"({"id":7,"name":"kitchen","tags":[],"pos":{"x":1.5,"y":"up"}})");
  std::printf("%s\n", err.to_string().c_str());
  std::printf("%s\n", sb::json::schema<sensor>().c_str());
  return err.path() == "$.pos.y" ? 0 : 1;
}
