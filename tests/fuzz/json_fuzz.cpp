// libFuzzer target for the JSON layer: arbitrary bytes through sb::json::read into sb::json::value and
// into typed structs, with read_in_place on a mutable copy. Whatever reads successfully must write, and
// what is written must read back to the same thing. Any violated expectation aborts with a message.

#include <switchboard/json.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

namespace fuzz {

enum class color : std::uint8_t { red, green, blue };

struct point {
  double x;
  double y;
};

struct item {
  std::int64_t id;
  std::optional<double> weight;
  std::vector<std::string> tags;
  std::optional<point> at;
};

// Every member required: most inputs fail on a missing member, which exercises the error paths.
struct strict_doc {
  int count;
  double ratio;
  std::string name;
  std::optional<std::string> note;
  std::vector<item> items;
  std::map<std::string, int> totals;
};

// Members may be absent (meta<...>::defaults): partial objects succeed and reach write and re-read.
struct loose_doc {
  int i;
  std::uint16_t small;
  std::int64_t big;
  std::uint64_t ubig;
  double d;
  float f;
  bool flag;
  char letter;
  color shade;
  std::string text;
  std::string_view view;
  std::optional<std::int32_t> maybe;
  std::vector<std::int64_t> numbers;
  std::vector<std::string_view> views;
  std::array<int, 2> pair;
  std::tuple<int, std::string> tuple;
  std::map<std::string, double> scores;
  std::map<std::string, std::vector<item>> groups;
  std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, std::vector<int>, point> any;
  std::optional<std::variant<std::int64_t, std::string>> id;
  std::vector<loose_doc> children;
  item nested;
  std::optional<sb::json::raw_string> raw;  // optional: a default raw_string writes no bytes at all
  sb::json::value dynamic;
};

}  // namespace fuzz

template <>
struct sb::json::meta<fuzz::loose_doc> {
  static constexpr bool defaults = true;
};
template <>
struct sb::json::meta<fuzz::item> {
  static constexpr bool defaults = true;
};

namespace {

[[noreturn]] void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "json_fuzz: %s", what);
  if (!detail.empty()) std::fprintf(stderr, ": %.*s", static_cast<int>(detail.size()), detail.data());
  std::fprintf(stderr, "\n");
  std::abort();
}

void check_error(const sb::json::error& e, std::size_t size) {
  if (!e) return;
  if (e.offset() > size) fail("error offset past the end of the input", e.to_string());
  if (e.line() == 0 || e.column() == 0) fail("error without line and column", e.to_string());
  if (e.message().empty()) fail("error without message");
  (void)e.to_string();
}

std::vector<char> mutable_copy(std::string_view text) { return {text.begin(), text.end()}; }

template <class T>
std::string write_or_die(const T& value, const char* what) {
  std::string out;
  if (const sb::json::error e = sb::json::write(value, out)) fail(what, e.to_string());
  // The fixed-size sink: same bytes with room, a clean overflow error without.
  std::vector<char> buffer(out.size());
  std::size_t written = 0;
  if (const sb::json::error e = sb::json::write(value, std::span<char>(buffer), written))
    fail("write into an exact-size span failed", e.to_string());
  if (std::string_view(buffer.data(), written) != out) fail("span write differs from string write");
  if (!out.empty()) {
    std::vector<char> small(out.size() / 2);
    const sb::json::error e = sb::json::write(value, std::span<char>(small), written);
    if (!e || e.code() != sb::json::errc::buffer_overflow) fail("short span write did not report overflow");
  }
  return out;
}

void fuzz_value(std::string_view text) {
  sb::json::value v;
  const sb::json::error e = sb::json::read(v, text);
  check_error(e, text.size());

  // read_in_place agrees with read on sb::json::value (it owns its strings either way).
  auto copy = mutable_copy(text);
  sb::json::value in_place;
  const sb::json::error e2 = sb::json::read_in_place(in_place, std::span<char>(copy));
  if (static_cast<bool>(e) != static_cast<bool>(e2)) fail("read and read_in_place disagree on value");
  if (e) return;
  if (!(in_place == v)) fail("read_in_place produced another value");

  const std::string out = write_or_die(v, "value read but does not write");
  sb::json::value back;
  if (const sb::json::error e3 = sb::json::read(back, out)) fail("written value does not read back", e3.to_string());
  if (!(back == v)) fail("value changed through write and read", out);
  if (write_or_die(back, "re-read value does not write") != out) fail("value writes differently the second time");

  std::string pretty;
  if (const sb::json::error e4 = sb::json::write<sb::json::write_options{.pretty = true}>(v, pretty))
    fail("value does not write pretty", e4.to_string());
  sb::json::value from_pretty;
  if (const sb::json::error e5 = sb::json::read(from_pretty, pretty)) fail("pretty output does not read back", e5.to_string());
  if (!(from_pretty == v)) fail("value changed through pretty write and read", pretty);
}

// A typed read; on success, write, re-read (in place: string_view members may now need unescaping)
// and write again: the two outputs must be the same bytes.
template <class T>
void fuzz_typed(std::string_view text, const sb::json::read_options& options) {
  {
    T doc{};
    const sb::json::error e = sb::json::read(doc, text, options);
    check_error(e, text.size());
    if (!e) {
      const std::string out = write_or_die(doc, "typed read but does not write");
      auto buffer = mutable_copy(out);
      T back{};
      if (const sb::json::error e2 = sb::json::read_in_place(back, std::span<char>(buffer), options))
        fail("typed output does not read back", e2.to_string() + " in " + out);
      if (write_or_die(back, "re-read typed value does not write") != out) fail("typed value changed through write and read", out);
    }
  }
  {
    auto copy = mutable_copy(text);
    T doc{};
    const sb::json::error e = sb::json::read_in_place(doc, std::span<char>(copy), options);
    check_error(e, text.size());
    if (!e) {
      const std::string out = write_or_die(doc, "typed read_in_place but does not write");
      auto buffer = mutable_copy(out);
      T back{};
      if (const sb::json::error e2 = sb::json::read_in_place(back, std::span<char>(buffer), options))
        fail("typed in-place output does not read back", e2.to_string() + " in " + out);
      if (write_or_die(back, "re-read in-place value does not write") != out)
        fail("in-place typed value changed through write and read", out);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz_value(text);

  const sb::json::read_options defaults{};
  sb::json::read_options strict{};
  strict.max_depth = 16;
  strict.unknown = sb::json::unknown_keys::error;
  strict.duplicates = sb::json::duplicate_keys::error;

  fuzz_typed<fuzz::loose_doc>(text, defaults);
  fuzz_typed<fuzz::loose_doc>(text, strict);
  fuzz_typed<fuzz::strict_doc>(text, defaults);
  fuzz_typed<std::vector<fuzz::item>>(text, defaults);
  fuzz_typed<std::map<std::string, std::variant<std::int64_t, double, std::string>>>(text, strict);
  return 0;
}
